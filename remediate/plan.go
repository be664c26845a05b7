package remediate

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/remedy-bot/remedy/scanner"
)

// Remediation is the fix of one resource: an RFC 6902 patch against the
// resource plus the findings it resolves. The patch is the contract: it is
// what --dry-run shows, what a PR body explains, and what imported findings
// arrive as.
type Remediation struct {
	Resource *scanner.Resource
	Patch    []Op
	Findings []scanner.Finding
}

// Options configure fixes.
type Options struct {
	// ResourceDefaults are .remedy.yaml's defaults.resources, by "limits" /
	// "requests" then resource name; resource fixes only write these.
	ResourceDefaults map[string]map[string]string
	// Images is what --resolve-images read; nil without it. The fixes of
	// image-tag, run-as-non-root, read-only-root-filesystem and
	// drop-all-capabilities are checked against it (image.go).
	Images scanner.ImageLookup
}

// patchBuilder emits the operations that bring an object's JSON form to the
// wanted state, applying each to its copy so that later operations see
// earlier ones (one new securityContext, then fields added to it).
type patchBuilder struct {
	doc any
	ops []Op
	// undo, while tracking, holds what restores doc before each change
	// (see rollback).
	undo     []func()
	tracking bool
	// pod is the resource's pod template, as scanned.
	pod *podTemplate
	// checks are the image checks of the fixes planned, by finding
	// fingerprint (image.go).
	checks map[string]ImageCheck
}

// track starts recording the changes to doc, for rollback.
func (b *patchBuilder) track() {
	b.undo, b.tracking = b.undo[:0], true
}

// rollback undoes the changes to doc since track, latest first, and stops
// tracking; commit only stops tracking.
func (b *patchBuilder) rollback() {
	for i := len(b.undo) - 1; i >= 0; i-- {
		b.undo[i]()
	}
	b.commit()
}

func (b *patchBuilder) commit() {
	clear(b.undo)
	b.undo, b.tracking = b.undo[:0], false
}

// setKey sets (or, with del, deletes) a key of a mapping of doc.
func (b *patchBuilder) setKey(m map[string]any, k string, v any, del bool) {
	if b.tracking {
		old, had := m[k]
		b.undo = append(b.undo, func() {
			if had {
				m[k] = old
			} else {
				delete(m, k)
			}
		})
	}
	if del {
		delete(m, k)
	} else {
		m[k] = v
	}
}

// setItem sets an item of a sequence of doc.
func (b *patchBuilder) setItem(s []any, i int, v any) {
	if b.tracking {
		old := s[i]
		b.undo = append(b.undo, func() { s[i] = old })
	}
	s[i] = v
}

func newPatchBuilder(obj []byte) (*patchBuilder, error) {
	var doc any
	if err := json.Unmarshal(obj, &doc); err != nil {
		return nil, err
	}
	return &patchBuilder{doc: doc}, nil
}

// get returns the value at path and whether it exists.
func (b *patchBuilder) get(path scanner.Path) (any, bool) {
	cur := b.doc
	for _, seg := range path {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, ok := scanner.IsIndex(seg)
			if !ok || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// set makes path hold v, creating missing mappings on the way with one add.
func (b *patchBuilder) set(path scanner.Path, v any) error {
	for i := range path {
		parent, ok := b.get(path[:i])
		if !ok {
			return fmt.Errorf("%s: missing", path[:i].Pointer())
		}
		if seq, isSeq := parent.([]any); isSeq {
			idx, isIdx := scanner.IsIndex(path[i])
			if !isIdx || idx >= len(seq) {
				return fmt.Errorf("%s: no such item", path[:i+1].Pointer())
			}
			if i == len(path)-1 && !reflect.DeepEqual(seq[idx], v) {
				b.emit(Op{Op: "replace", Path: path.Pointer(), Value: v})
			}
			continue
		}
		m, isMap := parent.(map[string]any)
		if !isMap {
			return fmt.Errorf("%s: not a mapping", path[:i].Pointer())
		}
		cur, exists := m[path[i]]
		if i == len(path)-1 {
			if exists && reflect.DeepEqual(cur, v) {
				return nil
			}
			op := "add"
			if exists {
				op = "replace"
			}
			b.emit(Op{Op: op, Path: path.Pointer(), Value: v})
			return nil
		}
		if exists && cur != nil {
			continue
		}
		// Build the rest of the path as one nested value.
		nested := v
		for j := len(path) - 1; j > i; j-- {
			if _, isIdx := scanner.IsIndex(path[j]); isIdx {
				return fmt.Errorf("%s: cannot create a sequence item", path.Pointer())
			}
			nested = map[string]any{path[j]: nested}
		}
		op := "add"
		if exists {
			op = "replace"
		}
		b.emit(Op{Op: op, Path: path[:i+1].Pointer(), Value: nested})
		return nil
	}
	return nil
}

// appendTo adds v to the sequence at path unless it is there already.
func (b *patchBuilder) appendTo(path scanner.Path, v any) error {
	cur, ok := b.get(path)
	if !ok || cur == nil {
		return b.set(path, []any{v})
	}
	seq, isSeq := cur.([]any)
	if !isSeq {
		return fmt.Errorf("%s: not a sequence", path.Pointer())
	}
	for _, it := range seq {
		if reflect.DeepEqual(it, v) {
			return nil
		}
	}
	b.emit(Op{Op: "add", Path: path.Pointer() + "/-", Value: v})
	return nil
}

// remove deletes path if it exists.
func (b *patchBuilder) remove(path scanner.Path) {
	if _, ok := b.get(path); ok {
		b.emit(Op{Op: "remove", Path: path.Pointer()})
	}
}

// emit records op and applies it to the builder's copy.
func (b *patchBuilder) emit(op Op) {
	b.ops = append(b.ops, op)
	tokens, _ := opTokens(op.Path)
	var parentPath scanner.Path
	for _, t := range tokens[:len(tokens)-1] {
		parentPath = append(parentPath, segFor(b, parentPath, t))
	}
	last := tokens[len(tokens)-1]
	parent, _ := b.get(parentPath)
	switch p := parent.(type) {
	case map[string]any:
		if op.Op == "remove" {
			b.setKey(p, last, nil, true)
		} else {
			b.setKey(p, last, clone(op.Value), false)
		}
	case []any:
		var seq []any
		switch {
		case op.Op == "remove":
			i, _ := strconv.Atoi(last)
			seq = append(append([]any{}, p[:i]...), p[i+1:]...)
		case last == "-":
			seq = append(append([]any{}, p...), clone(op.Value))
		default:
			i, _ := strconv.Atoi(last)
			seq = append([]any{}, p...)
			seq[i] = clone(op.Value)
		}
		b.setRaw(parentPath, seq)
	}
}

// segFor turns a pointer token into a Path segment, given the container kind.
func segFor(b *patchBuilder, parent scanner.Path, tok string) string {
	if v, _ := b.get(parent); v != nil {
		if _, ok := v.([]any); ok {
			return "[" + tok + "]"
		}
	}
	return tok
}

func (b *patchBuilder) setRaw(path scanner.Path, v any) {
	if len(path) == 0 {
		if b.tracking {
			old := b.doc
			b.undo = append(b.undo, func() { b.doc = old })
		}
		b.doc = v
		return
	}
	parent, _ := b.get(path[:len(path)-1])
	switch p := parent.(type) {
	case map[string]any:
		b.setKey(p, path[len(path)-1], v, false)
	case []any:
		i, _ := scanner.IsIndex(path[len(path)-1])
		b.setItem(p, i, v)
	}
}

// clone returns a deep copy of v in its JSON form, as a JSON round trip
// gives it. Values already in that form (what encoding/json decodes into
// an any) are copied directly; anything else takes the round trip.
func clone(v any) any {
	if out, ok := copyJSON(v); ok {
		return out
	}
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// copyJSON deep-copies v when a JSON round trip would give back an equal
// value: nil, bools, finite numbers as float64, valid UTF-8 strings, and
// maps and slices of those (a nil map or slice reads back as null).
func copyJSON(v any) (any, bool) {
	switch x := v.(type) {
	case nil, bool:
		return x, true
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case string:
		return x, utf8.ValidString(x)
	case map[string]any:
		if x == nil {
			return nil, true
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, ok := copyJSON(e)
			if !ok || !utf8.ValidString(k) {
				return nil, false
			}
			out[k] = c
		}
		return out, true
	case []any:
		if x == nil {
			return nil, true
		}
		out := make([]any, len(x))
		for i, e := range x {
			c, ok := copyJSON(e)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	}
	return nil, false
}

// fixer adds the operations that resolve one finding.
type fixer func(b *patchBuilder, f scanner.Finding, ps *podTemplate, opts Options) error

// fixers maps each fixable control to its fix. Each is small and mirrors
// the "fix" column of the catalog.
func fixers() map[string]fixer {
	return map[string]fixer{
		"image-pull-policy": func(b *patchBuilder, f scanner.Finding, ps *podTemplate, _ Options) error {
			return withContainer(f, ps, func(c scanner.Path) error { return b.set(c.Key("imagePullPolicy"), "Always") })
		},
		"read-only-root-filesystem":       fixReadOnlyRootFilesystemImage,
		"no-privilege-escalation":         containerSecurityContext("allowPrivilegeEscalation", false),
		"privileged":                      containerSecurityContext("privileged", false),
		"run-as-non-root":                 fixRunAsNonRootImage,
		"drop-all-capabilities":           fixDropAllCapabilitiesImage,
		"image-tag":                       fixImageTag,
		"dangerous-capabilities":          fixDangerousCapability,
		"restricted-capabilities":         fixRestrictedCapability,
		"host-network":                    podField("hostNetwork", false),
		"host-pid":                        podField("hostPID", false),
		"host-ipc":                        podField("hostIPC", false),
		"automount-service-account-token": podField("automountServiceAccountToken", false),
		"seccomp-profile":                 fixSeccomp,
		"resource-limits":                 fixResources("limits"),
		"resource-requests":               fixResources("requests"),
	}
}

// podTemplate is a resource's pod spec with its containers indexed, so
// that finding the container of each of thousands of findings does not
// walk every container each time.
type podTemplate struct {
	*scanner.PodSpec
	// byPath maps a container's field and index ("containers", "[3]")
	// to its position in Containers; byName a name to the first position.
	byPath map[[2]string]int
	byName map[string]int
}

func newPodTemplate(ps *scanner.PodSpec) *podTemplate {
	t := &podTemplate{PodSpec: ps, byPath: make(map[[2]string]int, len(ps.Containers)), byName: make(map[string]int, len(ps.Containers))}
	for i, c := range ps.Containers {
		t.byPath[[2]string{c.Field, c.Path[len(c.Path)-1]}] = i
		if _, seen := t.byName[c.Name]; !seen && c.Name != "" {
			t.byName[c.Name] = i
		}
	}
	return t
}

// containerPath returns the path of the container a finding is about: the
// first container whose path holds the finding's field, or whose name is
// the finding's container.
func containerPath(f scanner.Finding, ps *podTemplate) (scanner.Path, bool) {
	first := -1
	if n := len(ps.Path); len(f.FieldPath) >= n+2 && slices.Equal(f.FieldPath[:n], ps.Path) {
		if i, ok := ps.byPath[[2]string{f.FieldPath[n], f.FieldPath[n+1]}]; ok {
			first = i
		}
	}
	if i, ok := ps.byName[f.Container]; ok && f.Container != "" && (first < 0 || i < first) {
		first = i
	}
	if first < 0 {
		return nil, false
	}
	return ps.Containers[first].Path, true
}

func withContainer(f scanner.Finding, ps *podTemplate, fn func(c scanner.Path) error) error {
	c, ok := containerPath(f, ps)
	if !ok {
		return refuse("cannot find container %q", f.Container)
	}
	return fn(c)
}

func containerSecurityContext(field string, v any) fixer {
	return func(b *patchBuilder, f scanner.Finding, ps *podTemplate, _ Options) error {
		return withContainer(f, ps, func(c scanner.Path) error {
			return b.set(c.Key("securityContext").Key(field), v)
		})
	}
}

func podField(field string, v any) fixer {
	return func(b *patchBuilder, _ scanner.Finding, ps *podTemplate, _ Options) error {
		return b.set(ps.Path.Key(field), v)
	}
}

// fixRunAsNonRootPod sets runAsNonRoot at pod level and drops a container's
// own `false`, which would override it: the fix without image data.
func fixRunAsNonRootPod(b *patchBuilder, f scanner.Finding, ps *podTemplate) error {
	if err := b.set(ps.Path.Key("securityContext").Key("runAsNonRoot"), true); err != nil {
		return err
	}
	return withContainer(f, ps, func(c scanner.Path) error {
		own := c.Key("securityContext").Key("runAsNonRoot")
		if v, ok := b.get(own); ok && v != true {
			b.remove(own)
		}
		return nil
	})
}

// fixDangerousCapability removes one offending entry of capabilities.add;
// the list's other entries stay. An entry that names a baseline capability
// in another spelling (`chown`, `CAP_CHOWN`) is rewritten to the canonical
// name the standard compares with, which keeps what the workload asked for.
func fixDangerousCapability(b *patchBuilder, f scanner.Finding, _ *podTemplate, _ Options) error {
	return editCapability(b, f, func(name string) (string, bool) {
		canonical := scanner.CanonicalCapability(name)
		return canonical, scanner.BaselineCapability(canonical)
	})
}

// fixRestrictedCapability removes one entry other than NET_BIND_SERVICE
// from capabilities.add. It also finds the entry under the canonical name
// fixDangerousCapability may have rewritten it to in the same run.
func fixRestrictedCapability(b *patchBuilder, f scanner.Finding, _ *podTemplate, _ Options) error {
	return editCapability(b, f, func(string) (string, bool) { return "", false })
}

// editCapability finds the capabilities.add entry a finding names, as
// written or already rewritten to its canonical spelling, and replaces it
// with what rename returns, or removes it when rename says no (or the
// canonical name is listed already). When nothing would be left, the whole
// `add` goes, since an empty block list would read back as null. An entry
// an earlier finding of the run already removed needs nothing more.
func editCapability(b *patchBuilder, f scanner.Finding, rename func(string) (string, bool)) error {
	p := f.FieldPath
	if len(p) == 0 {
		return refuse("no path")
	}
	if _, ok := scanner.IsIndex(p[len(p)-1]); !ok {
		return refuse("finding does not name a capability entry")
	}
	listPath := p[:len(p)-1]
	orig, ok := originalValue(f, p)
	if !ok {
		return nil
	}
	name, _ := orig.(string)
	cur, _ := b.get(listPath)
	seq, _ := cur.([]any)
	at := slices.IndexFunc(seq, func(v any) bool { return reflect.DeepEqual(v, orig) })
	if at < 0 && name != "" {
		at = slices.Index(seq, any(scanner.CanonicalCapability(name)))
	}
	if at < 0 {
		return nil
	}
	if to, keep := rename(name); keep && to != name {
		if !slices.Contains(seq, any(to)) {
			return b.set(listPath.Index(at), to)
		}
	} else if keep {
		return nil
	}
	if len(seq) == 1 {
		b.remove(listPath)
	} else {
		b.remove(listPath.Index(at))
	}
	return nil
}

// originalValue reads a value of the finding's resource as it was scanned.
func originalValue(f scanner.Finding, p scanner.Path) (any, bool) {
	obj, err := nodeJSON(f.Resource.Node.YNode())
	if err != nil {
		return nil, false
	}
	ob, err := newPatchBuilder(obj)
	if err != nil {
		return nil, false
	}
	return ob.get(p)
}

// fixSeccomp sets RuntimeDefault where the finding points: the pod-level
// profile, or a container's own Unconfined profile.
func fixSeccomp(b *patchBuilder, f scanner.Finding, ps *podTemplate, _ Options) error {
	if len(f.FieldPath) < 2 || f.FieldPath[len(f.FieldPath)-1] != "type" {
		return refuse("finding does not name a seccompProfile type")
	}
	profile := f.FieldPath[:len(f.FieldPath)-1]
	if cur, ok := b.get(profile); ok {
		if m, isMap := cur.(map[string]any); isMap && m["type"] == "Localhost" {
			return nil
		}
	}
	return b.set(f.FieldPath, "RuntimeDefault")
}

// fixResources adds the configured defaults for missing limits or requests.
func fixResources(kind string) fixer {
	return func(b *patchBuilder, f scanner.Finding, ps *podTemplate, opts Options) error {
		defaults := opts.ResourceDefaults[kind]
		return withContainer(f, ps, func(c scanner.Path) error {
			path := c.Key("resources").Key(kind)
			names := make([]string, 0, 2)
			for _, name := range []string{"cpu", "memory"} {
				if _, ok := b.get(path.Key(name)); !ok {
					names = append(names, name)
				}
			}
			sort.Strings(names)
			for _, name := range names {
				v, ok := defaults[name]
				if !ok {
					return refuse("no default %s in .remedy.yaml defaults.resources.%s", name, kind)
				}
				if err := checkRequestWithinLimit(b, c.Key("resources"), kind, name, v); err != nil {
					return err
				}
				if err := b.set(path.Key(name), v); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

// checkRequestWithinLimit refuses a default that would make a container's
// request exceed its limit, which the API server rejects.
func checkRequestWithinLimit(b *patchBuilder, resources scanner.Path, kind, name, value string) error {
	other := "requests"
	if kind == "requests" {
		other = "limits"
	}
	cur, ok := b.get(resources.Key(other).Key(name))
	if !ok {
		return nil
	}
	existing, ok := quantityString(cur)
	if !ok {
		return nil
	}
	c, ok := compareQuantities(value, existing)
	if !ok {
		return refuse("cannot compare %s %s with %s %s", kind, value, other, existing)
	}
	if (kind == "limits" && c < 0) || (kind == "requests" && c > 0) {
		return refuse("the default %s.%s %s conflicts with the container's %s.%s %s", kind, name, value, other, name, existing)
	}
	return nil
}

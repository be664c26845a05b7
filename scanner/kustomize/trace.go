package kustomize

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
	"github.com/remedy-bot/remedy/scanner"
)

// sourceMap is the scanner.SourceMap of one build: for each object of the
// output, which written node each of its nodes came from.
type sourceMap struct {
	b       *builder
	objects map[*yaml.Node]*objectTrace
}

var _ scanner.SourceMap = (*sourceMap)(nil)

// objectTrace says where the nodes of one rendered object were written.
type objectTrace struct {
	obj scanner.ObjectSource
	// origin is the object as written (nil for a generated object), and
	// originDoc the document holding it.
	origin    *yaml.Node
	originDoc *sourceDoc
	// refs lists, for each rendered node (keys included), the written
	// nodes laid over it, in the order kustomize applied them: the object
	// as written first, then each patch.
	refs map[*yaml.Node][]srcRef
}

// srcRef is one written node.
type srcRef struct {
	file *scanner.SourceFile
	node *yaml.Node
	// doc holds node, for an edit; nil when the value was written by a
	// kustomization field (images:, namespace:) rather than a document.
	doc    *sourceDoc
	source string
}

func (r srcRef) location() scanner.Location {
	return scanner.Location{File: r.file.Path, Line: r.node.Line, Column: r.node.Column, Source: r.source}
}

func (t *objectTrace) add(dst, src *yaml.Node, file *scanner.SourceFile, doc *sourceDoc, source string) {
	t.refs[dst] = append(t.refs[dst], srcRef{file: file, node: src, doc: doc, source: source})
}

// trace builds the source map of a build's output; objs are the objects
// in output order.
func (b *builder) trace(rendered *scanner.SourceFile, objs []renderedObject) *sourceMap {
	sm := &sourceMap{b: b, objects: map[*yaml.Node]*objectTrace{}}
	docs := map[*scanner.Document]*sourceDoc{}
	i := 0
	for _, d := range rendered.Docs {
		if d.Node == nil {
			continue
		}
		if i >= len(objs) {
			break
		}
		o := objs[i]
		i++
		for _, r := range d.Resources() {
			sm.objects[r.Node.YNode()] = b.traceObject(r, o, docs)
		}
	}
	return sm
}

// traceObject lays the object as written and then every patch applied to
// it over the rendered object r.
func (b *builder) traceObject(r *scanner.Resource, o renderedObject, docs map[*scanner.Document]*sourceDoc) *objectTrace {
	t := &objectTrace{refs: map[*yaml.Node][]srcRef{}}
	if f := b.files[o.origin]; f != nil {
		t.origin, t.originDoc, t.obj = findOrigin(b.originIndexOf(f), f, r, docs)
	}
	if t.origin == nil {
		kf := b.order[0].file
		var line int
		if k := b.kusts[o.configuredIn]; k != nil {
			kf = k.file
			if k.generatorKey != nil {
				line = k.generatorKey.Line
			}
		} else if f := b.files[o.configuredIn]; f != nil {
			kf = f
		}
		t.obj = scanner.ObjectSource{File: kf.Path, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, MetadataLine: line}
	} else {
		t.overlay(r.Node.YNode(), t.origin, t.originDoc, "", 0, false)
	}
	for _, i := range o.patches {
		pd := b.patches[i]
		if pd.src.json {
			t.overlayJSON(r.Node.YNode(), pd.src)
			continue
		}
		t.overlay(r.Node.YNode(), pd.src.root, pd.src, "", 0, true)
	}
	b.traceImages(t, r)
	b.traceNamespace(t, r)
	return t
}

// originIndex holds the objects of a resource file, in order, and by kind
// and name.
type originIndex struct {
	all    []*scanner.Resource
	byName map[[2]string][]*scanner.Resource
}

// findOrigin finds, in the resource file f, the object r was built from:
// the one of the same kind whose name r's name contains (kustomize adds
// prefixes and suffixes, never removes), the longest such name winning.
func findOrigin(x *originIndex, f *scanner.SourceFile, r *scanner.Resource, docs map[*scanner.Document]*sourceDoc) (*yaml.Node, *sourceDoc, scanner.ObjectSource) {
	// An object of the same name is as long a name as can be: the first
	// one, or the last in r's namespace, as the scan below would choose.
	candidates := x.byName[[2]string{r.Kind, r.Name}]
	if len(candidates) == 0 {
		candidates = x.all
	}
	var best *scanner.Resource
	for _, c := range candidates {
		if c.Kind != r.Kind || !strings.Contains(r.Name, c.Name) {
			continue
		}
		if best == nil || len(c.Name) > len(best.Name) || len(c.Name) == len(best.Name) && c.Namespace == r.Namespace {
			best = c
		}
	}
	if best == nil {
		return nil, nil, scanner.ObjectSource{}
	}
	sd := docs[best.Doc]
	if sd == nil {
		sd = &sourceDoc{file: f, root: best.Doc.Node.YNode(), start: best.Doc.Start, end: best.Doc.End, editable: true, source: scanner.SourceResource}
		docs[best.Doc] = sd
	}
	obj := scanner.ObjectSource{File: f.Path, Kind: best.Kind, Namespace: best.Namespace, Name: best.Name}
	if k, _ := scanner.FieldPair(best.Node.YNode(), "metadata"); k != nil {
		obj.MetadataLine = k.Line
	}
	return best.Node.YNode(), sd, obj
}

// mergeKeys are the strategic-merge keys of the lists a pod spec holds
// (k8s.io/api core/v1 patchMergeKey tags); other lists of mappings are
// matched by `name` when every item has one.
var mergeKeys = map[string]string{
	"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
	"volumes": "name", "env": "name", "imagePullSecrets": "name",
	"volumeMounts": "mountPath", "volumeDevices": "devicePath",
	"hostAliases": "ip", "topologySpreadConstraints": "topologyKey",
}

func mergeKey(field string, items []*yaml.Node) string {
	if k, ok := mergeKeys[field]; ok {
		return k
	}
	if field == "ports" {
		if len(items) > 0 && scanner.Field(items[0], "containerPort") != nil {
			return "containerPort"
		}
		return "port"
	}
	for _, it := range items {
		if scanner.Field(it, "name") == nil {
			return ""
		}
	}
	return "name"
}

// overlay records that the written node src (of doc) was laid over the
// rendered node dst, and recurses. Keys starting with `$` are
// strategic-merge directives, not fields. A patch's own identity
// (apiVersion, kind, metadata.name and .namespace) selects its target and
// is not a value it writes.
func (t *objectTrace) overlay(dst, src *yaml.Node, d *sourceDoc, field string, depth int, patch bool) {
	src, dst = scanner.Resolve(src), scanner.Resolve(dst)
	if dst == nil || src == nil || depth > 256 {
		return
	}
	t.add(dst, src, d.file, d, d.source)
	switch {
	case src.Kind == yaml.MappingNode && dst.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(src.Content); i += 2 {
			k, v := src.Content[i], src.Content[i+1]
			if strings.HasPrefix(k.Value, "$") || k.Value == "<<" {
				continue
			}
			if patch && depth == 0 && (k.Value == "apiVersion" || k.Value == "kind") ||
				patch && depth == 1 && field == "metadata" && (k.Value == "name" || k.Value == "namespace") {
				continue
			}
			dk, dv := scanner.FieldPair(dst, k.Value)
			if dk == nil {
				continue
			}
			t.add(dk, k, d.file, d, d.source)
			t.overlay(dv, v, d, k.Value, depth+1, patch)
		}
	case src.Kind == yaml.SequenceNode && dst.Kind == yaml.SequenceNode:
		items := scanner.Items(src)
		if len(items) > 0 && items[0].Kind == yaml.MappingNode {
			if key := mergeKey(field, items); key != "" {
				for _, it := range items {
					want := scanner.ScalarValue(scanner.Field(it, key))
					if it.Kind != yaml.MappingNode || want == "" || scanner.ScalarValue(scanner.Field(it, "$patch")) == "delete" {
						continue
					}
					for _, di := range scanner.Items(dst) {
						if scanner.ScalarValue(scanner.Field(di, key)) == want {
							t.overlay(di, it, d, "", depth+1, patch)
							break
						}
					}
				}
				return
			}
		}
		// A list without a merge key is replaced whole.
		if len(items) == len(dst.Content) {
			for i, it := range items {
				t.overlay(dst.Content[i], it, d, "", depth+1, patch)
			}
		}
	}
}

// overlayJSON lays the values of a JSON 6902 op list over the rendered
// object: each add or replace wrote the node its path names.
func (t *objectTrace) overlayJSON(obj *yaml.Node, d *sourceDoc) {
	for _, op := range scanner.Items(d.root) {
		name := scanner.ScalarValue(scanner.Field(op, "op"))
		val := scanner.Field(op, "value")
		if name != "add" && name != "replace" || val == nil {
			continue
		}
		tokens, err := jsonpointer.Split(scanner.ScalarValue(scanner.Field(op, "path")))
		if err != nil || len(tokens) == 0 {
			continue
		}
		key, node, field := resolveRendered(obj, tokens, val)
		if node == nil {
			continue
		}
		if key != nil {
			t.add(key, val, d.file, d, d.source)
		}
		t.overlay(node, val, d, field, len(tokens), false)
	}
}

// resolveRendered follows pointer tokens through a rendered object and
// returns the last key (nil for a list item), the node, and the name of the
// field holding it. A final "-" (append) names the last item equal to val.
func resolveRendered(obj *yaml.Node, tokens []string, val *yaml.Node) (key, node *yaml.Node, field string) {
	node = obj
	for i, tok := range tokens {
		switch node.Kind {
		case yaml.MappingNode:
			k, v := scanner.FieldPair(node, tok)
			if k == nil {
				return nil, nil, ""
			}
			key, node, field = k, v, tok
		case yaml.SequenceNode:
			key = nil
			if tok == "-" && i == len(tokens)-1 {
				want, _ := decode(val)
				for j := len(node.Content) - 1; j >= 0; j-- {
					if got, _ := decode(node.Content[j]); reflect.DeepEqual(got, want) {
						return nil, node.Content[j], field
					}
				}
				return nil, nil, ""
			}
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || n >= len(node.Content) {
				return nil, nil, ""
			}
			node = node.Content[n]
		default:
			return nil, nil, ""
		}
	}
	return key, node, field
}

func decode(n *yaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

// traceImages attributes an image that differs from the one written to
// the `images:` entry that changed it: the entry closest to the root,
// which kustomize applies last.
func (b *builder) traceImages(t *objectTrace, r *scanner.Resource) {
	ps := scanner.PodSpecOf(r)
	if ps == nil {
		return
	}
	for _, c := range ps.Containers {
		key, val := scanner.FieldPair(c.Node, "image")
		if val == nil {
			continue
		}
		written := ""
		if refs := t.refs[val]; len(refs) > 0 {
			written = refs[len(refs)-1].node.Value
		}
		if written == val.Value {
			continue
		}
		names := []string{scanner.ParseImage(val.Value).Name}
		if written != "" {
			names = append(names, scanner.ParseImage(written).Name)
		}
		for _, k := range b.order {
			e, ok := matchImage(k.images, names)
			if !ok {
				continue
			}
			t.add(key, e.node, k.file, nil, scanner.SourceKustomization)
			t.add(val, e.node, k.file, nil, scanner.SourceKustomization)
			break
		}
	}
}

func matchImage(images []image, names []string) (image, bool) {
	for _, e := range images {
		for _, n := range names {
			if n != "" && (e.name == n || e.newName == n) {
				return e, true
			}
		}
	}
	return image{}, false
}

// traceNamespace attributes a namespace that differs from the one written
// to the `namespace:` of the kustomization closest to the root that sets it.
func (b *builder) traceNamespace(t *objectTrace, r *scanner.Resource) {
	key, val := scanner.FieldPair(scanner.Field(r.Node.YNode(), "metadata"), "namespace")
	if val == nil || t.obj.Namespace == val.Value {
		return
	}
	for _, k := range b.order {
		if k.namespace != nil && k.namespace.Value == val.Value {
			nk, _ := scanner.FieldPair(k.root, "namespace")
			t.add(key, nk, k.file, nil, scanner.SourceKustomization)
			t.add(val, k.namespace, k.file, nil, scanner.SourceKustomization)
			return
		}
	}
}

// Object implements scanner.SourceMap.
func (sm *sourceMap) Object(r *scanner.Resource) scanner.ObjectSource {
	if r == nil {
		return scanner.ObjectSource{}
	}
	if t := sm.objects[r.Node.YNode()]; t != nil {
		return t.obj
	}
	return scanner.ObjectSource{}
}

// Field implements scanner.SourceMap: a value that is set is where it was
// last written; a missing field is at the object that should hold it,
// where that object was first written (the base's container, not the
// overlay patch that only adds an env var to it).
func (sm *sourceMap) Field(r *scanner.Resource, path scanner.Path, node *yaml.Node) scanner.Location {
	t := sm.objects[r.Node.YNode()]
	if t == nil {
		return scanner.Location{}
	}
	chain := pathNodes(r.Node.YNode(), path)
	present := len(chain) == len(path)
	if refs := t.refs[node]; node != nil && len(refs) > 0 {
		if present {
			return refs[len(refs)-1].location()
		}
		return refs[0].location()
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, n := range []*yaml.Node{chain[i].value, chain[i].key} {
			if refs := t.refs[n]; len(refs) > 0 {
				return refs[0].location()
			}
		}
	}
	return scanner.Location{}
}

// step is one hop of a path through a rendered object.
type step struct{ key, value *yaml.Node }

// pathNodes follows path through obj as far as it exists.
func pathNodes(obj *yaml.Node, path scanner.Path) []step {
	var out []step
	cur := obj
	for _, seg := range path {
		if i, ok := scanner.IsIndex(seg); ok {
			items := scanner.Items(cur)
			if i >= len(items) {
				break
			}
			cur = items[i]
			out = append(out, step{value: cur})
			continue
		}
		k, v := scanner.FieldPair(cur, seg)
		if k == nil {
			break
		}
		cur = v
		out = append(out, step{key: k, value: v})
	}
	return out
}

// Trace implements remediate's source tracer: where the field at pointer
// (RFC 6901, relative to the object) of rendered object r is written, or,
// when it is missing, where it could be written, best first: the object as
// written (so that one fix serves every overlay of a base), then the
// patches that write the object holding it, newest first.
func (sm *sourceMap) Trace(r *scanner.Resource, pointer string) ([]scanner.WrittenAt, error) {
	t := sm.objects[r.Node.YNode()]
	if t == nil {
		return nil, fmt.Errorf("%s was not traced to a source", r.ID())
	}
	tokens, err := jsonpointer.Split(pointer)
	if err != nil {
		return nil, err
	}
	// Follow the pointer through the rendered object.
	var chain []step
	cur := r.Node.YNode()
	for _, tok := range tokens {
		var s step
		switch cur.Kind {
		case yaml.MappingNode:
			s.key, s.value = scanner.FieldPair(cur, tok)
		case yaml.SequenceNode:
			if n, err := strconv.Atoi(tok); err == nil && n >= 0 && n < len(cur.Content) {
				s.value = cur.Content[n]
			}
		}
		if s.value == nil {
			break
		}
		chain = append(chain, s)
		cur = s.value
	}
	if len(chain) == len(tokens) {
		n := cur
		refs := t.refs[n]
		if len(refs) == 0 {
			return nil, fmt.Errorf("%s of %s was not traced to a source", pointer, r.ID())
		}
		last := refs[len(refs)-1]
		w, err := writtenAt(last, nil)
		if err != nil {
			return nil, err
		}
		return []scanner.WrittenAt{w}, nil
	}
	missing := tokens[len(chain):]
	for _, tok := range missing[1:] {
		if _, err := strconv.Atoi(tok); err == nil || tok == "-" {
			return nil, fmt.Errorf("%s of %s: cannot create a list item", pointer, r.ID())
		}
	}
	// The layers that wrote some mapping on the way, deepest first.
	var out []scanner.WrittenAt
	seen := map[*sourceDoc]bool{}
	var firstErr error
	try := func(ref srcRef, rest []string) {
		if seen[ref.doc] {
			return
		}
		w, err := writtenAt(ref, rest)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			return
		}
		seen[ref.doc] = true
		out = append(out, w)
	}
	// The object as written first, then patches newest first.
	for pass := 0; pass < 2; pass++ {
		for i := len(chain); i >= 0; i-- {
			n := r.Node.YNode()
			if i > 0 {
				n = chain[i-1].value
			}
			if n.Kind != yaml.MappingNode {
				continue
			}
			rest := tokens[i:]
			if !allKeys(rest) {
				continue
			}
			refs := t.refs[n]
			for j := len(refs) - 1; j >= 0; j-- {
				ref := refs[j]
				if ref.doc == nil || (pass == 0) != (ref.doc == t.originDoc) {
					continue
				}
				try(ref, rest)
			}
		}
	}
	if len(out) == 0 {
		if firstErr != nil {
			return nil, firstErr
		}
		return nil, fmt.Errorf("%s of %s: no written object holds it", pointer, r.ID())
	}
	return out, nil
}

func allKeys(tokens []string) bool {
	for _, tok := range tokens {
		if _, err := strconv.Atoi(tok); err == nil || tok == "-" {
			return false
		}
	}
	return true
}

// writtenAt returns the edit place of a written node; rest are the keys
// below it an edit would create.
func writtenAt(ref srcRef, rest []string) (scanner.WrittenAt, error) {
	where := fmt.Sprintf("%s:%d", ref.file.Path, ref.node.Line)
	if ref.doc == nil {
		return scanner.WrittenAt{}, fmt.Errorf("the value is set by a kustomization field at %s; change it there by hand", where)
	}
	if !ref.doc.editable {
		return scanner.WrittenAt{}, fmt.Errorf("the value is written in an inline patch at %s that is not a literal block (|); change it there by hand", where)
	}
	p, ok := ref.doc.pointer(ref.node)
	if !ok {
		return scanner.WrittenAt{}, fmt.Errorf("cannot locate the value at %s", where)
	}
	return scanner.WrittenAt{
		File: ref.file, Start: ref.doc.start, End: ref.doc.end, Indent: ref.doc.indent,
		Pointer: p, Missing: append([]string(nil), rest...), Source: ref.source, Line: ref.node.Line,
	}, nil
}

// Rerender implements remediate's source tracer: the same root built again
// with some sources replaced, by scan-root-relative path.
func (sm *sourceMap) Rerender(replace map[string][]byte) (*scanner.SourceFile, error) {
	opts := sm.b.opts
	opts.Replace = scanner.MergeReplace(opts.Replace, replace)
	res, err := Build(sm.b.dir, opts)
	if err != nil {
		return nil, err
	}
	return res.File, nil
}

package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/remedy-bot/remedy/scanner"
)

// DefaultPageSize is how many objects one list call asks for; the API
// server's own recommendation for clients paging through big lists is 500.
const DefaultPageSize = 500

// bootstrapLabel marks the RBAC policy the API server creates and keeps
// reconciling at every start (cluster-admin, system:*): no repository holds
// it and no edit of it survives a restart, so it is skipped, not reported.
const bootstrapLabel = "kubernetes.io/bootstrapping"

// Options control Load.
type Options struct {
	// Namespace restricts the scan to one namespace, which also leaves out
	// cluster-scoped kinds; empty reads every namespace.
	Namespace string
	// PageSize is the list page size; 0 means DefaultPageSize.
	PageSize int64
	// Kinds are the kinds to list; nil means Kinds().
	Kinds []Kind
	Log   *slog.Logger
}

// OwnerReference is a live object's controller.
type OwnerReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	UID        string `json:"uid"`
	Controller bool   `json:"controller"`
}

// Object is one live object that Load reports: its identity and the
// metadata that says who deployed it.
type Object struct {
	APIVersion, Kind, Namespace, Name string
	UID                               string
	Labels, Annotations               map[string]string
	// File is the pseudo file name of its rendering in the scan inputs.
	File string
	// Collapsed counts the objects it controls (its ReplicaSets, their
	// Pods) that are reported here instead.
	Collapsed int
}

// Group is the API group of the object's apiVersion.
func (o *Object) Group() string { return groupOf(o.APIVersion) }

// Snapshot is what Load read.
type Snapshot struct {
	// Inputs hold one pseudo file per reported object, sorted by name, and
	// an error entry per kind that could not be listed.
	Inputs *scanner.Inputs
	// Objects are the reported objects, in the order of Inputs.Files.
	Objects []*Object
	// Collapsed counts the objects reported at their controller.
	Collapsed int
}

// ObjectByFile returns the reported object rendered as file, or nil.
func (s *Snapshot) ObjectByFile(file string) *Object {
	i, ok := slices.BinarySearchFunc(s.Objects, file, func(o *Object, f string) int { return cmp.Compare(o.File, f) })
	if !ok {
		return nil
	}
	return s.Objects[i]
}

// meta is the part of a list item that Load reads before rendering it.
type meta struct {
	Metadata struct {
		Name            string            `json:"name"`
		Namespace       string            `json:"namespace"`
		UID             string            `json:"uid"`
		Labels          map[string]string `json:"labels"`
		Annotations     map[string]string `json:"annotations"`
		OwnerReferences []OwnerReference  `json:"ownerReferences"`
	} `json:"metadata"`
}

// listed is one item of a list response, not yet rendered.
type listed struct {
	kind Kind
	meta meta
	raw  json.RawMessage
}

// Load lists every kind of o.Kinds and returns the objects as scanner inputs.
// A kind that cannot be listed (forbidden, not served) becomes an error entry
// and the others are still read; only when no kind at all could be listed,
// or ctx ends, is an error returned.
func Load(ctx context.Context, g Getter, o Options) (*Snapshot, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kinds := o.Kinds
	if kinds == nil {
		kinds = Kinds()
	}
	in := &scanner.Inputs{Root: "cluster"}
	var items []listed
	var failed []error
	for _, k := range kinds {
		if o.Namespace != "" && !k.Namespaced {
			continue
		}
		got, err := listAll(ctx, g, k, o.Namespace, cmp.Or(o.PageSize, DefaultPageSize))
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("list %s: %w", k.Resource, ctxErr)
		}
		if err != nil {
			failed = append(failed, err)
			in.Errors = append(in.Errors, scanner.FileError{File: "cluster/" + k.Resource, Message: err.Error()})
			log.Warn("kind not listed", "resource", k.Resource, "error", err)
			continue
		}
		log.Debug("listed", "resource", k.Resource, "objects", len(got))
		items = append(items, got...)
	}
	if len(items) == 0 && len(failed) > 0 && len(failed) == countListed(kinds, o.Namespace) {
		return nil, fmt.Errorf("list cluster: %w", errors.Join(failed...))
	}

	// A controller that was listed too stands for what it controls; count
	// each collapsed object at its top-most listed controller.
	byUID := make(map[string]*listed, len(items))
	for i := range items {
		byUID[items[i].meta.Metadata.UID] = &items[i]
	}
	snap := &Snapshot{Inputs: in}
	reported := map[string]*Object{}
	var collapsedTo []string // UIDs of the top controllers of collapsed objects
	for i := range items {
		it := &items[i]
		if top := topController(it, byUID); top != nil {
			collapsedTo = append(collapsedTo, top.meta.Metadata.UID)
			snap.Collapsed++
			continue
		}
		m := it.meta.Metadata
		file := FileName(it.kind.Kind, m.Namespace, m.Name)
		if m.Labels[bootstrapLabel] == "rbac-defaults" {
			in.Skipped = append(in.Skipped, scanner.Skipped{File: file, Reason: "RBAC policy bootstrapped by the API server"})
			continue
		}
		b, err := Render(it.kind.APIVersion(), it.kind.Kind, it.raw)
		if err != nil {
			in.Errors = append(in.Errors, scanner.FileError{File: file, Message: err.Error()})
			continue
		}
		sf, errs := scanner.ParseFile(file, b)
		if len(errs) > 0 {
			in.Errors = append(in.Errors, errs...)
			continue
		}
		obj := &Object{
			APIVersion: it.kind.APIVersion(), Kind: it.kind.Kind, Namespace: m.Namespace, Name: m.Name,
			UID: m.UID, Labels: m.Labels, Annotations: m.Annotations, File: file,
		}
		in.Files = append(in.Files, sf)
		snap.Objects = append(snap.Objects, obj)
		reported[m.UID] = obj
		it.raw = nil // rendered; let the JSON go
	}
	for _, uid := range collapsedTo {
		if obj := reported[uid]; obj != nil {
			obj.Collapsed++
		}
	}
	slices.SortFunc(in.Files, func(a, b *scanner.SourceFile) int { return cmp.Compare(a.Path, b.Path) })
	slices.SortFunc(snap.Objects, func(a, b *Object) int { return cmp.Compare(a.File, b.File) })
	return snap, nil
}

// countListed is how many of kinds Load lists for namespace.
func countListed(kinds []Kind, namespace string) int {
	n := 0
	for _, k := range kinds {
		if namespace == "" || k.Namespaced {
			n++
		}
	}
	return n
}

// topController follows its controller references through listed objects
// and returns the top-most one, or nil when it has no listed controller.
func topController(it *listed, byUID map[string]*listed) *listed {
	var top *listed
	seen := map[string]bool{}
	for cur := it; cur != nil && !seen[cur.meta.Metadata.UID]; {
		seen[cur.meta.Metadata.UID] = true
		var next *listed
		for _, ref := range cur.meta.Metadata.OwnerReferences {
			if ref.Controller {
				next = byUID[ref.UID]
				break
			}
		}
		if next == nil {
			break
		}
		top, cur = next, next
	}
	return top
}

// FileName is the pseudo file name of a live object in scan results:
// cluster/<namespace>/<Kind>/<name>, or cluster/<Kind>/<name> when
// cluster-scoped. Kinds start with a capital and namespaces cannot, so the
// two never collide.
func FileName(kind, namespace, name string) string {
	if namespace == "" {
		return "cluster/" + kind + "/" + name
	}
	return "cluster/" + namespace + "/" + kind + "/" + name
}

// listAll reads every page of kind k.
func listAll(ctx context.Context, g Getter, k Kind, namespace string, pageSize int64) ([]listed, error) {
	var out []listed
	cont := ""
	for {
		params := map[string]string{"limit": itoa(pageSize)}
		if cont != "" {
			params["continue"] = cont
		}
		b, err := g.Get(ctx, k.ListPath(namespace), params)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", k.Resource, err)
		}
		var page struct {
			Metadata struct {
				Continue string `json:"continue"`
			} `json:"metadata"`
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return nil, fmt.Errorf("list %s: decode: %w", k.Resource, err)
		}
		for _, raw := range page.Items {
			it := listed{kind: k, raw: raw}
			if err := json.Unmarshal(raw, &it.meta); err != nil {
				return nil, fmt.Errorf("list %s: decode item: %w", k.Resource, err)
			}
			out = append(out, it)
		}
		if page.Metadata.Continue == "" {
			return out, nil
		}
		cont = page.Metadata.Continue
	}
}

func groupOf(apiVersion string) string {
	for i := 0; i < len(apiVersion); i++ {
		if apiVersion[i] == '/' {
			return apiVersion[:i]
		}
	}
	return ""
}

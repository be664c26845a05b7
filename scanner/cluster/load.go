package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/scanner"
)

// DefaultPageSize is how many objects one list call asks for; the API
// server's own recommendation for clients paging through big lists is 500.
const DefaultPageSize = 500

// bootstrapLabel marks the RBAC policy the API server creates and keeps
// reconciling at every start (cluster-admin, system:*): no repository holds
// it and no edit of it survives a restart, so it is skipped, not reported.
const bootstrapLabel = "kubernetes.io/bootstrapping"

// Options control Scan.
type Options struct {
	// Namespace restricts the scan to one namespace, which also leaves out
	// cluster-scoped kinds; empty reads every namespace.
	Namespace string
	// PageSize is the list page size; 0 means DefaultPageSize.
	PageSize int64
	// Kinds are the kinds to list; nil means Kinds().
	Kinds []Kind
	Log   *slog.Logger
	// Images, when set, reads each page's container images before it is
	// scanned (--resolve-images), with the pods' imagePullSecrets and, for
	// a Pod, the digest its status says it runs.
	Images *imageinfo.Resolver
}

// OwnerReference is a live object's controller.
type OwnerReference struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Name       string `json:"name"`
	UID        string `json:"uid"`
	Controller bool   `json:"controller"`
}

// Object is one live object that Scan reports: its identity, the metadata
// that says who deployed it, and its rendering.
type Object struct {
	APIVersion, Kind, Namespace, Name string
	UID                               string
	Labels, Annotations               map[string]string
	// File is the pseudo file name of its rendering, the File of its findings.
	File string
	// YAML is the rendering the findings' lines point into.
	YAML []byte
	// Collapsed counts the objects it controls (its ReplicaSets, their
	// Pods) that are reported here instead.
	Collapsed int
}

// Group is the API group of the object's apiVersion.
func (o *Object) Group() string { return groupOf(o.APIVersion) }

// Resource parses the rendering again, for a caller that needs the object's
// nodes after the scan (Scan keeps only the bytes, so a big cluster is not
// held in memory as nodes).
func (o *Object) Resource() (*scanner.Resource, error) {
	sf, errs := scanner.ParseFile(o.File, o.YAML)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	for _, d := range sf.Docs {
		if rs := d.Resources(); len(rs) > 0 {
			return rs[0], nil
		}
	}
	return nil, fmt.Errorf("%s: no object", o.File)
}

// Snapshot is what Scan read and found.
type Snapshot struct {
	// Report holds the findings (their Resource is nil: the objects are
	// not kept parsed), an error entry per kind that could not be listed
	// or object that could not be rendered, and the objects skipped.
	Report *scanner.Report
	// Objects are the reported objects, sorted by File.
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

// meta is the part of a list item that Scan reads before rendering it.
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

// seen is what Scan remembers of every object listed, reported or not.
type seen struct {
	controller string // UID of its controller, if any
	object     *Object
}

// Scan lists every kind of o.Kinds, page by page, and runs the controls of
// scan over each page's objects as soon as it is read, keeping the findings
// and each object's rendering but not its parsed nodes: memory grows with
// the findings, not with the size of the cluster's YAML trees.
//
// Kinds are listed controllers first (Kinds' order), so an object's
// controller, if listed at all, was seen before it. A kind that cannot be
// listed (forbidden, not served) becomes an error entry and the others are
// still read; only when no kind at all could be listed, or ctx ends, is an
// error returned.
func Scan(ctx context.Context, g Getter, o Options, scan scanner.Options) (*Snapshot, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	kinds := o.Kinds
	if kinds == nil {
		kinds = Kinds()
	}
	rep := &scanner.Report{}
	snap := &Snapshot{Report: rep}
	byUID := map[string]*seen{}
	var failed []error
	listedAny := false
	var images *liveImages
	if o.Images != nil {
		images = &liveImages{g: g, resolver: o.Images, log: log, secrets: map[string][]byte{}}
	}
	for _, k := range kinds {
		if o.Namespace != "" && !k.Namespaced {
			continue
		}
		n := 0
		err := listPages(ctx, g, k, o.Namespace, cmp.Or(o.PageSize, DefaultPageSize), func(items []json.RawMessage) error {
			var batch []*scanner.SourceFile
			runningByFile := map[string]map[string]string{}
			for _, raw := range items {
				var m meta
				if err := json.Unmarshal(raw, &m); err != nil {
					return fmt.Errorf("list %s: decode item: %w", k.Resource, err)
				}
				n++
				md := m.Metadata
				s := &seen{}
				for _, ref := range md.OwnerReferences {
					if ref.Controller {
						s.controller = ref.UID
					}
				}
				byUID[md.UID] = s
				if top := topController(s, byUID); top != nil {
					snap.Collapsed++
					if top.object != nil {
						top.object.Collapsed++
					}
					continue
				}
				file := FileName(k.Kind, md.Namespace, md.Name)
				if md.Labels[bootstrapLabel] == "rbac-defaults" {
					rep.Skipped = append(rep.Skipped, scanner.Skipped{File: file, Reason: "RBAC policy bootstrapped by the API server"})
					continue
				}
				b, err := Render(k.APIVersion(), k.Kind, raw)
				if err != nil {
					rep.Errors = append(rep.Errors, scanner.FileError{File: file, Message: err.Error()})
					continue
				}
				sf, errs := scanner.ParseFile(file, b)
				if len(errs) > 0 {
					rep.Errors = append(rep.Errors, errs...)
					continue
				}
				s.object = &Object{
					APIVersion: k.APIVersion(), Kind: k.Kind, Namespace: md.Namespace, Name: md.Name,
					UID: md.UID, Labels: md.Labels, Annotations: md.Annotations, File: file, YAML: b,
				}
				snap.Objects = append(snap.Objects, s.object)
				batch = append(batch, sf)
				if images != nil && k.Kind == "Pod" {
					runningByFile[file] = running(raw)
				}
			}
			pageScan := scan
			if images != nil {
				pageScan.Images = images.resolve(ctx, batch, runningByFile)
			}
			part := scanner.ScanInputs(&scanner.Inputs{Root: "cluster", Files: batch}, pageScan)
			for i := range part.Findings {
				// Let the page's nodes go; FieldPath keeps the path.
				part.Findings[i].Resource = nil
			}
			rep.Findings = append(rep.Findings, part.Findings...)
			return nil
		})
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("list %s: %w", k.Resource, ctxErr)
		}
		if err != nil {
			failed = append(failed, err)
			rep.Errors = append(rep.Errors, scanner.FileError{File: "cluster/" + k.Resource, Message: err.Error()})
			log.Warn("kind not listed", "resource", k.Resource, "error", err)
			continue
		}
		listedAny = true
		log.Debug("listed", "resource", k.Resource, "objects", n)
	}
	if !listedAny && len(failed) > 0 {
		return nil, fmt.Errorf("list cluster: %w", errors.Join(failed...))
	}
	scanner.SortFindings(rep.Findings)
	slices.SortFunc(snap.Objects, func(a, b *Object) int { return cmp.Compare(a.File, b.File) })
	return snap, nil
}

// topController follows controller references through the objects seen
// and returns the top-most one, or nil when s has no listed controller.
func topController(s *seen, byUID map[string]*seen) *seen {
	var top *seen
	for i := 0; s != nil && s.controller != "" && i < 16; i++ {
		next := byUID[s.controller]
		if next == nil {
			break
		}
		top, s = next, next
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

// listPages reads every page of kind k, handing each page's items to fn.
func listPages(ctx context.Context, g Getter, k Kind, namespace string, pageSize int64, fn func([]json.RawMessage) error) error {
	cont := ""
	for {
		params := map[string]string{"limit": itoa(pageSize)}
		if cont != "" {
			params["continue"] = cont
		}
		b, err := g.Get(ctx, k.ListPath(namespace), params)
		if err != nil {
			return fmt.Errorf("list %s: %w", k.Resource, err)
		}
		var page struct {
			Metadata struct {
				Continue string `json:"continue"`
			} `json:"metadata"`
			Items []json.RawMessage `json:"items"`
		}
		if err := json.Unmarshal(b, &page); err != nil {
			return fmt.Errorf("list %s: decode: %w", k.Resource, err)
		}
		if err := fn(page.Items); err != nil {
			return err
		}
		if page.Metadata.Continue == "" {
			return nil
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

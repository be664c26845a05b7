package scanner

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/config"
)

// Rendered marks a SourceFile that holds the output of a build — a
// kustomization root built with Kustomize, or a Helm chart rendered for a
// release — rather than a file as a human wrote it. Controls run on the
// rendered objects, which are what gets deployed; each finding is then
// placed, through Map, at the line that was written: a base resource, an
// overlay patch, a line of values.yaml or of a template.
//
// Producers live in scanner/kustomize and scanner/helm; scanner only knows
// this data, so the same controls, suppressions and report formats apply.
type Rendered struct {
	// Tool is ToolKustomize or ToolHelm.
	Tool string
	// Root is the kustomization folder or chart folder, relative to the
	// scan root with '/' separators.
	Root string
	// Release is the Helm release name; empty for Kustomize.
	Release string
	// Sources are the files the build read, parsed, by scan-root-relative
	// path (the keys are the File of findings placed in them).
	Sources map[string]*SourceFile
	// Map places rendered fields in Sources.
	Map SourceMap
	// Bystanders are the outputs of builds that are not scanned (their
	// kustomization is excluded by config) but may read the same sources:
	// a fix must leave them as they are.
	Bystanders []*SourceFile
}

// Tools that produce rendered output.
const (
	ToolKustomize = "kustomize"
	ToolHelm      = "helm"
)

// Source kinds: what kind of text a finding of rendered output points at.
const (
	// SourceResource is a resource file listed by a kustomization.
	SourceResource = "resource"
	// SourcePatch is a strategic-merge or JSON 6902 patch, in its own
	// file or inline in a kustomization.
	SourcePatch = "patch"
	// SourceKustomization is a field of a kustomization itself (images:,
	// namespace:) or a resource it generated.
	SourceKustomization = "kustomization"
	// SourceValues is a Helm values file.
	SourceValues = "values"
	// SourceTemplate is a Helm template: a value hard-coded there.
	SourceTemplate = "template"
	// SourceTerraform is a .tf or .tfvars file (scanner/terraform).
	SourceTerraform = "terraform"
)

// SourceMap knows where the fields of a build's output were written. It is
// implemented by the producer of the output; remediate asks the same value
// for more (where to edit, how to build again) through its own interface.
type SourceMap interface {
	// Object returns where the rendered object r was written.
	Object(r *Resource) ObjectSource
	// Field returns where the field at path of r was written. node is the
	// node a control reported: the field's key, or, when the field is
	// missing, the object that should hold it (a container, the pod spec's
	// key); the location is then that object's.
	Field(r *Resource, path Path, node *yaml.Node) Location
}

// ObjectSource is the written form of a rendered object.
type ObjectSource struct {
	// File is the source file, a key of Rendered.Sources.
	File string
	// Kind, Namespace and Name identify the object as written there: the
	// base's name before a prefix, its namespace before an overlay's.
	Kind, Namespace, Name string
	// MetadataLine is the line of the object's `metadata:` key in File, or
	// 0: an ignore directive there covers the whole object.
	MetadataLine int
	// Address is the Terraform resource address (module.app.kubernetes_deployment_v1.web);
	// empty for other tools.
	Address string
}

// Location is a place in a source file.
type Location struct {
	File         string
	Line, Column int
	// Source is one of the Source* kinds.
	Source string
	// NotFixable, when set, says why a fix cannot be written there (a
	// value Terraform computes): the finding is reported, not fixed.
	NotFixable string
}

// RenderedBy names one build that deploys a finding's object, and the
// object as that build deploys it.
type RenderedBy struct {
	Tool string `json:"tool"`
	// Root is the kustomization or chart folder.
	Root string `json:"root"`
	// Release is the Helm release; omitted for Kustomize.
	Release   string `json:"release,omitempty"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
}

func compareRenderedBy(a, b RenderedBy) int {
	return cmp.Or(cmp.Compare(a.Tool, b.Tool), cmp.Compare(a.Root, b.Root), cmp.Compare(a.Release, b.Release),
		cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

// by names the build for a finding of rendered object r.
func (rd *Rendered) by(r *Resource) RenderedBy {
	b := RenderedBy{Tool: rd.Tool, Root: rd.Root, Release: rd.Release}
	if r != nil {
		b.Namespace, b.Name = r.Namespace, r.Name
	}
	return b
}

// place moves a finding of a rendered object to where it was written: file,
// line and column of the source, and the object's identity as written there.
func (rd *Rendered) place(f *Finding, r *Resource, h Hit) {
	f.Rendered = []RenderedBy{rd.by(r)}
	if rd.Map == nil {
		return
	}
	obj := rd.Map.Object(r)
	if obj.File != "" {
		f.File, f.Kind, f.Namespace, f.Name = obj.File, obj.Kind, obj.Namespace, obj.Name
		f.Line, f.Column = max(obj.MetadataLine, 1), 1
		f.Source = SourceResource
		f.Address = obj.Address
	}
	if loc := rd.Map.Field(r, h.Path, h.Node); loc.File != "" {
		f.File, f.Line, f.Column, f.Source = loc.File, loc.Line, loc.Column, loc.Source
		if loc.NotFixable != "" && f.Fixable {
			f.Fixable, f.NotFixable = false, loc.NotFixable
		}
	}
	if f.Fixable && f.Source == SourceTemplate {
		// remedy edits values files, never templates: `fixable` says
		// whether remedy can fix this finding where it is written.
		f.Fixable = false
		f.NotFixable = fmt.Sprintf("hard-coded in the template %s:%d; templates are not edited: fix by hand", f.File, f.Line)
	}
}

// suppress applies the ignore directives of the sources: on the line the
// finding points at or the line above it, or on (or above) the `metadata:`
// line of the object as written.
func (rd *Rendered) suppress(f *Finding, today time.Time) {
	type at struct {
		file string
		line int
	}
	spots := []at{{f.File, f.Line}, {f.File, f.Line - 1}}
	if rd.Map != nil {
		if obj := rd.Map.Object(f.Resource); obj.MetadataLine > 0 {
			spots = append(spots, at{obj.File, obj.MetadataLine}, at{obj.File, obj.MetadataLine - 1})
		}
	}
	for _, s := range spots {
		src := rd.Sources[s.file]
		if src == nil {
			continue
		}
		ig, ok := src.IgnoreLines[s.line]
		if !ok || ig.Reason == "" || !slices.Contains(ig.Controls, f.Control) {
			continue
		}
		applyIgnore(f, ig, today)
		return
	}
}

// ignoresWithoutReason reports the reasonless ignore directives of the
// sources: they are not scanned as files of their own.
func (rd *Rendered) ignoresWithoutReason(cat *Catalog, cfg *config.Config, floor Severity, only []string) []Finding {
	paths := make([]string, 0, len(rd.Sources))
	for p := range rd.Sources {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var out []Finding
	for _, p := range paths {
		for _, f := range ignoresWithoutReason(rd.Sources[p], cat, cfg, floor, only) {
			f.Rendered = []RenderedBy{rd.by(nil)}
			out = append(out, f)
		}
	}
	return out
}

// IsRendered reports whether a finding is about rendered output.
func (f Finding) IsRendered() bool { return len(f.Rendered) > 0 }

// RenderedOf returns the build output a finding's object belongs to, or nil.
func RenderedOf(f Finding) *Rendered {
	if f.Resource == nil || f.Resource.Doc == nil || f.Resource.Doc.File == nil {
		return nil
	}
	return f.Resource.Doc.File.Rendered
}

// mergeRendered folds the findings of rendered output that point at the
// same written place into one, which lists every build that deploys it: a
// base used by three overlays is reported once, with its three overlays.
// Other findings are returned as they are, in order.
func mergeRendered(fs []Finding) []Finding {
	// Most scans render nothing: then there is nothing to fold, and fs,
	// which the caller made for this call, is returned as it is rather
	// than copied (findings are large; the copy showed in profiles).
	if !slices.ContainsFunc(fs, Finding.IsRendered) {
		return fs
	}
	index := map[string]int{}
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		if !f.IsRendered() {
			out = append(out, f)
			continue
		}
		key := strings.Join([]string{f.Control, f.File, strconv.Itoa(f.Line), strconv.Itoa(f.Column), f.Kind, f.Namespace, f.Name, f.Container, f.Path}, "\x00")
		i, seen := index[key]
		if !seen {
			index[key] = len(out)
			out = append(out, f)
			continue
		}
		m := &out[i]
		for _, b := range f.Rendered {
			if !slices.ContainsFunc(m.Rendered, func(x RenderedBy) bool { return compareRenderedBy(x, b) == 0 }) {
				m.Rendered = append(m.Rendered, b)
			}
		}
		// A suppression is a property of the written line; it is the same
		// for every copy, but keep it if any copy has it.
		if f.Suppressed && !m.Suppressed {
			m.Suppressed, m.Reason = true, f.Reason
		}
	}
	for i := range out {
		if len(out[i].Rendered) > 1 {
			slices.SortFunc(out[i].Rendered, compareRenderedBy)
		}
	}
	return out
}

// WrittenAt is where a field of a rendered object is written, or would be
// written: a node of a YAML document of a source file. Producers of
// rendered output return it so that a fix can be made at the source.
type WrittenAt struct {
	// File is the source file, one of Rendered.Sources.
	File *SourceFile
	// Start and End are the byte range, in File.Bytes, of the lines that
	// hold the document; every one of them carries Indent columns of
	// indentation that are not the document's own (a patch inline in a
	// kustomization as a block scalar). 0 for a document of its own.
	Start, End, Indent int
	// Pointer is the JSON pointer, within the document, of the field, or,
	// when Missing is not empty, of the deepest mapping on its way that
	// exists.
	Pointer string
	// Missing are the keys below Pointer that do not exist yet: an edit
	// that adds the field creates them as nested mappings.
	Missing []string
	// Source is one of the Source* kinds.
	Source string
	// Line is the line of the field (or of the mapping at Pointer), for
	// messages.
	Line int
	// SetValue, when true, says that the edit writes Set at Pointer rather
	// than the rendered value: a chart's switch that adds the field
	// (`seccompProfile.enable: true`).
	SetValue bool
	Set      any
	// Merge is true when Pointer is a mapping that the rendered object
	// shows as the field itself (a values mapping passed through with
	// `toYaml`): an edit that writes a mapping there adds its keys to it
	// rather than replacing it.
	Merge bool
}

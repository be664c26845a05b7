package sourcemap

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/helm"
	"github.com/remedy-bot/remedy/scanner/kustomize"
)

// Tree is one source path of one checkout, loaded and scanned the way the
// GitOps tool deploys it.
type Tree struct {
	Origin Origin
	// Dir is the checkout; file names in In and Report are relative to it.
	Dir    string
	In     *scanner.Inputs
	Report *scanner.Report
	// Kustomize is true when the path is a kustomization root, built.
	Kustomize bool

	byKey map[objectKey][]*scanner.Resource
}

// objectKey identifies an object across the cluster and git.
type objectKey struct{ group, kind, namespace, name string }

func keyOf(apiVersion, kind, namespace, name string) objectKey {
	return objectKey{groupOf(apiVersion), kind, namespace, name}
}

func groupOf(apiVersion string) string {
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		return g
	}
	return ""
}

// LoadTree loads origin's path in the checkout dir as Argo CD and Flux
// deploy it: a chart is rendered for origin's release (values.yaml and the
// values files in the repository), a kustomization root built, any other
// folder read as plain manifests, recursively.
func LoadTree(dir string, origin Origin, scan scanner.Options) (*Tree, error) {
	abs := filepath.Join(dir, filepath.FromSlash(origin.Path))
	if rel, err := filepath.Rel(dir, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("path %q leaves the repository", origin.Path)
	}
	info, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", origin.Path, err)
	}
	t := &Tree{Origin: origin, Dir: dir}
	switch {
	case !info.IsDir():
		t.In = scanner.Load(dir, []string{abs}, scanner.LoadOptions{})
	case origin.Render == RenderHelm || helm.IsChart(abs):
		rel := helm.Release{Name: cmp.Or(origin.Release, "release"), Namespace: origin.ReleaseNamespace}
		for _, f := range origin.ValuesFiles {
			rel.ValuesFiles = append(rel.ValuesFiles, filepath.Join(dir, filepath.FromSlash(f)))
		}
		res, err := helm.Render(abs, rel, helm.Options{Root: dir, Top: dir})
		if err != nil {
			return nil, fmt.Errorf("helm template %s: %w", origin.Path, err)
		}
		t.In = &scanner.Inputs{Root: dir, Files: []*scanner.SourceFile{res.File}}
	case hasKustomization(abs):
		res, err := kustomize.Build(abs, kustomize.Options{Root: dir, Top: dir})
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %w", origin.Path, err)
		}
		t.In, t.Kustomize = &scanner.Inputs{Root: dir, Files: []*scanner.SourceFile{res.File}, Skipped: res.Skipped}, true
	default:
		t.In = scanner.Load(dir, []string{abs}, scanner.LoadOptions{})
	}
	t.Report = scanner.ScanInputs(t.In, scan)
	t.byKey = map[objectKey][]*scanner.Resource{}
	for _, f := range t.In.Files {
		for _, d := range f.Docs {
			for _, r := range d.Resources() {
				k := keyOf(r.APIVersion, r.Kind, r.Namespace, r.Name)
				t.byKey[k] = append(t.byKey[k], r)
			}
		}
	}
	return t, nil
}

func hasKustomization(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if kustomize.IsFileName(e.Name()) {
			return true
		}
	}
	return false
}

// Find returns the source object deployed as the live object of
// apiVersion/kind namespace/name. Manifests often leave the namespace to
// the tool (Argo CD's destination, Flux's targetNamespace), so an object
// without one matches when it is the only one of that kind and name.
func (t *Tree) Find(apiVersion, kind, namespace, name string) *scanner.Resource {
	if rs := t.byKey[keyOf(apiVersion, kind, namespace, name)]; len(rs) > 0 {
		return rs[0]
	}
	if rs := t.byKey[keyOf(apiVersion, kind, "", name)]; len(rs) == 1 {
		return rs[0]
	}
	return nil
}

// ObjectLocation is where a source object is written: for a kustomization,
// the resource file it came from; the line of its `metadata:` key.
func ObjectLocation(r *scanner.Resource) (file string, line int) {
	if rd := r.Doc.File.Rendered; rd != nil && rd.Map != nil {
		if o := rd.Map.Object(r); o.File != "" {
			return o.File, max(o.MetadataLine, 1)
		}
	}
	line = r.Node.YNode().Line
	if k, _ := scanner.FieldPair(r.Node.YNode(), "metadata"); k != nil {
		line = k.Line
	}
	return r.File(), line
}

// FieldLocation is where the field at path of source object r is written,
// or, when it is missing, the nearest object above it that is.
func FieldLocation(r *scanner.Resource, path scanner.Path) (file string, line int) {
	node := deepest(r.Node.YNode(), path)
	if rd := r.Doc.File.Rendered; rd != nil && rd.Map != nil {
		if loc := rd.Map.Field(r, path, node); loc.File != "" {
			return loc.File, loc.Line
		}
		return ObjectLocation(r)
	}
	if node == nil {
		return ObjectLocation(r)
	}
	return r.File(), node.Line
}

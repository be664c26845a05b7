package sourcemap

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/remedy-bot/remedy/internal/repofs"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/helm"
	"github.com/remedy-bot/remedy/scanner/kustomize"
	"github.com/remedy-bot/remedy/scanner/render"
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
// deploy it: a chart is rendered for origin's release (values.yaml, its
// values files, its inline values), a kustomization root built, any other
// folder read as plain manifests, recursively. A chart with a values file
// of another repository needs LoadTreeWith. The load takes the default
// budgets.
func LoadTree(dir string, origin Origin, scan scanner.Options) (*Tree, error) {
	return LoadTreeWith(context.Background(), nil, dir, origin, scan, render.Budgets{})
}

// LoadTreeWith is LoadTree with a Cloner for the values files of a chart
// that are in other repositories (Argo CD's $values of a multi-source
// Application): they are read from their own checkouts, as values that are
// not the repository's, never fixed. A nil cloner refuses such a chart.
// budgets bound the load (files, documents, containers, objects, chart
// renders): what is over them is an error of the tree's report.
func LoadTreeWith(ctx context.Context, cloner Cloner, dir string, origin Origin, scan scanner.Options, budgets render.Budgets) (*Tree, error) {
	abs := filepath.Join(dir, filepath.FromSlash(origin.Path))
	if rel, err := filepath.Rel(dir, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("path %q leaves the repository", origin.Path)
	}
	// The path is the deployer's (an Application in the cluster), the
	// folder the repository's: stat it confined, so that a path through a
	// symlink out of the checkout is refused.
	info, err := statIn(dir, abs)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", origin.Path, err)
	}
	t := &Tree{Origin: origin, Dir: dir}
	plain := scanner.LoadOptions{MaxFileSize: budgets.MaxFileSize, Budgets: budgets.Load}
	helmBudget := budgets.Helm
	if helmBudget.MaxDocuments <= 0 {
		helmBudget.MaxDocuments = budgets.Load.MaxDocuments
	}
	switch {
	case !info.IsDir():
		t.In = scanner.Load(dir, []string{abs}, plain)
	case origin.Render == RenderHelm || helm.IsChart(abs):
		rel, err := helmRelease(ctx, cloner, dir, origin)
		if err != nil {
			return nil, fmt.Errorf("helm template %s: %w", origin.Path, err)
		}
		res, err := helm.Render(abs, rel, helm.Options{Root: dir, Top: dir, MaxFileSize: budgets.MaxFileSize, Budget: helmBudget})
		if err != nil {
			return nil, fmt.Errorf("helm template %s: %w", origin.Path, err)
		}
		t.In = &scanner.Inputs{Root: dir, Files: []*scanner.SourceFile{res.File}}
	case hasKustomization(abs):
		res, err := kustomize.Build(abs, kustomize.Options{Root: dir, Top: dir, MaxFileSize: budgets.MaxFileSize})
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %w", origin.Path, err)
		}
		t.In, t.Kustomize = &scanner.Inputs{Root: dir, Files: []*scanner.SourceFile{res.File}, Skipped: res.Skipped}, true
	default:
		t.In = scanner.Load(dir, []string{abs}, plain)
	}
	// Idempotent for what scanner.Load read; the renders' outputs are
	// counted here.
	t.In.ApplyBudgets(budgets.Load)
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

// helmRelease is the release origin renders: its values files in order,
// those of the checkout dir as files (traced, fixable), those of other
// repositories as values from elsewhere (and every file after the first of
// them too, to keep the order), then its inline values.
func helmRelease(ctx context.Context, cloner Cloner, dir string, origin Origin) (helm.Release, error) {
	rel := helm.Release{Name: cmp.Or(origin.Release, "release"), Namespace: origin.ReleaseNamespace}
	layered := false
	for _, f := range origin.ValuesFiles {
		if ref, rest, ok := origin.splitRef(f); ok {
			vals, err := refValues(ctx, cloner, ref, rest, origin.IgnoreMissingValuesFiles)
			if err != nil {
				return helm.Release{}, fmt.Errorf("values file %s of %s: %w", f, ref.Repo, err)
			}
			if vals != nil {
				rel.Values = append(rel.Values, helm.Values{Values: vals,
					From: fmt.Sprintf("the values file %s of %s at %s", rest, ref.Repo, orDefault(ref.Revision))})
				layered = true
			}
			continue
		}
		abs := filepath.Join(dir, filepath.FromSlash(f))
		if origin.IgnoreMissingValuesFiles {
			if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
				continue
			}
		}
		if layered {
			rel.Values = append(rel.Values, helm.Values{File: abs})
		} else {
			rel.ValuesFiles = append(rel.ValuesFiles, abs)
		}
	}
	if origin.Values != nil {
		rel.Values = append(rel.Values, helm.Values{Values: origin.Values, From: "the inline values of " + cmp.Or(origin.Deployer, "the release")})
	}
	return rel, nil
}

// refValues reads a values file of another repository's checkout; nil
// when it is missing and missing files are ignored.
func refValues(ctx context.Context, cloner Cloner, ref RepoRef, file string, ignoreMissing bool) (map[string]any, error) {
	if cloner == nil {
		return nil, errors.New("another repository, which was not checked out")
	}
	dir, err := cloner.Checkout(ctx, ref.Repo, ref.Revision)
	if err != nil {
		return nil, err
	}
	// Read confined to the checkout (repofs): a symbolic link must not
	// read the bot's own files, a FIFO must not block.
	b, err := repofs.ReadFile(dir, cleanPath(file), scanner.DefaultMaxFileSize)
	if errors.Is(err, fs.ErrNotExist) && ignoreMissing {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	vals, err := chartutil.ReadValues(b)
	if err != nil {
		return nil, err
	}
	return map[string]any(vals), nil
}

// statIn describes p, a path in the repository at dir, following only
// symlinks that stay inside it.
func statIn(dir, p string) (fs.FileInfo, error) {
	repo, err := repofs.Open(dir, 0)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	return repo.Stat(p)
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

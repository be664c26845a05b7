// Package render loads a repository the way it is deployed: plain
// manifests as written, kustomization roots built with Kustomize, Helm
// charts rendered for each configured release. It is scanner.Load plus the
// builds; the rendered outputs are scanner files like any other (with
// scanner.Rendered set), so the same controls, suppressions, reports and
// fixes apply, and a file a build consumed is not scanned on its own as
// well (a base is reported through its overlays, once; a patch is never
// scanned as if it were a whole object).
package render

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/helm"
	"github.com/remedy-bot/remedy/scanner/kustomize"
)

// Options are scanner.LoadOptions plus what rendering needs from the
// repository config.
type Options struct {
	scanner.LoadOptions
	// Helm is .remedy.yaml's helm: section.
	Helm config.Helm
	// Plain turns rendering off: every file is scanned as written, as
	// scanner.Load does.
	Plain bool
}

// Load reads the manifests under paths, like scanner.Load, and renders
// the kustomization roots and Helm charts among them. A build that fails
// is an error of its kustomization file or chart (the files it would have
// consumed are then scanned as written); every other build and file is
// still scanned.
func Load(root string, paths []string, opts Options) *scanner.Inputs {
	in := scanner.Load(root, paths, opts.LoadOptions)
	if opts.Plain {
		return in
	}
	var dirs []string
	for _, p := range paths {
		if info, err := os.Stat(p); err == nil && info.IsDir() {
			dirs = append(dirs, p)
		} else if err == nil && kustomize.IsFileName(filepath.Base(p)) {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	if len(dirs) == 0 {
		return in
	}
	top := repositoryTop(root)
	consumed := map[string]bool{}
	var rendered []*scanner.SourceFile
	// Roots excluded by config are not scanned, but they are built: a fix
	// of a base they share must leave their output as it is (they are the
	// overlays that must not change).
	var bystanders []*scanner.SourceFile
	for _, dir := range kustomize.Roots(dirs) {
		kfile := kustomizationFile(root, dir)
		if opts.Exclude != nil && opts.Exclude(kfile) {
			if res, err := kustomize.Build(dir, kustomize.Options{Root: root, Top: top, MaxFileSize: opts.MaxFileSize}); err == nil {
				bystanders = append(bystanders, res.File)
			}
			continue
		}
		res, err := kustomize.Build(dir, kustomize.Options{
			Root: root, Top: top, MaxFileSize: opts.MaxFileSize, Exclude: opts.Exclude,
		})
		if err != nil {
			in.Errors = append(in.Errors, scanner.FileError{File: kfile, Message: err.Error()})
			continue
		}
		for _, p := range res.Consumed {
			consumed[p] = true
		}
		in.Skipped = append(in.Skipped, res.Skipped...)
		rendered = append(rendered, res.File)
	}
	for _, dir := range helm.Charts(dirs) {
		chartFile := displayPath(root, filepath.Join(dir, "Chart.yaml"))
		if opts.Exclude != nil && opts.Exclude(chartFile) {
			continue
		}
		releases, err := releasesOf(root, dir, opts.Helm)
		if err != nil {
			in.Errors = append(in.Errors, scanner.FileError{File: chartFile, Message: err.Error()})
			continue
		}
		for _, rel := range releases {
			res, err := helm.Render(dir, rel, helm.Options{Root: root, Top: top, MaxFileSize: opts.MaxFileSize})
			if err != nil {
				in.Errors = append(in.Errors, scanner.FileError{File: chartFile, Message: err.Error()})
				continue
			}
			for _, p := range res.Consumed {
				consumed[p] = true
			}
			rendered = append(rendered, res.File)
		}
	}
	// Terraform modules: every folder with .tf files (terraform.go).
	rendered = append(rendered, loadTerraform(root, top, dirs, opts, in)...)
	in.Skipped = slices.DeleteFunc(in.Skipped, func(s scanner.Skipped) bool {
		abs, err := filepath.EvalSymlinks(filepath.Join(root, filepath.FromSlash(s.File)))
		return err == nil && consumed[abs] && strings.Contains(s.Reason, "template")
	})
	in.Files = slices.DeleteFunc(in.Files, func(f *scanner.SourceFile) bool {
		abs, err := filepath.EvalSymlinks(f.Abs)
		return f.Abs != "" && err == nil && consumed[abs]
	})
	sort.SliceStable(rendered, func(i, j int) bool { return rendered[i].Path < rendered[j].Path })
	for _, f := range rendered {
		f.Rendered.Bystanders = bystanders
	}
	in.Files = append(in.Files, rendered...)
	return in
}

// kustomizationFile names a root's kustomization file for errors,
// relative to the scan root.
func kustomizationFile(root, dir string) string {
	name := "kustomization.yaml"
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			name = n
			break
		}
	}
	return displayPath(root, filepath.Join(dir, name))
}

// displayPath makes p relative to root with '/' separators, as
// scanner.Load names files.
func displayPath(root, p string) string {
	rootAbs, err1 := filepath.Abs(root)
	if real, err := filepath.EvalSymlinks(rootAbs); err == nil {
		rootAbs = real
	}
	if rel, err := filepath.Rel(rootAbs, p); err1 == nil && err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

// repositoryTop is the folder builds may read below: the git repository
// holding root (an overlay scanned on its own still reaches its bases), or
// root itself outside a repository.
func repositoryTop(root string) string {
	abs, err := filepath.Abs(root)
	if err != nil {
		return root
	}
	for dir := abs; ; {
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs
		}
		dir = parent
	}
}

// releasesOf returns the releases a chart is rendered for. Releases of
// .remedy.yaml's helm.releases whose chart is this folder are rendered as
// configured: their valuesFiles are scan-root-relative (a name that is not
// there is looked up in the chart folder). With none configured, the chart
// is rendered once, as release <chart name> with no namespace (the one it
// is deployed to is decided outside the chart), with those of
// helm.valuesFiles that exist in the chart folder (a name relative to it,
// or a root-relative path inside it): `helm: {valuesFiles: [values-prod.yaml]}`
// renders every chart with its values-prod.yaml when it has one.
func releasesOf(root, dir string, cfg config.Helm) ([]helm.Release, error) {
	chartRel := displayPath(root, dir)
	var out []helm.Release
	for _, r := range cfg.Releases {
		if filepath.Clean(filepath.FromSlash(r.Chart)) != filepath.Clean(filepath.FromSlash(chartRel)) {
			continue
		}
		rel := helm.Release{Name: r.Name, Namespace: r.Namespace}
		if rel.Name == "" {
			rel.Name = filepath.Base(dir)
		}
		for _, v := range r.ValuesFiles {
			p, ok := valuesPath(root, dir, v, false)
			if !ok {
				return nil, fmt.Errorf("release %s: values file %s not found (scan-root-relative, or in the chart folder)", rel.Name, v)
			}
			rel.ValuesFiles = append(rel.ValuesFiles, p)
		}
		out = append(out, rel)
	}
	if len(out) > 0 {
		return out, nil
	}
	rel := helm.Release{Name: chartName(dir)}
	for _, v := range cfg.ValuesFiles {
		if p, ok := valuesPath(root, dir, v, true); ok {
			rel.ValuesFiles = append(rel.ValuesFiles, p)
		}
	}
	return []helm.Release{rel}, nil
}

// valuesPath finds a values file: scan-root-relative, else relative to
// the chart folder. inside requires it to be in the chart folder.
func valuesPath(root, dir, v string, inside bool) (string, bool) {
	for _, p := range []string{filepath.Join(root, filepath.FromSlash(v)), filepath.Join(dir, filepath.FromSlash(v))} {
		abs, err := filepath.Abs(p)
		if err != nil {
			continue
		}
		if real, err := filepath.EvalSymlinks(abs); err == nil {
			abs = real
		} else {
			continue
		}
		if info, err := os.Stat(abs); err != nil || !info.Mode().IsRegular() {
			continue
		}
		if rel, err := filepath.Rel(dir, abs); inside && (err != nil || strings.HasPrefix(rel, "..")) {
			continue
		}
		return abs, true
	}
	return "", false
}

// chartName reads the name of Chart.yaml, or the folder's name.
func chartName(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "name:"); ok {
				if v = strings.Trim(strings.TrimSpace(v), `"'`); v != "" {
					return v
				}
			}
		}
	}
	return filepath.Base(dir)
}

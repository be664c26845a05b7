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
	"github.com/remedy-bot/remedy/internal/parallel"
	"github.com/remedy-bot/remedy/internal/repofs"
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
	// HelmBudget bounds each chart render; its MaxDocuments defaults to
	// LoadOptions.Budgets.MaxDocuments.
	HelmBudget helm.Budget
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
	// The paths named, as scanner.Load found them (a shell glob: hundreds).
	var dirs []string
	for i, p := range paths {
		if info := in.Named[i]; info != nil && info.IsDir() {
			dirs = append(dirs, p)
		} else if info != nil && kustomize.IsFileName(filepath.Base(p)) {
			dirs = append(dirs, filepath.Dir(p))
		}
	}
	if len(dirs) == 0 {
		return in
	}
	top := repositoryTop(root)
	// Builds and charts are named relative to the root as scanner.Load
	// names files: absolute, with symlinks resolved.
	rootAbs := scanner.ResolvedPath(root)
	helmBudget := opts.HelmBudget
	if helmBudget.MaxDocuments <= 0 {
		helmBudget.MaxDocuments = opts.Budgets.MaxDocuments
	}
	consumed := map[string]bool{}
	// Symlinks are resolved, and Kustomize sources parsed, once per path
	// for every build and check of this Load (and the builds that verify
	// fixes later).
	real := &scanner.RealPaths{}
	sources := &kustomize.Sources{}
	var rendered []*scanner.SourceFile
	var bystanders []*scanner.SourceFile
	// The builds are planned in order, run on every core, and their
	// results taken in the planned order, so the output does not depend on
	// timing. Kustomize builds run in parallel too, except one that sets
	// kustomize's process-wide OpenAPI schema (kustomize.Build).
	var builds []build
	for _, dir := range kustomize.Roots(dirs) {
		kfile := kustomizationFile(rootAbs, dir)
		excluded := opts.Exclude != nil && opts.Exclude(kfile)
		kopts := kustomize.Options{Root: root, Top: top, MaxFileSize: opts.MaxFileSize, RealPaths: real, Sources: sources}
		if !excluded {
			kopts.Exclude = opts.Exclude
		}
		builds = append(builds, build{errFile: kfile, bystander: excluded, run: func(*helm.Child) (*scanner.SourceFile, []string, []scanner.Skipped, error) {
			res, err := kustomize.Build(dir, kopts)
			if err != nil {
				return nil, nil, nil, err
			}
			return res.File, res.Consumed, res.Skipped, nil
		}})
	}
	for _, dir := range helm.Charts(dirs) {
		chartFile := scanner.DisplayPath(rootAbs, filepath.Join(dir, "Chart.yaml"))
		if opts.Exclude != nil && opts.Exclude(chartFile) {
			continue
		}
		releases, err := releasesOf(rootAbs, top, dir, opts.Helm)
		if err != nil {
			// Reported in its place among the builds' errors.
			builds = append(builds, build{errFile: chartFile, run: func(*helm.Child) (*scanner.SourceFile, []string, []scanner.Skipped, error) {
				return nil, nil, nil, err
			}})
			continue
		}
		for _, rel := range releases {
			builds = append(builds, build{errFile: chartFile, helm: true, run: func(child *helm.Child) (*scanner.SourceFile, []string, []scanner.Skipped, error) {
				res, err := helm.Render(dir, rel, helm.Options{Root: root, Top: top, MaxFileSize: opts.MaxFileSize, Budget: helmBudget, Child: child})
				if err != nil {
					return nil, nil, nil, err
				}
				return res.File, res.Consumed, nil, nil
			}})
		}
	}
	runBuilds(builds, helmBudget)
	for _, b := range builds {
		switch {
		case b.bystander:
			// Roots excluded by config are not scanned, but they are
			// built: a fix of a base they share must leave their output
			// as it is (they are the overlays that must not change).
			if b.err == nil {
				bystanders = append(bystanders, b.file)
			}
			continue
		case b.err != nil:
			in.Errors = append(in.Errors, scanner.FileError{File: b.errFile, Message: b.err.Error()})
			continue
		}
		for _, p := range b.consumed {
			consumed[p] = true
		}
		in.Skipped = append(in.Skipped, b.skipped...)
		rendered = append(rendered, b.file)
	}
	// Terraform modules: every folder with .tf files (terraform.go).
	rendered = append(rendered, loadTerraform(root, top, dirs, opts, in)...)
	in.Skipped = slices.DeleteFunc(in.Skipped, func(s scanner.Skipped) bool {
		abs, err := real.Eval(filepath.Join(rootAbs, filepath.FromSlash(s.File)))
		return err == nil && consumed[abs] && strings.Contains(s.Reason, "template")
	})
	in.Files = slices.DeleteFunc(in.Files, func(f *scanner.SourceFile) bool {
		if f.Abs == "" {
			return false
		}
		abs, err := real.Eval(filepath.Clean(f.Abs))
		return err == nil && consumed[abs]
	})
	sort.SliceStable(rendered, func(i, j int) bool { return rendered[i].Path < rendered[j].Path })
	for _, f := range rendered {
		f.Rendered.Bystanders = bystanders
	}
	in.Files = append(in.Files, rendered...)
	// Rendered objects count against the run's budgets too.
	in.ApplyBudgets(opts.Budgets)
	return in
}

// build is one Kustomize build or Helm render of a Load, and its result.
type build struct {
	// errFile names the kustomization or chart in errors.
	errFile string
	// bystander is a build excluded by config: built, not scanned.
	bystander bool
	// helm says the build is a Helm render: it runs in a render child,
	// given to run.
	helm bool
	run  func(child *helm.Child) (*scanner.SourceFile, []string, []scanner.Skipped, error)

	file     *scanner.SourceFile
	consumed []string
	skipped  []scanner.Skipped
	err      error
}

// runBuilds runs the builds; each writes only its own entry. Kustomize
// builds run on every core. Helm renders run in lanes beside them
// (parallel.ForEachBeside), each lane one render child that renders its
// charts in turn (and verifies their fixes later, while it is not idle):
// a child's start costs about 30 ms of CPU, so the corpus's three charts
// in one child cost 60 ms less than in three, and a worker waiting on a
// child would leave its core idle.
func runBuilds(builds []build, budget helm.Budget) {
	isHelm := func(i int) bool { return builds[i].helm }
	renders := 0
	for i := range builds {
		if isHelm(i) {
			renders++
		}
	}
	// As many children as ForEachBeside runs renders at once.
	lanes := min(parallel.Beside(len(builds)-renders), renders)
	children := make(chan *helm.Child, lanes)
	for range lanes {
		children <- helm.NewChild(budget)
	}
	parallel.ForEachBeside(len(builds), isHelm, func(i int) {
		var child *helm.Child
		if isHelm(i) {
			child = <-children
			defer func() { children <- child }()
		}
		b := &builds[i]
		b.file, b.consumed, b.skipped, b.err = b.run(child)
	})
}

// kustomizationFile names a root's kustomization file for errors,
// relative to the scan root rootAbs (scanner.ResolvedPath).
func kustomizationFile(rootAbs, dir string) string {
	name := "kustomization.yaml"
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			name = n
			break
		}
	}
	return scanner.DisplayPath(rootAbs, filepath.Join(dir, name))
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
// renders every chart with its values-prod.yaml when it has one. root is
// the scan root as scanner.ResolvedPath gives it.
func releasesOf(root, top, dir string, cfg config.Helm) ([]helm.Release, error) {
	chartRel := scanner.DisplayPath(root, dir)
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
	rel := helm.Release{Name: chartName(top, dir)}
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

// chartName reads the name of Chart.yaml, or the folder's name. The file
// is read confined to the repository at top (repofs): a Chart.yaml linked
// to a file outside must not lend it its name.
func chartName(top, dir string) string {
	b, err := repofs.ReadFile(top, filepath.Join(dir, "Chart.yaml"), 0)
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

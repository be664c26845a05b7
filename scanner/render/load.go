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
	"os"
	"path/filepath"
	"slices"
	"sort"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/scanner"
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
	for _, dir := range kustomize.Roots(dirs) {
		kfile := kustomizationFile(root, dir)
		if opts.Exclude != nil && opts.Exclude(kfile) {
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
	in.Files = slices.DeleteFunc(in.Files, func(f *scanner.SourceFile) bool {
		abs, err := filepath.EvalSymlinks(f.Abs)
		return f.Abs != "" && err == nil && consumed[abs]
	})
	sort.SliceStable(rendered, func(i, j int) bool { return rendered[i].Path < rendered[j].Path })
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

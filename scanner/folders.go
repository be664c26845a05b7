package scanner

import (
	"fmt"
	"io/fs"
	"maps"
	"path/filepath"
	"slices"
)

// The folders of a repository and of a build, as every input that walks
// or builds one (Load here; Helm charts, kustomization roots and Terraform
// modules in their packages) names them.

// SkipsFolder reports whether Load never enters a folder of this name:
// .git, vendor, node_modules. Below a root, every walk of a repository
// passes them over too.
func SkipsFolder(name string) bool { return skipDirs[name] }

// WalkFolders walks each of dirs as Load walks a scan root: below each
// root, the folders Load never enters (.git, vendor, node_modules) and
// those named in skip are passed over, and an entry that cannot be read
// is ignored. visit is called for every other entry, folders (each root
// included) and files alike.
func WalkFolders(dirs []string, skip []string, visit func(path string, e fs.DirEntry)) {
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if e.IsDir() && p != d && (SkipsFolder(e.Name()) || slices.Contains(skip, e.Name())) {
				return filepath.SkipDir
			}
			visit(p, e)
			return nil
		})
	}
}

// RealPath returns p absolute, with symlinks resolved: the one name of a
// folder, however a caller reached it.
func RealPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// ResolvedPath is p absolute, with its symlinks resolved where they can
// be (a path that does not exist stays as filepath.Abs gives it).
func ResolvedPath(p string) string {
	if real, err := RealPath(p); err == nil {
		return real
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// BuildDirs are the folders of one build (a kustomization root, a chart),
// each absolute with symlinks resolved.
type BuildDirs struct {
	// Root is the scan root: source file names are relative to it.
	Root string
	// Top is the folder reads are confined to: the repository.
	Top string
	// Dir is the folder built.
	Dir string
}

// ResolveBuildDirs resolves a build's scan root, repository (top; empty
// means root) and folder; dirKind names the folder in an error
// ("chart", "kustomization").
func ResolveBuildDirs(root, top, dir, dirKind string) (BuildDirs, error) {
	var d BuildDirs
	var err error
	if d.Root, err = RealPath(root); err != nil {
		return BuildDirs{}, fmt.Errorf("scan root %s: %w", root, err)
	}
	d.Top = d.Root
	if top != "" {
		if d.Top, err = RealPath(top); err != nil {
			return BuildDirs{}, fmt.Errorf("repository %s: %w", top, err)
		}
	}
	if d.Dir, err = RealPath(dir); err != nil {
		return BuildDirs{}, fmt.Errorf("%s %s: %w", dirKind, dir, err)
	}
	return d, nil
}

// Replacements keys a build's replaced sources (by Root-relative,
// '/'-separated path, as the Replace of every build's options holds them)
// by absolute path.
func (d BuildDirs) Replacements(replace map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(replace))
	for rel, b := range replace {
		out[filepath.Join(d.Root, filepath.FromSlash(rel))] = b
	}
	return out
}

// MergeReplace returns the replaced sources of a build run again over
// edits: those of base, with edits over them. Neither map changes.
func MergeReplace(base, edits map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(base)+len(edits))
	maps.Copy(out, base)
	maps.Copy(out, edits)
	return out
}

// DisplayPath names an absolute path for reports: relative to the scan
// root rootAbs, '/'-separated; a path that has no such name stays
// absolute.
func DisplayPath(rootAbs, abs string) string {
	rel, err := filepath.Rel(rootAbs, abs)
	if err != nil {
		return filepath.ToSlash(abs)
	}
	return filepath.ToSlash(rel)
}

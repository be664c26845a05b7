package kustomize

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/repofs"
	"github.com/remedy-bot/remedy/scanner"
)

// Roots returns the kustomization roots below the folders dirs: the
// folders holding a kustomization file that no other kustomization found
// there uses as a resource, base or component. Those are what Argo CD and
// Flux deploy; a base only used by overlays is scanned through them, so
// it is not reported twice. Components are never roots. Paths are
// absolute, sorted.
func Roots(dirs []string) []string {
	found := map[string]bool{}
	scanner.WalkFolders(dirs, nil, func(p string, e fs.DirEntry) {
		if !e.IsDir() && IsFileName(e.Name()) {
			if abs, err := scanner.RealPath(filepath.Dir(p)); err == nil {
				found[abs] = true
			}
		}
	})
	used := map[string]bool{}
	for dir := range found {
		component, refs := references(dir, topOf(dirs, dir))
		if component {
			used[dir] = true
		}
		for _, r := range refs {
			if r != dir {
				used[r] = true
			}
		}
	}
	var out []string
	for dir := range found {
		if !used[dir] {
			out = append(out, dir)
		}
	}
	sort.Strings(out)
	return out
}

// topOf is the folder of dirs that holds dir (made absolute, symlinks
// resolved): reads for dir are confined to it.
func topOf(dirs []string, dir string) string {
	for _, d := range dirs {
		if abs, err := scanner.RealPath(d); err == nil {
			if rel, err := filepath.Rel(abs, dir); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return abs
			}
		}
	}
	return dir
}

// references reads the kustomization in dir and returns whether it is a
// Component and the local folders it uses as resources, bases and
// components. A file that cannot be read yields nothing: its build reports
// the error.
func references(dir, top string) (component bool, refs []string) {
	var content []byte
	for _, n := range fileNames {
		// Confined like the build: a FIFO or a link to /dev/zero named
		// kustomization.yaml must not stop discovery.
		if b, err := repofs.ReadFile(top, filepath.Join(dir, n), 0); err == nil {
			content = b
			break
		}
	}
	var doc yaml.Node
	if content == nil || yaml.Unmarshal(content, &doc) != nil || len(doc.Content) == 0 {
		return false, nil
	}
	m := doc.Content[0]
	component = scanner.ScalarValue(scanner.Field(m, "kind")) == "Component"
	for _, field := range []string{"resources", "bases", "components"} {
		for _, it := range scanner.Items(scanner.Field(m, field)) {
			v := scanner.ScalarValue(it)
			if v == "" || isRemote(v) {
				continue
			}
			p := filepath.Join(dir, v)
			if info, err := os.Stat(p); err == nil && info.IsDir() {
				if abs, err := scanner.RealPath(p); err == nil {
					refs = append(refs, abs)
				}
			}
		}
	}
	return component, refs
}

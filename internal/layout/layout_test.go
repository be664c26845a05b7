package layout

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/testfiles"
)

// tablePaths returns every backquoted path in the first column of README's
// "## Layout" table.
func tablePaths(t *testing.T, readme string) map[string]bool {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Layout\n")
	if !ok {
		t.Fatal("README.md has no ## Layout section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	code := regexp.MustCompile("`([^`]+)`")
	paths := map[string]bool{}
	for line := range strings.Lines(section) {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), "|")
		for _, m := range code.FindAllStringSubmatch(first, -1) {
			paths[m[1]] = true
		}
	}
	if len(paths) == 0 {
		t.Fatal("README.md's layout table has no rows")
	}
	return paths
}

// packageDirs returns every directory of the module holding a non-test Go
// file, relative to the root, skipping testdata.
func packageDirs(t *testing.T, root string) map[string]bool {
	t.Helper()
	dirs := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			dirs[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

func TestReadmeLayoutNamesEveryPackage(t *testing.T) {
	root := testfiles.ModuleRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := tablePaths(t, string(readme))
	for dir := range packageDirs(t, root) {
		if !listed[dir] && !mentionedUnder(string(readme), dir) {
			t.Errorf("package %s has no row in README.md's layout table", dir)
		}
	}
	for p := range listed {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err != nil {
			t.Errorf("README.md's layout table names %s, which does not exist", p)
		}
	}
}

// mentionedUnder reports whether a nested package (a/b/c) is named by its
// last element in the row of its parent (a/b), as "repofstest" is in
// internal/repofs's row.
func mentionedUnder(readme, dir string) bool {
	parent, base := filepath.ToSlash(filepath.Dir(dir)), filepath.Base(dir)
	for line := range strings.Lines(readme) {
		if strings.HasPrefix(line, "| `"+parent+"`") && strings.Contains(line, "`"+base+"`") {
			return true
		}
	}
	return false
}

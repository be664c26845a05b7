package layout

import (
	"go/parser"
	"go/token"
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

// TestEveryPackageHasADocComment fails when a package of the module has no
// doc comment that names it: "// Package name ..." (what go doc shows
// first), or "// Command name ..." for a program (package main, named by
// its folder). The comment says what the package is for and how data
// enters and leaves it; this test only sees that it is there.
func TestEveryPackageHasADocComment(t *testing.T) {
	root := testfiles.ModuleRoot(t)
	for dir := range packageDirs(t, root) {
		if doc, ok := packageDoc(t, filepath.Join(root, filepath.FromSlash(dir))); !ok {
			t.Errorf("package %s has no doc comment starting %q", dir, doc)
		}
	}
}

// packageDoc reports whether a non-test file of the package in dir has a
// doc comment naming the package, and what it should start with.
func packageDoc(t *testing.T, dir string) (string, bool) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.PackageClauseOnly|parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		want = "Package " + f.Name.Name + " "
		if f.Name.Name == "main" {
			want = "Command " + filepath.Base(dir) + " "
		}
		if f.Doc != nil && strings.HasPrefix(f.Doc.Text(), want) {
			return want, true
		}
	}
	return want, false
}

func TestPackageDoc(t *testing.T) {
	tests := []struct {
		name  string
		dir   string
		files map[string]string
		ok    bool
	}{
		{"documented", "lib", map[string]string{"a.go": "package lib\n", "doc.go": "// Package lib does one thing.\npackage lib\n"}, true},
		{"none", "lib", map[string]string{"a.go": "package lib\n"}, false},
		{"another name", "lib", map[string]string{"a.go": "// Package other does one thing.\npackage lib\n"}, false},
		{"a name that only begins the same", "lib", map[string]string{"a.go": "// Package library does one thing.\npackage lib\n"}, false},
		{"not the package's comment", "lib", map[string]string{"a.go": "// Package lib does one thing.\n\npackage lib\n"}, false},
		{"only in a test", "lib", map[string]string{"a.go": "package lib\n", "a_test.go": "// Package lib does one thing.\npackage lib\n"}, false},
		{"command", "tool", map[string]string{"main.go": "// Command tool does one thing.\npackage main\n"}, true},
		{"command named as a package", "tool", map[string]string{"main.go": "// Package main does one thing.\npackage main\n"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), tt.dir)
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, src := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want, ok := packageDoc(t, dir); ok != tt.ok {
				t.Errorf("packageDoc = %v, want %v (wants a comment starting %q)", ok, tt.ok, want)
			}
		})
	}
}

package scanner

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestWalkFolders(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"app", "app/.git", "vendor/x", "node_modules", "mod/.terraform/m", "deep/a/b"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"app/k.yaml", "app/.git/HEAD", "vendor/x/v.yaml", "mod/main.tf", "mod/.terraform/m/main.tf", "deep/a/b/c.yaml"} {
		if err := os.WriteFile(filepath.Join(root, f), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var seen []string
	WalkFolders([]string{root, filepath.Join(root, "vendor")}, []string{".terraform"}, func(p string, e fs.DirEntry) {
		rel, _ := filepath.Rel(root, p)
		seen = append(seen, filepath.ToSlash(rel))
	})
	want := []string{".", "app", "app/k.yaml", "deep", "deep/a", "deep/a/b", "deep/a/b/c.yaml", "mod", "mod/main.tf",
		// A skipped folder named as a root is walked: only folders below
		// a root are passed over.
		"vendor", "vendor/x", "vendor/x/v.yaml"}
	if !slices.Equal(seen, want) {
		t.Errorf("visited %q\nwant    %q", seen, want)
	}
}

func TestResolveBuildDirs(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "charts/web"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "charts"), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ResolveBuildDirs(root, "", filepath.Join(root, "link/web"), "chart")
	if err != nil {
		t.Fatal(err)
	}
	if d.Root != real || d.Top != real || d.Dir != filepath.Join(real, "charts/web") {
		t.Errorf("got %+v", d)
	}
	if got := d.Replacements(map[string][]byte{"charts/web/values.yaml": []byte("x")}); string(got[filepath.Join(real, "charts/web/values.yaml")]) != "x" || len(got) != 1 {
		t.Errorf("Replacements = %q", got)
	}
	if got := DisplayPath(d.Root, d.Dir); got != "charts/web" {
		t.Errorf("DisplayPath = %q", got)
	}
	for _, tt := range []struct{ root, top, dir, want string }{
		{filepath.Join(root, "missing"), "", root, "scan root " + filepath.Join(root, "missing") + ": "},
		{root, filepath.Join(root, "missing"), root, "repository " + filepath.Join(root, "missing") + ": "},
		{root, "", filepath.Join(root, "missing"), "chart " + filepath.Join(root, "missing") + ": "},
	} {
		_, err := ResolveBuildDirs(tt.root, tt.top, tt.dir, "chart")
		if err == nil || len(err.Error()) < len(tt.want) || err.Error()[:len(tt.want)] != tt.want {
			t.Errorf("ResolveBuildDirs(%s, %s, %s) = %v, want an error starting %q", tt.root, tt.top, tt.dir, err, tt.want)
		}
	}
}

func TestMergeReplace(t *testing.T) {
	base := map[string][]byte{"a": []byte("1"), "b": []byte("2")}
	got := MergeReplace(base, map[string][]byte{"b": []byte("3"), "c": []byte("4")})
	if len(got) != 3 || string(got["a"]) != "1" || string(got["b"]) != "3" || string(got["c"]) != "4" {
		t.Errorf("MergeReplace = %q", got)
	}
	if string(base["b"]) != "2" || len(base) != 2 {
		t.Errorf("base changed: %q", base)
	}
	if got := MergeReplace(nil, nil); got == nil || len(got) != 0 {
		t.Errorf("MergeReplace(nil, nil) = %#v, want an empty map", got)
	}
}

func TestPathTokens(t *testing.T) {
	tests := []struct {
		path   Path
		tokens []string
	}{
		{nil, []string{}},
		{Path{"spec", "containers", "[0]", "image"}, []string{"spec", "containers", "0", "image"}},
		{Path{"metadata", "annotations", "a/b~c"}, []string{"metadata", "annotations", "a/b~c"}},
	}
	for _, tt := range tests {
		got := tt.path.Tokens()
		if !slices.Equal(got, tt.tokens) {
			t.Errorf("%q.Tokens() = %q, want %q", tt.path, got, tt.tokens)
		}
		if back := PathOf(got); !slices.Equal(back, tt.path) {
			t.Errorf("PathOf(%q) = %q, want %q", got, back, tt.path)
		}
	}
	// A negative number is a key: no pointer remedy writes has a
	// negative index.
	if got := PathOf([]string{"x", "-1", "-"}); !slices.Equal(got, Path{"x", "-1", "-"}) {
		t.Errorf("PathOf = %q", got)
	}
}

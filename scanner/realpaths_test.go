package scanner

import (
	"os"
	"path/filepath"
	"testing"
)

// RealPaths answers what filepath.EvalSymlinks answers, for every kind of
// path a repository can hold: it only remembers.
func TestRealPathsIsEvalSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	mkdir := func(p string) {
		if err := os.MkdirAll(filepath.Join(dir, p), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string) {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("a: b\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, p string) {
		if err := os.Symlink(target, filepath.Join(dir, p)); err != nil {
			t.Fatal(err)
		}
	}
	mkdir("base/sub")
	mkdir("overlays/dev")
	write("base/pod.yaml")
	write("base/sub/svc.yaml")
	link("../base", "overlays/base")                  // a folder, relative, inside
	link("pod.yaml", "base/alias.yaml")               // a file, beside
	link("alias.yaml", "base/chain.yaml")             // a link to a link
	link(outside, "overlays/out")                     // a folder outside
	link("../../base/sub/../pod.yaml", "base/sub/up") // .. through a real folder
	link("missing.yaml", "base/dangling.yaml")
	link("loop-b", "base/loop-a")
	link("loop-a", "base/loop-b")

	var r RealPaths
	for _, p := range []string{
		"", "base", "base/pod.yaml", "base/sub/svc.yaml",
		"overlays/base", "overlays/base/pod.yaml", "overlays/base/sub/svc.yaml",
		"base/alias.yaml", "base/chain.yaml", "overlays/base/chain.yaml",
		"overlays/out", "overlays/out/x.yaml", "base/sub/up",
		"base/dangling.yaml", "base/loop-a", "base/missing.yaml", "missing/x.yaml",
		"base/pod.yaml/under-a-file",
	} {
		abs := filepath.Join(dir, p)
		want, wantErr := filepath.EvalSymlinks(abs)
		// Twice: the answer remembered is the same answer.
		for range 2 {
			got, err := r.Eval(abs)
			if got != want || (err == nil) != (wantErr == nil) {
				t.Errorf("Eval(%s) = %q, %v; EvalSymlinks: %q, %v", p, got, err, want, wantErr)
			}
		}
	}
}

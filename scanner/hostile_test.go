package scanner_test

import (
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/repofs/repofstest"
	"github.com/remedy-bot/remedy/scanner"
)

// Loading the hostile tree returns (no FIFO is opened, /dev/zero is not
// read), reads nothing from outside it, and says why each file was skipped.
func TestLoadHostileTree(t *testing.T) {
	repo := repofstest.Tree(t)
	in := scanner.Load(repo, []string{repo}, scanner.LoadOptions{})
	var files []string
	for _, f := range in.Files {
		files = append(files, f.Path)
		if strings.Contains(string(f.Bytes), repofstest.SecretMarker) {
			t.Errorf("%s holds the secret from outside the repository", f.Path)
		}
	}
	got := map[string]string{}
	for _, s := range in.Skipped {
		got[s.File] = s.Reason
	}
	for file, want := range map[string]string{
		"deploy/passwd.yaml":       "symlink points outside the scanned root",
		"deploy/environ.yaml":      "symlink points outside the scanned root",
		"deploy/zero.yaml":         "symlink points outside the scanned root",
		"deploy/secret.yaml":       "symlink points outside the scanned root",
		"deploy/fifo.yaml":         "not a regular file (named pipe (FIFO))",
		"kfifo/kustomization.yaml": "not a regular file (named pipe (FIFO))",
		"kzero/kustomization.yaml": "symlink points outside the scanned root",
		"kout/kustomization.yaml":  "symlink points outside the scanned root",
		"chartout/values.yaml":     "symlink points outside the scanned root",
	} {
		if got[file] != want {
			t.Errorf("%s skipped as %q; want %q", file, got[file], want)
		}
	}
	for _, want := range []string{"deploy/pod.yaml", "deploy/alias.yaml"} {
		if !strings.Contains(strings.Join(files, " "), want) {
			t.Errorf("%s not loaded; loaded %v", want, files)
		}
	}
	for _, e := range in.Errors {
		t.Errorf("error %s: %s", e.File, e.Message)
	}
}

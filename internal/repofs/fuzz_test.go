package repofs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/repofs"
	"github.com/remedy-bot/remedy/internal/repofs/repofstest"
)

// Whatever name a repository chooses, a read either fails or returns a
// file of the repository: never the secret beside it, never a hang.
func FuzzReadFile(f *testing.F) {
	for _, s := range []string{"deploy/pod.yaml", "../outside/secret.yaml", "deploy/../../outside/secret.yaml", "/etc/passwd", "deploy/secret.yaml", "deploy/fifo.yaml", ".", "", "deploy//alias.yaml", "a/../deploy/./pod.yaml"} {
		f.Add(s)
	}
	repo := repofstest.Tree(f)
	r, err := repofs.Open(repo, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { r.Close() })
	f.Fuzz(func(t *testing.T, name string) {
		b, err := r.ReadFile(name)
		if err == nil && strings.Contains(string(b), repofstest.SecretMarker) {
			t.Fatalf("ReadFile(%q) read the secret outside the repository", name)
		}
		if errors.Is(err, repofs.ErrOutside) && !strings.Contains(err.Error(), "leads outside the repository") {
			t.Fatalf("ReadFile(%q): %v does not say why", name, err)
		}
		if rel, err := r.Rel(name); err == nil && (filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(os.PathSeparator))) {
			t.Fatalf("Rel(%q) = %q, outside", name, rel)
		}
	})
}

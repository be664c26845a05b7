// Package testfiles finds and writes the files tests read: the module root,
// the shared fixtures checked out beside it (GitHub webhook deliveries among
// them), and temporary trees. It is for
// _test.go files only, and has no package state.
package testfiles

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ModuleRoot is the folder holding go.mod, found upward from the test's
// working directory (its package folder); the test fails without one.
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// Shared is the path elem below ../shared beside the module root, where CI
// checks the shared fixtures out. The test is skipped when that path is
// missing, so a checkout of the repository alone still tests.
func Shared(tb testing.TB, elem ...string) string {
	tb.Helper()
	p := filepath.Join(append([]string{filepath.Dir(ModuleRoot(tb)), "shared"}, elem...)...)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("shared fixtures not found at %s (clone them beside the repository): %v", p, err)
	}
	return p
}

// GitHubDelivery reads the webhook delivery name of the shared fixtures
// (fixtures/github-webhooks; skipped without them) and sets edits in it:
// dotted path → value, e.g. "comment.body" → "/remedy fix". Without edits it
// returns the file's bytes as they are.
func GitHubDelivery(tb testing.TB, name string, edits map[string]any) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(Shared(tb, "fixtures", "github-webhooks"), name))
	if err != nil {
		tb.Fatal(err)
	}
	if len(edits) == 0 {
		return b
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		tb.Fatal(err)
	}
	for path, v := range edits {
		keys := strings.Split(path, ".")
		m := doc
		for _, k := range keys[:len(keys)-1] {
			m = m[k].(map[string]any)
		}
		m[keys[len(keys)-1]] = v
	}
	out, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// WriteTree writes files (slash path → content) below a new temporary folder
// and returns it.
func WriteTree(tb testing.TB, files map[string]string) string {
	tb.Helper()
	dir := tb.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

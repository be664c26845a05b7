package testfiles

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestModuleRoot(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(ModuleRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "module github.com/remedy-bot/remedy\n") {
		t.Errorf("go.mod above the package folder is not remedy's: %.60q", b)
	}
}

func TestSharedSkipsWhenMissing(t *testing.T) {
	var skipped bool
	t.Run("missing", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Shared(t, "no such fixture")
		t.Error("Shared returned a path that does not exist")
	})
	if !skipped {
		t.Error("Shared did not skip the test")
	}
}

func TestWriteTree(t *testing.T) {
	dir := WriteTree(t, map[string]string{"a/b/c.yaml": "kind: Pod\n", "d.yaml": ""})
	for name, want := range map[string]string{"a/b/c.yaml": "kind: Pod\n", "d.yaml": ""} {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", name, b, err, want)
		}
	}
}

func TestGitHubDelivery(t *testing.T) {
	raw := GitHubDelivery(t, "issue_comment.created.json", nil)
	edited := GitHubDelivery(t, "issue_comment.created.json", map[string]any{"comment.body": "/remedy fix"})
	var doc struct {
		Comment struct {
			Body string `json:"body"`
		} `json:"comment"`
	}
	if err := json.Unmarshal(edited, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Comment.Body != "/remedy fix" {
		t.Errorf("comment.body = %q, want the edit", doc.Comment.Body)
	}
	if string(raw) == string(edited) {
		t.Error("the edited delivery is the file as it is")
	}
}

package github

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/internal/testfiles"
)

// An issues delivery, made of the real issue_comment.edited delivery of
// the shared fixtures: the same issue, repository and sender, its comment
// dropped and its changes now the issue's body, as GitHub sends an
// "issues" "edited" event.
func TestParseIssuesEdited(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(testfiles.Shared(t, "fixtures", "github-webhooks"), "issue_comment.edited.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "comment")
	doc["issue"].(map[string]any)["body"] = "- [x] 2 fixes <!-- remedy:declined 1 -->"
	b, _ = json.Marshal(doc)
	ev, err := ParseWebhook("issues", b)
	want := webhook.Event{
		Kind: webhook.EventIssue, Action: "edited", Repo: "Codertocat/Hello-World", Sender: "Codertocat",
		Issue: 1, IssueAuthor: "Codertocat", IssueBody: "- [x] 2 fixes <!-- remedy:declined 1 -->", BodyChanged: true,
	}
	if err != nil || ev != want {
		t.Errorf("got %+v, %v\nwant %+v", ev, err, want)
	}
	// A title edit changes no body.
	doc["changes"] = map[string]any{"title": map[string]any{"from": "old"}}
	b, _ = json.Marshal(doc)
	if ev, err := ParseWebhook("issues", b); err != nil || ev.BodyChanged {
		t.Errorf("title edit: %+v, %v", ev, err)
	}
}

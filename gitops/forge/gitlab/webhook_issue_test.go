package gitlab

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
)

// GitLab's documented Issue Hook, as sent (an issue opened) and as an
// edit of the description would send it (action update, changes.description).
func TestParseIssueHook(t *testing.T) {
	b, err := os.ReadFile("testdata/webhooks/issue.json")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ParseWebhook(EventIssue, b)
	want := webhook.Event{Kind: webhook.EventIssue, Action: "opened", Repo: "gitlabhq/gitlab-test", Sender: "root", Issue: 23, IssueBody: "Create new API for manipulations with repository", BodyChanged: true}
	if err != nil || ev != want {
		t.Errorf("opened:\n got %+v, %v\nwant %+v", ev, err, want)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	oa := doc["object_attributes"].(map[string]any)
	oa["action"], oa["description"] = "update", "- [x] 1 fix <!-- remedy:declined 1 -->"
	doc["changes"].(map[string]any)["description"] = map[string]any{"previous": "- [ ] 1 fix <!-- remedy:declined 1 -->", "current": oa["description"]}
	b, _ = json.Marshal(doc)
	ev, err = ParseWebhook(EventIssue, b)
	want.Action, want.IssueBody = "edited", "- [x] 1 fix <!-- remedy:declined 1 -->"
	if err != nil || ev != want {
		t.Errorf("edited:\n got %+v, %v\nwant %+v", ev, err, want)
	}
}

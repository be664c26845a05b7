package gitea

import (
	"os"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
)

// A real Gitea delivery of an edited dashboard issue (testdata/webhooks).
func TestParseIssuesEdited(t *testing.T) {
	b, err := os.ReadFile("testdata/webhooks/issues_edited.json")
	if err != nil {
		t.Fatal(err)
	}
	ev, err := ParseWebhook("issues", b)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Kind != webhook.EventIssue || ev.Action != "edited" || ev.Issue != 2 || ev.Sender != "remedy-admin" || ev.IssueAuthor != "remedy-admin" ||
		!ev.BodyChanged || !strings.HasPrefix(ev.Repo, "remedy-admin/shop-") || !strings.Contains(ev.IssueBody, "- [x] 1 fix") {
		t.Errorf("event %+v", ev)
	}
}

package gitlab

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
)

func TestParseWebhook(t *testing.T) {
	for _, tc := range []struct {
		file, event string
		want        webhook.Event
		wantErr     bool
	}{
		{"note_merge_request.json", EventNote, webhook.Event{
			Kind: webhook.EventComment, Action: "created", Repo: "gitlab-org/gitlab-test", Sender: "root",
			CommentAuthor: "root", CommentBody: "This MR needs work.", Issue: 1, OnPullRequest: true,
		}, false},
		{"note_issue.json", EventNote, webhook.Event{
			Kind: webhook.EventComment, Action: "created", Repo: "gitlab-org/gitlab-test", Sender: "user1",
			CommentAuthor: "user1", CommentBody: "Hello world", Issue: 17,
		}, false},
		{"note_commit.json", EventNote, webhook.Event{}, true},
		{"merge_request.json", EventMergeRequest, webhook.Event{
			Kind: webhook.EventPullRequest, Action: "opened", Repo: "gitlabhq/gitlab-test", Sender: "user1",
			Number: 1, HeadRef: "ms-viewport", HeadRepo: "awesome_space/awesome_project",
		}, false},
		{"push.json", EventPush, webhook.Event{
			Kind: webhook.EventPush, Repo: "mike/diaspora", Sender: "jsmith", Ref: "refs/heads/master", DefaultBranch: "master",
		}, false},
		{"push.json", "Tag Push Hook", webhook.Event{}, true},
	} {
		b, err := os.ReadFile(filepath.Join("testdata", "webhooks", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseWebhook(tc.event, b)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s as %s: error %v", tc.file, tc.event, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s as %s:\n got %+v\nwant %+v", tc.file, tc.event, got, tc.want)
		}
	}
}

// TestAction: GitLab's verbs in webhook.Event's words, for merge requests
// and issues alike.
func TestAction(t *testing.T) {
	for verb, want := range map[string]string{
		"open": "opened", "reopen": "reopened", "update": "edited", "close": "closed",
		"merge": "merge", "approved": "approved", "": "",
	} {
		if got := action(verb); got != want {
			t.Errorf("action(%q) = %q, want %q", verb, got, want)
		}
	}
}

package gitea

import (
	"encoding/json"
	"fmt"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
)

// ParseWebhook reads a verified delivery of event (X-Gitea-Event):
// issue_comment (on issues and pull requests alike), pull_request, push
// and issues. Gitea's "synchronized" reads as GitHub's "synchronize". Any other
// event is an error.
func ParseWebhook(event string, body []byte) (webhook.Event, error) {
	var p struct {
		Action string `json:"action"`
		Number int    `json:"number"`
		Issue  *struct {
			Number      int             `json:"number"`
			PullRequest json.RawMessage `json:"pull_request"`
			Body        string          `json:"body"`
			User        user            `json:"user"`
		} `json:"issue"`
		Changes *struct {
			Body *struct {
				From string `json:"from"`
			} `json:"body"`
		} `json:"changes"`
		IsPull  bool `json:"is_pull"`
		Comment *struct {
			Body string `json:"body"`
			User user   `json:"user"`
		} `json:"comment"`
		PullRequest *pull      `json:"pull_request"`
		Repository  repository `json:"repository"`
		Sender      user       `json:"sender"`
		Ref         string     `json:"ref"`
		After       string     `json:"after"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return webhook.Event{}, fmt.Errorf("event %s: %w", event, err)
	}
	ev := webhook.Event{Action: p.Action, Repo: p.Repository.FullName, Sender: p.Sender.Login}
	switch event {
	case "issue_comment":
		if p.Comment == nil || p.Issue == nil {
			return webhook.Event{}, fmt.Errorf("event %s: no comment or issue", event)
		}
		ev.Kind = webhook.EventComment
		ev.CommentAuthor, ev.CommentBody = p.Comment.User.Login, p.Comment.Body
		ev.Issue = p.Issue.Number
		ev.OnPullRequest = p.IsPull || (len(p.Issue.PullRequest) > 0 && string(p.Issue.PullRequest) != "null")
	case "pull_request":
		if p.PullRequest == nil {
			return webhook.Event{}, fmt.Errorf("event %s: no pull request", event)
		}
		ev.Kind = webhook.EventPullRequest
		if ev.Action == "synchronized" {
			ev.Action = "synchronize"
		}
		ev.Number = int(p.PullRequest.Number)
		if ev.Number == 0 {
			ev.Number = p.Number
		}
		ev.HeadRef, ev.HeadRepo = p.PullRequest.Head.Ref, p.PullRequest.Head.Repo.FullName
	case "issues":
		if p.Issue == nil {
			return webhook.Event{}, fmt.Errorf("event %s: no issue", event)
		}
		ev.Kind, ev.Issue = webhook.EventIssue, p.Issue.Number
		ev.IssueAuthor, ev.IssueBody = p.Issue.User.Login, p.Issue.Body
		ev.BodyChanged = p.Changes != nil && p.Changes.Body != nil
	case "push":
		ev.Kind = webhook.EventPush
		ev.Ref, ev.DefaultBranch = p.Ref, p.Repository.DefaultBranch
		ev.Deleted = webhook.ZeroSHA(p.After)
	default:
		return webhook.Event{}, fmt.Errorf("event %s is not handled", event)
	}
	return ev, nil
}

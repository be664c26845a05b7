package github

import (
	"fmt"

	gogithub "github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
)

// ParseWebhook reads a verified delivery of event (X-GitHub-Event):
// issue_comment, pull_request, push and issues. Any other event is an
// error.
func ParseWebhook(event string, body []byte) (webhook.Event, error) {
	payload, err := gogithub.ParseWebHook(event, body)
	if err != nil {
		return webhook.Event{}, fmt.Errorf("event %s: %w", event, err)
	}
	switch ev := payload.(type) {
	case *gogithub.IssueCommentEvent:
		return webhook.Event{
			Kind: webhook.EventComment, Action: ev.GetAction(), Repo: ev.GetRepo().GetFullName(), Sender: ev.GetSender().GetLogin(),
			CommentAuthor: ev.GetComment().GetUser().GetLogin(), CommentBody: ev.GetComment().GetBody(),
			Issue: ev.GetIssue().GetNumber(), OnPullRequest: ev.GetIssue().IsPullRequest(),
		}, nil
	case *gogithub.PullRequestEvent:
		pr := ev.GetPullRequest()
		n := pr.GetNumber()
		if n == 0 {
			n = ev.GetNumber()
		}
		return webhook.Event{
			Kind: webhook.EventPullRequest, Action: ev.GetAction(), Repo: ev.GetRepo().GetFullName(), Sender: ev.GetSender().GetLogin(),
			Number: n, HeadRef: pr.GetHead().GetRef(), HeadRepo: pr.GetHead().GetRepo().GetFullName(),
		}, nil
	case *gogithub.IssuesEvent:
		return webhook.Event{
			Kind: webhook.EventIssue, Action: ev.GetAction(), Repo: ev.GetRepo().GetFullName(), Sender: ev.GetSender().GetLogin(),
			Issue: ev.GetIssue().GetNumber(), IssueAuthor: ev.GetIssue().GetUser().GetLogin(), IssueBody: ev.GetIssue().GetBody(),
			BodyChanged: ev.GetChanges().GetBody() != nil,
		}, nil
	case *gogithub.PushEvent:
		return webhook.Event{
			Kind: webhook.EventPush, Repo: ev.GetRepo().GetFullName(), Sender: ev.GetSender().GetLogin(),
			Ref: ev.GetRef(), DefaultBranch: ev.GetRepo().GetDefaultBranch(), Deleted: ev.GetDeleted(),
		}, nil
	}
	return webhook.Event{}, fmt.Errorf("event %s is not handled", event)
}

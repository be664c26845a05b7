package gitlab

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
)

// Webhook event names (X-Gitlab-Event).
const (
	EventNote         = "Note Hook"
	EventMergeRequest = "Merge Request Hook"
	EventPush         = "Push Hook"
	EventIssue        = "Issue Hook"
)

// ParseWebhook reads a verified delivery of event (X-Gitlab-Event): Note
// Hook (comments on merge requests and issues; those on commits and
// snippets are not handled), Merge Request Hook, Push Hook and Issue Hook
// (an "update" reads as "edited"). GitLab's
// actions read as GitHub's: a new note is "created"; a merge request
// "open" is "opened", "reopen" "reopened", and an "update" that pushed
// commits (oldrev set) "synchronize".
func ParseWebhook(event string, body []byte) (webhook.Event, error) {
	type project struct {
		PathWithNamespace string `json:"path_with_namespace"`
		DefaultBranch     string `json:"default_branch"`
	}
	var p struct {
		User *struct {
			Username string `json:"username"`
		} `json:"user"`
		UserUsername     string  `json:"user_username"`
		Project          project `json:"project"`
		ObjectAttributes struct {
			Note         string  `json:"note"`
			NoteableType string  `json:"noteable_type"`
			Action       string  `json:"action"`
			IID          int     `json:"iid"`
			SourceBranch string  `json:"source_branch"`
			Source       project `json:"source"`
			OldRev       string  `json:"oldrev"`
			Description  string  `json:"description"`
		} `json:"object_attributes"`
		Changes struct {
			Description *struct {
				Previous *string `json:"previous"`
			} `json:"description"`
		} `json:"changes"`
		MergeRequest *struct {
			IID int `json:"iid"`
		} `json:"merge_request"`
		Issue *struct {
			IID int `json:"iid"`
		} `json:"issue"`
		Ref   string `json:"ref"`
		After string `json:"after"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return webhook.Event{}, fmt.Errorf("event %s: %w", event, err)
	}
	sender := p.UserUsername
	if p.User != nil {
		sender = p.User.Username
	}
	oa := p.ObjectAttributes
	ev := webhook.Event{Repo: p.Project.PathWithNamespace, Sender: sender}
	switch event {
	case EventNote:
		ev.Kind, ev.CommentAuthor, ev.CommentBody = webhook.EventComment, sender, oa.Note
		// Before GitLab 16.11 a note event had no action: only new notes
		// sent one.
		switch oa.Action {
		case "create", "":
			ev.Action = "created"
		default:
			ev.Action = "edited"
		}
		switch {
		case oa.NoteableType == "MergeRequest" && p.MergeRequest != nil:
			ev.Issue, ev.OnPullRequest = p.MergeRequest.IID, true
		case oa.NoteableType == "Issue" && p.Issue != nil:
			ev.Issue = p.Issue.IID
		default:
			return webhook.Event{}, fmt.Errorf("event %s: a comment on a %s is not handled", event, strings.ToLower(oa.NoteableType))
		}
	case EventMergeRequest:
		ev.Kind, ev.Number = webhook.EventPullRequest, oa.IID
		ev.HeadRef, ev.HeadRepo = oa.SourceBranch, oa.Source.PathWithNamespace
		ev.Action = action(oa.Action)
		if oa.Action == "update" && oa.OldRev != "" {
			ev.Action = "synchronize"
		}
	case EventIssue:
		// The payload names the issue's author by ID only: IssueAuthor
		// stays empty, and the run reads the issue from the API anyway.
		ev.Kind, ev.Issue, ev.IssueBody = webhook.EventIssue, oa.IID, oa.Description
		ev.BodyChanged = p.Changes.Description != nil
		ev.Action = action(oa.Action)
	case EventPush:
		ev.Kind = webhook.EventPush
		ev.Ref, ev.DefaultBranch = p.Ref, p.Project.DefaultBranch
		ev.Deleted = webhook.ZeroSHA(p.After)
	default:
		return webhook.Event{}, fmt.Errorf("event %s is not handled", event)
	}
	return ev, nil
}

// action is GitLab's verb for what happened to a merge request or an
// issue, in the words of webhook.Event (GitHub's): "open" is "opened".
// A verb with no counterpart ("merge", "approved") is passed on as it is.
func action(verb string) string {
	switch verb {
	case "open":
		return "opened"
	case "reopen":
		return "reopened"
	case "update":
		return "edited"
	case "close":
		return "closed"
	}
	return verb
}

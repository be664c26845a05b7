package webhook

import "strings"

// Event is a forge's webhook delivery in the words remedy routes on; each
// forge driver parses its own payloads into one (github.ParseWebhook,
// gitea.ParseWebhook, gitlab.ParseWebhook).
type Event struct {
	// Kind is EventComment, EventPullRequest, EventPush or EventIssue.
	Kind string
	// Action is what happened, in GitHub's words: "created" for a new
	// comment; "opened", "synchronize", "reopened" (and others, ignored)
	// for a pull request.
	Action string
	// Repo is the repository's full name (owner/name; group/…/project on
	// GitLab) and Sender who caused the event.
	Repo, Sender string

	// Comment events.
	CommentAuthor, CommentBody string
	// Issue is the number of the issue or pull request commented on;
	// OnPullRequest says which it is.
	Issue         int
	OnPullRequest bool

	// Pull request events: Number, and the head branch and the full name
	// of the repository it is in.
	Number            int
	HeadRef, HeadRepo string

	// Push events: the ref pushed, the repository's default branch, and
	// whether the ref was deleted.
	Ref, DefaultBranch string
	Deleted            bool

	// Issue events (Issue is the issue's number): who opened it, its body
	// after the event, and whether the event changed the body. Action is
	// "edited" for an edit on every forge.
	IssueAuthor, IssueBody string
	BodyChanged            bool
}

// ZeroSHA reports whether after, the new head a push event names, is the
// all-zero object name with which a push announces a deleted ref (Gitea's
// and GitLab's "after").
func ZeroSHA(after string) bool { return after != "" && strings.Trim(after, "0") == "" }

// Event kinds.
const (
	EventComment     = "comment"
	EventPullRequest = "pull_request"
	EventPush        = "push"
	// EventIssue is a change of an issue (not a pull request): remedy
	// reads the edits of its dashboard issue.
	EventIssue = "issue"
)

package server

import (
	"strings"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/serve/jobs"
	"github.com/remedy-bot/remedy/serve/tasks"
)

// routeIssue routes an edit of remedy's dashboard issue: a person ticked
// a box (or changed the body), so the repository's run starts at once,
// through the queue, as a converge job that coalesces with any other
// waiting for the repository. The job checks that the person may write
// to the repository before it runs. Every other issue event is ignored:
// issues that are not the dashboard, edits that leave the body alone, and
// remedy's own edits.
func (s *Server) routeIssue(ev webhook.Event, source string) (jobs.Request, string) {
	if ev.Action != "edited" || !ev.BodyChanged {
		return jobs.Request{}, "issue " + ev.Action
	}
	if !strings.Contains(ev.IssueBody, gitops.DashboardMarker) {
		return jobs.Request{}, "not the dashboard issue"
	}
	if s.isBot(source, ev.Sender) {
		return jobs.Request{}, "edited by remedy"
	}
	// Only remedy's own dashboard counts (GitLab's delivery does not name
	// the author; the run reads the issue from the API anyway).
	if ev.IssueAuthor != "" && !s.isBot(source, ev.IssueAuthor) {
		return jobs.Request{}, "a dashboard marker in someone else's issue"
	}
	if ev.Repo == "" {
		return jobs.Request{}, "no repository"
	}
	// No Issue to answer on: a refusal is logged, not commented (the
	// dashboard stays remedy's text).
	req := tasks.Request{Source: source, Verb: tasks.VerbDashboard, Requester: ev.Sender}
	return jobs.Request{Repo: ev.Repo, Kind: tasks.KindConverge, Payload: req.Payload()}, ""
}

package gitea

import (
	"context"
	"net/http"
	"net/url"
	"slices"

	"github.com/remedy-bot/remedy/gitops"
)

var _ gitops.Issues = (*Forge)(nil)

type issueJSON struct {
	Number      int64           `json:"number"`
	State       string          `json:"state"`
	Title       string          `json:"title"`
	Body        string          `json:"body"`
	HTMLURL     string          `json:"html_url"`
	User        user            `json:"user"`
	PullRequest *map[string]any `json:"pull_request"`
}

func (i issueJSON) issue() gitops.Issue {
	return gitops.Issue{Number: int(i.Number), State: i.State, Title: i.Title, Body: i.Body, URL: i.HTMLURL, Author: i.User.Login}
}

// FindIssues implements gitops.Issues: the repository's issues (type
// issues: no pull requests) that the token's user opened (created_by),
// open and closed, whose body holds marker, oldest first.
func (f *Forge) FindIssues(ctx context.Context, marker string) ([]gitops.Issue, error) {
	login, err := f.c.self.Get(ctx, f.c.BotLogin)
	if err != nil {
		return nil, err
	}
	var out []gitops.Issue
	q := url.Values{"state": {"all"}, "type": {"issues"}, "created_by": {login}}
	err = list(ctx, f.c, f.path()+"/issues", q, func(i issueJSON) {
		// Guard against a server that ignores a filter (created_by came
		// with Gitea 1.20).
		if found := i.issue(); i.PullRequest == nil && found.OpenedBy(login, marker) {
			out = append(out, found)
		}
	})
	slices.SortFunc(out, func(a, b gitops.Issue) int { return a.Number - b.Number })
	return out, err
}

// CreateIssue implements gitops.Issues.
func (f *Forge) CreateIssue(ctx context.Context, title, body string) (gitops.Issue, error) {
	var created issueJSON
	if _, err := f.c.do(ctx, http.MethodPost, f.path()+"/issues", nil, map[string]string{"title": title, "body": body}, &created); err != nil {
		return gitops.Issue{}, err
	}
	return created.issue(), nil
}

// EditIssue implements gitops.Issues.
func (f *Forge) EditIssue(ctx context.Context, number int, title, body string) error {
	_, err := f.c.do(ctx, http.MethodPatch, f.issuePath(number), nil, map[string]string{"title": title, "body": body}, nil)
	return err
}

// CloseIssue implements gitops.Issues.
func (f *Forge) CloseIssue(ctx context.Context, number int) error {
	_, err := f.c.do(ctx, http.MethodPatch, f.issuePath(number), nil, map[string]string{"state": "closed"}, nil)
	return err
}

// ReopenIssue implements gitops.Issues.
func (f *Forge) ReopenIssue(ctx context.Context, number int) error {
	_, err := f.c.do(ctx, http.MethodPatch, f.issuePath(number), nil, map[string]string{"state": "open"}, nil)
	return err
}

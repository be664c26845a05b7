package gitlab

import (
	"context"
	"slices"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/forgehttp"
)

var _ gitops.Issues = (*Forge)(nil)

func issue(i *gl.Issue) gitops.Issue {
	out := gitops.Issue{Number: int(i.IID), State: "closed", Title: i.Title, Body: i.Description, URL: i.WebURL}
	if i.State == "opened" {
		out.State = "open"
	}
	if i.Author != nil {
		out.Author = i.Author.Username
	}
	return out
}

// FindIssues implements gitops.Issues: the project's issues that the
// token's user opened, of any state (GitLab lists them without a state
// filter), whose description holds marker, oldest first.
func (f *Forge) FindIssues(ctx context.Context, marker string) ([]gitops.Issue, error) {
	login, err := f.c.self.Get(ctx, f.c.BotLogin)
	if err != nil {
		return nil, err
	}
	opt := &gl.ListProjectIssuesOptions{
		ListOptions:    gl.ListOptions{PerPage: 100},
		AuthorUsername: gl.Ptr(login), OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("asc"),
	}
	out, err := forgehttp.Pages(0, func(page int64) ([]gitops.Issue, int64, error) {
		opt.Page = page
		is, resp, err := f.c.gl.Issues.ListProjectIssues(f.pid, opt, f.ctx(ctx))
		if err != nil {
			return nil, 0, err
		}
		var out []gitops.Issue
		for _, i := range is {
			if found := issue(i); found.OpenedBy(login, marker) {
				out = append(out, found)
			}
		}
		return out, resp.NextPage, nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b gitops.Issue) int { return a.Number - b.Number })
	return out, nil
}

// CreateIssue implements gitops.Issues.
func (f *Forge) CreateIssue(ctx context.Context, title, body string) (gitops.Issue, error) {
	i, _, err := f.c.gl.Issues.CreateIssue(f.pid, &gl.CreateIssueOptions{Title: gl.Ptr(title), Description: gl.Ptr(body)}, f.ctx(ctx))
	if err != nil {
		return gitops.Issue{}, err
	}
	return issue(i), nil
}

// EditIssue implements gitops.Issues.
func (f *Forge) EditIssue(ctx context.Context, number int, title, body string) error {
	_, _, err := f.c.gl.Issues.UpdateIssue(f.pid, int64(number), &gl.UpdateIssueOptions{Title: gl.Ptr(title), Description: gl.Ptr(body)}, f.ctx(ctx))
	return err
}

// CloseIssue implements gitops.Issues.
func (f *Forge) CloseIssue(ctx context.Context, number int) error {
	_, _, err := f.c.gl.Issues.UpdateIssue(f.pid, int64(number), &gl.UpdateIssueOptions{StateEvent: gl.Ptr("close")}, f.ctx(ctx))
	return err
}

// ReopenIssue implements gitops.Issues.
func (f *Forge) ReopenIssue(ctx context.Context, number int) error {
	_, _, err := f.c.gl.Issues.UpdateIssue(f.pid, int64(number), &gl.UpdateIssueOptions{StateEvent: gl.Ptr("reopen")}, f.ctx(ctx))
	return err
}

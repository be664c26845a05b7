package github

import (
	"context"
	"net/http"

	gogithub "github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/forgehttp"
)

var _ gitops.Issues = (*Forge)(nil)

// self is the login the forge acts as, asked once per client ("" for a
// GitHub App installation, whose bot account is recognized by its type
// instead).
func (f *Forge) self(ctx context.Context) (string, error) {
	return f.selfLogin.Get(ctx, f.askSelf)
}

// askSelf asks GitHub who the token is. An App installation has no user
// to ask about ("Resource not accessible by integration"): its issues are
// opened by the App's bot account ("<slug>[bot]").
func (f *Forge) askSelf(ctx context.Context) (string, error) {
	u, resp, err := f.Client.Users.Get(ctx, "")
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusForbidden {
			return "", nil
		}
		return "", err
	}
	return u.GetLogin(), nil
}

func issue(i *gogithub.Issue) gitops.Issue {
	return gitops.Issue{
		Number: i.GetNumber(), State: i.GetState(), Title: i.GetTitle(), Body: i.GetBody(),
		URL: i.GetHTMLURL(), Author: i.GetUser().GetLogin(),
	}
}

// FindIssues implements gitops.Issues. GitHub lists pull requests among
// issues: they are skipped. The list is filtered by creator when the
// token's user is known; a GitHub App installation's issues are those of a
// bot account (type Bot).
func (f *Forge) FindIssues(ctx context.Context, marker string) ([]gitops.Issue, error) {
	login, err := f.self(ctx)
	if err != nil {
		return nil, err
	}
	opt := &gogithub.IssueListByRepoOptions{
		State: "all", Creator: login, Sort: "created", Direction: "asc",
		ListOptions: gogithub.ListOptions{PerPage: 100},
	}
	return forgehttp.Pages(0, func(page int) ([]gitops.Issue, int, error) {
		opt.ListOptions.Page = page
		is, resp, err := f.Client.Issues.ListByRepo(ctx, f.Owner, f.Name, opt)
		if err != nil {
			return nil, 0, err
		}
		var out []gitops.Issue
		for _, i := range is {
			opener := login
			if opener == "" && i.GetUser().GetType() == "Bot" {
				// An App installation acts as its bot account, whose
				// login remedy does not ask for: a bot's issue is its.
				opener = i.GetUser().GetLogin()
			}
			if found := issue(i); !i.IsPullRequest() && found.OpenedBy(opener, marker) {
				out = append(out, found)
			}
		}
		return out, resp.NextPage, nil
	})
}

// CreateIssue implements gitops.Issues.
func (f *Forge) CreateIssue(ctx context.Context, title, body string) (gitops.Issue, error) {
	i, _, err := f.Client.Issues.Create(ctx, f.Owner, f.Name, &gogithub.IssueRequest{Title: gogithub.Ptr(title), Body: gogithub.Ptr(body)})
	if err != nil {
		return gitops.Issue{}, err
	}
	return issue(i), nil
}

// EditIssue implements gitops.Issues.
func (f *Forge) EditIssue(ctx context.Context, number int, title, body string) error {
	_, _, err := f.Client.Issues.Edit(ctx, f.Owner, f.Name, number, &gogithub.IssueRequest{Title: gogithub.Ptr(title), Body: gogithub.Ptr(body)})
	return err
}

// CloseIssue implements gitops.Issues: closed as not planned, since
// nothing was done.
func (f *Forge) CloseIssue(ctx context.Context, number int) error {
	_, _, err := f.Client.Issues.Edit(ctx, f.Owner, f.Name, number, &gogithub.IssueRequest{State: gogithub.Ptr("closed"), StateReason: gogithub.Ptr("not_planned")})
	return err
}

// ReopenIssue implements gitops.Issues.
func (f *Forge) ReopenIssue(ctx context.Context, number int) error {
	_, _, err := f.Client.Issues.Edit(ctx, f.Owner, f.Name, number, &gogithub.IssueRequest{State: gogithub.Ptr("open")})
	return err
}

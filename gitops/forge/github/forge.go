package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gogithub "github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/forgehttp"
)

// Forge is the gitops.Forge of one GitHub repository; it also reviews pull
// requests, sets commit statuses and answers permission questions.
type Forge struct {
	Client      *gogithub.Client
	Owner, Name string
	// selfLogin is the client's, shared by its forges; nil asks anew.
	selfLogin *forgehttp.Login
}

var _ gitops.Forge = (*Forge)(nil)

// Traits implements gitops.Forge: GitHub refuses a body over 65536
// characters and closes a pull request whose head branch is deleted.
func (f *Forge) Traits() gitops.Traits {
	return gitops.Traits{MaxBodyRunes: 60000, DeletedBranchClosesPR: true, BlobPath: "/blob/", PullRequestPrefix: "#"}
}

func repoInfo(r *gogithub.Repository) gitops.RepoInfo {
	return gitops.RepoInfo{
		Owner: r.GetOwner().GetLogin(), Name: r.GetName(), FullName: r.GetFullName(),
		DefaultBranch: r.GetDefaultBranch(), CloneURL: r.GetCloneURL(), HTMLURL: r.GetHTMLURL(),
		Archived: r.GetArchived(), Fork: r.GetFork(),
	}
}

// Repository implements gitops.Host: it reads owner/name.
func (c *Client) Repository(ctx context.Context, owner, name string) (gitops.RepoInfo, error) {
	return getRepository(ctx, c.gh, owner, name)
}

// Forge implements gitops.Host.
func (c *Client) Forge(owner, name string) gitops.Forge { return c.Repo(owner, name) }

// Repo is the Forge of owner/name.
func (c *Client) Repo(owner, name string) *Forge {
	return &Forge{Client: c.gh, Owner: owner, Name: name, selfLogin: c.self}
}

// ListRepositories lists the repositories of an organization or, when
// owner is not one, of a user.
func (c *Client) ListRepositories(ctx context.Context, owner string) ([]gitops.RepoInfo, error) {
	return listRepositories(ctx, c.gh, owner)
}

func getRepository(ctx context.Context, gh *gogithub.Client, owner, name string) (gitops.RepoInfo, error) {
	r, _, err := gh.Repositories.Get(ctx, owner, name)
	if err != nil {
		return gitops.RepoInfo{}, fmt.Errorf("get repository %s/%s: %w", owner, name, err)
	}
	return repoInfo(r), nil
}

func listRepositories(ctx context.Context, gh *gogithub.Client, owner string) ([]gitops.RepoInfo, error) {
	opt := &gogithub.RepositoryListByOrgOptions{ListOptions: gogithub.ListOptions{PerPage: 100}}
	notOrg := false
	out, err := forgehttp.Pages(0, func(page int) ([]gitops.RepoInfo, int, error) {
		opt.Page = page
		rs, resp, err := gh.Repositories.ListByOrg(ctx, owner, opt)
		if isStatus(err, http.StatusNotFound) && page == 0 {
			notOrg = true
			return nil, 0, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("list repositories of %s: %w", owner, err)
		}
		var out []gitops.RepoInfo
		for _, r := range rs {
			out = append(out, repoInfo(r))
		}
		return out, resp.NextPage, nil
	})
	if notOrg {
		return listUserRepositories(ctx, gh, owner)
	}
	return out, err
}

func listUserRepositories(ctx context.Context, gh *gogithub.Client, user string) ([]gitops.RepoInfo, error) {
	opt := &gogithub.RepositoryListByUserOptions{Type: "owner", ListOptions: gogithub.ListOptions{PerPage: 100}}
	return forgehttp.Pages(0, func(page int) ([]gitops.RepoInfo, int, error) {
		opt.Page = page
		rs, resp, err := gh.Repositories.ListByUser(ctx, user, opt)
		if err != nil {
			return nil, 0, fmt.Errorf("list repositories of %s: %w", user, err)
		}
		var out []gitops.RepoInfo
		for _, r := range rs {
			out = append(out, repoInfo(r))
		}
		return out, resp.NextPage, nil
	})
}

// ListPullRequests implements Forge. The head filter needs the "owner:"
// prefix: GitHub silently ignores a bare branch name.
func (f *Forge) ListPullRequests(ctx context.Context, branch string) ([]gitops.PullRequest, error) {
	opt := &gogithub.PullRequestListOptions{State: "all", Head: f.Owner + ":" + branch, ListOptions: gogithub.ListOptions{PerPage: 100}}
	return forgehttp.Pages(0, func(page int) ([]gitops.PullRequest, int, error) {
		opt.Page = page
		prs, resp, err := f.Client.PullRequests.List(ctx, f.Owner, f.Name, opt)
		if err != nil {
			return nil, 0, err
		}
		var out []gitops.PullRequest
		for _, pr := range prs {
			// Guard against a forge that ignores the filter.
			if pr.GetHead().GetRef() == branch && strings.EqualFold(pr.GetHead().GetRepo().GetFullName(), f.Owner+"/"+f.Name) {
				out = append(out, pullRequest(pr))
			}
		}
		return out, resp.NextPage, nil
	})
}

func pullRequest(pr *gogithub.PullRequest) gitops.PullRequest {
	out := gitops.PullRequest{
		Number: pr.GetNumber(), State: pr.GetState(), Merged: pr.MergedAt != nil || pr.GetMerged(),
		Title: pr.GetTitle(), Body: pr.GetBody(),
		Head: pr.GetHead().GetRef(), Base: pr.GetBase().GetRef(), HeadSHA: pr.GetHead().GetSHA(),
		URL: pr.GetHTMLURL(), Created: pr.GetCreatedAt().Time,
		HeadCloneURL: pr.GetHead().GetRepo().GetCloneURL(),
		// GitHub's pull request answers, listed or not, carry all three.
		LabelsKnown: true, ReviewersKnown: true, AssigneesKnown: true,
	}
	for _, l := range pr.Labels {
		out.Labels = append(out.Labels, l.GetName())
	}
	for _, u := range pr.RequestedReviewers {
		out.Reviewers = append(out.Reviewers, u.GetLogin())
	}
	for _, t := range pr.RequestedTeams {
		out.Reviewers = append(out.Reviewers, t.GetSlug())
	}
	for _, u := range pr.Assignees {
		out.Assignees = append(out.Assignees, u.GetLogin())
	}
	return out
}

// CreatePullRequest implements Forge.
func (f *Forge) CreatePullRequest(ctx context.Context, p gitops.NewPullRequest) (gitops.PullRequest, error) {
	pr, _, err := f.Client.PullRequests.Create(ctx, f.Owner, f.Name, &gogithub.NewPullRequest{
		Title: gogithub.Ptr(p.Title), Body: gogithub.Ptr(p.Body), Head: gogithub.Ptr(p.Head), Base: gogithub.Ptr(p.Base),
	})
	if err != nil {
		if alreadyExists(err) {
			return gitops.PullRequest{}, gitops.ErrPullRequestExists
		}
		return gitops.PullRequest{}, err
	}
	return pullRequest(pr), nil
}

// alreadyExists recognizes GitHub's 422 for a second open pull request from
// the same head: "A pull request already exists for owner:branch."
func alreadyExists(err error) bool {
	var er *gogithub.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil || er.Response.StatusCode != http.StatusUnprocessableEntity {
		return false
	}
	for _, e := range er.Errors {
		if strings.Contains(strings.ToLower(e.Message), "already exists") {
			return true
		}
	}
	return strings.Contains(strings.ToLower(er.Message), "already exists")
}

// EditPullRequest implements Forge.
func (f *Forge) EditPullRequest(ctx context.Context, number int, title, body string) error {
	_, _, err := f.Client.PullRequests.Edit(ctx, f.Owner, f.Name, number, &gogithub.PullRequest{Title: gogithub.Ptr(title), Body: gogithub.Ptr(body)})
	return err
}

// ClosePullRequest implements Forge.
func (f *Forge) ClosePullRequest(ctx context.Context, number int, body string) error {
	_, _, err := f.Client.PullRequests.Edit(ctx, f.Owner, f.Name, number, &gogithub.PullRequest{State: gogithub.Ptr("closed"), Body: gogithub.Ptr(body)})
	return err
}

// Comment implements Forge.
func (f *Forge) Comment(ctx context.Context, number int, body string) error {
	_, _, err := f.Client.Issues.CreateComment(ctx, f.Owner, f.Name, number, &gogithub.IssueComment{Body: gogithub.Ptr(body)})
	return err
}

// Comments implements Forge.
func (f *Forge) Comments(ctx context.Context, number int) ([]string, error) {
	opt := &gogithub.IssueListCommentsOptions{ListOptions: gogithub.ListOptions{PerPage: 100}}
	return forgehttp.Pages(0, func(page int) ([]string, int, error) {
		opt.Page = page
		cs, resp, err := f.Client.Issues.ListComments(ctx, f.Owner, f.Name, number, opt)
		if err != nil {
			return nil, 0, err
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.GetBody())
		}
		return out, resp.NextPage, nil
	})
}

// AddLabels implements Forge.
func (f *Forge) AddLabels(ctx context.Context, number int, labels []string) error {
	_, _, err := f.Client.Issues.AddLabelsToIssue(ctx, f.Owner, f.Name, number, labels)
	return err
}

// RequestReviewers implements Forge.
func (f *Forge) RequestReviewers(ctx context.Context, number int, logins []string) error {
	var users, teams []string
	for _, l := range logins {
		// "org/team" names a team, as in CODEOWNERS.
		if _, team, ok := strings.Cut(l, "/"); ok {
			teams = append(teams, team)
		} else {
			users = append(users, strings.TrimPrefix(l, "@"))
		}
	}
	_, _, err := f.Client.PullRequests.RequestReviewers(ctx, f.Owner, f.Name, number, gogithub.ReviewersRequest{Reviewers: users, TeamReviewers: teams})
	return err
}

// AddAssignees implements Forge.
func (f *Forge) AddAssignees(ctx context.Context, number int, logins []string) error {
	_, _, err := f.Client.Issues.AddAssignees(ctx, f.Owner, f.Name, number, logins)
	return err
}

// DeleteBranch implements Forge. A branch already gone is not an error.
func (f *Forge) DeleteBranch(ctx context.Context, branch string) error {
	_, err := f.Client.Git.DeleteRef(ctx, f.Owner, f.Name, "heads/"+branch)
	if isStatus(err, http.StatusUnprocessableEntity) || isStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}

func isStatus(err error, status int) bool {
	var er *gogithub.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == status
}

// BranchHead reads the head commit of branch in the SHA media type, which
// the ETag transport revalidates: an unchanged head costs a 304, which
// GitHub does not count against the rate limit.
func (c *Client) BranchHead(ctx context.Context, owner, name, branch string) (string, error) {
	sha, _, err := c.gh.Repositories.GetCommitSHA1(ctx, owner, name, "refs/heads/"+branch, "")
	if err != nil {
		return "", fmt.Errorf("head of %s/%s %s: %w", owner, name, branch, err)
	}
	return strings.TrimSpace(sha), nil
}

package gitops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v89/github"
)

// GitHubForge is the Forge of one GitHub repository.
type GitHubForge struct {
	Client      *github.Client
	Owner, Name string
}

var _ Forge = (*GitHubForge)(nil)

// RepoInfo is what remedy needs to know of a repository.
type RepoInfo struct {
	Owner, Name, FullName string
	DefaultBranch         string
	CloneURL, HTMLURL     string
	Archived, Fork        bool
}

func repoInfo(r *github.Repository) RepoInfo {
	return RepoInfo{
		Owner: r.GetOwner().GetLogin(), Name: r.GetName(), FullName: r.GetFullName(),
		DefaultBranch: r.GetDefaultBranch(), CloneURL: r.GetCloneURL(), HTMLURL: r.GetHTMLURL(),
		Archived: r.GetArchived(), Fork: r.GetFork(),
	}
}

// GetRepository reads owner/name.
func GetRepository(ctx context.Context, gh *github.Client, owner, name string) (RepoInfo, error) {
	r, _, err := gh.Repositories.Get(ctx, owner, name)
	if err != nil {
		return RepoInfo{}, fmt.Errorf("get repository %s/%s: %w", owner, name, err)
	}
	return repoInfo(r), nil
}

// ListRepositories lists the repositories of an organization or, when
// owner is not one, of a user.
func ListRepositories(ctx context.Context, gh *github.Client, owner string) ([]RepoInfo, error) {
	var out []RepoInfo
	opt := &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		rs, resp, err := gh.Repositories.ListByOrg(ctx, owner, opt)
		if isStatus(err, http.StatusNotFound) && opt.Page == 0 {
			return listUserRepositories(ctx, gh, owner)
		}
		if err != nil {
			return nil, fmt.Errorf("list repositories of %s: %w", owner, err)
		}
		for _, r := range rs {
			out = append(out, repoInfo(r))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

func listUserRepositories(ctx context.Context, gh *github.Client, user string) ([]RepoInfo, error) {
	var out []RepoInfo
	opt := &github.RepositoryListByUserOptions{Type: "owner", ListOptions: github.ListOptions{PerPage: 100}}
	for {
		rs, resp, err := gh.Repositories.ListByUser(ctx, user, opt)
		if err != nil {
			return nil, fmt.Errorf("list repositories of %s: %w", user, err)
		}
		for _, r := range rs {
			out = append(out, repoInfo(r))
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// ListPullRequests implements Forge. The head filter needs the "owner:"
// prefix: GitHub silently ignores a bare branch name.
func (f *GitHubForge) ListPullRequests(ctx context.Context, branch string) ([]PullRequest, error) {
	opt := &github.PullRequestListOptions{State: "all", Head: f.Owner + ":" + branch, ListOptions: github.ListOptions{PerPage: 100}}
	var out []PullRequest
	for {
		prs, resp, err := f.Client.PullRequests.List(ctx, f.Owner, f.Name, opt)
		if err != nil {
			return nil, err
		}
		for _, pr := range prs {
			// Guard against a forge that ignores the filter.
			if pr.GetHead().GetRef() == branch && strings.EqualFold(pr.GetHead().GetRepo().GetFullName(), f.Owner+"/"+f.Name) {
				out = append(out, pullRequest(pr))
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

func pullRequest(pr *github.PullRequest) PullRequest {
	return PullRequest{
		Number: pr.GetNumber(), State: pr.GetState(), Merged: pr.MergedAt != nil || pr.GetMerged(),
		Title: pr.GetTitle(), Body: pr.GetBody(),
		Head: pr.GetHead().GetRef(), Base: pr.GetBase().GetRef(), HeadSHA: pr.GetHead().GetSHA(),
		URL: pr.GetHTMLURL(), Created: pr.GetCreatedAt().Time,
	}
}

// CreatePullRequest implements Forge.
func (f *GitHubForge) CreatePullRequest(ctx context.Context, p NewPullRequest) (PullRequest, error) {
	pr, _, err := f.Client.PullRequests.Create(ctx, f.Owner, f.Name, &github.NewPullRequest{
		Title: github.Ptr(p.Title), Body: github.Ptr(p.Body), Head: github.Ptr(p.Head), Base: github.Ptr(p.Base),
	})
	if err != nil {
		if alreadyExists(err) {
			return PullRequest{}, ErrPullRequestExists
		}
		return PullRequest{}, err
	}
	return pullRequest(pr), nil
}

// alreadyExists recognizes GitHub's 422 for a second open pull request from
// the same head: "A pull request already exists for owner:branch."
func alreadyExists(err error) bool {
	var er *github.ErrorResponse
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
func (f *GitHubForge) EditPullRequest(ctx context.Context, number int, title, body string) error {
	_, _, err := f.Client.PullRequests.Edit(ctx, f.Owner, f.Name, number, &github.PullRequest{Title: github.Ptr(title), Body: github.Ptr(body)})
	return err
}

// ClosePullRequest implements Forge.
func (f *GitHubForge) ClosePullRequest(ctx context.Context, number int, body string) error {
	_, _, err := f.Client.PullRequests.Edit(ctx, f.Owner, f.Name, number, &github.PullRequest{State: github.Ptr("closed"), Body: github.Ptr(body)})
	return err
}

// Comment implements Forge.
func (f *GitHubForge) Comment(ctx context.Context, number int, body string) error {
	_, _, err := f.Client.Issues.CreateComment(ctx, f.Owner, f.Name, number, &github.IssueComment{Body: github.Ptr(body)})
	return err
}

// Comments implements Forge.
func (f *GitHubForge) Comments(ctx context.Context, number int) ([]string, error) {
	opt := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	var out []string
	for {
		cs, resp, err := f.Client.Issues.ListComments(ctx, f.Owner, f.Name, number, opt)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			out = append(out, c.GetBody())
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opt.Page = resp.NextPage
	}
}

// AddLabels implements Forge.
func (f *GitHubForge) AddLabels(ctx context.Context, number int, labels []string) error {
	_, _, err := f.Client.Issues.AddLabelsToIssue(ctx, f.Owner, f.Name, number, labels)
	return err
}

// RequestReviewers implements Forge.
func (f *GitHubForge) RequestReviewers(ctx context.Context, number int, logins []string) error {
	var users, teams []string
	for _, l := range logins {
		// "org/team" names a team, as in CODEOWNERS.
		if _, team, ok := strings.Cut(l, "/"); ok {
			teams = append(teams, team)
		} else {
			users = append(users, strings.TrimPrefix(l, "@"))
		}
	}
	_, _, err := f.Client.PullRequests.RequestReviewers(ctx, f.Owner, f.Name, number, github.ReviewersRequest{Reviewers: users, TeamReviewers: teams})
	return err
}

// AddAssignees implements Forge.
func (f *GitHubForge) AddAssignees(ctx context.Context, number int, logins []string) error {
	_, _, err := f.Client.Issues.AddAssignees(ctx, f.Owner, f.Name, number, logins)
	return err
}

// DeleteBranch implements Forge. A branch already gone is not an error.
func (f *GitHubForge) DeleteBranch(ctx context.Context, branch string) error {
	_, err := f.Client.Git.DeleteRef(ctx, f.Owner, f.Name, "heads/"+branch)
	if isStatus(err, http.StatusUnprocessableEntity) || isStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}

func isStatus(err error, status int) bool {
	var er *github.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == status
}

package gitea

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/internal/quote"
)

// Forge is the gitops.Forge of one Gitea repository; it also reviews pull
// requests, sets commit statuses and answers permission questions.
type Forge struct {
	c           *Client
	owner, name string
}

var _ gitops.Forge = (*Forge)(nil)

func (f *Forge) path() string { return repoPath(f.owner, f.name) }

// Traits implements gitops.Forge. Gitea keeps bodies in a LONGTEXT column,
// but its pages render a body of GitHub's size already slowly: the same
// limit keeps the same bodies on every forge. Deleting a pull request's
// head branch closes it (AdjustPullsCausedByBranchDeleted).
func (f *Forge) Traits() gitops.Traits {
	return gitops.Traits{MaxBodyRunes: 60000, DeletedBranchClosesPR: true, BlobPath: "/src/branch/", PullRequestPrefix: "#"}
}

type label struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type team struct {
	Name string `json:"name"`
}

type branchInfo struct {
	Ref  string     `json:"ref"`
	SHA  string     `json:"sha"`
	Repo repository `json:"repo"`
}

type pull struct {
	Number             int64      `json:"number"`
	State              string     `json:"state"`
	Merged             bool       `json:"merged"`
	Title              string     `json:"title"`
	Body               string     `json:"body"`
	HTMLURL            string     `json:"html_url"`
	Created            time.Time  `json:"created_at"`
	Head               branchInfo `json:"head"`
	Base               branchInfo `json:"base"`
	Labels             []label    `json:"labels"`
	Assignees          []user     `json:"assignees"`
	RequestedReviewers []user     `json:"requested_reviewers"`
	RequestedTeams     []team     `json:"requested_reviewers_teams"`
}

func (p pull) pullRequest() gitops.PullRequest {
	out := gitops.PullRequest{
		Number: int(p.Number), State: p.State, Merged: p.Merged, Title: p.Title, Body: p.Body,
		Head: p.Head.Ref, Base: p.Base.Ref, HeadSHA: p.Head.SHA, URL: p.HTMLURL, Created: p.Created,
		HeadCloneURL: p.Head.Repo.CloneURL,
		LabelsKnown:  true, ReviewersKnown: true, AssigneesKnown: true,
	}
	for _, l := range p.Labels {
		out.Labels = append(out.Labels, l.Name)
	}
	for _, u := range p.RequestedReviewers {
		out.Reviewers = append(out.Reviewers, u.Login)
	}
	for _, t := range p.RequestedTeams {
		out.Reviewers = append(out.Reviewers, t.Name)
	}
	for _, u := range p.Assignees {
		out.Assignees = append(out.Assignees, u.Login)
	}
	return out
}

// ListPullRequests implements gitops.Forge. Gitea's list has no head
// filter: every pull request of the repository is read (50 a page) and
// those of branch in the repository itself kept.
func (f *Forge) ListPullRequests(ctx context.Context, branch string) ([]gitops.PullRequest, error) {
	var out []gitops.PullRequest
	err := f.c.afterIndexing(ctx, func() error {
		out = nil
		return list(ctx, f.c, f.path()+"/pulls", url.Values{"state": {"all"}, "sort": {"newest"}}, func(p pull) {
			if p.Head.Ref == branch && strings.EqualFold(p.Head.Repo.FullName, f.owner+"/"+f.name) {
				out = append(out, p.pullRequest())
			}
		})
	})
	return out, err
}

// CreatePullRequest implements gitops.Forge. Gitea answers 409 for a
// second open pull request of the same head and base.
func (f *Forge) CreatePullRequest(ctx context.Context, p gitops.NewPullRequest) (gitops.PullRequest, error) {
	var created pull
	err := f.c.afterIndexing(ctx, func() error {
		_, err := f.c.do(ctx, http.MethodPost, f.path()+"/pulls", nil, map[string]string{
			"title": p.Title, "body": p.Body, "head": p.Head, "base": p.Base,
		}, &created)
		return err
	})
	if isStatus(err, http.StatusConflict) {
		return gitops.PullRequest{}, gitops.ErrPullRequestExists
	}
	if err != nil {
		return gitops.PullRequest{}, err
	}
	return created.pullRequest(), nil
}

func (f *Forge) pullPath(number int) string { return fmt.Sprintf("%s/pulls/%d", f.path(), number) }

func (f *Forge) issuePath(number int) string { return fmt.Sprintf("%s/issues/%d", f.path(), number) }

// EditPullRequest implements gitops.Forge.
func (f *Forge) EditPullRequest(ctx context.Context, number int, title, body string) error {
	_, err := f.c.do(ctx, http.MethodPatch, f.pullPath(number), nil, map[string]string{"title": title, "body": body}, nil)
	return err
}

// ClosePullRequest implements gitops.Forge.
func (f *Forge) ClosePullRequest(ctx context.Context, number int, body string) error {
	_, err := f.c.do(ctx, http.MethodPatch, f.pullPath(number), nil, map[string]string{"state": "closed", "body": body}, nil)
	return err
}

type comment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
	User user   `json:"user"`
}

// Comment implements gitops.Forge.
func (f *Forge) Comment(ctx context.Context, number int, body string) error {
	_, err := f.c.do(ctx, http.MethodPost, f.issuePath(number)+"/comments", nil, map[string]string{"body": body}, nil)
	return err
}

// Comments implements gitops.Forge.
func (f *Forge) Comments(ctx context.Context, number int) ([]string, error) {
	var out []string
	err := list(ctx, f.c, f.issuePath(number)+"/comments", nil, func(c comment) { out = append(out, c.Body) })
	return out, err
}

// labelColor is the color of the labels remedy creates (Gitea, unlike
// GitHub, does not create a label that an issue is given by name).
const labelColor = "#e11d21"

// AddLabels implements gitops.Forge: labels the repository lacks are
// created first.
func (f *Forge) AddLabels(ctx context.Context, number int, labels []string) error {
	ids := map[string]int64{}
	err := list(ctx, f.c, f.path()+"/labels", nil, func(l label) { ids[strings.ToLower(l.Name)] = l.ID })
	if err != nil {
		return fmt.Errorf("labels of %s/%s: %w", f.owner, f.name, err)
	}
	var want []int64
	for _, name := range labels {
		id, ok := ids[strings.ToLower(name)]
		if !ok {
			var l label
			if _, err := f.c.do(ctx, http.MethodPost, f.path()+"/labels", nil, map[string]string{"name": name, "color": labelColor}, &l); err != nil {
				return fmt.Errorf("create label %q: %w", name, err)
			}
			id = l.ID
		}
		want = append(want, id)
	}
	_, err = f.c.do(ctx, http.MethodPost, f.issuePath(number)+"/labels", nil, map[string][]int64{"labels": want}, nil)
	return err
}

// RequestReviewers implements gitops.Forge; "org/team" names a team.
func (f *Forge) RequestReviewers(ctx context.Context, number int, logins []string) error {
	users, teams := []string{}, []string{}
	for _, l := range logins {
		if _, t, ok := strings.Cut(l, "/"); ok {
			teams = append(teams, t)
		} else {
			users = append(users, strings.TrimPrefix(l, "@"))
		}
	}
	_, err := f.c.do(ctx, http.MethodPost, f.pullPath(number)+"/requested_reviewers", nil, map[string][]string{"reviewers": users, "team_reviewers": teams}, nil)
	return err
}

// AddAssignees implements gitops.Forge. Gitea's edit sets the whole list,
// so the current assignees are kept.
func (f *Forge) AddAssignees(ctx context.Context, number int, logins []string) error {
	var issue struct {
		Assignees []user `json:"assignees"`
	}
	if _, err := f.c.do(ctx, http.MethodGet, f.issuePath(number), nil, nil, &issue); err != nil {
		return err
	}
	all := []string{}
	seen := map[string]bool{}
	for _, u := range issue.Assignees {
		all, seen[strings.ToLower(u.Login)] = append(all, u.Login), true
	}
	for _, l := range logins {
		l = strings.TrimPrefix(l, "@")
		if !seen[strings.ToLower(l)] {
			all, seen[strings.ToLower(l)] = append(all, l), true
		}
	}
	_, err := f.c.do(ctx, http.MethodPatch, f.issuePath(number), nil, map[string][]string{"assignees": all}, nil)
	return err
}

// DeleteBranch implements gitops.Forge. A branch already gone is not an
// error.
func (f *Forge) DeleteBranch(ctx context.Context, branch string) error {
	_, err := f.c.do(ctx, http.MethodDelete, f.path()+"/branches/"+quote.URLPath(branch), nil, nil, nil)
	if isStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}

// BranchHead reads the head commit of branch.
func (c *Client) BranchHead(ctx context.Context, owner, name, branch string) (string, error) {
	var b struct {
		Commit struct {
			ID string `json:"id"`
		} `json:"commit"`
	}
	if _, err := c.do(ctx, http.MethodGet, repoPath(owner, name)+"/branches/"+quote.URLPath(branch), nil, nil, &b); err != nil {
		return "", fmt.Errorf("head of %s/%s %s: %w", owner, name, branch, err)
	}
	return b.Commit.ID, nil
}

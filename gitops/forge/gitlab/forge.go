package gitlab

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/forgehttp"
)

// Forge is the gitops.Forge of one GitLab project; it also reviews merge
// requests, sets commit statuses and answers permission questions.
type Forge struct {
	c   *Client
	pid string // the project's full path
}

var _ gitops.Forge = (*Forge)(nil)

// Traits implements gitops.Forge. GitLab takes descriptions up to a
// million characters, but the same limit as GitHub's keeps the same pull
// request on every forge. A merge request whose source branch is deleted
// stays open.
func (f *Forge) Traits() gitops.Traits {
	return gitops.Traits{MaxBodyRunes: 60000, DeletedBranchClosesPR: false, BlobPath: "/-/blob/", PullRequestPrefix: "!"}
}

func (f *Forge) ctx(ctx context.Context) gl.RequestOptionFunc { return gl.WithContext(ctx) }

// state maps GitLab's states to the life cycle's: opened (and locked, a
// transient state of an open one) is open; closed and merged are closed.
func state(s string) (string, bool) {
	switch s {
	case "opened", "locked":
		return "open", false
	case "merged":
		return "closed", true
	}
	return "closed", false
}

func usernames(us []*gl.BasicUser) []string {
	var out []string
	for _, u := range us {
		if u != nil {
			out = append(out, u.Username)
		}
	}
	return out
}

func basicPullRequest(mr *gl.BasicMergeRequest) gitops.PullRequest {
	st, merged := state(mr.State)
	pr := gitops.PullRequest{
		Number: int(mr.IID), State: st, Merged: merged || mr.MergedAt != nil,
		Title: mr.Title, Body: mr.Description, Head: mr.SourceBranch, Base: mr.TargetBranch,
		HeadSHA: mr.SHA, URL: mr.WebURL,
		Labels: mr.Labels, Reviewers: usernames(mr.Reviewers), Assignees: usernames(mr.Assignees),
		LabelsKnown: true, ReviewersKnown: true, AssigneesKnown: true,
	}
	if mr.CreatedAt != nil {
		pr.Created = *mr.CreatedAt
	}
	return pr
}

// ListPullRequests implements gitops.Forge: the merge requests, of any
// state, whose source branch is branch of the project itself.
func (f *Forge) ListPullRequests(ctx context.Context, branch string) ([]gitops.PullRequest, error) {
	opt := &gl.ListProjectMergeRequestsOptions{ListOptions: gl.ListOptions{PerPage: 100}, State: gl.Ptr("all"), SourceBranch: gl.Ptr(branch)}
	return forgehttp.Pages(0, func(page int64) ([]gitops.PullRequest, int64, error) {
		opt.Page = page
		mrs, resp, err := f.c.gl.MergeRequests.ListProjectMergeRequests(f.pid, opt, f.ctx(ctx))
		if err != nil {
			return nil, 0, err
		}
		var out []gitops.PullRequest
		for _, mr := range mrs {
			// Guard against a server that ignores the filter; a fork's
			// branch of the same name is not remedy's.
			if mr.SourceBranch == branch && mr.SourceProjectID == mr.ProjectID {
				out = append(out, basicPullRequest(mr))
			}
		}
		return out, resp.NextPage, nil
	})
}

// CreatePullRequest implements gitops.Forge. GitLab answers 409 for a
// second open merge request of the same source branch.
func (f *Forge) CreatePullRequest(ctx context.Context, p gitops.NewPullRequest) (gitops.PullRequest, error) {
	mr, _, err := f.c.gl.MergeRequests.CreateMergeRequest(f.pid, &gl.CreateMergeRequestOptions{
		Title: gl.Ptr(p.Title), Description: gl.Ptr(p.Body), SourceBranch: gl.Ptr(p.Head), TargetBranch: gl.Ptr(p.Base),
		// The branch is remedy's: it goes when the merge request is merged.
		RemoveSourceBranch: gl.Ptr(true),
	}, f.ctx(ctx))
	if isStatus(err, http.StatusConflict) {
		return gitops.PullRequest{}, gitops.ErrPullRequestExists
	}
	if err != nil {
		return gitops.PullRequest{}, err
	}
	return basicPullRequest(&mr.BasicMergeRequest), nil
}

// EditPullRequest implements gitops.Forge.
func (f *Forge) EditPullRequest(ctx context.Context, number int, title, body string) error {
	_, _, err := f.c.gl.MergeRequests.UpdateMergeRequest(f.pid, int64(number), &gl.UpdateMergeRequestOptions{Title: gl.Ptr(title), Description: gl.Ptr(body)}, f.ctx(ctx))
	return err
}

// ClosePullRequest implements gitops.Forge.
func (f *Forge) ClosePullRequest(ctx context.Context, number int, body string) error {
	_, _, err := f.c.gl.MergeRequests.UpdateMergeRequest(f.pid, int64(number), &gl.UpdateMergeRequestOptions{StateEvent: gl.Ptr("close"), Description: gl.Ptr(body)}, f.ctx(ctx))
	return err
}

// Comment implements gitops.Forge: a note on the merge request.
func (f *Forge) Comment(ctx context.Context, number int, body string) error {
	_, _, err := f.c.gl.Notes.CreateMergeRequestNote(f.pid, int64(number), &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, f.ctx(ctx))
	return err
}

// notes lists the merge request's notes, system notes left out.
func (f *Forge) notes(ctx context.Context, number int) ([]*gl.Note, error) {
	opt := &gl.ListMergeRequestNotesOptions{ListOptions: gl.ListOptions{PerPage: 100}, OrderBy: gl.Ptr("created_at"), Sort: gl.Ptr("asc")}
	return forgehttp.Pages(0, func(page int64) ([]*gl.Note, int64, error) {
		opt.Page = page
		ns, resp, err := f.c.gl.Notes.ListMergeRequestNotes(f.pid, int64(number), opt, f.ctx(ctx))
		if err != nil {
			return nil, 0, err
		}
		var out []*gl.Note
		for _, n := range ns {
			if !n.System {
				out = append(out, n)
			}
		}
		return out, resp.NextPage, nil
	})
}

// Comments implements gitops.Forge.
func (f *Forge) Comments(ctx context.Context, number int) ([]string, error) {
	ns, err := f.notes(ctx, number)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ns))
	for _, n := range ns {
		out = append(out, n.Body)
	}
	return out, nil
}

// AddLabels implements gitops.Forge. GitLab creates a label a merge
// request is given by name.
func (f *Forge) AddLabels(ctx context.Context, number int, labels []string) error {
	l := gl.LabelOptions(labels)
	_, _, err := f.c.gl.MergeRequests.UpdateMergeRequest(f.pid, int64(number), &gl.UpdateMergeRequestOptions{AddLabels: &l}, f.ctx(ctx))
	return err
}

// addUsers sets the merge request's reviewers or assignees to the current
// ones and logins (GitLab's update sets the whole list, by user ID).
func (f *Forge) addUsers(ctx context.Context, number int, logins []string, current func(*gl.MergeRequest) []*gl.BasicUser, set func(*gl.UpdateMergeRequestOptions, *[]int64)) error {
	mr, _, err := f.c.gl.MergeRequests.GetMergeRequest(f.pid, int64(number), nil, f.ctx(ctx))
	if err != nil {
		return err
	}
	var ids []int64
	seen := map[string]bool{}
	for _, u := range current(mr) {
		if u != nil {
			ids, seen[strings.ToLower(u.Username)] = append(ids, u.ID), true
		}
	}
	var errs []string
	for _, l := range logins {
		l = strings.TrimPrefix(l, "@")
		if seen[strings.ToLower(l)] {
			continue
		}
		if strings.Contains(l, "/") {
			errs = append(errs, l+": GitLab requests no group as reviewer")
			continue
		}
		id, err := f.c.userID(ctx, l)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		ids, seen[strings.ToLower(l)] = append(ids, id), true
	}
	opt := &gl.UpdateMergeRequestOptions{}
	set(opt, &ids)
	if _, _, err := f.c.gl.MergeRequests.UpdateMergeRequest(f.pid, int64(number), opt, f.ctx(ctx)); err != nil {
		return err
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// RequestReviewers implements gitops.Forge.
func (f *Forge) RequestReviewers(ctx context.Context, number int, logins []string) error {
	return f.addUsers(ctx, number, logins,
		func(mr *gl.MergeRequest) []*gl.BasicUser { return mr.Reviewers },
		func(o *gl.UpdateMergeRequestOptions, ids *[]int64) { o.ReviewerIDs = ids })
}

// AddAssignees implements gitops.Forge.
func (f *Forge) AddAssignees(ctx context.Context, number int, logins []string) error {
	return f.addUsers(ctx, number, logins,
		func(mr *gl.MergeRequest) []*gl.BasicUser { return mr.Assignees },
		func(o *gl.UpdateMergeRequestOptions, ids *[]int64) { o.AssigneeIDs = ids })
}

// DeleteBranch implements gitops.Forge. A branch already gone is not an
// error.
func (f *Forge) DeleteBranch(ctx context.Context, branch string) error {
	_, err := f.c.gl.Branches.DeleteBranch(f.pid, branch, f.ctx(ctx))
	if isStatus(err, http.StatusNotFound) {
		return nil
	}
	return err
}

// BranchHead reads the head commit of branch.
func (c *Client) BranchHead(ctx context.Context, owner, name, branch string) (string, error) {
	b, _, err := c.gl.Branches.GetBranch(owner+"/"+name, branch, gl.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("head of %s/%s %s: %w", owner, name, branch, err)
	}
	if b.Commit == nil {
		return "", fmt.Errorf("head of %s/%s %s: no commit", owner, name, branch)
	}
	return b.Commit.ID, nil
}

package github

import (
	"context"
	"fmt"
	"net/http"

	gogithub "github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/forgehttp"
)

// PullRequest reads pull request number.
func (f *Forge) PullRequest(ctx context.Context, number int) (gitops.PullRequest, error) {
	pr, _, err := f.Client.PullRequests.Get(ctx, f.Owner, f.Name, number)
	if err != nil {
		return gitops.PullRequest{}, err
	}
	return pullRequest(pr), nil
}

// ChangedFiles lists up to limit files that pull request number changes.
func (f *Forge) ChangedFiles(ctx context.Context, number, limit int) ([]gitops.ChangedFile, error) {
	opt := &gogithub.ListOptions{PerPage: 100}
	return forgehttp.Pages(limit, func(page int) ([]gitops.ChangedFile, int, error) {
		opt.Page = page
		fs, resp, err := f.Client.PullRequests.ListFiles(ctx, f.Owner, f.Name, number, opt)
		if err != nil {
			return nil, 0, err
		}
		var out []gitops.ChangedFile
		for _, cf := range fs {
			out = append(out, gitops.ChangedFile{Path: cf.GetFilename(), Removed: cf.GetStatus() == "removed", Patch: cf.GetPatch()})
		}
		return out, resp.NextPage, nil
	})
}

// Reviews lists the reviews of pull request number.
func (f *Forge) Reviews(ctx context.Context, number int) ([]gitops.Review, error) {
	opt := &gogithub.ListOptions{PerPage: 100}
	return forgehttp.Pages(0, func(page int) ([]gitops.Review, int, error) {
		opt.Page = page
		rs, resp, err := f.Client.PullRequests.ListReviews(ctx, f.Owner, f.Name, number, opt)
		if err != nil {
			return nil, 0, err
		}
		var out []gitops.Review
		for _, r := range rs {
			out = append(out, gitops.Review{
				ID: r.GetID(), Author: r.GetUser().GetLogin(), Body: r.GetBody(), CommitID: r.GetCommitID(),
				ChangesRequested: r.GetState() == "CHANGES_REQUESTED",
			})
		}
		return out, resp.NextPage, nil
	})
}

// CreateReview posts a review requesting changes. GitHub refuses the whole
// review (422) when a comment's lines are not in the diff:
// gitops.ErrReviewCommentsRefused says so.
func (f *Forge) CreateReview(ctx context.Context, number int, r gitops.NewReview) (int64, error) {
	req := &gogithub.PullRequestReviewRequest{CommitID: gogithub.Ptr(r.CommitID), Body: gogithub.Ptr(r.Body), Event: gogithub.Ptr("REQUEST_CHANGES")}
	for _, c := range r.Comments {
		d := &gogithub.DraftReviewComment{Path: gogithub.Ptr(c.Path), Body: gogithub.Ptr(c.Body), Line: gogithub.Ptr(c.Line), Side: gogithub.Ptr("RIGHT")}
		if c.StartLine > 0 && c.StartLine < c.Line {
			d.StartLine, d.StartSide = gogithub.Ptr(c.StartLine), gogithub.Ptr("RIGHT")
		}
		req.Comments = append(req.Comments, d)
	}
	rv, resp, err := f.Client.PullRequests.CreateReview(ctx, f.Owner, f.Name, number, req)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnprocessableEntity && len(req.Comments) > 0 {
			return 0, fmt.Errorf("%w: %w", gitops.ErrReviewCommentsRefused, err)
		}
		return 0, err
	}
	return rv.GetID(), nil
}

// DismissReview dismisses review id of pull request number with msg.
func (f *Forge) DismissReview(ctx context.Context, number int, id int64, msg string) error {
	_, _, err := f.Client.PullRequests.DismissReview(ctx, f.Owner, f.Name, number, id, &gogithub.PullRequestReviewDismissalRequest{Message: gogithub.Ptr(msg)})
	return err
}

// SetStatus sets a commit status on sha.
func (f *Forge) SetStatus(ctx context.Context, sha string, st gitops.CommitStatus) error {
	_, _, err := f.Client.Repositories.CreateStatus(ctx, f.Owner, f.Name, sha, gogithub.RepoStatus{
		State: gogithub.Ptr(st.State), Description: gogithub.Ptr(st.Description), Context: gogithub.Ptr(st.Context),
	})
	return err
}

// MayWrite reports whether login has write access (write, maintain or
// admin). The legacy "permission" field reads maintain as write and triage
// as read; a user GitHub does not know has none.
func (f *Forge) MayWrite(ctx context.Context, login string) (bool, error) {
	p, resp, err := f.Client.Repositories.GetPermissionLevel(ctx, f.Owner, f.Name, login)
	switch {
	case err != nil && resp != nil && resp.StatusCode == http.StatusNotFound:
		return false, nil
	case err != nil:
		return false, err
	}
	return p.GetPermission() == "admin" || p.GetPermission() == "write", nil
}

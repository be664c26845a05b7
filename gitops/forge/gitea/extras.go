package gitea

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/internal/quote"
)

// PullRequest reads pull request number.
func (f *Forge) PullRequest(ctx context.Context, number int) (gitops.PullRequest, error) {
	var p pull
	if _, err := f.c.do(ctx, http.MethodGet, f.pullPath(number), nil, nil, &p); err != nil {
		return gitops.PullRequest{}, err
	}
	return p.pullRequest(), nil
}

type changedFile struct {
	Filename string `json:"filename"`
	Status   string `json:"status"`
}

// ChangedFiles lists up to limit files that pull request number changes.
// Gitea's file list carries no patches: they are cut out of the pull
// request's diff.
func (f *Forge) ChangedFiles(ctx context.Context, number, limit int) ([]gitops.ChangedFile, error) {
	var out []gitops.ChangedFile
	err := list(ctx, f.c, f.pullPath(number)+"/files", nil, func(cf changedFile) {
		if len(out) < limit {
			out = append(out, gitops.ChangedFile{Path: cf.Filename, Removed: cf.Status == "removed" || cf.Status == "deleted"})
		}
	})
	if err != nil {
		return nil, err
	}
	var diff []byte
	if _, err := f.c.do(ctx, http.MethodGet, f.pullPath(number)+".diff", nil, nil, rawBody(&diff)); err != nil {
		return nil, fmt.Errorf("diff of #%d: %w", number, err)
	}
	patches := splitDiff(string(diff))
	for i := range out {
		out[i].Patch = patches[out[i].Path]
	}
	return out, nil
}

// rawBody makes do keep an answer's bytes instead of decoding JSON.
type rawBody *[]byte

// splitDiff maps each new path of a git diff to its hunks, from the first
// "@@" on, the way GitHub's "patch" field holds them.
func splitDiff(diff string) map[string]string {
	out := map[string]string{}
	for _, sec := range strings.Split("\n"+diff, "\ndiff --git ")[1:] {
		header, rest, _ := strings.Cut(sec, "\n@@")
		path := ""
		for _, line := range strings.Split(header, "\n") {
			if p, ok := strings.CutPrefix(line, "+++ b/"); ok {
				path = p
			}
		}
		if path == "" {
			// A header without "+++" (a pure rename or mode change):
			// "a/x b/y".
			if _, b, ok := strings.Cut(strings.SplitN(header, "\n", 2)[0], " b/"); ok {
				path = b
			}
		}
		if path != "" && rest != "" {
			out[path] = strings.TrimSuffix("@@"+rest, "\n")
		}
	}
	return out
}

type review struct {
	ID        int64  `json:"id"`
	User      user   `json:"user"`
	State     string `json:"state"`
	Body      string `json:"body"`
	CommitID  string `json:"commit_id"`
	Dismissed bool   `json:"dismissed"`
}

// Reviews lists the reviews of pull request number.
func (f *Forge) Reviews(ctx context.Context, number int) ([]gitops.Review, error) {
	var out []gitops.Review
	err := list(ctx, f.c, f.pullPath(number)+"/reviews", nil, func(r review) {
		out = append(out, gitops.Review{
			ID: r.ID, Author: r.User.Login, Body: r.Body, CommitID: r.CommitID,
			ChangesRequested: r.State == "REQUEST_CHANGES" && !r.Dismissed,
		})
	})
	return out, err
}

// CreateReview posts a review requesting changes, its comments on the new
// side's lines. Gitea comments on one line: a comment on a range sits on
// its last line, where GitHub's would end. Gitea refuses (422) a comment
// on a line outside the diff: gitops.ErrReviewCommentsRefused says so.
func (f *Forge) CreateReview(ctx context.Context, number int, r gitops.NewReview) (int64, error) {
	type reviewComment struct {
		Path        string `json:"path"`
		Body        string `json:"body"`
		NewPosition int    `json:"new_position"`
	}
	req := struct {
		CommitID string          `json:"commit_id"`
		Body     string          `json:"body"`
		Event    string          `json:"event"`
		Comments []reviewComment `json:"comments"`
	}{CommitID: r.CommitID, Body: r.Body, Event: "REQUEST_CHANGES", Comments: []reviewComment{}}
	for _, c := range r.Comments {
		req.Comments = append(req.Comments, reviewComment{Path: c.Path, Body: c.Body, NewPosition: c.Line})
	}
	var rv review
	_, err := f.c.do(ctx, http.MethodPost, f.pullPath(number)+"/reviews", nil, req, &rv)
	if err != nil && len(r.Comments) > 0 && (isStatus(err, http.StatusUnprocessableEntity) || isStatus(err, http.StatusBadRequest)) {
		return 0, fmt.Errorf("%w: %w", gitops.ErrReviewCommentsRefused, err)
	}
	return rv.ID, err
}

// DismissReview dismisses review id of pull request number with msg.
func (f *Forge) DismissReview(ctx context.Context, number int, id int64, msg string) error {
	_, err := f.c.do(ctx, http.MethodPost, fmt.Sprintf("%s/reviews/%d/dismissals", f.pullPath(number), id), nil, map[string]string{"message": msg}, nil)
	return err
}

// SetStatus sets a commit status on sha.
func (f *Forge) SetStatus(ctx context.Context, sha string, st gitops.CommitStatus) error {
	_, err := f.c.do(ctx, http.MethodPost, f.path()+"/statuses/"+sha, nil, map[string]string{
		"state": st.State, "description": st.Description, "context": st.Context,
	}, nil)
	return err
}

// MayWrite reports whether login may write to the repository: Gitea's
// collaborator permission is write, admin or owner. A user who is no
// collaborator (404) may not.
func (f *Forge) MayWrite(ctx context.Context, login string) (bool, error) {
	var p struct {
		Permission string `json:"permission"`
	}
	_, err := f.c.do(ctx, http.MethodGet, f.path()+"/collaborators/"+quote.URLPath(login)+"/permission", nil, nil, &p)
	switch {
	case isStatus(err, http.StatusNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	switch p.Permission {
	case "write", "admin", "owner":
		return true, nil
	}
	return false, nil
}

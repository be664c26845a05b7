package gitlab

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/forgehttp"
)

// PullRequest reads merge request number, with the clone URL of its
// source project (a fork's, for a merge request from a fork).
func (f *Forge) PullRequest(ctx context.Context, number int) (gitops.PullRequest, error) {
	mr, _, err := f.c.gl.MergeRequests.GetMergeRequest(f.pid, int64(number), nil, f.ctx(ctx))
	if err != nil {
		return gitops.PullRequest{}, err
	}
	pr := basicPullRequest(&mr.BasicMergeRequest)
	if mr.SourceProjectID != 0 && mr.SourceProjectID != mr.ProjectID {
		src, _, err := f.c.gl.Projects.GetProject(mr.SourceProjectID, nil, f.ctx(ctx))
		if err != nil {
			return gitops.PullRequest{}, fmt.Errorf("source project of !%d: %w", number, err)
		}
		pr.HeadCloneURL = src.HTTPURLToRepo
	}
	return pr, nil
}

// ChangedFiles lists up to limit files that merge request number changes,
// with GitLab's diff of each (hunks only, as GitHub's patch).
func (f *Forge) ChangedFiles(ctx context.Context, number, limit int) ([]gitops.ChangedFile, error) {
	opt := &gl.ListMergeRequestDiffsOptions{ListOptions: gl.ListOptions{PerPage: 100}}
	return forgehttp.Pages(limit, func(page int64) ([]gitops.ChangedFile, int64, error) {
		opt.Page = page
		ds, resp, err := f.c.gl.MergeRequests.ListMergeRequestDiffs(f.pid, int64(number), opt, f.ctx(ctx))
		if err != nil {
			return nil, 0, err
		}
		var out []gitops.ChangedFile
		for _, d := range ds {
			out = append(out, gitops.ChangedFile{Path: d.NewPath, Removed: d.DeletedFile, Patch: d.Diff})
		}
		return out, resp.NextPage, nil
	})
}

// GitLab has no review that requests changes the way GitHub's does; a
// review by remedy is a summary note (its body and a hidden marker of the
// commit reviewed) and one diff discussion per comment. Dismissing it
// marks the note, so it no longer counts as requesting changes.
const (
	reviewCommitPrefix = "<!-- remedy:review-commit "
	dismissedMarker    = "<!-- remedy:dismissed -->"
)

var reviewCommitRE = regexp.MustCompile(`\n*<!-- remedy:review-commit ([0-9a-f]*) -->\n?`)

// Reviews lists remedy's review notes (and any note carrying a review
// commit marker) of merge request number.
func (f *Forge) Reviews(ctx context.Context, number int) ([]gitops.Review, error) {
	ns, err := f.notes(ctx, number)
	if err != nil {
		return nil, err
	}
	var out []gitops.Review
	for _, n := range ns {
		m := reviewCommitRE.FindStringSubmatch(n.Body)
		if m == nil {
			continue
		}
		dismissed := strings.Contains(n.Body, dismissedMarker)
		body := strings.Replace(n.Body, m[0], "", 1)
		out = append(out, gitops.Review{ID: n.ID, Author: n.Author.Username, Body: body, CommitID: m[1], ChangesRequested: !dismissed})
	}
	return out, nil
}

// suggestionFence is GitHub's suggestion block opening, which GitLab
// writes with the lines it replaces: ```suggestion:-N+0 replaces the
// comment's line and the N above it.
var suggestionFence = regexp.MustCompile("(?m)^```suggestion[ \t]*$")

// gitlabSuggestions rewrites a comment's suggestion blocks for a comment
// on lines start..line.
func gitlabSuggestions(body string, start, line int) string {
	above := 0
	if start > 0 && start < line {
		above = line - start
	}
	return suggestionFence.ReplaceAllString(body, fmt.Sprintf("```suggestion:-%d+0", above))
}

// CreateReview posts one diff discussion per comment, on the new side's
// last line of its range, then the summary note. GitLab refuses (400) a
// position outside the diff: gitops.ErrReviewCommentsRefused says so.
func (f *Forge) CreateReview(ctx context.Context, number int, r gitops.NewReview) (int64, error) {
	if len(r.Comments) > 0 {
		mr, _, err := f.c.gl.MergeRequests.GetMergeRequest(f.pid, int64(number), nil, f.ctx(ctx))
		if err != nil {
			return 0, err
		}
		refs := mr.DiffRefs
		if r.CommitID != "" && refs.HeadSha != "" && r.CommitID != refs.HeadSha {
			// The head moved since the commit reviewed: its lines may not
			// be the diff's any more.
			return 0, fmt.Errorf("%w: the merge request's head is %s, not %s", gitops.ErrReviewCommentsRefused, refs.HeadSha, r.CommitID)
		}
		for _, c := range r.Comments {
			_, _, err := f.c.gl.Discussions.CreateMergeRequestDiscussion(f.pid, int64(number), &gl.CreateMergeRequestDiscussionOptions{
				Body: gl.Ptr(gitlabSuggestions(c.Body, c.StartLine, c.Line)),
				Position: &gl.PositionOptions{
					BaseSHA: gl.Ptr(refs.BaseSha), StartSHA: gl.Ptr(refs.StartSha), HeadSHA: gl.Ptr(refs.HeadSha),
					PositionType: gl.Ptr("text"), NewPath: gl.Ptr(c.Path), OldPath: gl.Ptr(c.Path), NewLine: gl.Ptr(int64(c.Line)),
				},
			}, f.ctx(ctx))
			if isStatus(err, http.StatusBadRequest) || isStatus(err, http.StatusUnprocessableEntity) {
				return 0, fmt.Errorf("%w: %w", gitops.ErrReviewCommentsRefused, err)
			}
			if err != nil {
				return 0, err
			}
		}
	}
	body := strings.TrimRight(r.Body, "\n") + "\n\n" + reviewCommitPrefix + r.CommitID + " -->\n"
	n, _, err := f.c.gl.Notes.CreateMergeRequestNote(f.pid, int64(number), &gl.CreateMergeRequestNoteOptions{Body: gl.Ptr(body)}, f.ctx(ctx))
	if err != nil {
		return 0, err
	}
	return n.ID, nil
}

// DismissReview marks review note id as superseded, with msg.
func (f *Forge) DismissReview(ctx context.Context, number int, id int64, msg string) error {
	n, _, err := f.c.gl.Notes.GetMergeRequestNote(f.pid, int64(number), id, f.ctx(ctx))
	if err != nil {
		return err
	}
	if strings.Contains(n.Body, dismissedMarker) {
		return nil
	}
	body := "> " + msg + "\n\n" + n.Body + "\n" + dismissedMarker + "\n"
	_, _, err = f.c.gl.Notes.UpdateMergeRequestNote(f.pid, int64(number), id, &gl.UpdateMergeRequestNoteOptions{Body: gl.Ptr(body)}, f.ctx(ctx))
	return err
}

// SetStatus sets a commit status on sha: GitLab's states are pending,
// success and failed (an error reads as failed).
func (f *Forge) SetStatus(ctx context.Context, sha string, st gitops.CommitStatus) error {
	state := gl.BuildStateValue(st.State)
	switch st.State {
	case gitops.StatusFailure, gitops.StatusError:
		state = gl.Failed
	}
	_, _, err := f.c.gl.Commits.SetCommitStatus(f.pid, sha, &gl.SetCommitStatusOptions{
		State: state, Name: gl.Ptr(st.Context), Description: gl.Ptr(st.Description),
	}, f.ctx(ctx))
	return err
}

// MayWrite reports whether login may change the project: a member
// (directly or through a group) at Developer or above. Someone who is no
// member may not.
func (f *Forge) MayWrite(ctx context.Context, login string) (bool, error) {
	id, err := f.c.userID(ctx, login)
	if err != nil {
		if strings.HasSuffix(err.Error(), "no such user") {
			return false, nil
		}
		return false, err
	}
	m, _, err := f.c.gl.ProjectMembers.GetInheritedProjectMember(f.pid, id, f.ctx(ctx))
	switch {
	case isStatus(err, http.StatusNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return m.AccessLevel >= gl.DeveloperPermissions, nil
}

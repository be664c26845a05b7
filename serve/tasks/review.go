package tasks

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/internal/repofs"
	"github.com/remedy-bot/remedy/review"
)

// StatusContext names remedy's commit status on pull requests.
const StatusContext = "remedy"

// maxReviewFiles bounds the files of one review; GitHub lists at most
// 3000 files of a pull request anyway.
const maxReviewFiles = 3000

// review scans the manifests a pull request changes and posts one review
// with a comment, and where the editor can fix it a suggestion, per new
// finding; the previous review by remedy is dismissed once the new one is
// up, so they never pile up. A commit status passes or fails the head by
// the severity threshold.
func (t *task) review(ctx context.Context, reqs []Request) (string, error) {
	n := 0
	for _, r := range reqs {
		if r.PR > 0 {
			n = r.PR
		}
	}
	if n == 0 {
		return "", errors.New("review: no pull request number")
	}
	rf, err := forgeFor[reviewForge](t, "reviews")
	if err != nil {
		return "", err
	}
	pr, err := rf.PullRequest(ctx, n)
	if err != nil {
		return "", fmt.Errorf("pull request #%d: %w", n, err)
	}
	if pr.State != "open" {
		return fmt.Sprintf("#%d is %s; not reviewed", n, pr.State), nil
	}
	sha := pr.HeadSHA
	t.status(ctx, sha, "pending", "remedy is scanning the changed manifests")

	base, err := t.cloneBase(ctx)
	if err != nil {
		t.status(ctx, sha, "error", "remedy could not read the base branch")
		return "", err
	}
	defer base.Close()
	baseRep := base.Scan(ctx, nil).Report
	baseline := map[string]bool{}
	for _, f := range baseRep.Findings {
		baseline[f.Fingerprint()] = true
	}

	cloneURL := pr.HeadCloneURL
	if cloneURL == "" {
		cloneURL = base.Repo.CloneURL
	}
	token, err := t.token(ctx)
	if err != nil {
		return "", err
	}
	ws, err := gitops.Clone(ctx, gitops.CloneOptions{URL: cloneURL, Branch: pr.Head, Token: token})
	if err != nil {
		t.status(ctx, sha, "error", "remedy could not read the pull request's branch")
		return "", fmt.Errorf("pull request #%d: %w", n, err)
	}
	defer ws.Close()
	// Review what was cloned: the branch may have moved since the event.
	sha = ws.BaseHead()

	changed, err := rf.ChangedFiles(ctx, n, maxReviewFiles)
	if err != nil {
		return "", fmt.Errorf("files of #%d: %w", n, err)
	}
	files, err := readChanged(ws.Dir, changed, t.h.o.Budgets.WithDefaults().MaxFileSize)
	if err != nil {
		return "", fmt.Errorf("pull request #%d: %w", n, err)
	}
	res := review.Build(files, review.Options{Config: base.Config, Baseline: baseline, FailOn: t.h.o.FailOn, Budgets: t.h.o.Budgets.Load})
	byControl := map[string]int{}
	for _, f := range res.New {
		byControl[f.Control]++
	}
	for c, k := range byControl {
		t.h.o.Metrics.Findings(c, k)
	}

	if err := t.postReview(ctx, rf, n, sha, res); err != nil {
		t.status(ctx, sha, "error", "remedy could not post its review")
		return "", err
	}
	state, desc := "success", "no new finding in the changed manifests"
	if len(res.New) > 0 {
		desc = fmt.Sprintf("%s, none at or above %s", plural.Count(len(res.New), "new finding"), t.h.o.FailOn)
	}
	if res.Failing > 0 {
		state, desc = "failure", fmt.Sprintf("%s at or above %s", plural.Count(res.Failing, "new finding"), t.h.o.FailOn)
	}
	t.status(ctx, sha, state, desc)
	return fmt.Sprintf("#%d at %s: %s, %d comments, %s", n, gitops.ShortSHA(sha), plural.Count(len(res.New), "new finding"), len(res.Comments), state), nil
}

// readChanged reads the head side of a pull request's changed files from
// its clone at dir. Anyone may open a pull request, so the files are read
// confined to the clone (repofs) and only regular files are: a changed
// file that is a symlink (whose target could be a file outside the clone,
// then quoted in review comments, or /dev/zero) or any other special file
// is not read, and the review says so. Files over maxFileSize bytes are
// not read either.
func readChanged(dir string, changed []gitops.ChangedFile, maxFileSize int64) ([]review.File, error) {
	repo, err := repofs.Open(dir, maxFileSize)
	if err != nil {
		return nil, err
	}
	defer repo.Close()
	var files []review.File
	for _, cf := range changed {
		if cf.Removed {
			continue
		}
		f := review.File{Path: cf.Path, Patch: cf.Patch}
		info, err := repo.Lstat(f.Path)
		switch {
		case err != nil || info.IsDir():
			continue // a submodule, or a file the forge lists but git does not
		case info.Mode()&fs.ModeSymlink != 0:
			f.Unread = "it is a symbolic link; remedy reviews regular files only"
		case !info.Mode().IsRegular():
			f.Unread = "it is a " + repofs.Kind(info.Mode()) + ", not a regular file"
		default:
			if f.Head, err = repo.ReadFile(f.Path); err != nil {
				f.Unread = unwrapPathError(err).Error()
			}
		}
		files = append(files, f)
	}
	return files, nil
}

// unwrapPathError drops the operation and file name of a path error, for
// messages that name the file already.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// postReview posts the review and dismisses remedy's earlier ones. A run
// that finds its own review of this commit with this body already up (a
// job re-run after a restart) posts nothing.
func (t *task) postReview(ctx context.Context, rf reviewForge, n int, sha string, res review.Result) error {
	body := res.Body(sha, t.h.o.FailOn)
	all, err := rf.Reviews(ctx, n)
	if err != nil {
		return fmt.Errorf("reviews of #%d: %w", n, err)
	}
	// Unknown (the forge did not answer): every review with the marker.
	botLogin := t.botLogin(ctx)
	var mine []gitops.Review
	for _, r := range all {
		if strings.Contains(r.Body, review.Marker) && (botLogin == "" || strings.EqualFold(r.Author, botLogin)) {
			mine = append(mine, r)
		}
	}
	var posted int64
	if len(res.New) > 0 {
		for _, r := range mine {
			if r.CommitID == sha && r.ChangesRequested && normalize(r.Body) == body {
				return nil
			}
		}
		req := gitops.NewReview{CommitID: sha, Body: body}
		for _, c := range res.Comments {
			req.Comments = append(req.Comments, gitops.ReviewComment{Path: c.Path, Body: c.Body, Line: c.Line, StartLine: c.StartLine})
		}
		id, err := rf.CreateReview(ctx, n, req)
		if errors.Is(err, gitops.ErrReviewCommentsRefused) {
			// The forge refuses the whole review when one comment's lines
			// are not in the diff (the head moved): say it all in the body.
			t.log.Warn("review comments refused; posting the review without them", "pr", n, "error", err)
			req.Comments = nil
			req.Body = review.Result{New: res.New, Unplaced: append(res.Comments, res.Unplaced...), Failing: res.Failing, Errors: res.Errors}.Body(sha, t.h.o.FailOn)
			id, err = rf.CreateReview(ctx, n, req)
		}
		if err != nil {
			return fmt.Errorf("review #%d: %w", n, err)
		}
		posted = id
	}
	for _, r := range mine {
		if r.ID == posted || !r.ChangesRequested {
			continue
		}
		msg := "Superseded by remedy's review of " + gitops.ShortSHA(sha) + "."
		if posted == 0 {
			msg = "No new finding left as of " + gitops.ShortSHA(sha) + "."
		}
		if err := rf.DismissReview(ctx, n, r.ID, msg); err != nil {
			t.log.Warn("could not dismiss an earlier review", "pr", n, "review", r.ID, "error", err)
		}
	}
	return nil
}

// status sets remedy's commit status; a failure is logged, not fatal.
func (t *task) status(ctx context.Context, sha, state, desc string) {
	if sha == "" {
		return
	}
	if len(desc) > 140 {
		desc = desc[:139] + "…"
	}
	sf, err := forgeFor[statusForge](t, "commit statuses")
	if err == nil {
		err = sf.SetStatus(ctx, sha, gitops.CommitStatus{State: state, Description: desc, Context: StatusContext})
	}
	if err != nil {
		t.log.Warn("could not set the commit status", "sha", sha, "state", state, "error", err)
	}
}

func normalize(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

package githubtest_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/internal/githubtest"
)

const tok = "ghp_test"

func setup(t *testing.T, opts ...githubtest.Option) (*githubtest.Server, *github.Client) {
	t.Helper()
	s := githubtest.New(t, opts...)
	s.AddToken(tok, "remedy-bot")
	s.CreateRepo("acme", "widget", map[string]string{
		"README.md":  "# widget\n",
		"app/app.go": "package app\n\nconst Version = \"1.0.0\"\n",
	})
	return s, s.Client(tok)
}

// pushBranch clones acme/widget with go-git, commits files on a new branch
// and pushes it, returning the commit SHA.
func pushBranch(t *testing.T, s *githubtest.Server, branch string, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	auth := &githttp.BasicAuth{Username: "x-access-token", Password: tok}
	r, err := git.PlainClone(dir, false, &git.CloneOptions{URL: s.CloneURL("acme", "widget"), Auth: auth})
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	w, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(branch), Create: true}); err != nil {
		t.Fatalf("checkout: %v", err)
	}
	for p, content := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	sig := &object.Signature{Name: "Remedy", Email: "bot@example.com", When: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)}
	h, err := w.Commit("fix: bump version", &git.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatalf("commit: %v", err)
	}
	spec := gitconfig.RefSpec("refs/heads/" + branch + ":refs/heads/" + branch)
	if err := r.Push(&git.PushOptions{RefSpecs: []gitconfig.RefSpec{spec}, Auth: auth}); err != nil {
		t.Fatalf("push: %v", err)
	}
	return h.String()
}

func asErrorResponse(t *testing.T, err error, status int) *github.ErrorResponse {
	t.Helper()
	var er *github.ErrorResponse
	if !errors.As(err, &er) {
		t.Fatalf("error %v (%T) is not a *github.ErrorResponse", err, err)
	}
	if er.Response.StatusCode != status {
		t.Fatalf("status %d, want %d: %v", er.Response.StatusCode, status, err)
	}
	return er
}

func TestPullRequestLifecycle(t *testing.T) {
	t.Parallel()
	s, gh := setup(t)
	ctx := context.Background()

	repo, _, err := gh.Repositories.Get(ctx, "acme", "widget")
	if err != nil {
		t.Fatal(err)
	}
	if repo.GetDefaultBranch() != "main" || repo.GetCloneURL() != s.CloneURL("acme", "widget") || repo.GetFullName() != "acme/widget" || repo.GetOwner().GetLogin() != "acme" {
		t.Fatalf("repo = %v", repo)
	}

	sha := pushBranch(t, s, "remedy/fix-1", map[string]string{"app/app.go": "package app\n\nconst Version = \"1.0.1\"\n", "NEW.md": "new\n"})
	if got := s.BranchSHA("acme", "widget", "remedy/fix-1"); got != sha {
		t.Fatalf("bare repo tip %q, pushed %q", got, sha)
	}
	br, _, err := gh.Repositories.GetBranch(ctx, "acme", "widget", "remedy/fix-1", 0)
	if err != nil || br.GetCommit().GetSHA() != sha {
		t.Fatalf("GetBranch = %v, %v", br, err)
	}
	ref, _, err := gh.Git.GetRef(ctx, "acme", "widget", "refs/heads/remedy/fix-1")
	if err != nil || ref.GetObject().GetSHA() != sha {
		t.Fatalf("GetRef = %v, %v", ref, err)
	}

	pr, _, err := gh.PullRequests.Create(ctx, "acme", "widget", &github.NewPullRequest{
		Title: github.Ptr("Bump version"), Head: github.Ptr("remedy/fix-1"), Base: github.Ptr("main"), Body: github.Ptr("body"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if pr.GetNumber() != 1 || pr.GetState() != "open" || pr.GetHead().GetSHA() != sha || pr.GetHead().GetLabel() != "acme:remedy/fix-1" ||
		pr.GetUser().GetLogin() != "remedy-bot" || pr.GetMerged() || pr.GetBase().GetRef() != "main" || !strings.HasSuffix(pr.GetHTMLURL(), "/acme/widget/pull/1") {
		t.Fatalf("created PR = %v", pr)
	}

	// A second open PR from the same head is a 422 in GitHub's shape.
	_, _, err = gh.PullRequests.Create(ctx, "acme", "widget", &github.NewPullRequest{
		Title: github.Ptr("again"), Head: github.Ptr("acme:remedy/fix-1"), Base: github.Ptr("main"),
	})
	er := asErrorResponse(t, err, http.StatusUnprocessableEntity)
	if er.Message != "Validation Failed" || len(er.Errors) != 1 || er.Errors[0].Code != "custom" ||
		er.Errors[0].Message != "A pull request already exists for acme:remedy/fix-1." {
		t.Fatalf("422 = %+v", er)
	}
	// Unknown head branch.
	_, _, err = gh.PullRequests.Create(ctx, "acme", "widget", &github.NewPullRequest{
		Title: github.Ptr("x"), Head: github.Ptr("nope"), Base: github.Ptr("main"),
	})
	asErrorResponse(t, err, http.StatusUnprocessableEntity)

	// head filter: owner:branch filters, a bare branch is ignored (as on GitHub).
	other := pushBranch(t, s, "remedy/fix-2", map[string]string{"b.txt": "b\n"})
	if _, _, err := gh.PullRequests.Create(ctx, "acme", "widget", &github.NewPullRequest{
		Title: github.Ptr("second"), Head: github.Ptr("remedy/fix-2"), Base: github.Ptr("main"),
	}); err != nil {
		t.Fatal(err)
	}
	list, _, err := gh.PullRequests.List(ctx, "acme", "widget", &github.PullRequestListOptions{Head: "acme:remedy/fix-1"})
	if err != nil || len(list) != 1 || list[0].GetNumber() != 1 {
		t.Fatalf("list head=acme:remedy/fix-1 = %v, %v", list, err)
	}
	list, _, err = gh.PullRequests.List(ctx, "acme", "widget", &github.PullRequestListOptions{Head: "remedy/fix-1"})
	if err != nil || len(list) != 2 || list[0].GetNumber() != 2 {
		t.Fatalf("list head=remedy/fix-1 = %v, %v (want both, newest first)", list, err)
	}
	if list[0].Merged != nil {
		t.Fatalf("list answers must not carry merged")
	}

	// head.sha follows the branch tip.
	newTip := s.CommitFiles("acme", "widget", "remedy/fix-2", map[string]string{"c.txt": "c\n"}, "more")
	if newTip == other {
		t.Fatal("CommitFiles did not move the branch")
	}
	pr2, _, err := gh.PullRequests.Get(ctx, "acme", "widget", 2)
	if err != nil || pr2.GetHead().GetSHA() != newTip || pr2.GetCommits() != 2 || pr2.GetChangedFiles() != 2 {
		t.Fatalf("PR 2 = %v, %v", pr2, err)
	}

	files, _, err := gh.PullRequests.ListFiles(ctx, "acme", "widget", 1, nil)
	if err != nil || len(files) != 2 {
		t.Fatalf("files = %v, %v", files, err)
	}
	if files[0].GetFilename() != "NEW.md" || files[0].GetStatus() != "added" || files[1].GetFilename() != "app/app.go" ||
		files[1].GetStatus() != "modified" || files[1].GetAdditions() != 1 || files[1].GetDeletions() != 1 ||
		!strings.HasPrefix(files[1].GetPatch(), "@@") {
		t.Fatalf("files = %v", files)
	}
	commits, _, err := gh.PullRequests.ListCommits(ctx, "acme", "widget", 1, nil)
	if err != nil || len(commits) != 1 || commits[0].GetSHA() != sha || commits[0].GetCommit().GetMessage() != "fix: bump version" {
		t.Fatalf("commits = %v, %v", commits, err)
	}

	// Comments, labels, edits.
	cm, _, err := gh.Issues.CreateComment(ctx, "acme", "widget", 1, &github.IssueComment{Body: github.Ptr("hello")})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.Issues.EditComment(ctx, "acme", "widget", cm.GetID(), &github.IssueComment{Body: github.Ptr("edited")}); err != nil {
		t.Fatal(err)
	}
	if got := s.Comments("acme", "widget", 1); len(got) != 1 || got[0].GetBody() != "edited" || got[0].GetUser().GetLogin() != "remedy-bot" {
		t.Fatalf("comments = %v", got)
	}
	if _, _, err := gh.Issues.AddLabelsToIssue(ctx, "acme", "widget", 1, []string{"security", "remedy"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := gh.PullRequests.Edit(ctx, "acme", "widget", 1, &github.PullRequest{Title: github.Ptr("Bump version to 1.0.1")}); err != nil {
		t.Fatal(err)
	}
	got := s.PullRequest("acme", "widget", 1)
	if got.GetTitle() != "Bump version to 1.0.1" || len(got.Labels) != 2 || got.Labels[0].GetName() != "security" {
		t.Fatalf("PR after edits = %v", got)
	}

	// Close via the API, delete the branch, reopening then fails.
	closed, _, err := gh.PullRequests.Edit(ctx, "acme", "widget", 1, &github.PullRequest{State: github.Ptr("closed")})
	if err != nil || closed.GetState() != "closed" || closed.ClosedAt == nil {
		t.Fatalf("close = %v, %v", closed, err)
	}
	if _, err := gh.Git.DeleteRef(ctx, "acme", "widget", "heads/remedy/fix-1"); err != nil {
		t.Fatal(err)
	}
	if s.BranchSHA("acme", "widget", "remedy/fix-1") != "" {
		t.Fatal("branch still in the bare repo")
	}
	_, _, err = gh.Git.GetRef(ctx, "acme", "widget", "heads/remedy/fix-1")
	asErrorResponse(t, err, http.StatusNotFound)
	_, _, err = gh.PullRequests.Edit(ctx, "acme", "widget", 1, &github.PullRequest{State: github.Ptr("open")})
	asErrorResponse(t, err, http.StatusUnprocessableEntity)
	if pr1 := s.PullRequest("acme", "widget", 1); pr1.GetHead().GetSHA() != sha {
		t.Fatalf("closed PR head.sha = %q, want frozen %q", pr1.GetHead().GetSHA(), sha)
	}

	// A human merges PR 2: the base branch really gets the change.
	s.ClosePR("acme", "widget", 2, true)
	pr2, _, err = gh.PullRequests.Get(ctx, "acme", "widget", 2)
	if err != nil || !pr2.GetMerged() || pr2.MergedAt == nil || pr2.GetState() != "closed" {
		t.Fatalf("merged PR = %v, %v", pr2, err)
	}
	if c, ok := s.ReadFile("acme", "widget", "main", "c.txt"); !ok || c != "c\n" {
		t.Fatalf("main does not hold the merged file: %q %v", c, ok)
	}
	list, _, err = gh.PullRequests.List(ctx, "acme", "widget", &github.PullRequestListOptions{State: "closed"})
	if err != nil || len(list) != 2 {
		t.Fatalf("closed list = %v, %v", list, err)
	}
	list, _, err = gh.PullRequests.List(ctx, "acme", "widget", nil)
	if err != nil || len(list) != 0 {
		t.Fatalf("open list = %v, %v", list, err)
	}
}

func TestHeadBranchDeletedClosesPR(t *testing.T) {
	t.Parallel()
	s, gh := setup(t)
	ctx := context.Background()
	pushBranch(t, s, "fix", map[string]string{"x": "x"})
	pr, _, err := gh.PullRequests.Create(ctx, "acme", "widget", &github.NewPullRequest{Title: github.Ptr("t"), Head: github.Ptr("fix"), Base: github.Ptr("main")})
	if err != nil {
		t.Fatal(err)
	}
	// Delete with git (not the API).
	cmd := exec.Command("git", "--git-dir="+s.GitDir("acme", "widget"), "update-ref", "-d", "refs/heads/fix")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got, _, err := gh.PullRequests.Get(ctx, "acme", "widget", pr.GetNumber())
	if err != nil || got.GetState() != "closed" || got.GetHead().GetSHA() != pr.GetHead().GetSHA() {
		t.Fatalf("PR = %v, %v", got, err)
	}
}

func TestAuthAndNotFound(t *testing.T) {
	t.Parallel()
	s, gh := setup(t)
	ctx := context.Background()

	bad := s.Client("nope")
	_, _, err := bad.Repositories.Get(ctx, "acme", "widget")
	er := asErrorResponse(t, err, http.StatusUnauthorized)
	if er.Message != "Bad credentials" {
		t.Fatalf("message %q", er.Message)
	}
	_, _, err = gh.Repositories.Get(ctx, "acme", "nope")
	er = asErrorResponse(t, err, http.StatusNotFound)
	if er.Message != "Not Found" {
		t.Fatalf("message %q", er.Message)
	}

	// Unauthenticated git is a 401 with a Basic challenge.
	resp, err := http.Get(s.CloneURL("acme", "widget") + "/info/refs?service=git-upload-pack")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic") {
		t.Fatalf("git without auth: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	_, err = git.PlainClone(t.TempDir(), false, &git.CloneOptions{
		URL: s.CloneURL("acme", "widget"), Auth: &githttp.BasicAuth{Username: "x", Password: "wrong"},
	})
	if !errors.Is(err, transport.ErrAuthorizationFailed) && !errors.Is(err, transport.ErrAuthenticationRequired) {
		t.Fatalf("clone with a bad token: %v", err)
	}

	// Every answer carries rate limit headers.
	_, resp2, err := gh.Repositories.Get(ctx, "acme", "widget")
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-RateLimit-Used", "X-RateLimit-Resource"} {
		if resp2.Header.Get(h) == "" {
			t.Errorf("missing %s", h)
		}
	}
	if resp2.Rate.Limit != 5000 || resp2.Rate.Remaining >= 5000 {
		t.Errorf("rate = %+v", resp2.Rate)
	}
}

func TestGitCLI(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	dir := t.TempDir()
	u := strings.Replace(s.CloneURL("acme", "widget"), "http://", "http://x-access-token:"+tok+"@", 1)
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir,
			"GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@b", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@b")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("clone", "-q", u, "w")
	dir = filepath.Join(dir, "w")
	run("checkout", "-q", "-b", "cli")
	if err := os.WriteFile(filepath.Join(dir, "cli.txt"), []byte("cli\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("add", ".")
	run("commit", "-q", "-m", "cli")
	run("push", "-q", "origin", "cli")
	if c, ok := s.ReadFile("acme", "widget", "cli", "cli.txt"); !ok || c != "cli\n" {
		t.Fatalf("pushed file = %q %v", c, ok)
	}
}

func TestETag(t *testing.T) {
	t.Parallel()
	s, gh := setup(t)
	ctx := context.Background()
	_, resp, err := gh.Repositories.Get(ctx, "acme", "widget")
	if err != nil {
		t.Fatal(err)
	}
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	s.ResetRequests()
	req, err := gh.NewRequest(ctx, "GET", "repos/acme/widget", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("If-None-Match", etag)
	resp2, err := gh.Do(req, nil)
	if resp2 == nil || resp2.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional GET: %v, %v", resp2, err)
	}
	if resp2.Rate.Remaining != resp.Rate.Remaining {
		t.Fatalf("304 consumed rate limit: %d → %d", resp.Rate.Remaining, resp2.Rate.Remaining)
	}
	if s.Requests() != 1 || s.RequestLog()[0] != "GET /repos/acme/widget" {
		t.Fatalf("requests %d %v", s.Requests(), s.RequestLog())
	}

	// Pull list ETags change when the list changes.
	req, _ = gh.NewRequest(ctx, "GET", "repos/acme/widget/pulls", nil)
	resp3, err := gh.Do(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	pushBranch(t, s, "f", map[string]string{"f": "f"})
	if _, _, err := gh.PullRequests.Create(ctx, "acme", "widget", &github.NewPullRequest{Title: github.Ptr("t"), Head: github.Ptr("f"), Base: github.Ptr("main")}); err != nil {
		t.Fatal(err)
	}
	req, _ = gh.NewRequest(ctx, "GET", "repos/acme/widget/pulls", nil)
	req.Header.Set("If-None-Match", resp3.Header.Get("ETag"))
	var prs []*github.PullRequest
	if resp4, err := gh.Do(req, &prs); err != nil || resp4.StatusCode != http.StatusOK || len(prs) != 1 {
		t.Fatalf("changed list: %v, %v", resp4, err)
	}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s, gh := setup(t)
	ctx := context.Background()
	pushBranch(t, s, "f", map[string]string{"f": "f"})

	s.FailNext(1, http.StatusBadGateway, 0)
	_, _, err := gh.PullRequests.Create(ctx, "acme", "widget", &github.NewPullRequest{Title: github.Ptr("t"), Head: github.Ptr("f"), Base: github.Ptr("main")})
	asErrorResponse(t, err, http.StatusBadGateway)
	if n := len(s.PullRequests("acme", "widget")); n != 0 {
		t.Fatalf("failed request had a side effect: %d PRs", n)
	}
	pr, _, err := gh.PullRequests.Create(ctx, "acme", "widget", &github.NewPullRequest{Title: github.Ptr("t"), Head: github.Ptr("f"), Base: github.Ptr("main")})
	if err != nil {
		t.Fatal(err)
	}

	s.FailNext(1, http.StatusTooManyRequests, 0)
	_, resp, err := gh.Issues.CreateComment(ctx, "acme", "widget", pr.GetNumber(), &github.IssueComment{Body: github.Ptr("x")})
	var abuse *github.AbuseRateLimitError
	if !errors.As(err, &abuse) || abuse.GetRetryAfter() != 0 || resp.Header.Get("Retry-After") != "0" {
		t.Fatalf("429: %v (%T)", err, err)
	}
	s.FailNext(1, http.StatusForbidden, 0)
	_, _, err = gh.Issues.CreateComment(ctx, "acme", "widget", pr.GetNumber(), &github.IssueComment{Body: github.Ptr("x")})
	if !errors.As(err, &abuse) || abuse.Response.StatusCode != http.StatusForbidden || !strings.Contains(abuse.Message, "secondary rate limit") {
		t.Fatalf("403: %v (%T)", err, err)
	}
	if n := len(s.Comments("acme", "widget", pr.GetNumber())); n != 0 {
		t.Fatalf("failed requests had a side effect: %d comments", n)
	}

	// Retry-After rounds up to whole seconds; git is never faulted.
	s.FailNext(1, http.StatusBadGateway, 1500*time.Millisecond)
	req, _ := gh.NewRequest(ctx, "GET", "rate_limit", nil)
	if resp, _ := gh.Do(req, nil); resp.StatusCode != http.StatusBadGateway || resp.Header.Get("Retry-After") != "2" {
		t.Fatalf("502 with Retry-After: %d %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	s.FailNext(5, http.StatusBadGateway, 0)
	s.BranchSHA("acme", "widget", "main") // not an API request
	pushBranch(t, s, "g", map[string]string{"g": "g"})
	// The 5 faults are still queued.
	for i := range 5 {
		if _, _, err := gh.Repositories.Get(ctx, "acme", "widget"); err == nil {
			t.Fatalf("request %d not faulted", i)
		}
	}

	// Random faults are deterministic for a seed.
	pattern := func() string {
		s.SetFaultRate(0.5, 42, http.StatusBadGateway)
		defer s.SetFaultRate(0, 0)
		var b strings.Builder
		for range 20 {
			_, resp, _ := gh.Repositories.Get(ctx, "acme", "widget")
			fmt.Fprintf(&b, "%d ", resp.StatusCode)
		}
		return b.String()
	}
	p1, p2 := pattern(), pattern()
	if p1 != p2 || !strings.Contains(p1, "502") || !strings.Contains(p1, "200") {
		t.Fatalf("fault patterns %q / %q", p1, p2)
	}
}

func TestPrimaryRateLimit(t *testing.T) {
	t.Parallel()
	s, gh := setup(t)
	ctx := context.Background()
	s.SetRateLimit(tok, 0, time.Now().Add(time.Hour))
	_, _, err := gh.Repositories.Get(ctx, "acme", "widget")
	var rle *github.RateLimitError
	if !errors.As(err, &rle) || rle.Rate.Remaining != 0 {
		t.Fatalf("err = %v (%T)", err, err)
	}
	rl, _, err := gh.RateLimit.Get(ctx)
	if err != nil || rl.GetCore().Remaining != 0 {
		t.Fatalf("rate_limit = %v, %v", rl, err)
	}
}

func TestPagination(t *testing.T) {
	t.Parallel()
	s, gh := setup(t)
	ctx := context.Background()
	for i := range 4 {
		s.CreateRepo("acme", fmt.Sprintf("r%d", i), nil)
	}
	var names []string
	opt := &github.RepositoryListByOrgOptions{ListOptions: github.ListOptions{PerPage: 2}}
	for pages := 0; ; pages++ {
		repos, resp, err := gh.Repositories.ListByOrg(ctx, "acme", opt)
		if err != nil {
			t.Fatal(err)
		}
		if pages == 0 && resp.LastPage != 3 {
			t.Fatalf("LastPage = %d", resp.LastPage)
		}
		for _, r := range repos {
			names = append(names, r.GetName())
		}
		if resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if strings.Join(names, ",") != "widget,r0,r1,r2,r3" {
		t.Fatalf("names = %v", names)
	}
	user, _, err := gh.Repositories.ListByUser(ctx, "acme", nil)
	if err != nil || len(user) != 5 {
		t.Fatalf("ListByUser = %d, %v", len(user), err)
	}
	_, _, err = gh.Repositories.ListByOrg(ctx, "nobody", nil)
	asErrorResponse(t, err, http.StatusNotFound)
}

func TestReviewsAndPermissions(t *testing.T) {
	t.Parallel()
	s, gh := setup(t)
	ctx := context.Background()
	pushBranch(t, s, "f", map[string]string{"app/app.go": "package app\n"})
	pr, _, err := gh.PullRequests.Create(ctx, "acme", "widget", &github.NewPullRequest{Title: github.Ptr("t"), Head: github.Ptr("f"), Base: github.Ptr("main")})
	if err != nil {
		t.Fatal(err)
	}
	n := pr.GetNumber()

	perm, _, err := gh.Repositories.GetPermissionLevel(ctx, "acme", "widget", "alice")
	if err != nil || perm.GetPermission() != "read" {
		t.Fatalf("permission = %v, %v", perm, err)
	}
	_, _, err = gh.PullRequests.RequestReviewers(ctx, "acme", "widget", n, github.ReviewersRequest{Reviewers: []string{"alice"}})
	asErrorResponse(t, err, http.StatusUnprocessableEntity)
	s.SetPermission("acme", "widget", "alice", "maintain")
	perm, _, _ = gh.Repositories.GetPermissionLevel(ctx, "acme", "widget", "alice")
	if perm.GetPermission() != "write" || perm.GetRoleName() != "maintain" {
		t.Fatalf("permission = %v", perm)
	}
	if _, _, err = gh.PullRequests.RequestReviewers(ctx, "acme", "widget", n, github.ReviewersRequest{Reviewers: []string{"alice"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err = gh.Issues.AddAssignees(ctx, "acme", "widget", n, []string{"alice", "stranger"}); err != nil {
		t.Fatal(err)
	}
	got := s.PullRequest("acme", "widget", n)
	if len(got.RequestedReviewers) != 1 || len(got.Assignees) != 1 || got.Assignees[0].GetLogin() != "alice" {
		t.Fatalf("PR = %v", got)
	}

	// The bot cannot approve its own PR; a comment review with a line comment works.
	_, _, err = gh.PullRequests.CreateReview(ctx, "acme", "widget", n, &github.PullRequestReviewRequest{Event: github.Ptr("APPROVE")})
	asErrorResponse(t, err, http.StatusUnprocessableEntity)
	rv, _, err := gh.PullRequests.CreateReview(ctx, "acme", "widget", n, &github.PullRequestReviewRequest{
		Event: github.Ptr("COMMENT"), Body: github.Ptr("see inline"),
		Comments: []*github.DraftReviewComment{{Path: github.Ptr("app/app.go"), Line: github.Ptr(1), Body: github.Ptr("here")}},
	})
	if err != nil || rv.GetState() != "COMMENTED" || rv.GetCommitID() != pr.GetHead().GetSHA() {
		t.Fatalf("review = %v, %v", rv, err)
	}
	if rc := s.ReviewComments("acme", "widget", n); len(rc) != 1 || rc[0].GetPath() != "app/app.go" || rc[0].GetPullRequestReviewID() != rv.GetID() {
		t.Fatalf("review comments = %v", rc)
	}
	_, _, err = gh.PullRequests.DeletePendingReview(ctx, "acme", "widget", n, rv.GetID())
	asErrorResponse(t, err, http.StatusUnprocessableEntity)

	// Pending reviews can be deleted; approvals dismissed.
	pending, _, err := gh.PullRequests.CreateReview(ctx, "acme", "widget", n, &github.PullRequestReviewRequest{Body: github.Ptr("draft")})
	if err != nil || pending.GetState() != "PENDING" {
		t.Fatalf("pending = %v, %v", pending, err)
	}
	if _, _, err := gh.PullRequests.DeletePendingReview(ctx, "acme", "widget", n, pending.GetID()); err != nil {
		t.Fatal(err)
	}
	approval := s.AddReview("acme", "widget", n, "alice", "APPROVE", "lgtm")
	dismissed, _, err := gh.PullRequests.DismissReview(ctx, "acme", "widget", n, approval.GetID(), &github.PullRequestReviewDismissalRequest{Message: github.Ptr("stale")})
	if err != nil || dismissed.GetState() != "DISMISSED" {
		t.Fatalf("dismiss = %v, %v", dismissed, err)
	}
	reviews, _, err := gh.PullRequests.ListReviews(ctx, "acme", "widget", n, nil)
	if err != nil || len(reviews) != 2 || len(s.Reviews("acme", "widget", n)) != 2 {
		t.Fatalf("reviews = %v, %v", reviews, err)
	}
	if got := s.PullRequest("acme", "widget", n); len(got.RequestedReviewers) != 0 {
		t.Fatalf("review request not cleared by alice's review: %v", got.RequestedReviewers)
	}

	// Statuses work with a PAT; check runs need an app.
	if _, _, err := gh.Repositories.CreateStatus(ctx, "acme", "widget", pr.GetHead().GetSHA(), github.RepoStatus{State: github.Ptr("success"), Context: github.Ptr("remedy")}); err != nil {
		t.Fatal(err)
	}
	if st := s.Statuses("acme", "widget", pr.GetHead().GetSHA()); len(st) != 1 || st[0].GetState() != "success" {
		t.Fatalf("statuses = %v", st)
	}
	_, _, err = gh.Checks.CreateCheckRun(ctx, "acme", "widget", github.CreateCheckRunOptions{Name: "remedy", HeadSHA: pr.GetHead().GetSHA()})
	asErrorResponse(t, err, http.StatusForbidden)
}

func TestArchivedAndPushPermission(t *testing.T) {
	t.Parallel()
	s, gh := setup(t)
	ctx := context.Background()
	s.AddToken("reader-token", "reader")
	s.SetPermission("acme", "widget", "reader", "read")
	// An explicit read permission forbids pushing.
	dir := t.TempDir()
	auth := &githttp.BasicAuth{Username: "x", Password: "reader-token"}
	cl, err := git.PlainClone(dir, false, &git.CloneOptions{URL: s.CloneURL("acme", "widget"), Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	spec := gitconfig.RefSpec("refs/heads/main:refs/heads/copy")
	if err := cl.Push(&git.PushOptions{RefSpecs: []gitconfig.RefSpec{spec}, Auth: auth}); err == nil {
		t.Fatal("reader could push")
	}
	if s.BranchSHA("acme", "widget", "copy") != "" {
		t.Fatal("denied push created a branch")
	}

	r := s.CreateRepo("acme", "old", nil)
	r.SetArchived(true)
	repo, _, err := gh.Repositories.Get(ctx, "acme", "old")
	if err != nil || !repo.GetArchived() {
		t.Fatalf("repo = %v, %v", repo, err)
	}
	_, _, err = gh.Git.CreateRef(ctx, "acme", "old", github.CreateRef{Ref: "refs/heads/x", SHA: s.BranchSHA("acme", "old", "main")})
	asErrorResponse(t, err, http.StatusForbidden)
}

func signJWT(t *testing.T, key *rsa.PrivateKey, appID int64) string {
	t.Helper()
	enc := base64.RawURLEncoding
	hdr := enc.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	n := time.Now().Unix()
	claims, _ := json.Marshal(map[string]any{"iat": n - 60, "exp": n + 540, "iss": fmt.Sprint(appID)})
	signing := hdr + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signing))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return signing + "." + enc.EncodeToString(sig)
}

func TestGitHubApp(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	ctx := context.Background()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s.AddApp(7, &key.PublicKey)
	s.AddInstallation(7, 77, "acme")

	appClient := s.Client(signJWT(t, key, 7))
	inst, _, err := appClient.Apps.GetRepositoryInstallation(ctx, "acme", "widget")
	if err != nil || inst.GetID() != 77 {
		t.Fatalf("installation = %v, %v", inst, err)
	}
	it, _, err := appClient.Apps.CreateInstallationToken(ctx, 77, nil)
	if err != nil || it.GetToken() == "" || time.Until(it.GetExpiresAt().Time) < 50*time.Minute {
		t.Fatalf("token = %v, %v", it, err)
	}
	forged := signJWT(t, key, 7)
	forged = forged[:len(forged)-4] + "AAAA" // signature no longer verifies
	_, _, err = s.Client(forged).Apps.GetRepositoryInstallation(ctx, "acme", "widget")
	asErrorResponse(t, err, http.StatusUnauthorized)

	ic := s.Client(it.GetToken())
	head := s.BranchSHA("acme", "widget", "main")
	cr, _, err := ic.Checks.CreateCheckRun(ctx, "acme", "widget", github.CreateCheckRunOptions{Name: "remedy", HeadSHA: head, Conclusion: github.Ptr("success")})
	if err != nil || cr.GetStatus() != "completed" || cr.GetApp().GetID() != 7 {
		t.Fatalf("check run = %v, %v", cr, err)
	}
	if runs := s.CheckRuns("acme", "widget"); len(runs) != 1 {
		t.Fatalf("check runs = %v", runs)
	}
	// The installation token works for git too.
	if _, err := git.PlainClone(t.TempDir(), false, &git.CloneOptions{URL: s.CloneURL("acme", "widget"), Auth: &githttp.BasicAuth{Username: "x-access-token", Password: it.GetToken()}}); err != nil {
		t.Fatalf("clone with installation token: %v", err)
	}
}

func TestUnimplemented(t *testing.T) {
	t.Parallel()
	_, gh := setup(t)
	req, _ := gh.NewRequest(context.Background(), "GET", "repos/acme/widget/contents/README.md", nil)
	_, err := gh.Do(req, nil)
	asErrorResponse(t, err, http.StatusNotFound)
}

func TestInstallationTokenExpiry(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, githubtest.WithInstallationTokenTTL(time.Nanosecond))
	ctx := context.Background()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	s.AddApp(9, &key.PublicKey)
	s.AddInstallation(9, 99, "acme")
	it, _, err := s.Client(signJWT(t, key, 9)).Apps.CreateInstallationToken(ctx, 99, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Client(it.GetToken()).Repositories.Get(ctx, "acme", "widget")
	asErrorResponse(t, err, http.StatusUnauthorized)
}

func TestCommitFilesDelete(t *testing.T) {
	t.Parallel()
	s, _ := setup(t)
	s.CommitFiles("acme", "widget", "del", map[string]string{"README.md": githubtest.Deleted, "x/y.txt": "y"}, "rm")
	if _, ok := s.ReadFile("acme", "widget", "del", "README.md"); ok {
		t.Fatal("README.md still there")
	}
	if c, ok := s.ReadFile("acme", "widget", "del", "x/y.txt"); !ok || c != "y" {
		t.Fatalf("x/y.txt = %q %v", c, ok)
	}
	if _, ok := s.ReadFile("acme", "widget", "main", "README.md"); !ok {
		t.Fatal("main changed")
	}
}

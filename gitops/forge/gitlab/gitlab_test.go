package gitlab

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/remedy-bot/remedy/gitops"
)

const (
	webPrivileged = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27.3
          securityContext:
            privileged: true
`
	twoControls = "controls:\n  enable: [privileged, host-pid]\n"
)

func writes(reqs []string) []string {
	var out []string
	for _, r := range reqs {
		if !strings.HasPrefix(r, "GET ") {
			out = append(out, r)
		}
	}
	return out
}

func actions(r gitops.RunResult) []string {
	var out []string
	for _, b := range r.Branches {
		out = append(out, b.Branch+":"+string(b.Action))
	}
	return out
}

// The life cycle on a project of a nested group: the first run opens the
// merge request with its labels, a rerun writes nothing, a fix on the
// base closes it and deletes its branch, and a closed one stays closed.
func TestGitLabLifecycle(t *testing.T) {
	f := newFakeGitLab(t)
	f.createProject("acme/platform/shop", map[string]string{".remedy.yaml": twoControls, "deploy/web.yaml": webPrivileged})
	c := f.client(t)
	run := func() (gitops.RunResult, []string) {
		t.Helper()
		f.reset()
		res, err := gitops.RemedyRepository(context.Background(), c, "acme/platform", "shop", gitops.RunOptions{Token: fakeToken})
		if err != nil {
			t.Fatalf("run: %v\nrequests: %v", err, f.requests())
		}
		return res, f.requests()
	}

	res, reqs := run()
	t.Logf("GitLab first run: %d API requests: %v", len(reqs), reqs)
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":created"}) {
		t.Fatalf("first run: %v", got)
	}
	mrs := f.mrs["acme/platform/shop"]
	if len(mrs) != 1 || mrs[0].State != "opened" || !strings.Contains(mrs[0].Description, "<!-- remedy:fingerprints ") {
		t.Fatalf("merge requests: %+v", mrs)
	}
	if labels := slices.Sorted(slices.Values([]string(mrs[0].Labels))); !slices.Equal(labels, []string{"remedy", "security"}) {
		t.Errorf("labels %v", labels)
	}
	if content, _ := f.git.ReadFile("acme-platform", "shop", gitops.RepoBranch, "deploy/web.yaml"); !strings.Contains(content, "privileged: false") {
		t.Errorf("fix branch:\n%s", content)
	}

	res, reqs = run()
	t.Logf("GitLab idle rerun: %d API requests: %v", len(reqs), reqs)
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":unchanged"}) || len(writes(reqs)) != 0 {
		t.Errorf("idle rerun: %v, writes %v", got, writes(reqs))
	}

	// Fixed on the base: the merge request is closed, its branch deleted,
	// and GitLab, which keeps a merge request open without its branch,
	// is not asked to find one for a branch that is gone.
	f.git.CommitFiles("acme-platform", "shop", "main", map[string]string{"deploy/web.yaml": strings.Replace(webPrivileged, "privileged: true", "privileged: false", 1)}, "fix by hand")
	res, _ = run()
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":closed"}) {
		t.Errorf("after the base fix: %v", got)
	}
	if mrs[0].State != "closed" || f.git.BranchSHA("acme-platform", "shop", gitops.RepoBranch) != "" {
		t.Errorf("merge request %s, branch %q", mrs[0].State, f.git.BranchSHA("acme-platform", "shop", gitops.RepoBranch))
	}
	res, reqs = run()
	if len(writes(reqs)) != 0 {
		t.Errorf("after closing: %v writes %v", actions(res), writes(reqs))
	}
}

// Declined: a merge request closed by a human is not opened again.
func TestGitLabClosedStaysClosed(t *testing.T) {
	f := newFakeGitLab(t)
	f.createProject("acme/shop", map[string]string{".remedy.yaml": twoControls, "deploy/web.yaml": webPrivileged})
	c := f.client(t)
	if _, err := gitops.RemedyRepository(context.Background(), c, "acme", "shop", gitops.RunOptions{Token: fakeToken}); err != nil {
		t.Fatal(err)
	}
	f.mrs["acme/shop"][0].State = "closed"
	res, err := gitops.RemedyRepository(context.Background(), c, "acme", "shop", gitops.RunOptions{Token: fakeToken})
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":declined"}) || len(f.mrs["acme/shop"]) != 1 {
		t.Errorf("after closing: %v, %d merge requests", got, len(f.mrs["acme/shop"]))
	}
}

func TestGitLabListRepositories(t *testing.T) {
	f := newFakeGitLab(t)
	f.createProject("acme/shop", nil)
	f.createProject("acme/platform/infra", nil)
	f.createProject("jdoe/dotfiles", nil)
	c := f.client(t)
	names := func(owner string) []string {
		rs, err := c.ListRepositories(context.Background(), owner)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rs {
			out = append(out, r.Owner+" "+r.Name+" "+r.FullName)
		}
		slices.Sort(out)
		return out
	}
	if got := names("acme"); !slices.Equal(got, []string{"acme shop acme/shop", "acme/platform infra acme/platform/infra"}) {
		t.Errorf("group acme: %v", got)
	}
	// jdoe is no group: the user's projects.
	if got := names("jdoe"); !slices.Equal(got, []string{"jdoe dotfiles jdoe/dotfiles"}) {
		t.Errorf("user jdoe: %v", got)
	}
}

// Developer or above may command; Reporter, non-members and unknown users
// may not.
func TestGitLabMayWrite(t *testing.T) {
	f := newFakeGitLab(t)
	f.createProject("acme/shop", nil)
	for name, lvl := range map[string]gl.AccessLevelValue{"dev": gl.DeveloperPermissions, "rep": gl.ReporterPermissions, "own": gl.OwnerPermissions} {
		f.members["acme/shop"][f.addUser(name).ID] = lvl
	}
	f.addUser("stranger")
	fg := f.client(t).Repo("acme", "shop")
	for login, want := range map[string]bool{"dev": true, "own": true, "rep": false, "stranger": false, "nobody": false} {
		got, err := fg.MayWrite(context.Background(), login)
		if err != nil || got != want {
			t.Errorf("MayWrite(%s) = %v, %v; want %v", login, got, err, want)
		}
	}
}

// A review is diff discussions with GitLab's suggestion blocks and a
// summary note that reads back as a review requesting changes, until
// dismissed.
func TestGitLabReview(t *testing.T) {
	f := newFakeGitLab(t)
	f.createProject("acme/shop", map[string]string{"deploy/web.yaml": webPrivileged})
	f.git.CommitFiles("acme", "shop", "add-api", map[string]string{"deploy/api.yaml": webPrivileged}, "add the api")
	fg := f.client(t).Repo("acme", "shop")
	ctx := context.Background()
	pr, err := fg.CreatePullRequest(ctx, gitops.NewPullRequest{Title: "Add the api", Head: "add-api", Base: "main"})
	if err != nil {
		t.Fatal(err)
	}
	sha := f.git.BranchSHA("acme", "shop", "add-api")
	id, err := fg.CreateReview(ctx, pr.Number, gitops.NewReview{CommitID: sha, Body: "remedy found 1 new finding", Comments: []gitops.ReviewComment{
		{Path: "deploy/api.yaml", Line: 13, Body: "privileged\n\n```suggestion\n            privileged: false\n```\n"},
		{Path: "deploy/api.yaml", StartLine: 11, Line: 13, Body: "```suggestion\na\nb\nc\n```"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	ds := f.discussions["acme/shop"][int64(pr.Number)]
	if len(ds) != 2 || !strings.Contains(*ds[0].Body, "```suggestion:-0+0\n") || !strings.Contains(*ds[1].Body, "```suggestion:-2+0\n") ||
		*ds[0].Position.NewLine != 13 || *ds[0].Position.NewPath != "deploy/api.yaml" {
		t.Errorf("discussions: %+v", ds)
	}
	rs, err := fg.Reviews(ctx, pr.Number)
	if err != nil || len(rs) != 1 || rs[0].ID != id || rs[0].CommitID != sha || !rs[0].ChangesRequested || rs[0].Body != "remedy found 1 new finding" {
		t.Fatalf("reviews: %+v, %v", rs, err)
	}
	if err := fg.DismissReview(ctx, pr.Number, id, "Superseded."); err != nil {
		t.Fatal(err)
	}
	if rs, _ := fg.Reviews(ctx, pr.Number); len(rs) != 1 || rs[0].ChangesRequested {
		t.Errorf("after dismissal: %+v", rs)
	}
	// A position the diff does not have is refused: the caller may post
	// the review without its comments.
	for _, stale := range []gitops.NewReview{
		{CommitID: "0000", Body: "x", Comments: []gitops.ReviewComment{{Path: "deploy/api.yaml", Line: 1, Body: "b"}}},
		{CommitID: sha, Body: "x", Comments: []gitops.ReviewComment{{Path: "not/in/the/diff.yaml", Line: 1, Body: "b"}}},
	} {
		if _, err := fg.CreateReview(ctx, pr.Number, stale); !errors.Is(err, gitops.ErrReviewCommentsRefused) {
			t.Errorf("review %+v: %v, want ErrReviewCommentsRefused", stale, err)
		}
	}
	if err := fg.SetStatus(ctx, sha, gitops.CommitStatus{State: gitops.StatusFailure, Description: "1 new finding", Context: "remedy"}); err != nil {
		t.Fatal(err)
	}
	if st := f.statuses[sha]; len(st) != 1 || st[0].State != gl.Failed || *st[0].Name != "remedy" {
		t.Errorf("statuses: %+v", st)
	}
}

// With remedy's version given, an idle rerun reads three answers and
// clones nothing.
func TestGitLabIdleRerunSkipsTheClone(t *testing.T) {
	f := newFakeGitLab(t)
	f.createProject("acme/shop", map[string]string{".remedy.yaml": twoControls, "deploy/web.yaml": webPrivileged})
	c := f.client(t)
	o := gitops.RunOptions{Token: fakeToken, Version: "v1.0.0-test"}
	if _, err := gitops.RemedyRepository(context.Background(), c, "acme", "shop", o); err != nil {
		t.Fatal(err)
	}
	f.reset()
	res, err := gitops.RemedyRepository(context.Background(), c, "acme", "shop", o)
	reqs := f.requests()
	t.Logf("GitLab idle rerun without a clone: %d API requests: %v", len(reqs), reqs)
	if err != nil || !res.Idle || len(reqs) != 3 || len(writes(reqs)) != 0 {
		t.Errorf("idle rerun: idle=%v err=%v requests %v", res.Idle, err, reqs)
	}
}

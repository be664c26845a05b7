package github

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/internal/githubtest"
)

// The fixture: two findings of two controls, in two files.
const (
	webPrivileged = `# The web tier.
apiVersion: apps/v1
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
	webFixed = `# The web tier.
apiVersion: apps/v1
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
            privileged: false
`
	dbHostPID = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
spec:
  template:
    spec:
      hostPID: true
      containers:
        - name: db
          image: postgres:16
`
	dbFixed = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: shop
spec:
  template:
    spec:
      hostPID: false
      containers:
        - name: db
          image: postgres:16
`
	apiPrivileged = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: api
          image: api:1.0
          securityContext:
            privileged: true
`
	twoControls = "controls:\n  enable: [privileged, host-pid]\n"
)

// harness runs remedy on acme/shop of a fake GitHub the way remedy pr does,
// with one client (and so one ETag cache) across runs, as a long-running
// or cached CLI would have.
type harness struct {
	t  *testing.T
	s  *githubtest.Server
	gh *gogithub.Client
	// intercept, when set, may answer an API request instead of the server.
	mu        sync.Mutex
	intercept func(*http.Request) (*http.Response, error)
}

func newHarness(t *testing.T, files map[string]string, opts ...githubtest.Option) *harness {
	t.Helper()
	h := &harness{t: t, s: githubtest.New(t, opts...)}
	h.s.AddToken(testToken, "remedy-bot")
	h.s.CreateRepo("acme", "shop", files)
	gh, err := newGoGitHub(Options{
		APIURL: h.s.APIURL(), Token: testToken, Retry: noWait(),
		Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			h.mu.Lock()
			f := h.intercept
			h.mu.Unlock()
			if f != nil {
				if resp, err := f(r); resp != nil || err != nil {
					return resp, err
				}
			}
			return http.DefaultTransport.RoundTrip(r)
		}),
	})
	if err != nil {
		t.Fatal(err)
	}
	h.gh = gh
	return h
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (h *harness) setIntercept(f func(*http.Request) (*http.Response, error)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.intercept = f
}

// run is one run of remedy pr; it returns the result, the error and the
// API requests the run made.
func (h *harness) run(o gitops.RunOptions) (gitops.RunResult, []string, error) {
	h.t.Helper()
	h.s.ResetRequests()
	o.Token = testToken
	res, err := gitops.RemedyRepository(context.Background(), &Client{gh: h.gh}, "acme", "shop", o)
	return res, h.s.RequestLog(), err
}

func (h *harness) mustRun(o gitops.RunOptions) (gitops.RunResult, []string) {
	h.t.Helper()
	res, reqs, err := h.run(o)
	if err != nil {
		h.t.Fatalf("run: %v\nrequests: %v", err, reqs)
	}
	return res, reqs
}

func (h *harness) prs() []*gogithub.PullRequest { return h.s.PullRequests("acme", "shop") }

func (h *harness) branch(name string) string { return h.s.BranchSHA("acme", "shop", name) }

func (h *harness) file(ref, path string) string {
	c, _ := h.s.ReadFile("acme", "shop", ref, path)
	return c
}

func fixture() map[string]string {
	return map[string]string{".remedy.yaml": twoControls, "deploy/web.yaml": webPrivileged, "deploy/db.yaml": dbHostPID, "README.md": "# shop\n"}
}

func actions(r gitops.RunResult) []string {
	var out []string
	for _, b := range r.Branches {
		out = append(out, b.Branch+":"+string(b.Action))
	}
	return out
}

func writes(reqs []string) []string {
	var out []string
	for _, r := range reqs {
		if !strings.HasPrefix(r, "GET ") {
			out = append(out, r)
		}
	}
	return out
}

func TestFirstRunThenIdle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fixture())

	res, reqs := h.mustRun(gitops.RunOptions{})
	t.Logf("first run: %d API requests: %v", len(reqs), reqs)
	if len(reqs) > 8 {
		t.Errorf("first run made %d API requests, want ≤ 8", len(reqs))
	}
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":created"}) {
		t.Fatalf("actions %v", got)
	}
	prs := h.prs()
	if len(prs) != 1 {
		t.Fatalf("%d pull requests, want 1", len(prs))
	}
	pr := prs[0]
	if pr.GetHead().GetRef() != gitops.RepoBranch || pr.GetBase().GetRef() != "main" || pr.GetState() != "open" {
		t.Errorf("PR head %s base %s state %s", pr.GetHead().GetRef(), pr.GetBase().GetRef(), pr.GetState())
	}
	if pr.GetTitle() != "fix(security): host-pid and privileged in 2 resources" {
		t.Errorf("title %q", pr.GetTitle())
	}
	body := pr.GetBody()
	for _, want := range []string{"| `privileged` | high | `Deployment shop/web, container web` |", "| `host-pid` | high | `StatefulSet shop/db` |", "CIS 5.2.2", "# remedy:ignore", "/remedy rebase", "<!-- remedy:fingerprints "} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if fps, ok := gitops.MarkerFingerprints(pr.GetBody()); !ok || len(fps) != 2 || len(res.Branches[0].Fingerprints) != 2 {
		t.Errorf("marker fingerprints %v", fps)
	}
	var labels []string
	for _, l := range pr.Labels {
		labels = append(labels, l.GetName())
	}
	if !slices.Equal(labels, []string{"security", "remedy"}) {
		t.Errorf("labels %v", labels)
	}
	if h.file(gitops.RepoBranch, "deploy/web.yaml") != webFixed || h.file(gitops.RepoBranch, "deploy/db.yaml") != dbFixed {
		t.Errorf("branch files:\n%s\n%s", h.file(gitops.RepoBranch, "deploy/web.yaml"), h.file(gitops.RepoBranch, "deploy/db.yaml"))
	}
	if h.file(gitops.RepoBranch, "README.md") != "# shop\n" || h.file("main", "deploy/web.yaml") != webPrivileged {
		t.Error("the branch changed more than the fixes, or main changed")
	}
	head := h.branch(gitops.RepoBranch)

	// Idle rerun: nothing pushed, nothing written, at most two requests.
	res, reqs = h.mustRun(gitops.RunOptions{})
	t.Logf("idle rerun: %d API requests: %v", len(reqs), reqs)
	if len(reqs) > 2 || len(writes(reqs)) > 0 {
		t.Errorf("idle rerun made %d API requests (%d writes), want ≤ 2 reads: %v", len(reqs), len(writes(reqs)), reqs)
	}
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":unchanged"}) || res.Branches[0].Pushed {
		t.Errorf("idle rerun: %v pushed=%v", got, res.Branches[0].Pushed)
	}
	if h.branch(gitops.RepoBranch) != head {
		t.Error("idle rerun moved the branch")
	}
	if n := len(h.prs()); n != 1 {
		t.Errorf("%d pull requests after the rerun", n)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fixture())
	res, reqs := h.mustRun(gitops.RunOptions{DryRun: true})
	if len(writes(reqs)) > 0 || h.branch(gitops.RepoBranch) != "" || len(h.prs()) != 0 {
		t.Fatalf("dry run wrote: %v, branch %q, %d PRs", writes(reqs), h.branch(gitops.RepoBranch), len(h.prs()))
	}
	if !res.DryRun || len(res.Branches) != 1 {
		t.Fatalf("result %+v", res)
	}
	b := res.Branches[0]
	if b.Action != gitops.ActionCreated || !b.Pushed || !strings.HasPrefix(b.Title, "fix(security):") || len(b.Changes) != 2 {
		t.Errorf("dry run plan: %s pushed=%v title=%q changes=%d", b.Action, b.Pushed, b.Title, len(b.Changes))
	}
}

func TestCrashBetweenPushAndPullRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fixture())
	// The process dies as it asks for the pull request: the branch is
	// pushed, no pull request exists.
	h.setIntercept(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/pulls") {
			return nil, errors.New("killed")
		}
		return nil, nil
	})
	if _, _, err := h.run(gitops.RunOptions{}); err == nil {
		t.Fatal("the interrupted run reported no error")
	}
	pushed := h.branch(gitops.RepoBranch)
	if pushed == "" || len(h.prs()) != 0 {
		t.Fatalf("after the crash: branch %q, %d PRs", pushed, len(h.prs()))
	}

	h.setIntercept(nil)
	res, reqs := h.mustRun(gitops.RunOptions{})
	t.Logf("recovery run: %d API requests: %v", len(reqs), reqs)
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":created"}) || res.Branches[0].Pushed {
		t.Errorf("recovery: %v pushed=%v, want created without a push", got, res.Branches[0].Pushed)
	}
	if h.branch(gitops.RepoBranch) != pushed || len(h.prs()) != 1 {
		t.Errorf("recovery: branch %s (was %s), %d PRs", h.branch(gitops.RepoBranch), pushed, len(h.prs()))
	}
	branches, _, err := h.gh.Repositories.ListBranches(context.Background(), "acme", "shop", nil)
	if err != nil || len(branches) != 2 {
		t.Errorf("branches %v, %v; want main and one bot branch", branches, err)
	}
}

func TestAdoptsExistingPullRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fixture())
	h.mustRun(gitops.RunOptions{})
	// A stale list (another run raced this one): the pull request is not
	// seen, creating it again is a 422, which must adopt the existing one.
	h.setIntercept(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/pulls") {
			h.setIntercept(nil)
			return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader("[]")), Request: r}, nil
		}
		return nil, nil
	})
	res, reqs := h.mustRun(gitops.RunOptions{})
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":adopted"}) {
		t.Errorf("actions %v, requests %v", got, reqs)
	}
	if n := len(h.prs()); n != 1 {
		t.Errorf("%d pull requests, want 1", n)
	}
}

func TestBaseMovedRebuildsBranch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fixture())
	h.mustRun(gitops.RunOptions{})
	before := h.branch(gitops.RepoBranch)
	newBase := h.s.CommitFiles("acme", "shop", "main", map[string]string{"README.md": "# shop, now with docs\n"}, "docs")

	res, reqs := h.mustRun(gitops.RunOptions{})
	t.Logf("base-moved run: %d API requests: %v", len(reqs), reqs)
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":updated"}) || !res.Branches[0].Pushed {
		t.Fatalf("actions %v pushed=%v", got, res.Branches[0].Pushed)
	}
	after := h.branch(gitops.RepoBranch)
	if after == before {
		t.Fatal("branch not rebuilt")
	}
	w := cloneFrom(t, h.s, "acme", "shop", "main")
	info, err := w.Inspect(context.Background(), gitops.RepoBranch)
	if err != nil {
		t.Fatal(err)
	}
	if len(info.Parents) != 1 || info.Parents[0] != newBase {
		t.Errorf("rebuilt branch parents %v, want the new base %s", info.Parents, newBase)
	}
	if h.file(gitops.RepoBranch, "README.md") != "# shop, now with docs\n" || h.file(gitops.RepoBranch, "deploy/web.yaml") != webFixed {
		t.Error("rebuilt branch lacks the new base or the fixes")
	}
	// Lines did not move, so the texts are the same: no edit.
	if w := writes(reqs); len(w) != 0 {
		t.Errorf("API writes %v, want none", w)
	}
	if n := len(h.prs()); n != 1 {
		t.Errorf("%d pull requests", n)
	}
}

func cloneFrom(t *testing.T, s *githubtest.Server, owner, name, branch string) *gitops.Workspace {
	t.Helper()
	w, err := gitops.Clone(context.Background(), gitops.CloneOptions{URL: s.CloneURL(owner, name), Branch: branch, Token: testToken})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestNewFindingUpdatesOpenPullRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fixture())
	h.mustRun(gitops.RunOptions{})
	h.s.CommitFiles("acme", "shop", "main", map[string]string{"deploy/api.yaml": apiPrivileged}, "api")
	res, reqs := h.mustRun(gitops.RunOptions{})
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":updated"}) {
		t.Fatalf("actions %v", got)
	}
	if w := writes(reqs); len(w) != 1 || !strings.HasPrefix(w[0], "PATCH /repos/acme/shop/pulls/") {
		t.Errorf("writes %v, want one edit of the pull request", w)
	}
	pr := h.prs()[0]
	if len(h.prs()) != 1 || !strings.Contains(pr.GetTitle(), "3 resources") || !strings.Contains(pr.GetBody(), "Deployment shop/api") {
		t.Errorf("PR after a new finding: %q", pr.GetTitle())
	}
}

func TestHumanCommitIsLeftAlone(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fixture())
	h.mustRun(gitops.RunOptions{})
	human := h.s.CommitFiles("acme", "shop", gitops.RepoBranch, map[string]string{"deploy/web.yaml": webFixed + "# reviewed\n"}, "tweak")
	h.s.CommitFiles("acme", "shop", "main", map[string]string{"README.md": "moved\n"}, "base moves too")

	for run := 1; run <= 2; run++ {
		res, reqs := h.mustRun(gitops.RunOptions{})
		t.Logf("hands-off run %d: %d API requests: %v", run, len(reqs), reqs)
		if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":hands-off"}) {
			t.Fatalf("run %d: actions %v", run, got)
		}
		if h.branch(gitops.RepoBranch) != human {
			t.Fatalf("run %d moved the human's branch", run)
		}
		comments := h.s.Comments("acme", "shop", 1)
		if len(comments) != 1 || !strings.Contains(comments[0].GetBody(), "<!-- remedy:hands-off -->") {
			t.Fatalf("run %d: %d comments, want exactly one hands-off comment", run, len(comments))
		}
		if pr := h.prs()[0]; pr.GetState() != "open" {
			t.Fatalf("run %d changed the pull request", run)
		}
	}
	// Even with its findings gone, remedy does not close a PR it no longer owns.
	h.s.CommitFiles("acme", "shop", "main", map[string]string{"deploy/web.yaml": webFixed, "deploy/db.yaml": dbFixed}, "fixed by hand")
	h.mustRun(gitops.RunOptions{})
	if pr := h.prs()[0]; pr.GetState() != "open" || h.branch(gitops.RepoBranch) != human {
		t.Error("remedy closed a pull request somebody else pushed to")
	}
}

func TestClosedUnmergedIsNotRecreated(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fixture())
	h.mustRun(gitops.RunOptions{})
	h.s.ClosePR("acme", "shop", 1, false)

	res, reqs := h.mustRun(gitops.RunOptions{})
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":declined"}) {
		t.Errorf("actions %v", got)
	}
	if w := writes(reqs); len(w) != 0 || len(h.prs()) != 1 {
		t.Fatalf("after a decline: writes %v, %d PRs", w, len(h.prs()))
	}

	// A new finding: a new pull request for it alone.
	h.s.CommitFiles("acme", "shop", "main", map[string]string{"deploy/api.yaml": apiPrivileged}, "api")
	res, _ = h.mustRun(gitops.RunOptions{})
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":created"}) {
		t.Fatalf("actions %v", got)
	}
	prs := h.prs()
	if len(prs) != 2 || prs[1].GetState() != "open" {
		t.Fatalf("%d PRs", len(prs))
	}
	fps, _ := gitops.MarkerFingerprints(prs[1].GetBody())
	if len(fps) != 1 || !strings.Contains(prs[1].GetBody(), "Deployment shop/api") || strings.Contains(prs[1].GetBody(), "shop/web") {
		t.Errorf("new PR fixes %v:\n%s", fps, prs[1].GetBody())
	}
	if !strings.Contains(prs[1].GetBody(), "2 other findings are left out") {
		t.Error("the new PR does not say declined findings were left out")
	}
	if h.file(gitops.RepoBranch, "deploy/web.yaml") != webPrivileged || h.file(gitops.RepoBranch, "deploy/api.yaml") == apiPrivileged {
		t.Error("the new branch holds declined fixes, or not the new one")
	}
}

func TestFixedOnBaseClosesPullRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fixture())
	h.mustRun(gitops.RunOptions{})
	h.s.CommitFiles("acme", "shop", "main", map[string]string{"deploy/web.yaml": webFixed, "deploy/db.yaml": dbFixed}, "fixed by hand")

	res, reqs := h.mustRun(gitops.RunOptions{})
	t.Logf("closing run: %d API requests: %v", len(reqs), reqs)
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":closed"}) {
		t.Fatalf("actions %v", got)
	}
	pr := h.prs()[0]
	if pr.GetState() != "closed" || pr.GetMerged() || h.branch(gitops.RepoBranch) != "" {
		t.Errorf("PR state %s, branch %q; want closed and deleted", pr.GetState(), h.branch(gitops.RepoBranch))
	}
	if cs := h.s.Comments("acme", "shop", 1); len(cs) != 1 || !strings.Contains(cs[0].GetBody(), "gone from `main`") {
		t.Errorf("comments %v", cs)
	}
	// Nothing left: the next run makes no request beyond reading the repo.
	res, reqs = h.mustRun(gitops.RunOptions{})
	if len(res.Branches) != 0 || len(reqs) != 1 {
		t.Errorf("run on a clean repo: %v, requests %v", actions(res), reqs)
	}
	// remedy closed it, not a human: the findings coming back are proposed again.
	h.s.CommitFiles("acme", "shop", "main", map[string]string{"deploy/web.yaml": webPrivileged}, "revert")
	res, _ = h.mustRun(gitops.RunOptions{})
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":created"}) || len(h.prs()) != 2 {
		t.Errorf("after a revert: %v, %d PRs", got, len(h.prs()))
	}
}

func TestPartlyFixedOnBaseShrinksPullRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fixture())
	h.mustRun(gitops.RunOptions{})
	h.s.CommitFiles("acme", "shop", "main", map[string]string{"deploy/db.yaml": dbFixed}, "db fixed by hand")
	res, _ := h.mustRun(gitops.RunOptions{})
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":updated"}) {
		t.Fatalf("actions %v", got)
	}
	pr := h.prs()[0]
	if pr.GetTitle() != "fix(security): privileged in Deployment shop/web" || strings.Contains(pr.GetBody(), "host-pid") {
		t.Errorf("PR after a partial fix: %q", pr.GetTitle())
	}
}

func TestFaultsConvergeWithoutDuplicates(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		seed     int64
		statuses []int
	}{
		{3, []int{http.StatusBadGateway, http.StatusTooManyRequests}},
		{4, []int{http.StatusBadGateway, http.StatusTooManyRequests}},
		{5, nil}, // githubtest's default mix: 502, 429 and secondary-limit 403
	} {
		t.Run(strconv.FormatInt(tt.seed, 10), func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, fixture())
			h.s.SetFaultRate(0.2, tt.seed, tt.statuses...)
			// Without faults: 4 requests, then 2 and 2.
			total := 0
			for run := 1; run <= 3; run++ {
				res, reqs := h.mustRun(gitops.RunOptions{})
				total += len(reqs)
				t.Logf("run %d under 20%% faults: %v, %d API requests", run, actions(res), len(reqs))
			}
			if total <= 8 {
				t.Errorf("%d requests in all: no fault was injected, the test proves nothing", total)
			}
			prs := h.prs()
			if len(prs) != 1 || prs[0].GetState() != "open" || len(prs[0].Labels) != 2 {
				t.Fatalf("%d PRs (want 1 open, labelled)", len(prs))
			}
			h.s.SetFaultRate(0, 0)
			res, reqs := h.mustRun(gitops.RunOptions{})
			if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":unchanged"}) || len(writes(reqs)) != 0 {
				t.Errorf("after the faults: %v, writes %v", got, writes(reqs))
			}
		})
	}
}

func TestPerControlGroupsAndLimits(t *testing.T) {
	t.Parallel()
	files := fixture()
	files[".remedy.yaml"] = twoControls + "group: per-control\nprConcurrentLimit: 1\nreviewers: [alice]\nassignees: [alice]\nlabels: [security]\n"
	h := newHarness(t, files)
	h.s.SetPermission("acme", "shop", "alice", "write")

	res, reqs := h.mustRun(gitops.RunOptions{})
	t.Logf("per-control first run: %d API requests: %v", len(reqs), reqs)
	want := []string{"remedy/host-pid:created", "remedy/privileged:deferred"}
	if got := actions(res); !slices.Equal(got, want) {
		t.Fatalf("actions %v, want %v", got, want)
	}
	prs := h.prs()
	if len(prs) != 1 || prs[0].GetHead().GetRef() != "remedy/host-pid" || h.branch("remedy/privileged") != "" {
		t.Fatalf("PRs %d, deferred branch pushed: %q", len(prs), h.branch("remedy/privileged"))
	}
	if len(prs[0].RequestedReviewers) != 1 || len(prs[0].Assignees) != 1 || len(prs[0].Labels) != 1 {
		t.Errorf("reviewers %v assignees %v labels %v", prs[0].RequestedReviewers, prs[0].Assignees, prs[0].Labels)
	}
	if strings.Contains(prs[0].GetBody(), "privileged") {
		t.Error("the host-pid PR mentions the other control")
	}

	// The first is merged: the second may open.
	h.s.ClosePR("acme", "shop", 1, true)
	res, _ = h.mustRun(gitops.RunOptions{})
	want = []string{"remedy/host-pid:", "remedy/privileged:created"}
	got := actions(res)
	if len(got) == 0 || got[len(got)-1] != want[1] || len(h.prs()) != 2 {
		t.Fatalf("after the merge: %v, %d PRs", got, len(h.prs()))
	}
}

func TestHourlyLimit(t *testing.T) {
	t.Parallel()
	files := fixture()
	files[".remedy.yaml"] = twoControls + "group: per-control\nprHourlyLimit: 1\n"
	h := newHarness(t, files)
	res, _ := h.mustRun(gitops.RunOptions{})
	if got := actions(res); !slices.Equal(got, []string{"remedy/host-pid:created", "remedy/privileged:deferred"}) {
		t.Fatalf("actions %v", got)
	}
	res, _ = h.mustRun(gitops.RunOptions{Now: func() time.Time { return time.Now().Add(2 * time.Hour) }})
	if got := actions(res); !slices.Equal(got, []string{"remedy/host-pid:unchanged", "remedy/privileged:created"}) {
		t.Errorf("an hour later: %v", got)
	}
}

func TestTemplateOverrides(t *testing.T) {
	t.Parallel()
	files := fixture()
	files[".remedy.yaml"] = twoControls + "templates:\n  title: .github/remedy/title.tmpl\n"
	files[".github/remedy/title.tmpl"] = "chore(deps): harden {{len .Findings}} things\n"
	h := newHarness(t, files)
	h.mustRun(gitops.RunOptions{})
	if pr := h.prs()[0]; pr.GetTitle() != "chore(deps): harden 2 things" {
		t.Errorf("title %q", pr.GetTitle())
	}

	files[".remedy.yaml"] = twoControls + "templates:\n  body: nope.tmpl\n"
	h2 := newHarness(t, files)
	if _, _, err := h2.run(gitops.RunOptions{}); err == nil || !strings.Contains(err.Error(), "templates.body") {
		t.Errorf("missing template file: %v", err)
	}
}

func TestOtherBaseHasItsOwnBranch(t *testing.T) {
	t.Parallel()
	h := newHarness(t, fixture())
	h.s.CommitFiles("acme", "shop", "release-1", map[string]string{"deploy/db.yaml": dbFixed}, "release branch")

	res, _ := h.mustRun(gitops.RunOptions{Base: "release-1"})
	if got := actions(res); !slices.Equal(got, []string{"remedy/release-1/security-fixes:created"}) {
		t.Fatalf("actions %v", got)
	}
	res, _ = h.mustRun(gitops.RunOptions{})
	if got := actions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":created"}) {
		t.Fatalf("actions on main %v", got)
	}
	prs := h.prs()
	if len(prs) != 2 || prs[0].GetBase().GetRef() != "release-1" || prs[1].GetBase().GetRef() != "main" {
		t.Fatalf("%d PRs", len(prs))
	}
	if strings.Contains(prs[0].GetBody(), "host-pid") || !strings.Contains(prs[1].GetBody(), "host-pid") {
		t.Error("each PR should fix its own base's findings")
	}
	for _, base := range []string{"release-1", ""} {
		res, reqs := h.mustRun(gitops.RunOptions{Base: base})
		if len(res.Branches) != 1 || res.Branches[0].Action != gitops.ActionUnchanged || len(writes(reqs)) != 0 {
			t.Errorf("rerun on %q: %v, writes %v", base, actions(res), writes(reqs))
		}
	}
}

// A .remedy.yaml whose PR templates are symlinks out of the repository,
// to /etc/passwd and to the process environment (the bot's tokens): the
// run fails naming the file, and nothing is pushed or written on GitHub.
func TestTemplateSymlinksOutOfTheRepositoryAreRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body, commit string }{
		{"relative links", "../../../../etc/passwd", "../../../../proc/self/environ"},
		{"absolute links", "/etc/passwd", "/proc/self/environ"},
		{"link to a device", "/dev/zero", "commit.tmpl"},
		{"link into .git", ".git/config", "commit.tmpl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			files := fixture()
			files[".remedy.yaml"] = twoControls + "templates:\n  body: body.md\n  commit: commit.md\n"
			files["body.md"] = githubtest.Symlink(tc.body)
			files["commit.md"] = githubtest.Symlink(tc.commit)
			files["commit.tmpl"] = "fix things\n"
			h := newHarness(t, files)
			before := h.branch("main")
			_, reqs, err := h.run(gitops.RunOptions{})
			if err == nil {
				t.Fatal("run succeeded; want the template refused")
			}
			want := "leads outside the repository"
			if strings.HasPrefix(tc.body, ".git") {
				want = "links into .git"
			}
			for _, want := range []string{".remedy.yaml: templates.body", "read body.md", want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), "root:") {
				t.Errorf("error %q holds a secret", err)
			}
			if w := writes(reqs); len(w) > 0 {
				t.Errorf("the run wrote to GitHub: %v", w)
			}
			if len(h.prs()) != 0 || h.branch("main") != before || h.branch("remedy/security-fixes") != "" {
				t.Errorf("something was pushed: %d PRs, fix branch %q", len(h.prs()), h.branch("remedy/security-fixes"))
			}
		})
	}
}

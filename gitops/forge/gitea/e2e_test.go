//go:build e2e

package gitea

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/internal/giteatest"
)

const (
	e2eWeb = `apiVersion: apps/v1
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
	e2eDB = `apiVersion: apps/v1
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
	e2eConfig = "controls:\n  enable: [privileged, host-pid]\n"
)

// e2eHarness runs remedy on one repository of the real Gitea, counting
// the API requests of each run; intercept may answer a request instead.
type e2eHarness struct {
	t    *testing.T
	srv  *giteatest.Server
	name string
	c    *Client

	mu        sync.Mutex
	reqs      []string
	intercept func(*http.Request) (*http.Response, error)
}

func newE2E(t *testing.T) *e2eHarness {
	t.Helper()
	srv := giteatest.Connect(t)
	h := &e2eHarness{t: t, srv: srv}
	h.name = srv.CreateRepo("shop", map[string]string{".remedy.yaml": e2eConfig, "deploy/web.yaml": e2eWeb, "deploy/db.yaml": e2eDB})
	c, err := New(Options{URL: srv.URL, Token: srv.Token, Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		h.mu.Lock()
		h.reqs = append(h.reqs, r.Method+" "+strings.TrimPrefix(r.URL.Path, "/api/v1"))
		f := h.intercept
		h.mu.Unlock()
		if f != nil {
			if resp, err := f(r); resp != nil || err != nil {
				return resp, err
			}
		}
		return http.DefaultTransport.RoundTrip(r)
	})})
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	return h
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (h *e2eHarness) run() (gitops.RunResult, []string, error) {
	h.t.Helper()
	return h.runWith(gitops.RunOptions{})
}

func (h *e2eHarness) runWith(o gitops.RunOptions) (gitops.RunResult, []string, error) {
	h.t.Helper()
	o.Token = h.srv.Token
	h.mu.Lock()
	h.reqs = nil
	h.mu.Unlock()
	res, err := gitops.RemedyRepository(context.Background(), h.c, h.srv.User, h.name, o)
	h.mu.Lock()
	defer h.mu.Unlock()
	return res, slices.Clone(h.reqs), err
}

func (h *e2eHarness) mustRun() (gitops.RunResult, []string) {
	h.t.Helper()
	res, reqs, err := h.run()
	if err != nil {
		h.t.Fatalf("run: %v\nrequests: %v", err, reqs)
	}
	return res, reqs
}

func e2eActions(r gitops.RunResult) []string {
	var out []string
	for _, b := range r.Branches {
		out = append(out, b.Branch+":"+string(b.Action))
	}
	return out
}

func e2eWrites(reqs []string) []string {
	var out []string
	for _, r := range reqs {
		if !strings.HasPrefix(r, "GET ") {
			out = append(out, r)
		}
	}
	return out
}

// The first run opens the fix pull request with its labels; a rerun with
// nothing new writes nothing.
func TestE2EGiteaFirstRunThenIdle(t *testing.T) {
	h := newE2E(t)
	res, reqs := h.mustRun()
	t.Logf("Gitea first run: %d API requests: %v", len(reqs), reqs)
	if got := e2eActions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":created"}) {
		t.Fatalf("first run: %v", got)
	}
	prs := h.srv.PullRequests(h.name)
	if len(prs) != 1 || prs[0].State != "open" || prs[0].Head.Ref != gitops.RepoBranch || !strings.Contains(prs[0].Body, "<!-- remedy:fingerprints ") {
		t.Fatalf("pull requests after the first run: %+v", prs)
	}
	var labels []string
	for _, l := range prs[0].Labels {
		labels = append(labels, l.Name)
	}
	slices.Sort(labels)
	if !slices.Equal(labels, []string{"remedy", "security"}) {
		t.Errorf("labels %v", labels)
	}
	if f := h.srv.File(h.name, gitops.RepoBranch, "deploy/web.yaml"); !strings.Contains(f, "privileged: false") {
		t.Errorf("fix branch web.yaml:\n%s", f)
	}

	res, reqs = h.mustRun()
	t.Logf("Gitea idle rerun: %d API requests: %v", len(reqs), reqs)
	if got := e2eActions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":unchanged"}) {
		t.Errorf("idle rerun: %v", got)
	}
	if w := e2eWrites(reqs); len(w) != 0 {
		t.Errorf("idle rerun wrote %v", w)
	}
}

// A commit on the base rebuilds the fix branch on it and updates the pull
// request in place.
func TestE2EGiteaBaseMoved(t *testing.T) {
	h := newE2E(t)
	h.mustRun()
	before := h.srv.BranchSHA(h.name, gitops.RepoBranch)
	h.srv.Commit(h.name, "main", map[string]string{"README.md": "# shop, moved\n"}, "move the base")
	res, _ := h.mustRun()
	if got := e2eActions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":updated"}) || !res.Branches[0].Pushed {
		t.Fatalf("after the base moved: %v", got)
	}
	after := h.srv.BranchSHA(h.name, gitops.RepoBranch)
	if after == before || h.srv.File(h.name, gitops.RepoBranch, "README.md") != "# shop, moved\n" {
		t.Errorf("fix branch %s (was %s) not rebuilt on the new base", after, before)
	}
	if prs := h.srv.PullRequests(h.name); len(prs) != 1 || prs[0].Head.SHA != after {
		t.Errorf("pull requests: %+v", prs)
	}
}

// A fix pull request closed without merging is not opened again.
func TestE2EGiteaClosedStaysClosed(t *testing.T) {
	h := newE2E(t)
	res, _ := h.mustRun()
	n := res.Branches[0].PR
	h.srv.API(http.MethodPatch, "repos/"+h.srv.User+"/"+h.name+"/pulls/"+itoa(n), map[string]string{"state": "closed"}, nil)
	for i := 0; i < 2; i++ {
		res, _ = h.mustRun()
		if got := e2eActions(res); len(got) > 0 && !slices.Equal(got, []string{gitops.RepoBranch + ":declined"}) {
			t.Errorf("run %d after closing: %v", i, got)
		}
	}
	prs := h.srv.PullRequests(h.name)
	if len(prs) != 1 || prs[0].State != "closed" {
		t.Errorf("pull requests: %+v", prs)
	}
}

// A run killed between pushing the branch and opening the pull request is
// finished by the next one, without a second push or a duplicate.
func TestE2EGiteaCrashBetweenPushAndPullRequest(t *testing.T) {
	h := newE2E(t)
	h.intercept = func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/pulls") {
			return nil, errors.New("killed")
		}
		return nil, nil
	}
	if _, _, err := h.run(); err == nil {
		t.Fatal("the interrupted run reported no error")
	}
	pushed := h.srv.BranchSHA(h.name, gitops.RepoBranch)
	if pushed == "" || len(h.srv.PullRequests(h.name)) != 0 {
		t.Fatalf("after the crash: branch %q, %d pull requests", pushed, len(h.srv.PullRequests(h.name)))
	}
	h.intercept = nil
	res, _ := h.mustRun()
	if got := e2eActions(res); !slices.Equal(got, []string{gitops.RepoBranch + ":created"}) || res.Branches[0].Pushed {
		t.Errorf("recovery: %v pushed=%v", got, res.Branches[0].Pushed)
	}
	if prs := h.srv.PullRequests(h.name); len(prs) != 1 || prs[0].Head.SHA != pushed {
		t.Errorf("pull requests: %+v", prs)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// With remedy's version given, an idle rerun does not clone: API reads
// only (Gitea answers them in full; it has no conditional requests).
func TestE2EGiteaIdleRerunSkipsTheClone(t *testing.T) {
	h := newE2E(t)
	o := gitops.RunOptions{Version: "v1.0.0-e2e"}
	if _, _, err := h.runWith(o); err != nil {
		t.Fatal(err)
	}
	res, reqs, err := h.runWith(o)
	t.Logf("Gitea idle rerun without a clone: %d API requests: %v", len(reqs), reqs)
	if err != nil || !res.Idle || len(e2eWrites(reqs)) != 0 || len(reqs) != 3 {
		t.Errorf("idle rerun: idle=%v err=%v requests %v", res.Idle, err, reqs)
	}
	h.srv.Commit(h.name, "main", map[string]string{"README.md": "# moved\n"}, "move the base")
	if res, _, err = h.runWith(o); err != nil || res.Idle || !res.Branches[0].Pushed {
		t.Errorf("after the base moved: idle=%v err=%v %v", res.Idle, err, e2eActions(res))
	}
}

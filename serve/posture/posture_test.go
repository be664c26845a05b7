package posture

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/serve/jobs"
)

const token = "posture-test-token-0123456789"

var now = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// seed stores the postures of three repositories (one on GitLab in a
// subgroup, one with a hostile finding message), a cluster sweep, and a
// job of a configured repository that never stored a posture.
func seed(t *testing.T) *jobs.Store {
	t.Helper()
	ctx := context.Background()
	s, err := jobs.Open(ctx, filepath.Join(t.TempDir(), "jobs.db"), jobs.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	shop := gitops.Posture{
		Repo: "acme/shop", URL: "https://github.com/acme/shop", Base: "main", Commit: "0123abc",
		Controls: []gitops.ControlCount{
			{Control: "privileged", Severity: scanner.SeverityCritical, Findings: 2, Fixable: 2},
			{Control: "host-pid", Severity: scanner.SeverityHigh, Findings: 1, Fixable: 0, Ignored: 1},
		},
		Unfixable:  []gitops.PostureFinding{{Control: "host-pid", Severity: scanner.SeverityHigh, File: "deploy/agent.yaml", Line: 12, Object: "DaemonSet kube-system/agent", Message: "hostPID is <script>alert(1)</script>", Reason: "the agent reads other processes"}},
		Ignored:    []gitops.PostureFinding{{Control: "host-pid", Severity: scanner.SeverityHigh, File: "deploy/debug.yaml", Line: 4, Object: "Pod debug/shell", Reason: "debug pod, removed Friday", Until: "2026-12-31"}},
		Unreadable: []scanner.FileError{{File: "deploy/broken.yaml", Line: 3, Message: "yaml: mapping values are not allowed here"}},
		Open:       []gitops.PosturePR{{Number: 7, URL: "https://github.com/acme/shop/pull/7", Branch: "remedy/security-fixes", Title: "Security fixes", Controls: []string{"privileged"}}},
		Declined:   []gitops.PosturePR{{Number: 5, URL: "https://github.com/acme/shop/pull/5", Branch: "remedy/security-fixes-seccomp", Title: "Seccomp", Controls: []string{"seccomp-profile"}}},
		Dashboard:  &gitops.IssueRef{Number: 2, URL: "https://github.com/acme/shop/issues/2"},
	}
	app := gitops.Posture{Repo: "group/sub/app", URL: "https://gitlab.example/group/sub/app", Base: "main",
		Controls: []gitops.ControlCount{{Control: "run-as-non-root", Severity: scanner.SeverityMedium, Findings: 4, Fixable: 4}}}
	clean := gitops.Posture{Repo: "acme/clean", Base: "main", Controls: []gitops.ControlCount{{Control: "privileged", Severity: scanner.SeverityCritical, Ignored: 1}}}
	for repo, p := range map[string]gitops.Posture{"acme/shop": shop, "gitlab:group/sub/app": app, "acme/clean": clean} {
		if err := s.SavePosture(ctx, repo, gitops.PostureRecord{Posture: p, At: now.Add(-2 * time.Hour), Job: "1"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveCluster(ctx, jobs.ClusterRecord{Name: "prod", At: now.Add(-time.Hour), Objects: 42, Drifted: 3, Findings: 6,
		Targets: []jobs.ClusterTarget{{Repo: "acme/shop", Objects: 40, Findings: 6, Fixable: 5, Outcome: "remedy/live/prod/security-fixes created #9"}}}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []jobs.Request{{Repo: "acme/shop", Kind: "converge"}, {Repo: "acme/new", Kind: "converge"}, {Repo: "cluster:prod", Kind: "cluster-sweep"}} {
		if _, err := s.Enqueue(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func serve(t *testing.T) *httptest.Server {
	t.Helper()
	p, err := New(Options{Store: seed(t), Token: []byte(token), Repositories: []string{"acme/shop", "acme/new"}, Clusters: []string{"prod", "staging"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url, auth string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestAccess(t *testing.T) {
	srv := serve(t)
	for _, tc := range []struct {
		name, path, auth string
		want             int
		challenge        string
	}{
		{"no token", "/", "", 401, `Bearer realm="remedy posture"`},
		{"no token, API", "/api/v1/posture", "", 401, `Bearer realm="remedy posture"`},
		{"wrong token", "/", "Bearer nope", 401, `error="invalid_token"`},
		{"the token as another scheme", "/", "Basic " + token, 401, `Bearer realm="remedy posture"`},
		{"a prefix of the token", "/", "Bearer " + token[:10], 401, `error="invalid_token"`},
		{"token", "/", "Bearer " + token, 200, ""},
		{"scheme in any case", "/", "bearer " + token, 200, ""},
		{"unknown path under the token", "/nothing", "Bearer " + token, 404, ""},
		{"unknown repository", "/repos/acme/none", "Bearer " + token, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := get(t, srv.URL+tc.path, tc.auth)
			if status != tc.want {
				t.Fatalf("status %d, want %d: %s", status, tc.want, body)
			}
			if got := h.Get("WWW-Authenticate"); !strings.Contains(got, tc.challenge) || (tc.challenge == "") != (got == "") {
				t.Errorf("WWW-Authenticate %q, want %q", got, tc.challenge)
			}
			if status == 401 && strings.Contains(body, "acme") {
				t.Errorf("a refused request saw the fleet: %s", body)
			}
			if h.Get("Cache-Control") != "no-store" || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("headers %v", h)
			}
		})
	}
}

func TestFleetPage(t *testing.T) {
	srv := serve(t)
	status, h, body := get(t, srv.URL+"/", "Bearer "+token)
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d %s", status, h.Get("Content-Type"))
	}
	for _, want := range []string{
		`<b id="total-repositories">4</b>`, // shop, app, clean, and new (configured, a job, no posture)
		`<b class="critical" id="total-critical">2</b>`,
		`<b class="high" id="total-high">1</b>`,
		`<a href="/repos/acme/shop">acme/shop</a>`,
		`<a href="/repos/gitlab:group/sub/app">gitlab:group/sub/app</a>`,
		`acme/clean</a> <span class="clean">clean</span>`,
		`acme/new</a> <span class="muted">not scanned yet</span>`,
		`<a href="https://github.com/acme/shop/pull/7" title="Security fixes">#7</a>`,
		`<a href="https://github.com/acme/shop/pull/5" title="Seccomp">#5</a>`,
		`<a href="https://github.com/acme/shop/issues/2">#2</a>`,
		`<span class="state-queued">queued</span> <span class="muted">converge #1</span>`,
		`<code>run-as-non-root</code></td><td class="sev medium">medium</td><td class="n">4</td>`,
		`<tr data-cluster="prod">`, `<td class="n">42</td><td class="n">3</td>`,
		`acme/shop <span class="muted">40 objects; remedy/live/prod/security-fixes created #9</span>`,
		`<tr data-cluster="staging">`, `not swept yet`, // configured, not swept: listed
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the fleet page lacks %s", want)
		}
	}
	// The worst repository first, never-scanned ones last.
	if i, j, k := strings.Index(body, `data-repo="acme/shop"`), strings.Index(body, `data-repo="gitlab:group/sub/app"`), strings.Index(body, `data-repo="acme/new"`); !(i < j && j < k) {
		t.Errorf("order: shop %d, app %d, new %d", i, j, k)
	}
	if strings.Contains(body, token) || strings.Contains(body, "<script>") {
		t.Error("the page shows the token or a script")
	}
}

func TestRepositoryPage(t *testing.T) {
	srv := serve(t)
	status, _, body := get(t, srv.URL+"/repos/Acme/Shop", "Bearer "+token)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	for _, want := range []string{
		`<a href="https://github.com/acme/shop/blob/0123abc/deploy/agent.yaml#L12"><code>deploy/agent.yaml:12</code></a>`,
		`hostPID is &lt;script&gt;alert(1)&lt;/script&gt;`,
		`the agent reads other processes`,
		`debug pod, removed Friday</td><td>2026-12-31`,
		`<code>deploy/broken.yaml:3</code></a></td><td>yaml: mapping values are not allowed here`,
		`declined <span class="muted">(closed unmerged`,
		`Dashboard issue: <a href="https://github.com/acme/shop/issues/2">#2</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the repository page lacks %s", want)
		}
	}
	if strings.Contains(body, "<script>alert") {
		t.Error("a finding's message was not escaped")
	}
	status, _, body = get(t, srv.URL+"/repos/gitlab:group/sub/app", "Bearer "+token)
	if status != 200 || !strings.Contains(body, "<code>run-as-non-root</code>") {
		t.Errorf("the GitLab subgroup's page: %d", status)
	}
	status, _, body = get(t, srv.URL+"/repos/acme/new", "Bearer "+token)
	if status != 200 || !strings.Contains(body, "No fix run has stored a posture") {
		t.Errorf("a configured repository without a posture: %d %s", status, body)
	}
}

func TestAPI(t *testing.T) {
	srv := serve(t)
	status, h, body := get(t, srv.URL+"/api/v1/posture", "Bearer "+token)
	if status != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %s", status, h.Get("Content-Type"))
	}
	var f Fleet
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatal(err)
	}
	if f.Totals.Repositories != 4 || f.Totals.Clean != 1 || f.Totals.NotScanned != 1 || f.Totals.Severities.Critical != 2 || f.Totals.Fixable != 6 || f.Totals.OpenPRs != 1 || f.Totals.Declined != 1 {
		t.Errorf("totals %+v", f.Totals)
	}
	shop := f.Repositories[0]
	if shop.Name != "acme/shop" || !shop.Configured || shop.Posture == nil || shop.Posture.Unfixable != nil || shop.LastJob == nil || shop.LastJob.State != "queued" {
		t.Errorf("acme/shop in the fleet: %+v", shop)
	}
	if len(f.Clusters) != 2 || f.Clusters[0].Sweep == nil || f.Clusters[0].Sweep.Drifted != 3 || f.Clusters[0].LastJob == nil || f.Clusters[1].Sweep != nil {
		t.Errorf("clusters %+v", f.Clusters)
	}
	status, _, body = get(t, srv.URL+"/api/v1/posture/acme/shop", "Bearer "+token)
	var rp RepositoryPage
	if err := json.Unmarshal([]byte(body), &rp); status != 200 || err != nil {
		t.Fatalf("%d %v", status, err)
	}
	if rp.Posture == nil || len(rp.Posture.Unfixable) != 1 || rp.Posture.Unfixable[0].Line != 12 || len(rp.Posture.Unreadable) != 1 {
		t.Errorf("acme/shop: %+v", rp.Repository)
	}
	if status, _, _ := get(t, srv.URL+"/api/v1/posture/acme/none", "Bearer "+token); status != 404 {
		t.Errorf("unknown repository: %d", status)
	}
}

func TestNewNeedsAToken(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("a page without a token")
	}
}

func TestFileLink(t *testing.T) {
	for _, tc := range []struct {
		forge, url, commit, want string
	}{
		{"github", "https://github.com/acme/shop", "abc", "https://github.com/acme/shop/blob/abc/deploy/web.yaml#L3"},
		{"github", "https://github.com/acme/shop/", "", "https://github.com/acme/shop/blob/main/deploy/web.yaml#L3"},
		{"gitlab", "https://gitlab.example/g/s/app", "abc", "https://gitlab.example/g/s/app/-/blob/abc/deploy/web.yaml#L3"},
		{"gitea", "https://gitea.example/acme/shop", "", "https://gitea.example/acme/shop/src/branch/main/deploy/web.yaml#L3"},
		{"gitea", "https://gitea.example/acme/shop", "abc", "https://gitea.example/acme/shop/src/commit/abc/deploy/web.yaml#L3"},
		{"github", "", "abc", ""},
	} {
		r := Repository{Forge: tc.forge, Posture: &gitops.PostureRecord{Posture: gitops.Posture{URL: tc.url, Base: "main", Commit: tc.commit}}}
		if got := fileLink(r, "deploy/web.yaml", 3); got != tc.want {
			t.Errorf("%s %s: %q, want %q", tc.forge, tc.url, got, tc.want)
		}
	}
}

// fleetReads counts the store's whole-fleet reads: a repository's page
// must make none.
type fleetReads struct {
	*jobs.Store
	n int
}

func (s *fleetReads) Postures(ctx context.Context) ([]jobs.StoredPosture, error) {
	s.n++
	return s.Store.Postures(ctx)
}

func (s *fleetReads) Clusters(ctx context.Context) ([]jobs.ClusterRecord, error) {
	s.n++
	return s.Store.Clusters(ctx)
}

func (s *fleetReads) LastJobs(ctx context.Context) ([]jobs.Job, error) {
	s.n++
	return s.Store.LastJobs(ctx)
}

// TestRepositoryIsItsFleetEntry: each repository's API answer is its entry
// in the fleet, with the whole posture added, whatever case the address
// spells it in; it is read from that repository's rows alone; and a name
// the fleet does not list as a repository (a cluster's job queue, an
// unknown one) is a 404.
func TestRepositoryIsItsFleetEntry(t *testing.T) {
	store := &fleetReads{Store: seed(t)}
	p, err := New(Options{Store: store, Token: []byte(token), Repositories: []string{"acme/shop", "acme/new"}, Clusters: []string{"prod"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	_, _, body := get(t, srv.URL+"/api/v1/posture", "Bearer "+token)
	var f Fleet
	if err := json.Unmarshal([]byte(body), &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Repositories) != 4 {
		t.Fatalf("%d repositories in the fleet", len(f.Repositories))
	}
	store.n = 0
	for _, want := range f.Repositories {
		status, _, body := get(t, srv.URL+"/api/v1/posture/"+strings.ToUpper(want.Name), "Bearer "+token)
		var rp RepositoryPage
		if err := json.Unmarshal([]byte(body), &rp); status != 200 || err != nil {
			t.Fatalf("%s: %d %v %s", want.Name, status, err, body)
		}
		got := rp.Repository
		if (got.Posture == nil) != (want.Posture == nil) {
			t.Fatalf("%s: posture %v, fleet's %v", want.Name, got.Posture, want.Posture)
		}
		if got.Posture != nil {
			// The fleet leaves the lists out; the page has them.
			if got.Posture.Repo != want.Posture.Repo || got.Posture.At != want.Posture.At || len(got.Posture.Controls) != len(want.Posture.Controls) {
				t.Errorf("%s: posture %+v, fleet's %+v", want.Name, got.Posture, want.Posture)
			}
			got.Posture, want.Posture = nil, nil
		}
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%s:\n page  %s\n fleet %s", want.Name, g, w)
		}
	}
	if store.n != 0 {
		t.Errorf("the repository pages read the whole fleet %d times", store.n)
	}
	for _, name := range []string{"cluster:prod", "CLUSTER:prod", "acme/none"} {
		if status, _, body := get(t, srv.URL+"/api/v1/posture/"+name, "Bearer "+token); status != 404 {
			t.Errorf("%s: %d %s, want 404", name, status, body)
		}
	}
}

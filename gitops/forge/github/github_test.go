package github

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	gogithub "github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/internal/githubtest"
)

const testToken = "ghp_remedytest"

// noWait is a RetryTransport that never waits, for tests.
func noWait() RetryTransport {
	clock := &fakeClock{now: time.Now()}
	return RetryTransport{MaxAttempts: 8, Now: clock.Now, Sleep: clock.Sleep, Jitter: func() float64 { return 0 }}
}

func newTestClient(t *testing.T, s *githubtest.Server, cache ResponseCache) *gogithub.Client {
	t.Helper()
	gh, err := newGoGitHub(Options{APIURL: s.APIURL(), Token: testToken, Cache: cache, Retry: noWait()})
	if err != nil {
		t.Fatal(err)
	}
	return gh
}

func TestEnterpriseURLs(t *testing.T) {
	tests := []struct {
		in, api, upload string
		enterprise      bool
		err             bool
	}{
		{in: ""},
		{in: "https://api.github.com"},
		{in: "https://api.github.com/"},
		{in: "https://ghe.example.com/api/v3", api: "https://ghe.example.com/api/v3/", upload: "https://ghe.example.com/api/uploads/", enterprise: true},
		{in: "https://ghe.example.com/api/v3/", api: "https://ghe.example.com/api/v3/", upload: "https://ghe.example.com/api/uploads/", enterprise: true},
		{in: "http://127.0.0.1:8080/api/v3/", api: "http://127.0.0.1:8080/api/v3/", upload: "http://127.0.0.1:8080/api/uploads/", enterprise: true},
		{in: "ghe.example.com", err: true},
		{in: "ftp://ghe.example.com/api/v3", err: true},
	}
	for _, tt := range tests {
		api, upload, ok, err := enterpriseURLs(tt.in)
		if (err != nil) != tt.err || ok != tt.enterprise || api != tt.api || upload != tt.upload {
			t.Errorf("enterpriseURLs(%q) = %q, %q, %v, %v; want %q, %q, %v, error %v", tt.in, api, upload, ok, err, tt.api, tt.upload, tt.enterprise, tt.err)
		}
	}
}

func TestNewGitHubClient(t *testing.T) {
	if _, err := newGoGitHub(Options{}); !errors.Is(err, ErrNoToken) {
		t.Errorf("no token: %v, want ErrNoToken", err)
	}
	gh, err := newGoGitHub(OptionsFromEnv(func(k string) string {
		return map[string]string{"GITHUB_API_URL": "https://ghe.example.com/api/v3", "GITHUB_TOKEN": "t"}[k]
	}))
	if err != nil {
		t.Fatal(err)
	}
	if got := gh.BaseURL(); got != "https://ghe.example.com/api/v3/" {
		t.Errorf("base URL %q", got)
	}
	gh, err = newGoGitHub(Options{Token: "t"})
	if err != nil || gh.BaseURL() != "https://api.github.com/" {
		t.Errorf("default base URL %v, %v", gh.BaseURL(), err)
	}
}

func TestGitHubClientRetriesFaults(t *testing.T) {
	s := githubtest.New(t)
	s.AddToken(testToken, "remedy-bot")
	s.CreateRepo("acme", "widget", map[string]string{"a.yaml": "a: 1\n"})
	gh := newTestClient(t, s, nil)
	ctx := context.Background()

	s.FailNext(1, http.StatusBadGateway, 0)
	s.FailNext(1, http.StatusTooManyRequests, 0)
	s.FailNext(1, http.StatusForbidden, 0)
	repo, _, err := gh.Repositories.Get(ctx, "acme", "widget")
	if err != nil || repo.GetDefaultBranch() != "main" {
		t.Fatalf("Get after three faults: %v, %v", repo, err)
	}
	if s.Requests() != 4 {
		t.Errorf("%d requests, want 4 (three faults and a success)", s.Requests())
	}

	// A primary limit that resets in an hour is the caller's problem.
	s.SetRateLimit(testToken, 0, time.Now().Add(time.Hour))
	_, _, err = gh.Repositories.Get(ctx, "acme", "nope")
	var rle *gogithub.RateLimitError
	if !errors.As(err, &rle) {
		t.Errorf("exhausted primary limit: %v (%T), want *gogithub.RateLimitError", err, err)
	}
}

func TestETagTransportRevalidates(t *testing.T) {
	s := githubtest.New(t)
	s.AddToken(testToken, "remedy-bot")
	s.AddToken("ghp_other", "someone")
	s.CreateRepo("acme", "widget", map[string]string{"a.yaml": "a: 1\n"})
	ctx := context.Background()
	cache := &MemoryCache{}
	gh := newTestClient(t, s, cache)

	first, resp, err := gh.Repositories.Get(ctx, "acme", "widget")
	if err != nil {
		t.Fatal(err)
	}
	remaining := resp.Rate.Remaining
	second, resp, err := gh.Repositories.Get(ctx, "acme", "widget")
	if err != nil {
		t.Fatalf("revalidated GET: %v", err)
	}
	if resp.Header.Get("X-From-Cache") != "1" || second.GetFullName() != first.GetFullName() || second.GetCloneURL() != first.GetCloneURL() {
		t.Errorf("second GET not served from the cache: %v %v", resp.Header, second)
	}
	if resp.Rate.Remaining != remaining {
		t.Errorf("304 cost rate limit: %d → %d", remaining, resp.Rate.Remaining)
	}

	// Another token never gets this token's answer.
	other, err := newGoGitHub(Options{APIURL: s.APIURL(), Token: "ghp_other", Cache: cache, Retry: noWait()})
	if err != nil {
		t.Fatal(err)
	}
	if _, resp, err := other.Repositories.Get(ctx, "acme", "widget"); err != nil || resp.Header.Get("X-From-Cache") != "" {
		t.Errorf("other token: %v, from cache %q", err, resp.Header.Get("X-From-Cache"))
	}

	// A changed resource is fetched again.
	list := func() []*gogithub.PullRequest {
		prs, _, err := gh.PullRequests.List(ctx, "acme", "widget", &gogithub.PullRequestListOptions{State: "all"})
		if err != nil {
			t.Fatal(err)
		}
		return prs
	}
	if first, second := list(), list(); len(first) != 0 || len(second) != 0 {
		t.Fatal("pull requests in a new repository")
	}
	s.CommitFiles("acme", "widget", "f", map[string]string{"b.yaml": "b: 1\n"}, "b")
	if _, _, err := gh.PullRequests.Create(ctx, "acme", "widget", &gogithub.NewPullRequest{Title: gogithub.Ptr("t"), Head: gogithub.Ptr("f"), Base: gogithub.Ptr("main")}); err != nil {
		t.Fatal(err)
	}
	if n := len(list()); n != 1 {
		t.Errorf("list after a change: %d PRs, want 1 (stale cache?)", n)
	}
}

func TestETagTransportKeysByCredential(t *testing.T) {
	var inm []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inm = append(inm, r.Header.Get("If-None-Match"))
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "body-for-"+r.Header.Get("Authorization"))
	}))
	defer ts.Close()
	dir := t.TempDir()
	get := func(auth string) (string, string) {
		// A new transport over the same folder stands for a new process.
		rt := &ETagTransport{Cache: DirCache{Dir: dir}}
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/x", nil)
		req.Header.Set("Authorization", auth)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.Header.Get("X-From-Cache")
	}
	steps := []struct {
		auth, body, fromCache, sentINM string
	}{
		{"token a", "body-for-token a", "", ""},
		{"token a", "body-for-token a", "1", `"v1"`},
		{"token b", "body-for-token b", "", ""},
	}
	for i, st := range steps {
		body, fromCache := get(st.auth)
		if body != st.body || fromCache != st.fromCache || inm[i] != st.sentINM {
			t.Errorf("step %d: body %q from cache %q sent If-None-Match %q; want %q %q %q", i, body, fromCache, inm[i], st.body, st.fromCache, st.sentINM)
		}
	}
}

package main

import (
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/githubtest"
)

const (
	prTestToken          = "ghp_clitestsecret"
	privilegedDeployment = `apiVersion: apps/v1
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
	onlyPrivileged = "controls:\n  enable: [privileged]\n"
)

// forge starts a fake GitHub and points the CLI's environment at it.
func forge(t *testing.T) *githubtest.Server {
	t.Helper()
	s := githubtest.New(t)
	s.AddToken(prTestToken, "remedy-bot")
	t.Setenv("GITHUB_API_URL", s.APIURL())
	t.Setenv("GITHUB_TOKEN", prTestToken)
	t.Setenv("REMEDY_CACHE_DIR", t.TempDir())
	return s
}

func assertNoToken(t *testing.T, r result) {
	t.Helper()
	if strings.Contains(r.stdout, prTestToken) || strings.Contains(r.stderr, prTestToken) {
		t.Errorf("the token leaked into the output:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

func TestPRCommand(t *testing.T) {
	s := forge(t)
	s.CreateRepo("acme", "shop", map[string]string{".remedy.yaml": onlyPrivileged, "deploy/web.yaml": privilegedDeployment})

	r := runCLI(t, "", "pr", "acme/shop", "--dry-run", "--log-level", "debug")
	assertNoToken(t, r)
	if r.code != exitOK || !strings.Contains(r.stdout, "+            privileged: false") || !strings.Contains(r.stdout, "Title: fix(security): privileged in Deployment shop/web") {
		t.Fatalf("dry run: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("dry run output:\n%s", r.stdout)
	if n := len(s.PullRequests("acme", "shop")); n != 0 || s.BranchSHA("acme", "shop", "remedy/security-fixes") != "" {
		t.Fatalf("dry run wrote: %d PRs", n)
	}

	r = runCLI(t, "", "pr", "acme/shop", "--log-level", "debug")
	assertNoToken(t, r)
	if r.code != exitOK || !strings.Contains(r.stdout, "created") || !strings.Contains(r.stdout, "#1 ") {
		t.Fatalf("pr: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("pr output:\n%s", r.stdout)
	prs := s.PullRequests("acme", "shop")
	if len(prs) != 1 {
		t.Fatalf("%d PRs", len(prs))
	}
	if c, _ := s.ReadFile("acme", "shop", "remedy/security-fixes", "deploy/web.yaml"); !strings.Contains(c, "privileged: false") {
		t.Errorf("branch content:\n%s", c)
	}

	// A new process: the on-disk cache makes the idle rerun cheap, and
	// the pull request's recorded state spares it the clone: three
	// conditional requests, no git.
	s.ResetRequests()
	r = runCLI(t, "", "pr", "acme/shop", "--bot-name", "remedy[bot]")
	if r.code != exitOK || !strings.Contains(r.stdout, "unchanged") || !strings.Contains(r.stdout, "not cloned") || s.Requests() > 3 {
		t.Errorf("rerun: exit %d, %d requests %v\n%s%s", r.code, s.Requests(), s.RequestLog(), r.stdout, r.stderr)
	}
}

func TestPRCommandErrors(t *testing.T) {
	s := forge(t)
	s.CreateRepo("acme", "shop", map[string]string{"a.yaml": "a: 1\n"})
	s.CreateRepo("acme", "old", map[string]string{"a.yaml": "a: 1\n"}).SetArchived(true)
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no token", map[string]string{"GITHUB_TOKEN": ""}, []string{"pr", "acme/shop"}, "GITHUB_TOKEN"},
		{"not OWNER/REPO", nil, []string{"pr", "shop"}, "want OWNER/REPO"},
		{"no such repository", nil, []string{"pr", "acme/nope"}, "acme/nope"},
		{"archived", nil, []string{"pr", "acme/old"}, "archived"},
		{"no such base", nil, []string{"pr", "acme/shop", "--base", "nope"}, "branch nope"},
		{"bad API URL", map[string]string{"GITHUB_API_URL": "ghe.example.com"}, []string{"pr", "acme/shop"}, "GITHUB_API_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r := runCLI(t, "", tt.args...)
			assertNoToken(t, r)
			if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, exitError, tt.want)
			}
		})
	}
}

func TestSplitRepo(t *testing.T) {
	for in, want := range map[string]string{"acme/shop": "acme shop", "acme/shop.git": "acme shop", "acme": "", "/shop": "", "acme/": "", "a/b/c": ""} {
		o, n, err := splitRepo(in)
		got := ""
		if err == nil {
			got = o + " " + n
		}
		if got != want {
			t.Errorf("splitRepo(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestSplitRepoOnGitLab(t *testing.T) {
	for in, want := range map[string]string{
		"acme/shop":              "acme shop",
		"acme/platform/shop.git": "acme/platform shop",
		"shop":                   "",
		"acme//shop":             "",
		"/acme/shop":             "",
		"acme/shop/":             "",
	} {
		o, n, err := splitRepoOn(forgeGitLab, in)
		got := ""
		if err == nil {
			got = o + " " + n
		}
		if got != want {
			t.Errorf("splitRepoOn(gitlab, %q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, _, err := splitRepoOn(forgeGitHub, "a/b/c"); err == nil {
		t.Error("a GitHub repository named a/b/c was accepted")
	}
}

// remedy pr keeps the dashboard issue the repository asks for and says
// what became of it.
func TestPRCommandDashboard(t *testing.T) {
	s := forge(t)
	s.CreateRepo("acme", "shop", map[string]string{".remedy.yaml": "dashboard: true\n" + onlyPrivileged, "deploy/web.yaml": privilegedDeployment})
	r := runCLI(t, "", "pr", "acme/shop")
	if r.code != exitOK || !strings.Contains(r.stdout, "dashboard created #2 ") || len(s.Issues("acme", "shop")) != 1 {
		t.Fatalf("pr: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	// The idle rerun is not cloned, reads the dashboard (no box ticked)
	// and writes nothing.
	s.ResetRequests()
	r = runCLI(t, "", "pr", "acme/shop")
	if r.code != exitOK || !strings.Contains(r.stdout, "not cloned") || strings.Contains(r.stdout, "dashboard") || len(s.Issues("acme", "shop")) != 1 {
		t.Errorf("rerun: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, req := range s.RequestLog() {
		if !strings.HasPrefix(req, "GET ") {
			t.Errorf("idle rerun wrote: %s", req)
		}
	}
}

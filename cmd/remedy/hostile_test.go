package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/internal/githubtest"
	"github.com/remedy-bot/remedy/internal/repofs/repofstest"
)

// runReturning is runCLI that fails the test, rather than hang it, when the
// command does not return: a hostile file must never block a run.
func runReturning(t *testing.T, args ...string) result {
	t.Helper()
	done := make(chan result, 1)
	go func() { done <- runCLI(t, "", args...) }()
	select {
	case r := <-done:
		return r
	case <-time.After(2 * time.Minute):
		t.Fatalf("remedy %s did not return", strings.Join(args, " "))
		return result{}
	}
}

// hostileRepo is the hostile tree plus a kustomization whose resource is
// a URL (in upper case) of a server that counts its requests.
func hostileRepo(t *testing.T) (repo string, hits *atomic.Int64) {
	t.Helper()
	hits = new(atomic.Int64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(repofstest.PrivilegedPod))
	}))
	t.Cleanup(srv.Close)
	repo = repofstest.Tree(t)
	repofstest.WriteFile(t, repo, "kremote/kustomization.yaml", "resources:\n- HTTP://"+strings.TrimPrefix(srv.URL, "http://")+"/pod.yaml\n- file://"+repo+"/deploy\n")
	return repo, hits
}

// scan and fix of the hostile repository return, read nothing outside it,
// reach no network, and report what they skipped.
func TestHostileRepositoryScanAndFix(t *testing.T) {
	repo, hits := hostileRepo(t)
	secret := filepath.Join(filepath.Dir(repo), "outside", "secret.yaml")
	before, err := os.ReadFile(secret)
	if err != nil {
		t.Fatal(err)
	}

	r := runReturning(t, "scan", repo, "-o", "json")
	if r.code != exitError && r.code != exitFindings {
		t.Errorf("scan: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"deploy/fifo.yaml", "not a regular file (named pipe (FIFO))", "symlink points outside the scanned root",
		"kfifo/kustomization.yaml", "read chart/.helmignore: not a regular file", "chartzero/.helmignore: leads outside the repository",
		"is not fetched", `"privileged"`} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("scan output does not say %q", want)
		}
	}
	if strings.Contains(r.stdout+r.stderr, repofstest.SecretMarker) || strings.Contains(r.stdout+r.stderr, "root:x:0:0") {
		t.Errorf("scan output holds content from outside the repository:\n%s", r.stdout)
	}

	r = runReturning(t, "fix", repo)
	if got, _ := os.ReadFile(filepath.Join(repo, "deploy", "pod.yaml")); !strings.Contains(string(got), "privileged: false") {
		t.Errorf("fix: exit %d, pod.yaml not fixed:\n%s\n%s%s", r.code, got, r.stdout, r.stderr)
	}
	if after, _ := os.ReadFile(secret); string(after) != string(before) {
		t.Error("fix wrote outside the repository")
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the network was reached: %d requests", n)
	}
	if left, _ := filepath.Glob(filepath.Join(os.TempDir(), "kustomize-*")); len(left) > 0 {
		t.Logf("kustomize folders in %s (maybe of other processes): %v", os.TempDir(), left)
	}
}

// The scanned tree's .remedy.yaml is the repository's: a FIFO or a link to
// /dev/zero or out of the tree fails the scan with a clear error, at once.
func TestHostileConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, repo string)
		want string
	}{
		{"fifo", func(t *testing.T, repo string) { repofstest.FIFO(t, repo, config.FileName) }, "read .remedy.yaml: not a regular file (named pipe (FIFO))"},
		{"dev zero", func(t *testing.T, repo string) { repofstest.Symlink(t, repo, config.FileName, repofstest.Zero) }, "read .remedy.yaml: leads outside the repository"},
		{"outside", func(t *testing.T, repo string) {
			repofstest.Symlink(t, repo, config.FileName, repofstest.Secret(t, repo))
		}, "read .remedy.yaml: leads outside the repository"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := filepath.Join(t.TempDir(), "repo")
			repofstest.WriteFile(t, repo, "pod.yaml", repofstest.PrivilegedPod)
			tc.make(t, repo)
			for _, cmd := range []string{"scan", "fix"} {
				r := runReturning(t, cmd, repo)
				if r.code != exitError || !strings.Contains(r.stderr, tc.want) {
					t.Errorf("%s: exit %d, stderr %q; want %q", cmd, r.code, r.stderr, tc.want)
				}
			}
		})
	}
}

// The reproduction: PR templates that are links to /etc/passwd
// and to the process environment. `remedy pr` fails, says why, and pushes
// nothing.
func TestPRTemplatesLinkedOutOfTheRepository(t *testing.T) {
	s := forge(t)
	s.CreateRepo("acme", "shop", map[string]string{
		".remedy.yaml":    onlyPrivileged + "templates:\n  body: body.md\n  commit: commit.md\n",
		"deploy/web.yaml": privilegedDeployment,
		"body.md":         githubtest.Symlink("../../../../etc/passwd"),
		"commit.md":       githubtest.Symlink("../../../../proc/self/environ"),
	})
	r := runReturning(t, "pr", "acme/shop")
	assertNoToken(t, r)
	if r.code == exitOK || !strings.Contains(r.stderr, "templates.body: read body.md: leads outside the repository") {
		t.Errorf("pr: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if n := len(s.PullRequests("acme", "shop")); n != 0 || s.BranchSHA("acme", "shop", "remedy/security-fixes") != "" {
		t.Errorf("pushed: %d PRs, branch %q", n, s.BranchSHA("acme", "shop", "remedy/security-fixes"))
	}
}

// `remedy pr` on a repository full of links out of it (to /etc/passwd,
// the process environment, /dev/zero) and remote kustomize bases: the run
// completes, fixes the one real file, and nothing from outside reaches
// the commit or the pull request.
func TestPROnAHostileRepository(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	s := forge(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	s.CreateRepo("acme", "shop", map[string]string{
		".remedy.yaml":               onlyPrivileged,
		"deploy/web.yaml":            privilegedDeployment,
		"deploy/passwd.yaml":         githubtest.Symlink(repofstest.Up(repofstest.Passwd)),
		"deploy/environ.yaml":        githubtest.Symlink(repofstest.Up(repofstest.Environ)),
		"deploy/zero.yaml":           githubtest.Symlink(repofstest.Up(repofstest.Zero)),
		"kzero/kustomization.yaml":   githubtest.Symlink(repofstest.Up(repofstest.Zero)),
		"kremote/kustomization.yaml": "resources:\n- Http://" + host + "/pod.yaml\n- https://" + host + "/x//base?ref=main\n",
		"chart/Chart.yaml":           "apiVersion: v2\nname: chart\nversion: 0.1.0\n",
		"chart/.helmignore":          githubtest.Symlink(repofstest.Up(repofstest.Zero)),
		"chart/values.yaml":          githubtest.Symlink(repofstest.Up(repofstest.Environ)),
	})
	r := runReturning(t, "pr", "acme/shop")
	assertNoToken(t, r)
	prs := s.PullRequests("acme", "shop")
	if len(prs) != 1 {
		t.Fatalf("pr: exit %d, %d PRs\nstdout:\n%s\nstderr:\n%s", r.code, len(prs), r.stdout, r.stderr)
	}
	web, _ := s.ReadFile("acme", "shop", "remedy/security-fixes", "deploy/web.yaml")
	if !strings.Contains(web, "privileged: false") {
		t.Errorf("deploy/web.yaml on the branch:\n%s", web)
	}
	text := prs[0].GetTitle() + prs[0].GetBody() + r.stdout + r.stderr
	for _, leak := range []string{"root:x:0:0", "PATH=", "HOME=", prTestToken} {
		if strings.Contains(text, leak) {
			t.Errorf("the pull request or output holds %q", leak)
		}
	}
	for p, target := range map[string]string{"deploy/passwd.yaml": repofstest.Passwd, "deploy/environ.yaml": repofstest.Environ, "deploy/zero.yaml": repofstest.Zero} {
		if c, _ := s.ReadFile("acme", "shop", "remedy/security-fixes", p); c != repofstest.Up(target) {
			t.Errorf("%s on the branch is %q; want the link as it was", p, c)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the network was reached: %d requests", n)
	}
}

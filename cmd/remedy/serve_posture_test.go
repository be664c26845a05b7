package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/testfiles"
)

const servePostureToken = "serve-posture-token-0123456789abcdef"

// TestServePosturePage: a push's fix job stores the repository's posture,
// and the page shows it, with the configured repository not run yet,
// behind the token; without a token in the config the page is off.
func TestServePosturePage(t *testing.T) {
	e := newServeEnv(t)
	e.repo("acme", "shop")
	e.env["PAGE_TOKEN"] = servePostureToken
	svc, _ := e.start(e.config("repositories: [acme/shop, acme/later]\nposture:\n  token: {env: PAGE_TOKEN}\n"), serveDeps{})
	push := testfiles.GitHubDelivery(t, "push.with-new-branch.json", map[string]any{
		"ref": "refs/heads/main", "repository.full_name": "acme/shop", "repository.name": "shop", "repository.default_branch": "main",
	})
	if st, _ := e.hook(svc, "push", "p-1", push); st != http.StatusAccepted {
		t.Fatalf("push: %d", st)
	}
	e.idle(svc)
	get := func(path, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+svc.Addr+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, _ := get("/", ""); st != http.StatusUnauthorized {
		t.Errorf("without the token: %d", st)
	}
	st, body := get("/", servePostureToken)
	prs := e.fixPRs("acme", "shop")
	if st != http.StatusOK || len(prs) != 1 {
		t.Fatalf("status %d, %d fix pull requests", st, len(prs))
	}
	for _, want := range []string{
		`<a href="/repos/acme/shop">acme/shop</a>`,
		`<a href="/repos/acme/later">acme/later</a> <span class="muted">not scanned yet</span>`,
		`<span class="state-succeeded">succeeded</span> <span class="muted">converge #1</span>`,
		// The posture the run computed: the fixture's 7 findings, 1 high,
		// all fixable.
		`<b class="high" id="total-high">1</b>`, `<b id="total-fixable">7</b>`,
		`<a href="` + prs[0].GetHTMLURL() + `"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, secret := range []string{servePostureToken, serveBotToken, serveHookSecret, serveSlack} {
		if strings.Contains(body, secret) {
			t.Errorf("the page shows a secret")
		}
	}
	if st, body := get("/api/v1/posture/acme/shop", servePostureToken); st != http.StatusOK || !strings.Contains(body, `"control": "privileged"`) {
		t.Errorf("API: %d %s", st, body)
	}
	if !strings.Contains(e.logs.String(), "posture page on, bearer token in $PAGE_TOKEN") {
		t.Error("the log does not say the page is on")
	}

	// No token: off, and the log says why.
	off := newServeEnv(t)
	svc, _ = off.start(off.config(""), serveDeps{})
	resp, err := http.Get("http://" + svc.Addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(off.logs.String(), "posture page off (no token") {
		t.Errorf("without a token: %d, logs:\n%s", resp.StatusCode, off.logs.String())
	}
}

func TestServeCheckConfigPosture(t *testing.T) {
	dir := t.TempDir()
	on := filepath.Join(dir, "on.yaml")
	os.WriteFile(on, []byte("posture:\n  token: {env: PAGE_TOKEN}\n"), 0o600)
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("posture:\n  enable: false\n"), 0o600)
	t.Setenv("GITHUB_TOKEN", "ghp_x")
	t.Setenv("REMEDY_APP_ID", "")
	t.Setenv("REMEDY_POSTURE_TOKEN", "")
	t.Setenv("PAGE_TOKEN", servePostureToken)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"on", []string{"serve", "--config", on, "--check-config"}, exitOK, "posture page   on, bearer token in $PAGE_TOKEN\n"},
		{"off", []string{"serve", "--check-config"}, exitOK, "posture page   off (no token: set posture.token"},
		{"typo", []string{"serve", "--config", typo, "--check-config"}, exitError, "enable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runCLI(t, "", tc.args...)
			if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, tc.want, r.stdout, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, servePostureToken) {
				t.Error("the token was printed")
			}
		})
	}
}

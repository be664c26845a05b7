package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
)

// TestServeStartsWithForgesDown: with Gitea and GitLab unreachable, serve
// starts without asking either who remedy is there, answers /healthz, and
// /readyz names both as degraded; a comment delivery of a forge is
// refused 503 while its login is unknown. Once the forges are up, the
// first comment delivery learns the login (remedy's own comment is no
// command), /readyz is plain ok again, and each forge was asked once.
func TestServeStartsWithForgesDown(t *testing.T) {
	e := newServeEnv(t)
	reserve := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close() // nothing listens there until the forge comes up
		return ln.Addr().String()
	}
	giteaAddr, gitlabAddr := reserve(), reserve()
	e.env["GITEA_TOKEN"], e.env["GITLAB_TOKEN"] = "gitea-token", "gitlab-token"
	e.env["REMEDY_GITEA_WEBHOOK_SECRET"], e.env["REMEDY_GITLAB_WEBHOOK_SECRET"] = "gt-secret", "gl-secret"
	svc, _ := e.start(e.config(fmt.Sprintf("forges:\n  - {kind: gitea, url: \"http://%s/\"}\n  - {kind: gitlab, url: \"http://%s/\"}\n", giteaAddr, gitlabAddr)), serveDeps{})

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + svc.Addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := get("/healthz"); st != http.StatusOK {
		t.Fatalf("healthz with the forges down: %d %q", st, body)
	}
	st, body := get("/readyz")
	if st != http.StatusOK || !strings.Contains(body, "gitea: bot login unknown, comment commands refused until Gitea answers") ||
		!strings.Contains(body, "gitlab: bot login unknown, comment commands refused until GitLab answers") {
		t.Fatalf("readyz with the forges down: %d %q", st, body)
	}
	if strings.Contains(body, "github:") {
		t.Errorf("readyz names GitHub, which is up: %q", body)
	}

	giteaComment := func(id string) (int, string) {
		t.Helper()
		b := []byte(`{"action":"created","issue":{"number":3},"comment":{"body":"/remedy fix","user":{"login":"remedy-gitea"}},"repository":{"full_name":"acme/shop"},"sender":{"login":"remedy-gitea"},"is_pull":false}`)
		req, _ := http.NewRequest(http.MethodPost, "http://"+svc.Addr+"/webhooks/gitea", strings.NewReader(string(b)))
		req.Header.Set(webhook.GiteaSignatureHeader, webhook.SignGitea([]byte("gt-secret"), b))
		req.Header.Set(webhook.GiteaEventHeader, "issue_comment")
		req.Header.Set(webhook.GiteaDeliveryHeader, id)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	if st, body := giteaComment("g-1"); st != http.StatusServiceUnavailable {
		t.Fatalf("Gitea comment while Gitea is down: %d %s, want 503", st, body)
	}

	// The forges come up, on the addresses configured.
	var asked [2]atomic.Int32
	serveForge := func(addr, path, user string, n *atomic.Int32) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			n.Add(1)
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, user)
		})
		hs := &http.Server{Handler: mux}
		go hs.Serve(ln)
		t.Cleanup(func() { hs.Close() })
	}
	serveForge(giteaAddr, "/api/v1/user", `{"id": 1, "login": "remedy-gitea"}`, &asked[0])
	serveForge(gitlabAddr, "/api/v4/user", `{"id": 2, "username": "remedy-gitlab"}`, &asked[1])

	if st, body := giteaComment("g-2"); st != http.StatusOK || !strings.Contains(body, "comment by a bot") {
		t.Fatalf("remedy's own Gitea comment once Gitea is up: %d %s, want ignored", st, body)
	}
	if st, body := get("/readyz"); st != http.StatusOK || body != "ok\n" {
		t.Errorf("readyz with the forges up: %d %q", st, body)
	}
	get("/readyz")
	if a, b := asked[0].Load(), asked[1].Load(); a != 1 || b != 1 {
		t.Errorf("Gitea asked %d times, GitLab %d, want once each (kept once learnt)", a, b)
	}
	if h, _ := svc.Store.History(t.Context(), "gitea:acme/shop", 10); len(h) != 0 {
		t.Errorf("jobs %+v, want none", h)
	}
}

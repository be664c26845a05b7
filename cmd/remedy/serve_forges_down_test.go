package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
)

// TestServeStartsWithForgesDown: with Gitea and GitLab unreachable, serve
// starts without asking either who remedy is there, answers /healthz, and
// /readyz names both as degraded; a comment delivery of a forge is
// refused 503 while its login is unknown; /readyz answers within its
// probe's wait however long a forge takes. Once the forges are up, the
// first comment delivery learns Gitea's login (remedy's own comment is no
// command), the asks the probes started learn GitLab's, /readyz is plain
// ok again, and each forge was asked once it was up, and only once.
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
	start := time.Now()
	st, body := get("/readyz")
	t.Logf("/readyz with both forges down answered in %s", time.Since(start))
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
	// An ask a probe started while GitLab was down may still be in its
	// client's retries: the probes after it see its answer.
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, body := get("/readyz")
		if st == http.StatusOK && body == "ok\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz with the forges up: %d %q", st, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	get("/readyz")
	if a, b := asked[0].Load(), asked[1].Load(); a != 1 || b != 1 {
		t.Errorf("Gitea asked %d times, GitLab %d, want once each (kept once learnt)", a, b)
	}
	if h, _ := svc.Store.History(t.Context(), "gitea:acme/shop", 10); len(h) != 0 {
		t.Errorf("jobs %+v, want none", h)
	}
}

// loginFunc answers BotLogin with a function: the forge as the test
// wants it at each moment.
type loginFunc func(context.Context) (string, error)

func (f loginFunc) BotLogin(ctx context.Context) (string, error) { return f(ctx) }

// A botLogin asks one question at a time: callers that come while one is
// in flight wait for its answer (or their ctx), a failed ask is asked
// again by the next caller, and a learnt login is kept.
func TestBotLoginOneAskAtATime(t *testing.T) {
	var asked atomic.Int32
	release := make(chan struct{})
	down := atomic.Bool{}
	down.Store(true)
	b := &botLogin{forge: "Gitea", kind: "gitea", client: loginFunc(func(ctx context.Context) (string, error) {
		asked.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
		if down.Load() {
			return "", errors.New("connection refused")
		}
		return "remedy-gitea", nil
	})}

	// The first caller asks; a caller whose ctx ends first gives up with
	// its own error, without asking.
	first := make(chan error, 1)
	go func() { _, err := b.Get(context.Background()); first <- err }()
	for asked.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	short, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.Get(short); !errors.Is(err, context.Canceled) {
		t.Errorf("a waiter whose ctx ended: %v, want context.Canceled", err)
	}
	close(release)
	if err := <-first; err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("the failed ask: %v", err)
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("asked %d times while one ask was in flight, want 1", n)
	}

	// The forge is up: the next caller asks again, and the login is kept.
	down.Store(false)
	for range 3 {
		if login, err := b.Get(context.Background()); login != "remedy-gitea" || err != nil {
			t.Fatalf("Get = %q, %v", login, err)
		}
	}
	if n := asked.Load(); n != 2 {
		t.Errorf("asked %d times in all, want 2 (kept once learnt)", n)
	}
	if d := (botLogins{b}).degraded(context.Background()); len(d) != 0 {
		t.Errorf("degraded %q once learnt", d)
	}
}

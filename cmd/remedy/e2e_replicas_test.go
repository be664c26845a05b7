//go:build e2e

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/internal/pgtest"
	"github.com/remedy-bot/remedy/serve/jobs"
)

// TestE2EReplicasOnPostgres runs two `remedy serve` processes (the built
// binary) on one PostgreSQL database, sends them a burst of signed
// deliveries, kills one with SIGKILL while it runs jobs, and checks in
// the store's run history that no job was lost, none succeeded twice, and
// no repository ever had two runs at once.
func TestE2EReplicasOnPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	e := newServeEnv(t)
	repos := []string{"alpha", "beta", "gamma", "delta"}
	prs := map[string]int{}
	for _, r := range repos {
		prs[r] = e.repo("acme", r)
	}
	// GitHub answers comments slowly, so that jobs are mid-run when a
	// replica is killed.
	forge, _ := url.Parse(e.forge.URL)
	proxy := httputil.NewSingleHostReverseProxy(forge)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/comments") {
			time.Sleep(400 * time.Millisecond)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)

	dir := t.TempDir()
	bin := filepath.Join(dir, "remedy")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "serve.yaml")
	os.WriteFile(cfg, []byte(`database: {env: REMEDY_DATABASE_URL}
github: {botLogin: remedy-bot}
schedules: []
limits: {workers: 2, jobLease: 2s, shutdownGrace: 1s}
`), 0o600)
	env := append(os.Environ(),
		"GITHUB_TOKEN="+serveBotToken, "GITHUB_API_URL="+slow.URL+"/api/v3/",
		"REMEDY_WEBHOOK_SECRET="+serveHookSecret, "REMEDY_DATABASE_URL="+dsn)
	type replica struct {
		name, addr string
		cmd        *exec.Cmd
		logs       *syncWriter
	}
	start := func(name string) *replica {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		r := &replica{name: name, addr: addr, logs: &syncWriter{}}
		r.cmd = exec.Command(bin, "serve", "--config", cfg, "--listen", addr, "--log-format", "json")
		r.cmd.Env = env
		r.cmd.Stderr = r.logs
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			r.cmd.Process.Signal(syscall.SIGTERM)
			r.cmd.Wait()
			if t.Failed() {
				t.Logf("%s logs:\n%s", name, r.logs.String())
			}
		})
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return r
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s not ready: %v\n%s", name, err, r.logs.String())
			}
		}
	}
	a, b := start("a"), start("b")

	store, err := jobs.OpenPostgres(ctx, dsn, jobs.Options{Owner: "test"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	// The burst: every delivery a comment of its own, to both replicas.
	const perRepo = 8
	var mu sync.Mutex
	accepted := map[int64]bool{}
	var wg sync.WaitGroup
	for i := range perRepo {
		for _, repo := range repos {
			wg.Add(1)
			go func() {
				defer wg.Done()
				target := a
				if i%2 == 1 {
					target = b
				}
				body := commentDelivery(t, "acme", repo, prs[repo], "dev", fmt.Sprintf("/remedy help %d", i))
				req, _ := http.NewRequest(http.MethodPost, "http://"+target.addr+"/webhooks/github", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(webhook.GitHubEventHeader, "issue_comment")
				req.Header.Set(webhook.GitHubDeliveryHeader, fmt.Sprintf("%s-%d", repo, i))
				req.Header.Set(webhook.GitHubSignatureHeader, webhook.SignGitHub([]byte(serveHookSecret), body))
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				var ans struct {
					Job int64 `json:"job"`
				}
				raw, _ := io.ReadAll(resp.Body)
				if err := json.Unmarshal(raw, &ans); err != nil || resp.StatusCode != http.StatusAccepted || ans.Job == 0 {
					t.Errorf("delivery %s-%d: %d %s", repo, i, resp.StatusCode, raw)
					return
				}
				mu.Lock()
				accepted[ans.Job] = true
				mu.Unlock()
			}()
		}
	}
	wg.Wait()

	// Kill a while it runs a job (SIGKILL: no grace, no re-queue).
	aOwner := ownerOf(t, a.logs.String())
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		h, _ := store.History(ctx, "", 1000)
		running := false
		for _, j := range h {
			running = running || (j.State == jobs.Running && j.Owner == aOwner)
		}
		if running {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("replica a never ran a job")
		}
	}
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()

	// b takes over what a held once a's leases expire, and finishes all.
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		c, err := store.Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c[jobs.Queued] == 0 && c[jobs.Running] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs left after the kill: %v", c)
		}
	}
	t.Logf("all jobs done %s after the kill", time.Since(killed).Round(100*time.Millisecond))

	h, err := store.History(ctx, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	state := map[int64]jobs.Job{}
	for _, j := range h {
		state[j.ID] = j
	}
	for id := range accepted {
		if j := state[id]; j.State != jobs.Succeeded {
			t.Errorf("job %d (%s): %s %q, want succeeded", id, j.Repo, j.State, j.Error)
		}
	}
	runs, err := store.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	succeeded := map[int64]int{}
	byRepo := map[string][]jobs.Run{}
	outcomes := map[string]int{}
	owners := map[string]bool{}
	for _, r := range runs {
		outcomes[r.Outcome]++
		owners[r.Owner] = true
		if r.Outcome == string(jobs.Succeeded) {
			succeeded[r.JobID]++
		}
		repo := state[r.JobID].Repo
		byRepo[repo] = append(byRepo[repo], r)
	}
	for id, n := range succeeded {
		if n != 1 {
			t.Errorf("job %d succeeded %d times", id, n)
		}
	}
	for repo, rs := range byRepo {
		sort.Slice(rs, func(i, j int) bool { return rs[i].Started.Before(rs[j].Started) })
		for i := 1; i < len(rs); i++ {
			if rs[i].Started.Before(rs[i-1].Finished) {
				t.Errorf("%s: run %d (%s) started before run %d (%s) ended", repo, rs[i].ID, rs[i].Owner, rs[i-1].ID, rs[i-1].Owner)
			}
		}
	}
	if outcomes["lost"] == 0 || len(owners) != 2 {
		t.Errorf("runs %v by %d replicas: want a run lost with the killed replica, and both replicas working", outcomes, len(owners))
	}
	t.Logf("%d deliveries, %d jobs, %d runs: %v", len(repos)*perRepo, len(accepted), len(runs), outcomes)
}

// ownerOf reads a replica's name in the store from its JSON log.
func ownerOf(t *testing.T, logs string) string {
	t.Helper()
	for _, l := range strings.Split(logs, "\n") {
		var rec struct {
			Msg   string `json:"msg"`
			Owner string `json:"owner"`
		}
		if json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == "remedy serve listening" && rec.Owner != "" {
			return rec.Owner
		}
	}
	t.Fatalf("no owner in the logs:\n%s", logs)
	return ""
}

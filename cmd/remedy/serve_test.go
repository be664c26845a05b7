package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/internal/githubtest"
	"github.com/remedy-bot/remedy/internal/testfiles"
	"github.com/remedy-bot/remedy/review"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/serve/clock"
	"github.com/remedy-bot/remedy/serve/jobs"
	"github.com/remedy-bot/remedy/serve/serviceconfig"
)

const (
	serveBotToken   = "ghp_serve_bot_secret_value"
	serveHookSecret = "serve-webhook-secret"
	serveSlack      = "serve-slack-signing-secret"
	// serveRemedyYAML keeps the e2e repositories to fixable controls.
	serveRemedyYAML = "controls:\n  enable: [privileged, no-privilege-escalation, read-only-root-filesystem, run-as-non-root, seccomp-profile, drop-all-capabilities, automount-service-account-token, host-pid]\n"
	// serveAPIYAML is what the developer's pull request adds.
	serveAPIYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      hostPID: true
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - containerPort: 8080
`
)

// repoEdits point a fixture delivery at owner/name of the test forge.
func repoEdits(owner, name string) map[string]any {
	return map[string]any{
		"repository.full_name": owner + "/" + name, "repository.name": name,
		"repository.owner.login": owner, "repository.default_branch": "main",
	}
}

func commentDelivery(t testing.TB, owner, name string, pr int, login, body string) []byte {
	e := repoEdits(owner, name)
	e["issue.number"] = pr
	e["issue.pull_request"] = map[string]any{"url": "https://api.github.com/repos/" + owner + "/" + name + "/pulls/" + strconv.Itoa(pr)}
	e["comment.user.login"] = login
	e["comment.body"] = body
	return testfiles.GitHubDelivery(t, "issue_comment.created.json", e)
}

// syncWriter serializes log output of the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

type serveEnv struct {
	t      *testing.T
	forge  *githubtest.Server
	env    map[string]string
	logs   *syncWriter
	dir    string
	slack  *httptest.Server
	posted chan string // Slack answers
}

func newServeEnv(t *testing.T) *serveEnv {
	t.Helper()
	s := githubtest.New(t)
	s.AddToken(serveBotToken, "remedy-bot")
	return newServeEnvOn(t, s, serveBotToken)
}

// newServeEnvOn serves the forge s, whose token for remedy-bot is token.
func newServeEnvOn(t *testing.T, s *githubtest.Server, token string) *serveEnv {
	t.Helper()
	e := &serveEnv{t: t, forge: s, logs: &syncWriter{}, dir: t.TempDir(), posted: make(chan string, 10)}
	e.env = map[string]string{
		"GITHUB_TOKEN": token, "GITHUB_API_URL": s.APIURL(),
		"REMEDY_WEBHOOK_SECRET": serveHookSecret, "SLACK_SIGNING_SECRET": serveSlack,
	}
	e.slack = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		e.posted <- string(b)
	}))
	t.Cleanup(e.slack.Close)
	t.Cleanup(func() {
		if strings.Contains(e.logs.String(), token) {
			t.Error("the token leaked into the logs")
		}
		if t.Failed() {
			t.Logf("server logs:\n%s", e.logs.String())
		}
	})
	return e
}

// repo creates owner/name with a fixable deployment, the bot as a writer,
// and a developer's pull request; it returns the pull request's number.
func (e *serveEnv) repo(owner, name string) int {
	e.t.Helper()
	s := e.forge
	s.CreateRepo(owner, name, map[string]string{".remedy.yaml": serveRemedyYAML, "deploy/web.yaml": privilegedDeployment})
	s.SetPermission(owner, name, "remedy-bot", "write")
	s.SetPermission(owner, name, "maint", "maintain")
	s.SetPermission(owner, name, "reader", "read")
	devToken := "ghp_dev_" + owner + name
	s.AddToken(devToken, "dev")
	s.SetPermission(owner, name, "dev", "write")
	s.CommitFiles(owner, name, "add-api", map[string]string{"deploy/api.yaml": serveAPIYAML}, "add the api")
	pr, _, err := s.Client(devToken).PullRequests.Create(context.Background(), owner, name, &github.NewPullRequest{
		Title: github.Ptr("Add the api"), Head: github.Ptr("add-api"), Base: github.Ptr("main"),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return pr.GetNumber()
}

func (e *serveEnv) config(extra string) *serviceconfig.Config {
	e.t.Helper()
	y := fmt.Sprintf("listen: 127.0.0.1:0\nstore: %s\nslack:\n  responseURLPrefixes: [%q]\n  allow:\n    - {users: [UOPS], repos: [\"acme/*\"], commands: [fix, scan]}\n",
		filepath.Join(e.dir, "remedy.db"), e.slack.URL+"/")
	cfg, err := serviceconfig.Parse([]byte(y + extra))
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

// start runs remedy serve until the returned stop is called (and at the
// end of the test).
func (e *serveEnv) start(cfg *serviceconfig.Config, d serveDeps) (*service, func()) {
	e.t.Helper()
	inv := &invocation{
		stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(k string) string { return e.env[k] },
		log:    slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := startServe(ctx, inv, cfg, d)
	if err != nil {
		cancel()
		e.t.Fatal(err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := svc.Wait(); err != nil {
				e.t.Errorf("serve: %v", err)
			}
		})
	}
	e.t.Cleanup(stop)
	return svc, stop
}

func (e *serveEnv) hook(svc *service, event, id string, body []byte) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+svc.Addr+"/webhooks/github", bytes.NewReader(body))
	req.Header.Set(webhook.GitHubEventHeader, event)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.GitHubDeliveryHeader, id)
	req.Header.Set(webhook.GitHubSignatureHeader, webhook.SignGitHub([]byte(serveHookSecret), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (e *serveEnv) idle(svc *service) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := svc.Pool.WaitIdle(ctx); err != nil {
		e.t.Fatalf("jobs did not finish: %v", err)
	}
}

func (e *serveEnv) fixPRs(owner, name string) []*github.PullRequest {
	var out []*github.PullRequest
	for _, p := range e.forge.PullRequests(owner, name) {
		if p.GetHead().GetRef() == gitops.RepoBranch {
			out = append(out, p)
		}
	}
	return out
}

func (e *serveEnv) botComments(owner, name string, pr int) []string {
	var out []string
	for _, c := range e.forge.Comments(owner, name, pr) {
		if c.GetUser().GetLogin() == "remedy-bot" {
			out = append(out, c.GetBody())
		}
	}
	return out
}

func TestServeCommentCommands(t *testing.T) {
	e := newServeEnv(t)
	pr := e.repo("acme", "shop")
	svc, _ := e.start(e.config(""), serveDeps{})

	// A reader asks: nothing changes, a polite answer.
	if st, body := e.hook(svc, "issue_comment", "c-1", commentDelivery(t, "acme", "shop", pr, "reader", "/remedy fix")); st != http.StatusAccepted {
		t.Fatalf("status %d: %s", st, body)
	}
	e.idle(svc)
	if n := len(e.fixPRs("acme", "shop")); n != 0 || e.forge.BranchSHA("acme", "shop", gitops.RepoBranch) != "" {
		t.Fatalf("a read-only user's /remedy fix opened %d pull requests or pushed", n)
	}
	if cs := e.botComments("acme", "shop", pr); len(cs) != 1 || !strings.Contains(cs[0], "@reader") || !strings.Contains(cs[0], "needs write access") {
		t.Fatalf("answers to the reader: %q", cs)
	}

	// A maintainer asks: the fix pull request.
	if st, _ := e.hook(svc, "issue_comment", "c-2", commentDelivery(t, "acme", "shop", pr, "maint", "/remedy fix")); st != http.StatusAccepted {
		t.Fatalf("status %d", st)
	}
	// GitHub redelivers: deduplicated.
	if _, body := e.hook(svc, "issue_comment", "c-2", commentDelivery(t, "acme", "shop", pr, "maint", "/remedy fix")); !strings.Contains(body, `"duplicate":true`) {
		t.Errorf("redelivery: %s", body)
	}
	e.idle(svc)
	prs := e.fixPRs("acme", "shop")
	if len(prs) != 1 {
		t.Fatalf("%d fix pull requests, want 1", len(prs))
	}
	if c, _ := e.forge.ReadFile("acme", "shop", gitops.RepoBranch, "deploy/web.yaml"); !strings.Contains(c, "privileged: false") {
		t.Errorf("fix branch:\n%s", c)
	}
	cs := e.botComments("acme", "shop", pr)
	if len(cs) != 2 || !strings.Contains(cs[1], "opened fix pull request #"+strconv.Itoa(prs[0].GetNumber())) {
		t.Errorf("answers: %q", cs)
	}
	// remedy's own comment, delivered back to it, is no command.
	if st, body := e.hook(svc, "issue_comment", "c-3", commentDelivery(t, "acme", "shop", pr, "remedy-bot", cs[1]+"\n/remedy fix")); st != http.StatusOK || !strings.Contains(body, "bot") {
		t.Errorf("own comment: %d %s", st, body)
	}
	// A push to the default branch re-converges: up to date, one PR.
	push := testfiles.GitHubDelivery(t, "push.with-new-branch.json", map[string]any{
		"ref": "refs/heads/main", "repository.full_name": "acme/shop", "repository.name": "shop", "repository.default_branch": "main",
	})
	if st, _ := e.hook(svc, "push", "p-1", push); st != http.StatusAccepted {
		t.Fatalf("push: %d", st)
	}
	e.idle(svc)
	if n := len(e.fixPRs("acme", "shop")); n != 1 {
		t.Errorf("%d fix pull requests after the push", n)
	}
	// Every request is in the history /remedy status shows.
	h, _ := svc.Store.History(context.Background(), "acme/shop", 10)
	if len(h) != 3 || h[0].State != jobs.Succeeded {
		t.Errorf("history %+v", h)
	}
}

func TestServePullRequestReview(t *testing.T) {
	e := newServeEnv(t)
	pr := e.repo("acme", "shop")
	svc, _ := e.start(e.config(""), serveDeps{})
	event := func(action, id string) {
		t.Helper()
		ed := repoEdits("acme", "shop")
		ed["number"] = pr
		ed["action"] = action
		ed["pull_request.number"] = pr
		ed["pull_request.head.ref"] = "add-api"
		if st, body := e.hook(svc, "pull_request", id, testfiles.GitHubDelivery(t, "pull_request.opened.json", ed)); st != http.StatusAccepted {
			t.Fatalf("%s: %d %s", action, st, body)
		}
		e.idle(svc)
	}
	event("opened", "pr-1")
	reviews := e.forge.Reviews("acme", "shop", pr)
	if len(reviews) != 1 || reviews[0].GetState() != "CHANGES_REQUESTED" {
		t.Fatalf("reviews %+v", reviews)
	}
	var suggestions []review.Comment
	for _, c := range e.forge.ReviewComments("acme", "shop", pr) {
		body := c.GetBody()
		i := strings.Index(body, "```suggestion\n")
		if i < 0 {
			continue
		}
		text := body[i+len("```suggestion\n"):]
		text = text[:strings.Index(text, "\n```")]
		start := c.GetStartLine()
		if start == 0 {
			start = c.GetLine()
		}
		suggestions = append(suggestions, review.Comment{StartLine: start, Line: c.GetLine(), Suggestion: text, HasSuggestion: true})
	}
	if len(suggestions) == 0 {
		t.Fatal("no suggestion")
	}
	// The author commits every suggestion (GitHub's "Commit suggestions").
	fixed := review.Apply([]byte(serveAPIYAML), suggestions)
	sf, errs := scanner.ParseFile("deploy/api.yaml", fixed)
	if len(errs) > 0 {
		t.Fatalf("the suggestions break the file: %v", errs)
	}
	cfg, err := config.Parse(config.FileName, []byte(serveRemedyYAML))
	if err != nil {
		t.Fatal(err)
	}
	if rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{sf}}, scanner.Options{Config: cfg}); len(rep.Findings) != 0 {
		t.Fatalf("after the suggestions, the rescan finds %+v", rep.Findings)
	}
	e.forge.CommitFiles("acme", "shop", "add-api", map[string]string{"deploy/api.yaml": string(fixed)}, "Apply suggestions from code review")
	event("synchronize", "pr-2")
	reviews = e.forge.Reviews("acme", "shop", pr)
	if len(reviews) != 1 || reviews[0].GetState() != "DISMISSED" {
		t.Errorf("after the fix: %d reviews, first %s; want the first dismissed and no new one", len(reviews), reviews[0].GetState())
	}
	head := e.forge.PullRequest("acme", "shop", pr).GetHead().GetSHA()
	st := e.forge.Statuses("acme", "shop", head)
	if len(st) == 0 || st[len(st)-1].GetState() != "success" {
		t.Errorf("statuses %+v", st)
	}
}

func TestServeSlackCommand(t *testing.T) {
	e := newServeEnv(t)
	e.repo("acme", "shop")
	fake := clock.NewFake(time.Now())
	svc, _ := e.start(e.config(""), serveDeps{Clock: fake})
	send := func(text, user string) string {
		t.Helper()
		v := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {user}, "command": {"/remedy"}, "text": {text},
			"response_url": {e.slack.URL + "/commands/T1/1/x"}, "trigger_id": {"t-" + text + user}}
		body := []byte(v.Encode())
		ts := strconv.FormatInt(fake.Now().Unix(), 10)
		req, _ := http.NewRequest(http.MethodPost, "http://"+svc.Addr+"/slack/commands", bytes.NewReader(body))
		req.Header.Set(webhook.SlackTimestampHeader, ts)
		req.Header.Set(webhook.SlackSignatureHeader, webhook.SignSlack([]byte(serveSlack), body, ts))
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		t.Logf("Slack acknowledged %q in %s", text, time.Since(start))
		return string(b)
	}
	if a := send("fix acme/shop", "USOMEONE"); !strings.Contains(a, "may not run") {
		t.Errorf("ungranted fix: %s", a)
	}
	if a := send("fix acme/shop", "UOPS"); !strings.Contains(a, "is queued as job") || !strings.Contains(a, "ephemeral") {
		t.Fatalf("granted fix: %s", a)
	}
	e.idle(svc)
	if n := len(e.fixPRs("acme", "shop")); n != 1 {
		t.Fatalf("%d fix pull requests after a Slack fix", n)
	}
	select {
	case msg := <-e.posted:
		if !strings.Contains(msg, "opened fix pull request #") {
			t.Errorf("result posted to response_url: %s", msg)
		}
	default:
		t.Fatal("no result was posted to the response_url")
	}
	if a := send("status acme/shop", "USOMEONE"); !strings.Contains(a, "converge acme/shop: *succeeded*") {
		t.Errorf("status: %s", a)
	}
}

// TestServeScheduleSweeps moves an injected clock to 02:00 in Paris: the
// nightly schedule queues the configured repository at its offset in the
// jitter window, and once the clock passes that, the sweep opens the fix
// pull request.
func TestServeScheduleSweeps(t *testing.T) {
	e := newServeEnv(t)
	e.repo("acme", "web")
	start := time.Date(2025, 6, 10, 23, 30, 0, 0, time.UTC)
	fake := clock.NewFake(start)
	cfg := e.config("repositories: [acme/web]\nschedules:\n  - name: nightly\n    cron: \"CRON_TZ=Europe/Paris 0 2 * * *\"\n    jitter: 10m\n")
	svc, stop := e.start(cfg, serveDeps{Clock: fake})
	done := make(chan struct{})
	defer close(done)
	paris2am := time.Date(2025, 6, 11, 0, 0, 0, 0, time.UTC)
	if !fake.WaitForWaiter(paris2am, done) {
		t.Fatal("the schedule is not waiting for 02:00 Paris")
	}
	fake.Set(paris2am.Add(-time.Second))
	e.idle(svc)
	if h, _ := svc.Store.History(context.Background(), "", 10); len(h) != 0 {
		t.Fatalf("jobs before 02:00: %+v", h)
	}
	fake.Set(paris2am)
	// The sweep queues acme/web at its offset: the pool sleeps until then.
	offset := paris2am.Add(10 * time.Minute)
	if !fake.WaitForWaiter(offset, done) {
		t.Fatal("no job waits in the jitter window")
	}
	h, _ := svc.Store.History(context.Background(), "acme/web", 10)
	if len(h) != 1 || h[0].State != jobs.Queued || h[0].RunAfter.Before(paris2am) || !h[0].RunAfter.Before(offset) {
		t.Fatalf("queued sweep %+v, want one job due within [02:00, 02:10) Paris", h)
	}
	if len(e.fixPRs("acme", "web")) != 0 {
		t.Fatal("the sweep ran before its offset")
	}
	fake.Set(offset)
	e.idle(svc)
	if n := len(e.fixPRs("acme", "web")); n != 1 {
		t.Fatalf("%d fix pull requests after the sweep", n)
	}
	stop()
}

// TestServeRestartMidJob kills the server while a converge is in flight,
// after the life cycle has opened the pull request and before the job is
// recorded: the restarted server runs the job again, and the life cycle
// finds its pull request instead of opening a second one.
func TestServeRestartMidJob(t *testing.T) {
	e := newServeEnv(t)
	pr := e.repo("acme", "shop")
	cfg := e.config("limits:\n  shutdownGrace: 1ns\n")
	inFlight := make(chan struct{})
	var calls int
	var mu sync.Mutex
	interrupted := func(ctx context.Context, gh gitops.Host, owner, name string, o gitops.RunOptions) (gitops.RunResult, error) {
		res, err := gitops.RemedyRepository(ctx, gh, owner, name, o)
		if err != nil {
			t.Errorf("the first run failed: %v", err)
		}
		mu.Lock()
		calls++
		mu.Unlock()
		close(inFlight)
		<-ctx.Done() // the process dies here
		return res, ctx.Err()
	}
	svc, stop := e.start(cfg, serveDeps{Remedy: interrupted})
	if st, _ := e.hook(svc, "issue_comment", "k-1", commentDelivery(t, "acme", "shop", pr, "maint", "/remedy fix")); st != http.StatusAccepted {
		t.Fatalf("status %d", st)
	}
	<-inFlight
	stop()
	if n := len(e.fixPRs("acme", "shop")); n != 1 {
		t.Fatalf("%d pull requests when the server died", n)
	}

	svc, _ = e.start(cfg, serveDeps{})
	e.idle(svc)
	h, err := svc.Store.History(context.Background(), "acme/shop", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 1 || h[0].State != jobs.Succeeded || h[0].Attempts != 2 {
		t.Fatalf("history after the restart: %+v; want the one job succeeded on its second attempt", h)
	}
	if n := len(e.fixPRs("acme", "shop")); n != 1 || calls != 1 {
		t.Fatalf("%d fix pull requests (%d interrupted runs), want exactly one", n, calls)
	}
	// The second run found the pull request the first one opened.
	if want := gitops.RepoBranch + " unchanged #"; !strings.Contains(h[0].Result, want) {
		t.Errorf("second run: %q, want %q", h[0].Result, want)
	}
}

func TestServeCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("github:\n  token: {env: MY_TOKEN}\nrepositories: [acme/shop]\nclusters:\n  - {name: prod, context: prod-eu}\nschedules:\n  - {name: nightly, cron: \"CRON_TZ=Europe/Paris 0 2 * * *\", jitter: 20m}\n"), 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("github:\n  token: ghp_literal\n"), 0o600)
	limited := filepath.Join(dir, "limited.yaml")
	os.WriteFile(limited, []byte("github:\n  token: {env: MY_TOKEN}\nlimits:\n  maxDocuments: 2\n  helmRenderTimeout: 30s\n  helmMaxMemory: 1Gi\n"), 0o600)
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("github:\n  token: {env: MY_TOKEN}\nlimits:\n  maxDocument: 2\n"), 0o600)
	t.Setenv("MY_TOKEN", "ghp_from_env")
	t.Setenv("GITHUB_TOKEN", "")
	t.Setenv("REMEDY_APP_ID", "")
	t.Setenv("REMEDY_WEBHOOK_SECRET", "")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"good", []string{"serve", "--config", good, "--check-config"}, exitOK, "schedule       nightly \"CRON_TZ=Europe/Paris 0 2 * * *\" jitter 20m0s"},
		{"good, with a cluster", []string{"serve", "--config", good, "--check-config"}, exitOK, "cluster        prod: in-cluster (or $KUBECONFIG), context prod-eu, namespace all\n"},
		{"good, its schedule sweeps the cluster", []string{"serve", "--config", good, "--check-config"}, exitOK, ", clusters prod\n"},
		{"secret in the config", []string{"serve", "--config", bad, "--check-config"}, exitError, "never written in the config"},
		{"default budgets", []string{"serve", "--config", good, "--check-config"}, exitOK, "budgets        files 5Mi, 10000 documents a file, 500 containers a pod, 50000 objects a job\nhelm renders   10s, output 20Mi, memory 512Mi\n"},
		{"budgets of limits:", []string{"serve", "--config", limited, "--check-config"}, exitOK, "budgets        files 5Mi, 2 documents a file, 500 containers a pod, 50000 objects a job\nhelm renders   30s, output 20Mi, memory 1Gi\n"},
		{"budget typo", []string{"serve", "--config", typo, "--check-config"}, exitError, "line 4: field maxDocument not found"},
		{"deploy example without its secret files", []string{"serve", "--config", "../../deploy/serve.yaml", "--check-config"}, exitError, "github.token"},
		{"no config, no token", []string{"serve", "--check-config"}, exitError, "GITHUB_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Errorf("exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", r.code, tt.code, tt.want, r.stdout, r.stderr)
			}
			if strings.Contains(r.stdout+r.stderr, "ghp_from_env") {
				t.Error("a secret was printed")
			}
		})
	}
}

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/internal/testfiles"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/serve/clock"
	"github.com/remedy-bot/remedy/serve/jobs"
	"github.com/remedy-bot/remedy/serve/metrics"
	"github.com/remedy-bot/remedy/serve/serviceconfig"
	"github.com/remedy-bot/remedy/serve/tasks"
)

const (
	hookSecret  = "test-webhook-secret"
	slackSecret = "8f742231b10e8888abcd99yyyzzz85a5"
)

type fixture struct {
	srv     *Server
	store   *jobs.Store
	metrics *metrics.Metrics
	clock   *clock.Fake
	http    *httptest.Server
}

func newFixture(t *testing.T, cfgYAML string) *fixture {
	t.Helper()
	cfg, err := serviceconfig.Parse([]byte(cfgYAML))
	if err != nil {
		t.Fatal(err)
	}
	store, err := jobs.Open(context.Background(), filepath.Join(t.TempDir(), "jobs.db"), jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m := metrics.New()
	fake := clock.NewFake(time.Unix(1531420618, 0))
	cat := scanner.DefaultCatalog()
	srv := New(Options{
		Config:   cfg,
		Secrets:  serviceconfig.Secrets{WebhookSecret: []byte(hookSecret), SlackSigningSecret: []byte(slackSecret)},
		BotLogin: "remedy-bot", Queue: store, Ready: store.Ping,
		MetricsHandler: m.Handler(), Metrics: m,
		Known: func(id string) bool { return cat.Get(id) != nil },
		Clock: fake,
	})
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	return &fixture{srv: srv, store: store, metrics: m, clock: fake, http: hs}
}

type answer struct {
	status int
	body   string
}

func (f *fixture) post(t testing.TB, path string, body []byte, header map[string]string) answer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.http.URL+path, bytes.NewReader(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b)}
}

func (f *fixture) hook(t testing.TB, event, id string, body []byte) answer {
	t.Helper()
	return f.post(t, "/webhooks/github", body, map[string]string{
		webhook.GitHubEventHeader: event, webhook.GitHubDeliveryHeader: id,
		webhook.GitHubSignatureHeader: webhook.SignGitHub([]byte(hookSecret), body),
		"Content-Type":                "application/json",
	})
}

func (f *fixture) jobs(t testing.TB) []jobs.Job {
	t.Helper()
	h, err := f.store.History(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i := range h {
		j, _ := f.store.Get(context.Background(), h[i].ID)
		h[i] = j
	}
	return h
}

func (f *fixture) metric(t testing.TB, line string) bool {
	t.Helper()
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return strings.Contains(rec.Body.String(), line)
}

func (f *fixture) metricValue(t testing.TB, series string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, _ := strconv.ParseFloat(v, 64)
			return n
		}
	}
	return 0
}

func TestGitHubDeliveries(t *testing.T) {
	type want struct {
		status  int
		kind    string // "" when nothing is queued
		key     string
		verb    string
		ignored string
	}
	tests := []struct {
		name, event, fixture string
		edits                map[string]any
		want                 want
	}{
		{"comment without a command", "issue_comment", "issue_comment.created.json", nil,
			want{status: 200, ignored: "no command"}},
		{"fix on an issue", "issue_comment", "issue_comment.created.json", map[string]any{"comment.body": "/remedy fix privileged"},
			want{status: 202, kind: tasks.KindConverge, verb: "fix"}},
		{"rebase from an installation's delivery", "issue_comment", "issue_comment.created.with-installation.json", map[string]any{"comment.body": "please\n/remedy rebase"},
			want{status: 202, kind: tasks.KindConverge, verb: "rebase"}},
		{"ignore", "issue_comment", "issue_comment.created.json", map[string]any{"comment.body": "/remedy ignore privileged the CNI needs it"},
			want{status: 202, kind: tasks.KindIgnore, key: "privileged", verb: "ignore"}},
		{"scan on an issue", "issue_comment", "issue_comment.created.json", map[string]any{"comment.body": "/remedy scan"},
			want{status: 202, kind: tasks.KindScan, verb: "scan"}},
		{"scan on a pull request reviews it", "issue_comment", "issue_comment.created.json",
			map[string]any{"comment.body": "/remedy scan", "issue.pull_request": map[string]any{"url": "https://api.github.com/repos/Codertocat/Hello-World/pulls/1"}},
			want{status: 202, kind: tasks.KindReview, key: "1", verb: "scan"}},
		{"help", "issue_comment", "issue_comment.created.json", map[string]any{"comment.body": "/remedy help"},
			want{status: 202, kind: tasks.KindReply, verb: "help"}},
		{"a command remedy cannot read gets an answer", "issue_comment", "issue_comment.created.json", map[string]any{"comment.body": "/remedy fix no-such-control"},
			want{status: 202, kind: tasks.KindReply, verb: "help"}},
		{"edited comment", "issue_comment", "issue_comment.edited.json", map[string]any{"comment.body": "/remedy fix"},
			want{status: 200, ignored: "comment edited"}},
		{"remedy's own comment", "issue_comment", "issue_comment.created.json", map[string]any{"comment.body": "/remedy fix", "comment.user.login": "remedy-bot"},
			want{status: 200, ignored: "comment by a bot"}},
		{"another app's comment", "issue_comment", "issue_comment.created.json", map[string]any{"comment.body": "/remedy fix", "comment.user.login": "renovate[bot]"},
			want{status: 200, ignored: "comment by a bot"}},
		{"pull request opened", "pull_request", "pull_request.opened.json", nil,
			want{status: 202, kind: tasks.KindReview, key: "2", verb: "review"}},
		{"pull request synchronize", "pull_request", "pull_request.synchronize.json", nil,
			want{status: 202, kind: tasks.KindReview, key: "2", verb: "review"}},
		{"pull request reopened", "pull_request", "pull_request.reopened.json", nil,
			want{status: 202, kind: tasks.KindReview, key: "2", verb: "review"}},
		{"pull request closed", "pull_request", "pull_request.closed.json", nil,
			want{status: 200, ignored: "pull request closed"}},
		{"remedy's own fix pull request", "pull_request", "pull_request.opened.json", map[string]any{"pull_request.head.ref": "remedy/security-fixes"},
			want{status: 200, ignored: "a remedy fix pull request"}},
		{"push to the default branch", "push", "push.with-new-branch.json", nil,
			want{status: 202, kind: tasks.KindConverge, verb: "push"}},
		{"tag deleted", "push", "push.json", nil,
			want{status: 200, ignored: "not a push to the default branch"}},
		{"push to another branch", "push", "push.with-new-branch.json", map[string]any{"ref": "refs/heads/feature"},
			want{status: 200, ignored: "not a push to the default branch"}},
		{"check run", "check_run", "check_run.rerequested.json", nil,
			want{status: 200, ignored: "event check_run is not handled"}},
		{"installation", "installation", "installation.created.json", nil,
			want{status: 200, ignored: "event installation is not handled"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "")
			a := f.hook(t, tt.event, "delivery-"+strconv.Itoa(i), testfiles.GitHubDelivery(t, tt.fixture, tt.edits))
			if a.status != tt.want.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.want.status, a.body)
			}
			js := f.jobs(t)
			if tt.want.kind == "" {
				if len(js) != 0 {
					t.Errorf("queued %+v", js)
				}
				if !strings.Contains(a.body, tt.want.ignored) {
					t.Errorf("answer %s, want ignored %q", a.body, tt.want.ignored)
				}
				return
			}
			if len(js) != 1 {
				t.Fatalf("%d jobs, want 1", len(js))
			}
			j := js[0]
			reqs, err := tasks.DecodeRequests(j.Payloads)
			if err != nil {
				t.Fatal(err)
			}
			if j.Repo != "Codertocat/Hello-World" || j.Kind != tt.want.kind || j.Key != tt.want.key || reqs[0].Verb != tt.want.verb {
				t.Errorf("job %s %s key %q verb %q; want %s key %q verb %q", j.Repo, j.Kind, j.Key, reqs[0].Verb, tt.want.kind, tt.want.key, tt.want.verb)
			}
			if tt.event == "issue_comment" && (reqs[0].Requester != "Codertocat" || reqs[0].Issue != 1) {
				t.Errorf("request %+v: want the commenter and the issue", reqs[0])
			}
		})
	}
}

func TestGitHubSignatures(t *testing.T) {
	f := newFixture(t, "")
	body := testfiles.GitHubDelivery(t, "issue_comment.created.json", map[string]any{"comment.body": "/remedy fix"})
	sig := webhook.SignGitHub([]byte(hookSecret), body)
	headers := func(sig string) map[string]string {
		h := map[string]string{webhook.GitHubEventHeader: "issue_comment", webhook.GitHubDeliveryHeader: "d-1"}
		if sig != "" {
			h[webhook.GitHubSignatureHeader] = sig
		}
		return h
	}
	flipped := append([]byte(nil), body...)
	flipped[len(flipped)/2] ^= 1
	tests := []struct {
		name   string
		body   []byte
		sig    string
		reason string
	}{
		{"unsigned", body, "", "unsigned"},
		{"signed with another secret", body, webhook.SignGitHub([]byte("guess"), body), "bad-signature"},
		{"one byte of the body changed", flipped, sig, "bad-signature"},
		{"sha1 signature", body, "sha1=" + strings.Repeat("0", 40), "bad-signature"},
	}
	for _, tt := range tests {
		a := f.post(t, "/webhooks/github", tt.body, headers(tt.sig))
		if a.status != http.StatusUnauthorized {
			t.Errorf("%s: status %d, want 401", tt.name, a.status)
		}
	}
	if n := len(f.jobs(t)); n != 0 {
		t.Fatalf("refused deliveries queued %d jobs", n)
	}
	if !f.metric(t, `remedy_webhook_signature_failures_total{reason="bad-signature",source="github"} 3`) ||
		!f.metric(t, `remedy_webhook_signature_failures_total{reason="unsigned",source="github"} 1`) {
		t.Error("signature failures not counted")
	}
	// Signed, but missing the delivery ID: refused after verification.
	a := f.post(t, "/webhooks/github", body, map[string]string{webhook.GitHubEventHeader: "issue_comment", webhook.GitHubSignatureHeader: sig})
	if a.status != http.StatusBadRequest {
		t.Errorf("no delivery ID: %d", a.status)
	}
	// Redelivery of the same delivery ID.
	first := f.hook(t, "issue_comment", "d-1", body)
	again := f.hook(t, "issue_comment", "d-1", body)
	other := f.hook(t, "issue_comment", "d-2", body)
	if first.status != 202 || again.status != 202 || !strings.Contains(again.body, `"duplicate":true`) || !strings.Contains(other.body, `"coalesced":true`) {
		t.Errorf("first %v, again %v, other %v", first, again, other)
	}
	js := f.jobs(t)
	if len(js) != 1 || len(js[0].Payloads) != 2 {
		t.Errorf("jobs %+v: want one with two requests", js)
	}
}

func TestWebhookSecretMissing(t *testing.T) {
	f := newFixture(t, "")
	f.srv.o.Secrets.WebhookSecret = nil
	body := []byte(`{}`)
	a := f.post(t, "/webhooks/github", body, map[string]string{webhook.GitHubSignatureHeader: webhook.SignGitHub(nil, body)})
	if a.status != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503: a server without a secret must not take anything", a.status)
	}
}

// slackBody is a slash command form as Slack sends it.
func slackBody(text, user, channel, responseURL string) []byte {
	v := url.Values{}
	v.Set("token", "legacy-verification-token")
	v.Set("team_id", "T1DC2JH3J")
	v.Set("channel_id", channel)
	v.Set("user_id", user)
	v.Set("command", "/remedy")
	v.Set("text", text)
	v.Set("response_url", responseURL)
	v.Set("trigger_id", "trigger-"+text+user)
	return []byte(v.Encode())
}

func (f *fixture) slackCommand(t testing.TB, body []byte, ts string) answer {
	t.Helper()
	return f.post(t, "/slack/commands", body, map[string]string{
		webhook.SlackTimestampHeader: ts,
		webhook.SlackSignatureHeader: webhook.SignSlack([]byte(slackSecret), body, ts),
		"Content-Type":               "application/x-www-form-urlencoded",
	})
}

func TestSlackCommands(t *testing.T) {
	const hooks = "https://hooks.slack.com/commands/T1DC2JH3J/1/x"
	cfg := `
slack:
  allow:
    - users: [UOPS]
      repos: ["acme/*"]
      commands: [fix, scan]
`
	tests := []struct {
		name, text, user, responseURL string
		wantText                      string
		wantKind                      string
	}{
		{"help", "help", "UANY", hooks, "/remedy fix owner/repo", ""},
		{"no text is help", "", "UANY", hooks, "/remedy status", ""},
		{"status of nothing yet", "status acme/shop", "UANY", hooks, "No remedy runs for `acme/shop` yet.", ""},
		{"fix granted", "fix acme/shop privileged", "UOPS", hooks, "is queued as job", tasks.KindConverge},
		{"scan granted", "scan acme/web", "UOPS", hooks, "is queued as job", tasks.KindScan},
		{"fix by someone without a grant", "fix acme/shop", "UANY", hooks, "Sorry, you may not run `fix` on `acme/shop`", ""},
		{"fix outside the granted repositories", "fix evil/shop", "UOPS", hooks, "Sorry", ""},
		{"response_url elsewhere", "fix acme/shop", "UOPS", "https://169.254.169.254/latest/meta-data", "not one remedy posts to", ""},
		{"usage error", "fix", "UOPS", hooks, "needs a repository", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, cfg)
			a := f.slackCommand(t, slackBody(tt.text, tt.user, "CANY", tt.responseURL), "1531420618")
			if a.status != http.StatusOK {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			var msg struct {
				ResponseType string `json:"response_type"`
				Text         string `json:"text"`
			}
			if err := json.Unmarshal([]byte(a.body), &msg); err != nil {
				t.Fatal(err)
			}
			if msg.ResponseType != "ephemeral" || !strings.Contains(msg.Text, tt.wantText) {
				t.Errorf("answer %+v, want ephemeral with %q", msg, tt.wantText)
			}
			js := f.jobs(t)
			if tt.wantKind == "" {
				if len(js) != 0 {
					t.Errorf("queued %+v", js)
				}
				return
			}
			if len(js) != 1 || js[0].Kind != tt.wantKind {
				t.Fatalf("jobs %+v, want one %s", js, tt.wantKind)
			}
			reqs, _ := tasks.DecodeRequests(js[0].Payloads)
			if reqs[0].ResponseURL != hooks || reqs[0].Requester != tt.user {
				t.Errorf("request %+v", reqs[0])
			}
		})
	}
}

// TestSlackSignatures replays the published vector's body through the
// handler: accepted at its own time, refused when any byte of body,
// signature or timestamp changes, and refused outside the window.
func TestSlackSignatures(t *testing.T) {
	var vec struct {
		Slack struct {
			Timestamp string `json:"timestamp"`
			Body      string `json:"body"`
			Signature string `json:"signature"`
		} `json:"slack_request_signing_v0"`
	}
	b, err := os.ReadFile(filepath.Join(testfiles.Shared(t, "fixtures"), "signature-vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	json.Unmarshal(b, &vec)
	v := vec.Slack
	f := newFixture(t, "")
	send := func(body, ts, sig string) int {
		return f.post(t, "/slack/commands", []byte(body), map[string]string{webhook.SlackTimestampHeader: ts, webhook.SlackSignatureHeader: sig}).status
	}
	if st := send(v.Body, v.Timestamp, v.Signature); st != http.StatusOK {
		t.Fatalf("published vector: status %d", st)
	}
	for i := range len(v.Body) {
		bb := []byte(v.Body)
		bb[i] ^= 1
		if st := send(string(bb), v.Timestamp, v.Signature); st != http.StatusUnauthorized {
			t.Fatalf("body byte %d flipped: status %d", i, st)
		}
	}
	for i := range len(v.Signature) {
		sb := []byte(v.Signature)
		sb[i] ^= 1
		if st := send(v.Body, v.Timestamp, string(sb)); st != http.StatusUnauthorized {
			t.Fatalf("signature byte %d flipped: status %d", i, st)
		}
	}
	for i := range len(v.Timestamp) {
		tb := []byte(v.Timestamp)
		tb[i] ^= 1
		if st := send(v.Body, string(tb), v.Signature); st != http.StatusUnauthorized {
			t.Fatalf("timestamp byte %d flipped: status %d", i, st)
		}
	}
	stale := f.metricValue(t, `remedy_webhook_signature_failures_total{reason="stale",source="slack"}`)
	f.clock.Advance(5*time.Minute + time.Second)
	if st := send(v.Body, v.Timestamp, v.Signature); st != http.StatusUnauthorized {
		t.Errorf("replayed after the window: status %d", st)
	}
	if got := f.metricValue(t, `remedy_webhook_signature_failures_total{reason="stale",source="slack"}`); got != stale+1 {
		t.Errorf("stale refusals %v → %v: the replay was not counted", stale, got)
	}
}

func TestProbes(t *testing.T) {
	f := newFixture(t, "")
	get := func(path string) int {
		resp, err := http.Get(f.http.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if get("/healthz") != 200 || get("/readyz") != 200 || get("/metrics") != 200 {
		t.Error("probes fail on a healthy server")
	}
	f.srv.Drain()
	if get("/readyz") != 503 || get("/healthz") != 200 {
		t.Error("a draining server must be alive and not ready")
	}
	f.store.Close()
	f.srv.draining.Store(false)
	if get("/readyz") != 503 {
		t.Error("ready with a closed store")
	}
	if st := get("/webhooks/github"); st != http.StatusMethodNotAllowed {
		t.Errorf("GET /webhooks/github: %d", st)
	}
}

// TestFormatStatusEscapes: errors and results quote repository content;
// in Slack they are escaped and cut.
func TestFormatStatusEscapes(t *testing.T) {
	now := time.Unix(1531420618, 0)
	hist := []jobs.Job{
		{ID: 1, Kind: tasks.KindScan, Repo: "acme/shop", State: jobs.Failed, Created: now, Error: "config: <!channel> <@U123> <http://evil.example|click> & more\nsecond line" + strings.Repeat("x", 1<<20)},
		{ID: 2, Kind: tasks.KindScan, Repo: "acme/shop", State: jobs.Succeeded, Created: now, Result: "<@U123>"},
	}
	got := FormatStatus("acme/shop", hist, now)
	if strings.ContainsAny(got, "<>") || strings.Contains(got, "second line\n") || len(got) > 1200 {
		t.Errorf("status:\n%.600s", got)
	}
	if !strings.Contains(got, "&lt;!channel&gt; &lt;@U123&gt;") || !strings.Contains(got, "&amp; more second line") {
		t.Errorf("status does not show the error escaped:\n%.600s", got)
	}
}

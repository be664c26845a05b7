package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/internal/testfiles"
)

// TestFormDeliveryRefused: GitHub's default content type is form encoding;
// such a delivery is answered 415 naming the fix, and logged, never 200.
func TestFormDeliveryRefused(t *testing.T) {
	f := newFixture(t, "")
	var logs bytes.Buffer
	f.srv.o.Log = slog.New(slog.NewTextHandler(&logs, nil))
	body := testfiles.GitHubDelivery(t, "issue_comment.created.json", map[string]any{"comment.body": "/remedy fix"})
	for _, ct := range []string{"application/x-www-form-urlencoded", "", "text/plain"} {
		a := f.post(t, "/webhooks/github", body, map[string]string{
			webhook.GitHubEventHeader: "issue_comment", webhook.GitHubDeliveryHeader: "d-" + ct,
			webhook.GitHubSignatureHeader: webhook.SignGitHub([]byte(hookSecret), body),
			"Content-Type":                ct,
		})
		if a.status != http.StatusUnsupportedMediaType || !strings.Contains(a.body, "application/json") {
			t.Errorf("content type %q: %d %s, want 415 naming application/json", ct, a.status, a.body)
		}
	}
	if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "application/x-www-form-urlencoded") {
		t.Errorf("refusal not logged as a warning:\n%s", logs.String())
	}
	if n := len(f.jobs(t)); n != 0 {
		t.Fatalf("refused deliveries queued %d jobs", n)
	}
	if a := f.hook(t, "issue_comment", "d-json", body); a.status != http.StatusAccepted {
		t.Errorf("JSON delivery: %d %s", a.status, a.body)
	}
	if a := f.hook(t, "issue_comment", "d-json-charset", body); a.status != http.StatusAccepted && a.status != http.StatusOK {
		t.Errorf("JSON delivery: %d %s", a.status, a.body)
	}
}

// TestBotLoginLearntLazily: the server starts without the forge; a comment
// is refused 503 while the bot's login cannot be learnt, and once it is,
// the bot's own comments are ignored.
func TestBotLoginLearntLazily(t *testing.T) {
	f := newFixture(t, "")
	f.srv.o.BotLogin = ""
	asked := 0
	down := true
	f.srv.o.LearnBotLogin = func(context.Context) (string, error) {
		asked++
		if down {
			return "", errors.New("dial tcp: connection refused")
		}
		return "Hubot", nil
	}
	body := testfiles.GitHubDelivery(t, "issue_comment.created.json", map[string]any{"comment.body": "/remedy fix", "comment.user.login": "hubot"})
	if a := f.hook(t, "issue_comment", "d-1", body); a.status != http.StatusServiceUnavailable {
		t.Fatalf("comment while the forge is down: %d %s, want 503", a.status, a.body)
	}
	down = false
	if a := f.hook(t, "issue_comment", "d-2", body); a.status != http.StatusOK || !strings.Contains(a.body, "bot") {
		t.Fatalf("the bot's own comment: %d %s, want ignored", a.status, a.body)
	}
	f.hook(t, "issue_comment", "d-3", body)
	if asked != 2 {
		t.Errorf("login asked %d times, want 2 (kept once learnt)", asked)
	}
}

func TestReadyzDegraded(t *testing.T) {
	f := newFixture(t, "")
	f.srv.o.Degraded = func(context.Context) []string { return []string{"github: login unknown: connection refused"} }
	resp, err := http.Get(f.http.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "degraded") || !strings.Contains(string(b), "github: login unknown") {
		t.Errorf("readyz: %d %s", resp.StatusCode, b)
	}
}

//go:build e2e

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/internal/giteatest"
	"github.com/remedy-bot/remedy/serve/serviceconfig"
)

// A developer's "/remedy fix" comment on an issue, delivered by Gitea's own
// webhook (signed with X-Gitea-Signature) to remedy serve, ends in a fix
// pull request and an answer on the issue.
func TestE2EGiteaWebhookFixComment(t *testing.T) {
	srv := giteatest.Connect(t)
	repo := srv.CreateRepo("served", map[string]string{".remedy.yaml": serveRemedyYAML, "deploy/web.yaml": privilegedDeployment})
	dev := srv.CreateUser("dev", repo, "write")

	const secret = "gitea-e2e-webhook-secret"
	logs := &syncWriter{}
	env := map[string]string{"GITEA_TOKEN": srv.Token, "REMEDY_GITEA_WEBHOOK_SECRET": secret}
	cfg, err := serviceconfig.Parse([]byte(fmt.Sprintf("listen: 127.0.0.1:0\nstore: %s\nschedules: []\nforges:\n  - kind: gitea\n    url: %s\n",
		filepath.Join(t.TempDir(), "remedy.db"), srv.URL)))
	if err != nil {
		t.Fatal(err)
	}
	inv := &invocation{
		stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard,
		getenv: func(k string) string { return env[k] },
		log:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := startServe(ctx, inv, cfg, serveDeps{})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		if err := svc.Wait(); err != nil {
			t.Errorf("serve: %v", err)
		}
		if strings.Contains(logs.String(), srv.Token) {
			t.Error("the Gitea token leaked into the logs")
		}
		if t.Failed() {
			t.Logf("server logs:\n%s", logs.String())
		}
	})

	base := "repos/" + srv.User + "/" + repo
	srv.API(http.MethodPost, base+"/hooks", map[string]any{
		"type": "gitea", "active": true, "events": []string{"issue_comment"},
		"config": map[string]string{"url": "http://" + svc.Addr + "/webhooks/gitea", "content_type": "json", "secret": secret},
	}, nil)
	var issue struct {
		Number int `json:"number"`
	}
	srv.APIAs(dev, http.MethodPost, base+"/issues", map[string]string{"title": "The web tier runs privileged"}, &issue)
	srv.APIAs(dev, http.MethodPost, fmt.Sprintf("%s/issues/%d/comments", base, issue.Number), map[string]string{"body": "/remedy fix"}, nil)

	deadline := time.Now().Add(2 * time.Minute)
	var fix *giteatest.PullRequest
	for fix == nil && time.Now().Before(deadline) {
		for _, pr := range srv.PullRequests(repo) {
			if pr.Head.Ref == gitops.RepoBranch && pr.State == "open" {
				fix = &pr
			}
		}
		if fix == nil {
			time.Sleep(500 * time.Millisecond)
		}
	}
	if fix == nil {
		t.Fatal("no fix pull request two minutes after the comment")
	}
	if f := srv.File(repo, gitops.RepoBranch, "deploy/web.yaml"); !strings.Contains(f, "privileged: false") {
		t.Errorf("fix branch web.yaml:\n%s", f)
	}
	// The answer on the issue names the pull request.
	var answered bool
	for !answered && time.Now().Before(deadline) {
		var comments []struct {
			Body string `json:"body"`
			User struct {
				Login string `json:"login"`
			} `json:"user"`
		}
		srv.API(http.MethodGet, fmt.Sprintf("%s/issues/%d/comments", base, issue.Number), nil, &comments)
		for _, c := range comments {
			answered = answered || (c.User.Login == srv.User && strings.Contains(c.Body, "@"+dev) && strings.Contains(c.Body, fmt.Sprintf("#%d", fix.Number)))
		}
		if !answered {
			time.Sleep(500 * time.Millisecond)
		}
	}
	if !answered {
		t.Error("remedy did not answer on the issue")
	}
}

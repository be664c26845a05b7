package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
)

// slackCommand sends a signed /remedy slash command of user and returns
// the acknowledgement.
func (e *serveEnv) slackCommand(svc *service, text, user string) string {
	e.t.Helper()
	v := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {user}, "command": {"/remedy"}, "text": {text},
		"response_url": {e.slack.URL + "/commands/T1/1/x"}, "trigger_id": {"t-" + text + user}}
	body := []byte(v.Encode())
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req, _ := http.NewRequest(http.MethodPost, "http://"+svc.Addr+"/slack/commands", bytes.NewReader(body))
	req.Header.Set(webhook.SlackTimestampHeader, ts)
	req.Header.Set(webhook.SlackSignatureHeader, webhook.SignSlack([]byte(serveSlack), body, ts))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestServeBudgets: limits: bounds every job's load. A repository whose
// one file holds three Deployments is scanned and fixed with the default
// budgets; with maxDocuments 2 its file is refused, and the scan job and
// the fix job both say so (an unreadable file, no finding, no pull
// request).
func TestServeBudgets(t *testing.T) {
	three := privilegedDeployment + "---\n" + strings.Replace(privilegedDeployment, "name: web", "name: api", 1) +
		"---\n" + strings.Replace(privilegedDeployment, "name: web", "name: worker", 1)
	tests := []struct {
		name, limits string
		// scan is what the scan's answer says; prs the fix pull requests.
		scan   string
		result string
		prs    int
	}{
		{"default budgets", "", "3 findings (3 fixable), 0 suppressed, 0 files unreadable", "3 findings, 3 fixable", 1},
		{"two documents a file", "limits:\n  maxDocuments: 2\n", "0 findings (0 fixable), 0 suppressed, 1 file unreadable", "0 findings, 0 fixable", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newServeEnv(t)
			e.forge.CreateRepo("acme", "fleet", map[string]string{".remedy.yaml": onlyPrivileged, "deploy/all.yaml": three})
			e.forge.SetPermission("acme", "fleet", "remedy-bot", "write")
			svc, _ := e.start(e.config(tt.limits), serveDeps{})

			if a := e.slackCommand(svc, "scan acme/fleet", "UOPS"); !strings.Contains(a, "is queued as job") {
				t.Fatalf("scan: %s", a)
			}
			e.idle(svc)
			if msg := <-e.posted; !strings.Contains(msg, tt.scan) {
				t.Errorf("scan answer %s\nwant %q", msg, tt.scan)
			}

			if a := e.slackCommand(svc, "fix acme/fleet", "UOPS"); !strings.Contains(a, "is queued as job") {
				t.Fatalf("fix: %s", a)
			}
			e.idle(svc)
			<-e.posted
			h, err := svc.Store.History(context.Background(), "acme/fleet", 10)
			if err != nil || len(h) != 2 || !strings.HasPrefix(h[0].Result, tt.result) {
				t.Errorf("history %+v (%v); want the fix job's result to start %q", h, err, tt.result)
			}
			if n := len(e.fixPRs("acme", "fleet")); n != tt.prs {
				t.Errorf("%d fix pull requests, want %d", n, tt.prs)
			}
		})
	}
}

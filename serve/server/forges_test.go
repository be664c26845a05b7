package server

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/serve/serviceconfig"
	"github.com/remedy-bot/remedy/serve/tasks"
)

func TestForgeDeliveries(t *testing.T) {
	f := newFixture(t, "")
	if a := f.post(t, "/webhooks/gitlab", []byte(`{}`), map[string]string{webhook.GitLabTokenHeader: "x", webhook.GitLabEventHeader: "Note Hook"}); a.status != http.StatusServiceUnavailable {
		t.Errorf("GitLab without a secret: %d, want 503", a.status)
	}
	f.srv.o.Secrets.Forges = map[string]serviceconfig.ForgeSecrets{
		tasks.SourceGitLab: {WebhookSecret: []byte("gl-secret")},
		tasks.SourceGitea:  {WebhookSecret: []byte("gt-secret")},
	}
	f.srv.o.ForgeBotLogins = map[string]func(context.Context) (string, error){
		tasks.SourceGitea: func(context.Context) (string, error) { return "remedy-gitea", nil },
	}

	// GitLab's documented "Comment on a merge request" payload, with a command.
	doc, err := os.ReadFile("../../gitops/forge/gitlab/testdata/webhooks/note_merge_request.json")
	if err != nil {
		t.Fatal(err)
	}
	note := []byte(strings.Replace(string(doc), `"note": "This MR needs work."`, `"note": "/remedy fix"`, 1))
	gl := func(token string) map[string]string {
		return map[string]string{webhook.GitLabTokenHeader: token, webhook.GitLabEventHeader: "Note Hook", webhook.GitLabEventUUID: "u-1"}
	}
	if a := f.post(t, "/webhooks/gitlab", note, gl("guess")); a.status != http.StatusUnauthorized {
		t.Errorf("GitLab with a wrong token: %d", a.status)
	}
	if a := f.post(t, "/webhooks/gitlab", note, gl("gl-secret")); a.status != http.StatusAccepted && a.status != http.StatusOK {
		t.Errorf("GitLab note: %d %s", a.status, a.body)
	}
	if a := f.post(t, "/webhooks/gitlab", doc, gl("gl-secret")); !strings.Contains(a.body, "no command") {
		t.Errorf("GitLab note without a command: %d %s", a.status, a.body)
	}

	// Gitea: signed, then by remedy itself, then badly signed.
	comment := func(author string) []byte {
		return []byte(`{"action":"created","issue":{"number":3},"comment":{"body":"/remedy fix","user":{"login":"` + author + `"}},"repository":{"full_name":"acme/shop"},"sender":{"login":"` + author + `"},"is_pull":false}`)
	}
	gt := func(body []byte, secret, id string) map[string]string {
		return map[string]string{webhook.GiteaSignatureHeader: webhook.SignGitea([]byte(secret), body), webhook.GiteaEventHeader: "issue_comment", webhook.GiteaDeliveryHeader: id}
	}
	if a := f.post(t, "/webhooks/gitea", comment("dev"), gt(comment("dev"), "gt-secret", "g-1")); a.status != http.StatusAccepted && a.status != http.StatusOK {
		t.Errorf("Gitea comment: %d %s", a.status, a.body)
	}
	if a := f.post(t, "/webhooks/gitea", comment("remedy-gitea"), gt(comment("remedy-gitea"), "gt-secret", "g-2")); !strings.Contains(a.body, "by a bot") {
		t.Errorf("Gitea comment by remedy: %d %s", a.status, a.body)
	}
	if a := f.post(t, "/webhooks/gitea", comment("dev"), gt(comment("dev"), "guess", "g-3")); a.status != http.StatusUnauthorized {
		t.Errorf("Gitea with a wrong signature: %d", a.status)
	}

	var repos []string
	for _, j := range f.jobs(t) {
		repos = append(repos, j.Kind+" "+j.Repo)
		reqs, err := tasks.DecodeRequests(j.Payloads)
		if err != nil || len(reqs) != 1 || (reqs[0].Source != tasks.SourceGitLab && reqs[0].Source != tasks.SourceGitea) {
			t.Errorf("job %s: requests %+v, %v", j.Repo, reqs, err)
		}
	}
	want := map[string]bool{"converge gitlab:gitlab-org/gitlab-test": true, "converge gitea:acme/shop": true}
	if len(repos) != 2 || !want[repos[0]] || !want[repos[1]] {
		t.Errorf("jobs %q", repos)
	}
}

// TestForgeBotLoginLearntLazily: as GitHub's, remedy's login on Gitea and
// GitLab is asked when a comment needs it, not at start: a comment is
// refused 503 while the forge cannot say, and once it has, remedy's own
// comments are ignored and the login is not asked again.
func TestForgeBotLoginLearntLazily(t *testing.T) {
	doc, err := os.ReadFile("../../gitops/forge/gitlab/testdata/webhooks/note_merge_request.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		source, login string
		post          func(f *fixture, id string) answer
	}{
		{tasks.SourceGitea, "remedy-gitea", func(f *fixture, id string) answer {
			body := []byte(`{"action":"created","issue":{"number":3},"comment":{"body":"/remedy fix","user":{"login":"remedy-gitea"}},"repository":{"full_name":"acme/shop"},"sender":{"login":"remedy-gitea"},"is_pull":false}`)
			return f.post(t, "/webhooks/gitea", body, map[string]string{webhook.GiteaSignatureHeader: webhook.SignGitea([]byte("gt-secret"), body), webhook.GiteaEventHeader: "issue_comment", webhook.GiteaDeliveryHeader: id})
		}},
		{tasks.SourceGitLab, "root", func(f *fixture, id string) answer {
			// The documented note is by "root": remedy's login here.
			body := []byte(strings.Replace(string(doc), `"note": "This MR needs work."`, `"note": "/remedy fix"`, 1))
			return f.post(t, "/webhooks/gitlab", body, map[string]string{webhook.GitLabTokenHeader: "gl-secret", webhook.GitLabEventHeader: "Note Hook", webhook.GitLabEventUUID: id})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			f := newFixture(t, "")
			f.srv.o.Secrets.Forges = map[string]serviceconfig.ForgeSecrets{
				tasks.SourceGitLab: {WebhookSecret: []byte("gl-secret")},
				tasks.SourceGitea:  {WebhookSecret: []byte("gt-secret")},
			}
			asked, down := 0, true
			f.srv.o.ForgeBotLogins = map[string]func(context.Context) (string, error){tt.source: func(context.Context) (string, error) {
				asked++
				if down {
					return "", errors.New("dial tcp: connection refused")
				}
				return tt.login, nil
			}}
			if a := tt.post(f, "d-1"); a.status != http.StatusServiceUnavailable {
				t.Fatalf("comment while the forge is down: %d %s, want 503", a.status, a.body)
			}
			down = false
			if a := tt.post(f, "d-2"); a.status != http.StatusOK || !strings.Contains(a.body, "by a bot") {
				t.Fatalf("remedy's own comment: %d %s, want ignored", a.status, a.body)
			}
			tt.post(f, "d-3")
			if asked != 2 {
				t.Errorf("login asked %d times, want 2 (kept once learnt)", asked)
			}
			if n := len(f.jobs(t)); n != 0 {
				t.Errorf("%d jobs queued, want none", n)
			}
		})
	}
}

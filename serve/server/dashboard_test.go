package server

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/internal/testfiles"
	"github.com/remedy-bot/remedy/serve/serviceconfig"
	"github.com/remedy-bot/remedy/serve/tasks"
)

// githubIssuesEdited is an issues "edited" delivery made of the real
// issue_comment.edited one: issue #1 of Codertocat/Hello-World, opened
// by author, edited by sender, with body.
func githubIssuesEdited(t *testing.T, author, sender, body string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testfiles.Shared(t, "fixtures", "github-webhooks"), "issue_comment.edited.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "comment")
	issue := doc["issue"].(map[string]any)
	issue["body"] = body
	issue["user"].(map[string]any)["login"] = author
	doc["sender"].(map[string]any)["login"] = sender
	out, _ := json.Marshal(doc)
	return out
}

// An edit of the dashboard issue by a person queues the repository's run
// at once; remedy's own edits, other issues and edits that leave the body
// alone do not.
func TestDashboardDeliveries(t *testing.T) {
	f := newFixture(t, "")
	const ticked = "- [x] 2 fixes <!-- remedy:declined 1 -->\n\n<!-- remedy:dashboard -->\n"
	for _, tc := range []struct {
		name, author, sender, body string
		ignored                    string
	}{
		{"ticked by a person", "remedy-bot", "octocat", ticked, ""},
		{"edited by remedy", "remedy-bot", "remedy-bot", ticked, "edited by remedy"},
		{"edited by an App's bot", "remedy[bot]", "remedy[bot]", ticked, "edited by remedy"},
		{"another issue", "remedy-bot", "octocat", "a bug report", "not the dashboard issue"},
		{"a copy of the marker in someone's issue", "octocat", "octocat", ticked, "someone else's issue"},
	} {
		a := f.hook(t, "issues", "d-"+strings.ReplaceAll(tc.name, " ", "-"), githubIssuesEdited(t, tc.author, tc.sender, tc.body))
		if tc.ignored == "" && a.status != http.StatusAccepted && a.status != http.StatusOK {
			t.Errorf("%s: %d %s", tc.name, a.status, a.body)
		}
		if tc.ignored != "" && !strings.Contains(a.body, tc.ignored) {
			t.Errorf("%s: %d %s, want ignored: %s", tc.name, a.status, a.body, tc.ignored)
		}
	}

	// Gitea's real delivery of a ticked box, edited by the admin account
	// that also runs remedy there: remedy's own edit, then a person's.
	f.srv.o.Secrets.Forges = map[string]serviceconfig.ForgeSecrets{
		tasks.SourceGitea: {WebhookSecret: []byte("gt-secret")}, tasks.SourceGitLab: {WebhookSecret: []byte("gl-secret")},
	}
	delivery, err := os.ReadFile("../../gitops/forge/gitea/testdata/webhooks/issues_edited.json")
	if err != nil {
		t.Fatal(err)
	}
	gitea := func(body []byte, id string) answer {
		return f.post(t, "/webhooks/gitea", body, map[string]string{
			webhook.GiteaSignatureHeader: webhook.SignGitea([]byte("gt-secret"), body), webhook.GiteaEventHeader: "issues", webhook.GiteaDeliveryHeader: id,
		})
	}
	f.srv.o.ForgeBotLogins = map[string]func(context.Context) (string, error){
		tasks.SourceGitea: func(context.Context) (string, error) { return "remedy-admin", nil },
	}
	if a := gitea(delivery, "g-1"); !strings.Contains(a.body, "edited by remedy") {
		t.Errorf("Gitea, remedy's edit: %d %s", a.status, a.body)
	}
	person := []byte(strings.Replace(string(delivery), `"sender": {`+"\n"+`    "id": 1,`+"\n"+`    "login": "remedy-admin"`, `"sender": {`+"\n"+`    "id": 2,`+"\n"+`    "login": "alice"`, 1))
	if a := gitea(person, "g-2"); a.status != http.StatusAccepted && a.status != http.StatusOK {
		t.Errorf("Gitea, a person's edit: %d %s", a.status, a.body)
	}

	var got []string
	for _, j := range f.jobs(t) {
		reqs, err := tasks.DecodeRequests(j.Payloads)
		if err != nil || len(reqs) != 1 || reqs[0].Verb != tasks.VerbDashboard || reqs[0].Issue != 0 {
			t.Errorf("job %s: %+v, %v", j.Repo, reqs, err)
			continue
		}
		got = append(got, j.Kind+" "+j.Repo+" by "+reqs[0].Requester)
	}
	slices.Sort(got)
	if len(got) != 2 || got[0] != "converge Codertocat/Hello-World by octocat" || !strings.HasPrefix(got[1], "converge gitea:remedy-admin/shop-") || !strings.HasSuffix(got[1], " by alice") {
		t.Errorf("jobs %q", got)
	}
}

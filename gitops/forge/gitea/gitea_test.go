package gitea

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/webhook"
)

func noSleep(context.Context, time.Duration) error { return nil }

// A pull request asked for right after its branch was pushed may meet
// Gitea before it indexed the push: 404s are waited out, up to IndexWait.
func TestCreatePullRequestWaitsForIndexing(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "token tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch n := calls.Add(1); {
		case n <= 2:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"GetBranch: branch does not exist"}`))
		case n == 3:
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"message":"pull request already exists for these targets"}`))
		default:
			w.Write([]byte(`{"number":7,"state":"open","head":{"ref":"remedy/security-fixes"}}`))
		}
	}))
	defer srv.Close()
	c, err := New(Options{URL: srv.URL, Token: "tok", Sleep: noSleep})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Repo("acme", "shop").CreatePullRequest(context.Background(), gitops.NewPullRequest{Title: "t", Head: "remedy/security-fixes", Base: "main"})
	if err != gitops.ErrPullRequestExists || calls.Load() != 3 {
		t.Errorf("create: %v after %d calls; want ErrPullRequestExists after 3", err, calls.Load())
	}

	// A 404 that lasts is an error once IndexWait is over.
	c.o.IndexWait = time.Nanosecond
	calls.Store(-100)
	if _, err := c.Repo("acme", "shop").ListPullRequests(context.Background(), "x"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("a lasting 404: %v", err)
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"", "gitea.example.com", "ftp://gitea.example.com/", "https://user:pw@gitea.example.com/"} {
		if _, err := New(Options{URL: u, Token: "t"}); err == nil {
			t.Errorf("URL %q accepted", u)
		}
	}
	if _, err := New(Options{URL: "https://gitea.example.com/"}); err != ErrNoToken {
		t.Errorf("no token: %v", err)
	}
}

func TestSplitDiff(t *testing.T) {
	diff := "diff --git a/deploy/web.yaml b/deploy/web.yaml\nindex 1..2 100644\n--- a/deploy/web.yaml\n+++ b/deploy/web.yaml\n@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n+b: 3\n" +
		"diff --git a/new.yaml b/new.yaml\nnew file mode 100644\n--- /dev/null\n+++ b/new.yaml\n@@ -0,0 +1 @@\n+c: 1\n" +
		"diff --git a/bin.png b/bin.png\nBinary files differ\n"
	got := splitDiff(diff)
	if got["deploy/web.yaml"] != "@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n+b: 3" || got["new.yaml"] != "@@ -0,0 +1 @@\n+c: 1" || got["bin.png"] != "" {
		t.Errorf("splitDiff: %q", got)
	}
}

// Payloads in the shapes Gitea 1.26 sends (modules/structs/hook.go).
func TestParseWebhook(t *testing.T) {
	for _, tc := range []struct {
		event, body string
		want        webhook.Event
		wantErr     bool
	}{
		{"issue_comment", `{"action":"created","issue":{"number":3,"pull_request":null},"comment":{"body":"/remedy fix","user":{"login":"dev"}},"repository":{"full_name":"acme/shop","default_branch":"main"},"sender":{"login":"dev"},"is_pull":false}`,
			webhook.Event{Kind: webhook.EventComment, Action: "created", Repo: "acme/shop", Sender: "dev", CommentAuthor: "dev", CommentBody: "/remedy fix", Issue: 3}, false},
		{"issue_comment", `{"action":"created","issue":{"number":4,"pull_request":{"merged":false}},"comment":{"body":"/remedy scan","user":{"login":"dev"}},"repository":{"full_name":"acme/shop"},"sender":{"login":"dev"},"is_pull":true}`,
			webhook.Event{Kind: webhook.EventComment, Action: "created", Repo: "acme/shop", Sender: "dev", CommentAuthor: "dev", CommentBody: "/remedy scan", Issue: 4, OnPullRequest: true}, false},
		{"pull_request", `{"action":"synchronized","number":5,"pull_request":{"number":5,"head":{"ref":"add-api","repo":{"full_name":"dev/shop"}}},"repository":{"full_name":"acme/shop"},"sender":{"login":"dev"}}`,
			webhook.Event{Kind: webhook.EventPullRequest, Action: "synchronize", Repo: "acme/shop", Sender: "dev", Number: 5, HeadRef: "add-api", HeadRepo: "dev/shop"}, false},
		{"push", `{"ref":"refs/heads/main","before":"a","after":"0000000000000000000000000000000000000000","repository":{"full_name":"acme/shop","default_branch":"main"},"sender":{"login":"dev"}}`,
			webhook.Event{Kind: webhook.EventPush, Repo: "acme/shop", Sender: "dev", Ref: "refs/heads/main", DefaultBranch: "main", Deleted: true}, false},
		{"issues", `{}`, webhook.Event{}, true},
		{"issue_comment", `{"action":"created"}`, webhook.Event{}, true},
		{"push", `{not json`, webhook.Event{}, true},
	} {
		got, err := ParseWebhook(tc.event, []byte(tc.body))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("%s %s:\n got %+v, %v\nwant %+v", tc.event, tc.body, got, err, tc.want)
		}
	}
}

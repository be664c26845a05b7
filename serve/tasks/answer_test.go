package tasks

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/serve/jobs"
)

// TestFailedAnswersFailTheJob: an answer that could not be posted (an issue
// that is gone, a Slack response_url that answers 500, one no longer
// allowed) fails the job, after its work, and the error is what the job
// history keeps, without the response_url.
func TestFailedAnswersFailTheJob(t *testing.T) {
	e := setup(t)
	slackSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusInternalServerError)
	}))
	t.Cleanup(slackSrv.Close)
	if !strings.HasPrefix(slackSrv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server on %s, want 127.0.0.1", slackSrv.URL)
	}
	responseURL := slackSrv.URL + "/commands/T1/2/secret-capability"
	allowAll := func(string) bool { return true }

	tests := []struct {
		name    string
		kind    string
		allow   func(string) bool
		req     Request
		wantErr string
	}{
		{"help on a missing issue", KindReply, allowAll,
			Request{Source: SourceGitHub, Verb: "help", Requester: "reader", Issue: 9999}, "answer on #9999"},
		{"scan answered on a missing issue", KindScan, allowAll,
			Request{Source: SourceGitHub, Verb: "scan", Requester: "reader", Issue: 9999}, "answer on #9999"},
		{"refusal on a missing issue", KindConverge, allowAll,
			Request{Source: SourceGitHub, Verb: "fix", Requester: "reader", Issue: 9999}, "answer on #9999"},
		{"Slack answers 500", KindScan, allowAll,
			Request{Source: SourceSlack, Verb: "scan", Requester: "U1", ResponseURL: responseURL}, "answer on Slack"},
		{"response_url no longer allowed", KindScan, func(string) bool { return false },
			Request{Source: SourceSlack, Verb: "scan", Requester: "U1", ResponseURL: responseURL}, "not one remedy posts to"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.h.o.AllowResponseURL = tt.allow
			res, err := e.run(t, tt.kind, "", tt.req)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("result %q, err %v: want an error with %q", res, err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "secret-capability") || strings.Contains(err.Error(), slackSrv.URL) {
				t.Errorf("the response_url is in the error: %v", err)
			}
		})
	}

	// Through the pool: the job is failed in the history, with the error.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := jobs.Open(ctx, filepath.Join(t.TempDir(), "jobs.db"), jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	pool := jobs.NewPool(store, e.h, jobs.PoolOptions{Workers: 1, Grace: time.Second})
	done := make(chan error, 1)
	go func() { done <- pool.Run(ctx) }()
	req := Request{Source: SourceGitHub, Verb: "help", Requester: "reader", Issue: 9999}
	enq, err := store.Enqueue(ctx, jobs.Request{Repo: "acme/shop", Kind: KindReply, Payload: req.Payload()})
	if err != nil {
		t.Fatal(err)
	}
	if err := pool.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	j, err := store.Get(ctx, enq.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != jobs.Failed || !strings.Contains(j.Error, "answer on #9999") {
		t.Errorf("job %s, error %q: want failed with the answer's error", j.State, j.Error)
	}
	cancel()
	<-done

	// A Slack answer is escaped as a whole: nothing in it is a mention.
	var got struct{ Text string }
	slackOK := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewDecoder(r.Body).Decode(&got)
	}))
	t.Cleanup(slackOK.Close)
	e.h.o.AllowResponseURL = allowAll
	if _, err := e.run(t, KindReply, "", Request{Source: SourceSlack, Verb: "help", Requester: "U1", ResponseURL: slackOK.URL, Message: "unknown control `<!channel>` & <@U0>"}); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(got.Text, "<>") || !strings.Contains(got.Text, "&lt;!channel&gt;` &amp; &lt;@U0&gt;") {
		t.Errorf("Slack answer %q", got.Text)
	}

	// And an answer that is posted leaves the job succeeded.
	e.h.o.AllowResponseURL = allowAll
	if _, err := e.run(t, KindReply, "", Request{Source: SourceGitHub, Verb: "help", Requester: "reader", Issue: e.pr}); err != nil {
		t.Errorf("answered help: %v", err)
	}
}

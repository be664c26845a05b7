package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/internal/testfiles"
)

// countingBody is a request body of n bytes that is never held in memory;
// read counts what the handler took of it. When gate is set, the body
// blocks after its first UnsignedLimit bytes until gate is closed.
type countingBody struct {
	mu      sync.Mutex
	n, read int64
	gate    chan struct{}
	reached chan struct{}
	// chunked sends no Content-Length.
	chunked bool
}

func (c *countingBody) Read(p []byte) (int, error) {
	c.mu.Lock()
	read := c.read
	c.mu.Unlock()
	if read >= c.n {
		return 0, io.EOF
	}
	if c.gate != nil && read >= webhook.UnsignedLimit {
		close(c.reached)
		<-c.gate
		c.gate = nil
	}
	p = p[:min(int64(len(p)), c.n-read, 32<<10)]
	for i := range p {
		p[i] = ' '
	}
	c.mu.Lock()
	c.read += int64(len(p))
	c.mu.Unlock()
	return len(p), nil
}

func (c *countingBody) Close() error { return nil }

func (c *countingBody) bytesRead() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.read
}

// serve hands a request with body to the handler directly, so that only
// the handler reads it.
func (f *fixture) serve(path string, body *countingBody, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.ContentLength = body.n
	if body.chunked {
		req.ContentLength = -1
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	f.srv.ServeHTTP(rec, req)
	return rec
}

// TestUnsignedBigBodies sends 24 MB that cannot be genuine, without a
// Content-Length, one at a time and 60 at once: each is refused having been read no further than
// webhook.UnsignedLimit, and its connection closed.
func TestUnsignedBigBodies(t *testing.T) {
	const size = 24 << 20
	f := newFixture(t, "")
	slack := map[string]string{webhook.SlackTimestampHeader: "1531420618"}
	for _, tt := range []struct {
		name, path string
		header     map[string]string
		status     int
	}{
		{"github unsigned", "/webhooks/github", map[string]string{webhook.GitHubEventHeader: "push"}, http.StatusUnauthorized},
		{"github sha1", "/webhooks/github", map[string]string{webhook.GitHubSignatureHeader: "sha1=" + strings.Repeat("0", 40)}, http.StatusUnauthorized},
		{"slack unsigned", "/slack/commands", slack, http.StatusUnauthorized},
	} {
		body := &countingBody{n: size, chunked: true}
		rec := f.serve(tt.path, body, tt.header)
		if rec.Code != tt.status || rec.Header().Get("Connection") != "close" {
			t.Errorf("%s: status %d, Connection %q", tt.name, rec.Code, rec.Header().Get("Connection"))
		}
		if got := body.bytesRead(); got > webhook.UnsignedLimit {
			t.Errorf("%s: handler read %d bytes, limit %d", tt.name, got, webhook.UnsignedLimit)
		}
	}
	// A Slack body past Slack's own limit is refused before it is read.
	body := &countingBody{n: size}
	if rec := f.serve("/slack/commands", body, nil); rec.Code != http.StatusRequestEntityTooLarge || body.bytesRead() != 0 {
		t.Errorf("Slack body of 24 MB: status %d, %d bytes read", rec.Code, body.bytesRead())
	}

	const n = 60
	bodies := make([]*countingBody, n)
	var wg sync.WaitGroup
	for i := range bodies {
		bodies[i] = &countingBody{n: size}
		wg.Add(1)
		go func(b *countingBody) {
			defer wg.Done()
			if rec := f.serve("/webhooks/github", b, nil); rec.Code != http.StatusUnauthorized {
				t.Errorf("status %d", rec.Code)
			}
		}(bodies[i])
	}
	wg.Wait()
	var total int64
	for _, b := range bodies {
		total += b.bytesRead()
	}
	if total > n*webhook.UnsignedLimit {
		t.Errorf("%d concurrent unsigned bodies: %d bytes read, want at most %d", n, total, n*webhook.UnsignedLimit)
	}
	if f.srv.budget.used != 0 {
		t.Errorf("%d bytes of the body budget still taken", f.srv.budget.used)
	}
	t.Logf("%d × %d MB unsigned: %d KiB read in all", n, size>>20, total>>10)
}

// TestBodyBudget holds bodies with well-formed but wrong signatures half
// read, so that they fill the budget: the next delivery is answered 503
// with Retry-After, having been read no further than the budget allowed;
// once they end, a genuine delivery is taken.
func TestBodyBudget(t *testing.T) {
	f := newFixture(t, "")
	// Each held body has read at most UnsignedLimit and one read (32 KiB)
	// of countingBody more, and taken twice that.
	f.srv.budget.max = 3 * 2 * (webhook.UnsignedLimit + 32<<10)
	fake := map[string]string{webhook.GitHubSignatureHeader: "sha256=" + strings.Repeat("0", 64)}
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		b := &countingBody{n: 1 << 20, gate: gate, reached: make(chan struct{})}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.serve("/webhooks/github", b, fake)
		}()
		<-b.reached
	}
	next := &countingBody{n: 1 << 20}
	rec := f.serve("/webhooks/github", next, fake)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Errorf("over budget: status %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if got := next.bytesRead(); got > f.srv.budget.max {
		t.Errorf("over budget: %d bytes read of %d, budget %d", got, next.n, f.srv.budget.max)
	}
	close(gate)
	wg.Wait()
	if f.srv.budget.used != 0 {
		t.Fatalf("%d bytes of the budget still taken", f.srv.budget.used)
	}
	body := testfiles.GitHubDelivery(t, "issue_comment.created.json", map[string]any{"comment.body": "/remedy fix"})
	if a := f.hook(t, "issue_comment", "d-budget", body); a.status != http.StatusAccepted {
		t.Errorf("genuine delivery after the budget freed: %v", a)
	}
}

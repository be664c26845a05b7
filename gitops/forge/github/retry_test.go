package github

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted answers requests in order; past the end it answers 200.
type scripted struct {
	mu      sync.Mutex
	answers []answer
	bodies  []string
	auths   []string
}

type answer struct {
	status int
	header map[string]string
	body   string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, string(b))
	s.auths = append(s.auths, r.Header.Get("Authorization"))
	a := answer{status: http.StatusOK, body: `{"ok":true}`}
	if n := len(s.bodies) - 1; n < len(s.answers) {
		a = s.answers[n]
	}
	s.mu.Unlock()
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	io.WriteString(w, a.body)
}

// fakeClock records the waits a transport asks for without waiting.
type fakeClock struct {
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(_ context.Context, d time.Duration) error {
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	return nil
}

func TestRetryTransport(t *testing.T) {
	start := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	reset := strconv.FormatInt(start.Add(30*time.Second).Unix(), 10)
	secondary := `{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}`
	tests := []struct {
		name       string
		method     string
		answers    []answer
		wantStatus int
		wantWaits  []time.Duration // with Jitter returning 0
	}{
		{
			name:       "5xx backs off exponentially",
			answers:    []answer{{status: 502}, {status: 503}, {status: 500}},
			wantStatus: 200,
			wantWaits:  []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second},
		},
		{
			name:       "5xx attempts are bounded",
			answers:    []answer{{status: 502}, {status: 502}, {status: 502}, {status: 502}, {status: 502}, {status: 502}},
			wantStatus: 502,
			wantWaits:  []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second},
		},
		{
			name:       "429 honours Retry-After seconds",
			answers:    []answer{{status: 429, header: map[string]string{"Retry-After": "7"}, body: secondary}},
			wantStatus: 200,
			wantWaits:  []time.Duration{7 * time.Second},
		},
		{
			name:       "Retry-After 0 retries at once",
			answers:    []answer{{status: 429, header: map[string]string{"Retry-After": "0"}}, {status: 403, header: map[string]string{"Retry-After": "0"}, body: secondary}},
			wantStatus: 200,
			wantWaits:  []time.Duration{0, 0},
		},
		{
			name:       "Retry-After as an HTTP date",
			answers:    []answer{{status: 429, header: map[string]string{"Retry-After": start.Add(9 * time.Second).Format(http.TimeFormat)}}},
			wantStatus: 200,
			wantWaits:  []time.Duration{9 * time.Second},
		},
		{
			name:       "403 with no calls remaining waits for the reset",
			answers:    []answer{{status: 403, header: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}}},
			wantStatus: 200,
			wantWaits:  []time.Duration{31 * time.Second},
		},
		{
			name:       "secondary limit without headers waits a minute",
			answers:    []answer{{status: 403, body: secondary}},
			wantStatus: 200,
			wantWaits:  []time.Duration{time.Minute},
		},
		{
			name:       "a permission 403 is not retried",
			answers:    []answer{{status: 403, body: `{"message":"Resource not accessible by integration"}`}},
			wantStatus: 403,
		},
		{
			name:       "a wait longer than MaxWait is returned",
			answers:    []answer{{status: 429, header: map[string]string{"Retry-After": "3600"}}},
			wantStatus: 429,
		},
		{
			name:       "404 and 422 are answers, not failures",
			answers:    []answer{{status: 404}},
			wantStatus: 404,
		},
		{
			name:       "a POST body is replayed",
			method:     http.MethodPost,
			answers:    []answer{{status: 502}, {status: 429, header: map[string]string{"Retry-After": "1"}}},
			wantStatus: 200,
			wantWaits:  []time.Duration{500 * time.Millisecond, time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := &scripted{answers: tt.answers}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			clock := &fakeClock{now: start}
			var logs bytes.Buffer
			rt := &RetryTransport{
				Now: clock.Now, Sleep: clock.Sleep, Jitter: func() float64 { return 0 },
				Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
			}
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			const payload = `{"title":"fix"}`
			var body io.Reader
			if method == http.MethodPost {
				body = strings.NewReader(payload)
			}
			req, err := http.NewRequest(method, ts.URL+"/repos/o/r/pulls?token=no", body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer ghp_secret")
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if n := len(srv.answers); resp.StatusCode != 200 && n > 0 && string(got) != srv.answers[min(len(srv.bodies), n)-1].body {
				t.Errorf("returned body %q, want the last answer's", got)
			}
			if !slices.Equal(clock.waits, tt.wantWaits) {
				t.Errorf("waits %v, want %v", clock.waits, tt.wantWaits)
			}
			if len(srv.bodies) != len(tt.wantWaits)+1 {
				t.Errorf("%d attempts, want %d", len(srv.bodies), len(tt.wantWaits)+1)
			}
			for i, b := range srv.bodies {
				if method == http.MethodPost && b != payload {
					t.Errorf("attempt %d sent body %q, want %q", i+1, b, payload)
				}
				if srv.auths[i] != "Bearer ghp_secret" {
					t.Errorf("attempt %d sent Authorization %q", i+1, srv.auths[i])
				}
			}
			if strings.Contains(logs.String(), "ghp_secret") || strings.Contains(logs.String(), "token=no") {
				t.Errorf("log leaks a credential or query:\n%s", logs.String())
			}
			if len(tt.wantWaits) > 0 && !strings.Contains(logs.String(), "retrying GitHub request") {
				t.Errorf("retries not logged:\n%s", logs.String())
			}
		})
	}
}

func TestRetryTransportBodyWithoutGetBody(t *testing.T) {
	srv := &scripted{answers: []answer{{status: 502}}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	clock := &fakeClock{}
	rt := &RetryTransport{Now: clock.Now, Sleep: clock.Sleep}
	req, _ := http.NewRequest(http.MethodPost, ts.URL, io.NopCloser(strings.NewReader("x")))
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 502 || len(srv.bodies) != 1 {
		t.Errorf("status %d after %d attempts; a body that cannot be replayed must be sent once", resp.StatusCode, len(srv.bodies))
	}
}

func TestRetryTransportStopsWithContext(t *testing.T) {
	srv := &scripted{answers: []answer{{status: 502}, {status: 502}}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	rt := &RetryTransport{Sleep: func(ctx context.Context, _ time.Duration) error {
		cancel()
		return ctx.Err()
	}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, ts.URL, nil)
	if _, err := rt.RoundTrip(req); err == nil {
		t.Fatal("no error after the context was cancelled")
	}
	if len(srv.bodies) != 1 {
		t.Errorf("%d attempts, want 1", len(srv.bodies))
	}
}

func TestBackoffIsCappedAndJittered(t *testing.T) {
	rt := &RetryTransport{BaseDelay: time.Second, MaxDelay: 8 * time.Second, Jitter: func() float64 { return 0.999 }}
	for attempt, want := range map[int]time.Duration{1: time.Second, 3: 4 * time.Second, 4: 8 * time.Second, 40: 8 * time.Second} {
		got := rt.backoff(attempt)
		if got > want || got < want-want/1000-time.Millisecond {
			t.Errorf("backoff(%d) = %v, want just under %v", attempt, got, want)
		}
	}
	rt.Jitter = func() float64 { return 0 }
	if got := rt.backoff(4); got != 4*time.Second {
		t.Errorf("backoff(4) without jitter = %v, want half of 8s", got)
	}
}

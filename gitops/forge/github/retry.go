package github

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	gogithub "github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/gitops/forge/forgehttp"
)

// RetryTransport retries GitHub API requests that failed for a reason that
// passes: a server error (5xx) after a capped exponential backoff with
// jitter, and a rate limit (429, or 403 for a secondary limit or an
// exhausted primary limit) after the wait GitHub asks for. Request bodies
// are replayed with Request.GetBody; a request whose body cannot be replayed
// is sent once.
//
// See https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
type RetryTransport struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// MaxAttempts bounds the attempts per request, the first included
	// (default 5).
	MaxAttempts int
	// BaseDelay is the backoff after the first failure, doubled after each
	// further one up to MaxDelay (defaults 1s and 30s).
	BaseDelay, MaxDelay time.Duration
	// MaxWait is the longest wait a rate limit answer may ask for and still
	// be retried (default 2m); a longer one is returned to the caller, which
	// go-github turns into *gogithub.RateLimitError or *gogithub.AbuseRateLimitError.
	MaxWait time.Duration
	// Now and Sleep are the clock; Jitter returns a number in [0, 1).
	// Tests replace them so that no test waits.
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func() float64
	// Log receives one record per retry. It never sees request headers.
	Log *slog.Logger
}

// secondaryMinWait is GitHub's advice for a secondary rate limit answered
// without Retry-After or X-RateLimit-Reset: wait at least a minute.
const secondaryMinWait = time.Minute

// RoundTrip implements http.RoundTripper.
func (t *RetryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	maxAttempts := t.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	replayable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 {
			var err error
			if r, err = rewind(req); err != nil {
				return nil, err
			}
		}
		resp, err := base.RoundTrip(r)
		if !replayable || attempt >= maxAttempts || ctx.Err() != nil {
			return resp, err
		}
		wait, why, retry := t.decide(req, resp, err, attempt)
		if !retry {
			return resp, err
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if t.Log != nil {
			t.Log.LogAttrs(ctx, slog.LevelInfo, "retrying GitHub request",
				slog.String("method", req.Method), slog.String("path", req.URL.Path),
				slog.String("reason", why), slog.Int("attempt", attempt), slog.Duration("wait", wait))
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// rewind returns a copy of req with a fresh body.
func rewind(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return r, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("replay body of %s %s: %w", req.Method, req.URL.Path, err)
	}
	r.Body = body
	return r, nil
}

// decide says whether and after how long to retry. why names the reason
// for the log.
func (t *RetryTransport) decide(req *http.Request, resp *http.Response, err error, attempt int) (wait time.Duration, why string, retry bool) {
	if err != nil {
		// A request that never got an answer may or may not have been
		// applied; only repeat what is safe to repeat.
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || !forgehttp.Idempotent(req.Method) {
			return 0, "", false
		}
		return t.backoff(attempt), "transport error", true
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests,
		resp.StatusCode == http.StatusForbidden && isRateLimited(resp):
		wait, ok := t.rateLimitWait(resp, attempt)
		if !ok {
			return 0, "", false
		}
		return wait, "rate limited (" + strconv.Itoa(resp.StatusCode) + ")", true
	case resp.StatusCode == http.StatusInternalServerError, resp.StatusCode == http.StatusBadGateway,
		resp.StatusCode == http.StatusServiceUnavailable, resp.StatusCode == http.StatusGatewayTimeout:
		if d, ok := retryAfter(resp, t.now()); ok && d <= t.maxWait() {
			return d, "server error (" + strconv.Itoa(resp.StatusCode) + ")", true
		}
		return t.backoff(attempt), "server error (" + strconv.Itoa(resp.StatusCode) + ")", true
	}
	return 0, "", false
}

// rateLimitWait is the wait a rate limit answer asks for: Retry-After, else
// the primary limit's reset when none remain, else a minute (GitHub's advice
// for secondary limits). ok is false when the wait is longer than MaxWait.
func (t *RetryTransport) rateLimitWait(resp *http.Response, attempt int) (time.Duration, bool) {
	var wait time.Duration
	if d, ok := retryAfter(resp, t.now()); ok {
		wait = d
	} else if resp.Header.Get("X-RateLimit-Remaining") == "0" && resp.Header.Get("X-RateLimit-Reset") != "" {
		reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
		if err != nil {
			return 0, false
		}
		// One second more: the reset is rounded down to whole seconds.
		wait = max(0, time.Unix(reset, 0).Sub(t.now())+time.Second)
	} else {
		wait = max(secondaryMinWait, t.backoff(attempt))
	}
	return wait, wait <= t.maxWait()
}

// isRateLimited tells a rate-limit 403 from a permission 403. GitHub marks
// the former with Retry-After or X-RateLimit-Remaining: 0, or only in the
// message of a secondary limit; the body is peeked at and put back.
func isRateLimited(resp *http.Response) bool {
	if resp.Header.Get("Retry-After") != "" || resp.Header.Get("X-RateLimit-Remaining") == "0" {
		return true
	}
	if resp.Body == nil {
		return false
	}
	peek, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body = readCloser{io.MultiReader(bytes.NewReader(peek), resp.Body), resp.Body}
	if err != nil {
		return false
	}
	msg := strings.ToLower(string(peek))
	return strings.Contains(msg, "secondary rate limit") || strings.Contains(msg, "abuse detection")
}

type readCloser struct {
	io.Reader
	io.Closer
}

// retryAfter reads Retry-After in seconds or as an HTTP date.
func retryAfter(resp *http.Response, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		return max(0, time.Duration(s)*time.Second), true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(0, at.Sub(now)), true
	}
	return 0, false
}

// backoff is BaseDelay·2^(attempt-1) capped at MaxDelay, with "equal
// jitter": half fixed, half random, so that concurrent clients spread out.
func (t *RetryTransport) backoff(attempt int) time.Duration {
	baseDelay, maxDelay := t.BaseDelay, t.MaxDelay
	if baseDelay <= 0 {
		baseDelay = time.Second
	}
	if maxDelay <= 0 {
		maxDelay = 30 * time.Second
	}
	d := maxDelay
	if attempt-1 < 30 {
		d = min(maxDelay, baseDelay<<(attempt-1))
	}
	jitter := rand.Float64
	if t.Jitter != nil {
		jitter = t.Jitter
	}
	return d/2 + time.Duration(jitter()*float64(d/2))
}

func (t *RetryTransport) maxWait() time.Duration {
	if t.MaxWait <= 0 {
		return 2 * time.Minute
	}
	return t.MaxWait
}

func (t *RetryTransport) now() time.Time {
	if t.Now != nil {
		return t.Now()
	}
	return time.Now()
}

func (t *RetryTransport) sleep(ctx context.Context, d time.Duration) error {
	if t.Sleep != nil {
		return t.Sleep(ctx, d)
	}
	return forgehttp.Sleep(ctx, d)
}

// Transient reports whether err is GitHub saying "not now" rather than
// "no": a 5xx answer or a rate limit (primary or secondary), after the
// client's own retries ran out. remedy serve retries such a job later.
func Transient(err error) bool {
	var rl *gogithub.RateLimitError
	var abuse *gogithub.AbuseRateLimitError
	var resp *gogithub.ErrorResponse
	return errors.As(err, &rl) || errors.As(err, &abuse) ||
		(errors.As(err, &resp) && resp.Response != nil && resp.Response.StatusCode >= 500)
}

package jobs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/serve/clock"
)

func TestTransient(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	tests := []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("clone acme/shop: %w", refused), true},
		{fmt.Errorf("list: %w", retryable(true)), true},
		{fmt.Errorf("list: %w", retryable(false)), false},
		{errors.New("config: line 3: unknown control"), false},
		{fmt.Errorf("job: %w", context.DeadlineExceeded), false},
		{ErrMemoryCeiling, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := Transient(tt.err); got != tt.want {
			t.Errorf("Transient(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

type retryable bool

func (r retryable) Error() string   { return fmt.Sprintf("retryable=%v", bool(r)) }
func (r retryable) Retryable() bool { return bool(r) }

// TestPoolRetriesThenDeadLetters: a job failing on transport errors runs
// again after a growing backoff, up to MaxAttempts, then is failed as a
// dead letter; a job that recovers succeeds on a later attempt.
func TestPoolRetriesThenDeadLetters(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)
	fake := clock.NewFake(start)
	s := openStore(t, "", Options{Now: fake.Now, MaxAttempts: 3})
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	var mu sync.Mutex
	calls := map[string][]time.Time{}
	h := HandlerFunc(func(ctx context.Context, j Job) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls[j.Repo] = append(calls[j.Repo], fake.Now())
		if j.Repo == "acme/down" || len(calls[j.Repo]) < 2 {
			return "", fmt.Errorf("clone %s: %w", j.Repo, refused)
		}
		return "ok", nil
	})
	var outcomes []string
	p := NewPool(s, h, PoolOptions{Clock: fake, Backoff: time.Minute, Observe: func(j Job, o string, _ time.Duration) {
		mu.Lock()
		outcomes = append(outcomes, j.Repo+" "+o)
		mu.Unlock()
	}})
	runCtx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { p.Run(runCtx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })

	down, _ := s.Enqueue(ctx, Request{Repo: "acme/down", Kind: "converge"})
	flaky, _ := s.Enqueue(ctx, Request{Repo: "acme/flaky", Kind: "converge"})
	p.WaitIdle(ctx)
	for _, step := range []time.Duration{time.Minute, 2 * time.Minute} {
		if !fake.WaitForWaiter(fake.Now().Add(step), stopped) {
			t.Fatalf("the pool does not wait %s for the next attempt", step)
		}
		fake.Advance(step)
		p.WaitIdle(ctx)
	}
	j, _ := s.Get(ctx, down.JobID)
	if j.State != Failed || j.Attempts != 3 || !strings.HasPrefix(j.Error, "dead letter after 3 attempts: clone acme/down") {
		t.Errorf("job of an unreachable repository: %s, %d attempts, %q", j.State, j.Attempts, j.Error)
	}
	if j, _ := s.Get(ctx, flaky.JobID); j.State != Succeeded || j.Attempts != 2 {
		t.Errorf("flaky job: %s after %d attempts", j.State, j.Attempts)
	}
	mu.Lock()
	defer mu.Unlock()
	if d := calls["acme/down"]; len(d) != 3 || d[1].Sub(d[0]) != time.Minute || d[2].Sub(d[1]) != 2*time.Minute {
		t.Errorf("attempts at %v, want 3 with backoff 1m, 2m", d)
	}
	want := map[string]int{"acme/down retried": 2, "acme/down dead-letter": 1, "acme/flaky retried": 1, "acme/flaky succeeded": 1}
	got := map[string]int{}
	for _, o := range outcomes {
		got[o]++
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
}

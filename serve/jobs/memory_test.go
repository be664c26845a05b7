package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestPoolStopsAJobOverTheMemoryCeiling: a job whose work takes the heap
// past the ceiling (issue 18: a review of a link to /dev/zero took the
// server past 3 GB) fails with an error saying so, and is not run again.
func TestPoolStopsAJobOverTheMemoryCeiling(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, "", Options{})
	runtime.GC()
	ceiling := liveHeap() + 64<<20
	var held [][]byte
	h := HandlerFunc(func(ctx context.Context, j Job) (string, error) {
		// Grow until stopped, as a reader of an endless file would.
		for ctx.Err() == nil {
			held = append(held, bytes.Repeat([]byte{1}, 8<<20))
			runtime.GC()
			time.Sleep(time.Millisecond)
		}
		return "", ctx.Err()
	})
	p, _, _ := startPool(t, s, h, PoolOptions{MemoryCeiling: ceiling})
	e, err := s.Enqueue(ctx, Request{Repo: "acme/shop", Kind: "review"})
	if err != nil {
		t.Fatal(err)
	}
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := p.WaitIdle(wait); err != nil {
		t.Fatal(err)
	}
	held = nil
	j, err := s.Get(ctx, e.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != Failed || !strings.Contains(j.Error, "job memory ceiling: the server's heap reached") || !strings.Contains(j.Error, "not run again") {
		t.Errorf("job %s with error %q, want failed over the memory ceiling", j.State, j.Error)
	}
}

// TestJobOverItsCeilingIsADeadLetterAfterACrash: when the process dies
// before the stopped job returns, the next start fails the job, with the
// reason, instead of running it once more.
func TestJobOverItsCeilingIsADeadLetterAfterACrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jobs.db")
	s := openStore(t, path, Options{})
	e, _ := s.Enqueue(ctx, Request{Repo: "acme/shop", Kind: "review"})
	if j, err := s.claim(ctx); err != nil || j == nil {
		t.Fatalf("claim: %+v %v", j, err)
	}
	if err := s.poison(ctx, e.JobID, "job memory ceiling: over"); err != nil {
		t.Fatal(err)
	}
	s.Close() // the process dies
	var logs bytes.Buffer
	s = openStore(t, path, Options{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	j, err := s.Get(ctx, e.JobID)
	if err != nil {
		t.Fatal(err)
	}
	if want := "the server stopped while it ran: job memory ceiling: over"; j.State != Failed || j.Error != want {
		t.Errorf("job %s with error %q, want failed with %q", j.State, j.Error, want)
	}
	if !strings.Contains(logs.String(), "dead letter") || !strings.Contains(logs.String(), "job=1") {
		t.Errorf("the dead letter was not logged: %s", logs.String())
	}
	if got, _ := s.claim(ctx); got != nil {
		t.Errorf("the dead letter was taken again: %+v", got)
	}
}

package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/serve/clock"
)

// openStore opens a SQLite store at path (a new file when empty), or,
// under TestOnPostgres, a PostgreSQL store in a schema of its own.
func openStore(t *testing.T, path string, o Options) *Store {
	t.Helper()
	if strings.HasPrefix(t.Name(), "TestOnPostgres/") {
		return openPostgres(t, postgresDSN(t), o)
	}
	if path == "" {
		path = filepath.Join(t.TempDir(), "jobs.db")
	}
	s, err := Open(context.Background(), path, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func payload(s string) json.RawMessage { b, _ := json.Marshal(s); return b }

func TestEnqueueCoalescesAndDedupes(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, "", Options{})
	steps := []struct {
		name          string
		req           Request
		wantJob       int64 // 0: a new job
		coalesced     bool
		duplicate     bool
		wantJobOfStep int // when wantJob is by reference: index of the step whose job it is, +1
	}{
		{name: "first fix", req: Request{Repo: "acme/shop", Kind: "converge", Payload: payload("a"), Delivery: "d1"}},
		{name: "second fix joins it", req: Request{Repo: "acme/shop", Kind: "converge", Payload: payload("b"), Delivery: "d2"}, coalesced: true, wantJobOfStep: 1},
		{name: "name case does not matter", req: Request{Repo: "Acme/Shop", Kind: "converge", Payload: payload("c")}, coalesced: true, wantJobOfStep: 1},
		{name: "redelivery is a duplicate", req: Request{Repo: "acme/shop", Kind: "converge", Payload: payload("z"), Delivery: "d1"}, duplicate: true, wantJobOfStep: 1},
		{name: "another kind is another job", req: Request{Repo: "acme/shop", Kind: "scan", Payload: payload("d")}},
		{name: "another key is another job", req: Request{Repo: "acme/shop", Kind: "review", Key: "7", Payload: payload("e")}},
		{name: "same key joins", req: Request{Repo: "acme/shop", Kind: "review", Key: "7", Payload: payload("f")}, coalesced: true, wantJobOfStep: 6},
		{name: "another repository", req: Request{Repo: "acme/web", Kind: "converge", Payload: payload("g")}},
	}
	ids := make([]int64, len(steps))
	for i, st := range steps {
		got, err := s.Enqueue(ctx, st.req)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		ids[i] = got.JobID
		if got.Coalesced != st.coalesced || got.Duplicate != st.duplicate {
			t.Errorf("%s: %+v, want coalesced %v duplicate %v", st.name, got, st.coalesced, st.duplicate)
		}
		if st.wantJobOfStep > 0 && got.JobID != ids[st.wantJobOfStep-1] {
			t.Errorf("%s: job %d, want job %d", st.name, got.JobID, ids[st.wantJobOfStep-1])
		}
		if st.wantJobOfStep == 0 {
			for _, prev := range ids[:i] {
				if prev == got.JobID {
					t.Errorf("%s: joined job %d, want a new job", st.name, prev)
				}
			}
		}
	}
	j, err := s.Get(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Payloads) != 3 || string(j.Payloads[0]) != `"a"` || string(j.Payloads[2]) != `"c"` {
		t.Errorf("payloads %s, want a, b, c", j.Payloads)
	}
	if j.Repo != "acme/shop" || j.State != Queued {
		t.Errorf("job %+v", j)
	}
}

func TestEnqueueBounds(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, "", Options{MaxQueued: 2})
	for i, repo := range []string{"a/1", "a/2"} {
		if _, err := s.Enqueue(ctx, Request{Repo: repo, Kind: "k"}); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
	}
	if _, err := s.Enqueue(ctx, Request{Repo: "a/3", Kind: "k"}); !errors.Is(err, ErrQueueFull) {
		t.Errorf("third job: %v, want ErrQueueFull", err)
	}
	if r, err := s.Enqueue(ctx, Request{Repo: "a/1", Kind: "k"}); err != nil || !r.Coalesced {
		t.Errorf("joining a waiting job when full: %+v %v; want it coalesced", r, err)
	}
	if _, err := s.Enqueue(ctx, Request{Kind: "k"}); err == nil {
		t.Error("a request without a repository was taken")
	}
}

func TestStoreSurvivesRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jobs.db")
	s := openStore(t, path, Options{MaxAttempts: 2})
	a, _ := s.Enqueue(ctx, Request{Repo: "acme/a", Kind: "converge", Payload: payload("x"), Delivery: "del-a"})
	b, _ := s.Enqueue(ctx, Request{Repo: "acme/b", Kind: "converge"})
	// acme/a is taken by a worker, and the process dies.
	if j, err := s.claim(ctx); err != nil || j == nil || j.ID != a.JobID {
		t.Fatalf("claim: %+v %v", j, err)
	}
	s.Close()

	for restart := 1; restart <= 2; restart++ {
		s = openStore(t, path, Options{MaxAttempts: 2})
		j, err := s.Get(ctx, a.JobID)
		if err != nil {
			t.Fatal(err)
		}
		want := Queued
		if restart == 2 {
			want = Failed // taken twice, interrupted twice: poison
		}
		if j.State != want || len(j.Payloads) != 1 {
			t.Fatalf("restart %d: job a %s with %d payloads, want %s with 1", restart, j.State, len(j.Payloads), want)
		}
		if r, _ := s.Enqueue(ctx, Request{Repo: "acme/a", Kind: "converge", Delivery: "del-a"}); !r.Duplicate {
			t.Errorf("restart %d: the delivery was forgotten", restart)
		}
		if restart == 1 {
			if j, _ := s.claim(ctx); j == nil || j.ID != a.JobID || j.Attempts != 2 {
				t.Fatalf("restart 1: claim %+v", j)
			}
		}
		s.Close()
	}
	s = openStore(t, path, Options{})
	if j, _ := s.Get(ctx, b.JobID); j.State != Queued {
		t.Errorf("job b %s, want queued", j.State)
	}
}

// gate is a handler whose jobs block until released, recording how many
// run at once, overall and per repository.
type gate struct {
	mu        sync.Mutex
	running   map[string]int
	total     int
	maxTotal  int
	maxRepo   int
	started   chan Job
	release   chan struct{}
	ran       []Job
	failWith  map[string]error
	panicRepo string
}

func newGate() *gate {
	return &gate{running: map[string]int{}, started: make(chan Job, 100), release: make(chan struct{}, 100)}
}

func (g *gate) Handle(ctx context.Context, j Job) (string, error) {
	g.mu.Lock()
	g.running[j.Repo]++
	g.total++
	g.maxTotal = max(g.maxTotal, g.total)
	g.maxRepo = max(g.maxRepo, g.running[j.Repo])
	g.mu.Unlock()
	defer func() {
		g.mu.Lock()
		g.running[j.Repo]--
		g.total--
		g.ran = append(g.ran, j)
		g.mu.Unlock()
	}()
	g.started <- j
	if j.Repo == g.panicRepo {
		panic("boom")
	}
	select {
	case <-g.release:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	return fmt.Sprintf("%s for %d requests", j.Kind, len(j.Payloads)), g.failWith[j.Repo]
}

func startPool(t *testing.T, s *Store, h Handler, o PoolOptions) (*Pool, context.CancelFunc, <-chan struct{}) {
	t.Helper()
	p := NewPool(s, h, o)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { p.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })
	return p, cancel, stopped
}

func TestPoolOneJobPerRepository(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, "", Options{})
	g := newGate()
	var mu sync.Mutex
	outcomes := map[int64]string{}
	p, _, _ := startPool(t, s, g, PoolOptions{Workers: 2, Observe: func(j Job, o string, _ time.Duration) {
		mu.Lock()
		outcomes[j.ID] = o
		mu.Unlock()
	}})
	a1, _ := s.Enqueue(ctx, Request{Repo: "acme/a", Kind: "converge"})
	a2, _ := s.Enqueue(ctx, Request{Repo: "acme/a", Kind: "scan"})
	b1, _ := s.Enqueue(ctx, Request{Repo: "acme/b", Kind: "converge"})
	c1, _ := s.Enqueue(ctx, Request{Repo: "acme/c", Kind: "converge"})

	first := []Job{<-g.started, <-g.started}
	if first[0].Repo == first[1].Repo {
		t.Fatalf("two jobs of %s run at once", first[0].Repo)
	}
	// While acme/a's converge runs, three more requests for it arrive:
	// they join one waiting job.
	var joined []Enqueued
	for i := range 3 {
		r, err := s.Enqueue(ctx, Request{Repo: "acme/a", Kind: "converge", Payload: payload(fmt.Sprint(i))})
		if err != nil {
			t.Fatal(err)
		}
		joined = append(joined, r)
	}
	if joined[0].JobID == a1.JobID || joined[0].Coalesced || !joined[1].Coalesced || !joined[2].Coalesced || joined[2].JobID != joined[0].JobID {
		t.Errorf("requests during a run: %+v; want one new job the others join", joined)
	}
	for range 6 {
		g.release <- struct{}{}
	}
	if err := p.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.maxRepo != 1 || g.maxTotal != 2 {
		t.Errorf("at most %d jobs of a repository and %d in all ran at once; want 1 and 2", g.maxRepo, g.maxTotal)
	}
	if len(g.ran) != 5 {
		t.Fatalf("%d jobs ran, want 5", len(g.ran))
	}
	for _, id := range []int64{a1.JobID, a2.JobID, b1.JobID, c1.JobID, joined[0].JobID} {
		j, _ := s.Get(ctx, id)
		mu.Lock()
		o := outcomes[id]
		mu.Unlock()
		if j.State != Succeeded || o != OutcomeSucceeded || j.Started.IsZero() || j.Finished.Before(j.Started) {
			t.Errorf("job %d: %s (observed %q) %+v", id, j.State, o, j)
		}
	}
	if j, _ := s.Get(ctx, joined[0].JobID); j.Result != "converge for 3 requests" {
		t.Errorf("coalesced job result %q", j.Result)
	}
}

func TestPoolFailuresAndPanics(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, "", Options{})
	g := newGate()
	g.failWith = map[string]error{"acme/bad": errors.New("clone acme/bad: 404")}
	g.panicRepo = "acme/panic"
	p, _, _ := startPool(t, s, g, PoolOptions{Workers: 2})
	bad, _ := s.Enqueue(ctx, Request{Repo: "acme/bad", Kind: "converge"})
	pan, _ := s.Enqueue(ctx, Request{Repo: "acme/panic", Kind: "converge"})
	g.release <- struct{}{}
	if err := p.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	if j, _ := s.Get(ctx, bad.JobID); j.State != Failed || j.Error != "clone acme/bad: 404" {
		t.Errorf("failing job: %s %q", j.State, j.Error)
	}
	if j, _ := s.Get(ctx, pan.JobID); j.State != Failed || j.Error != "internal error: boom" {
		t.Errorf("panicking job: %s %q", j.State, j.Error)
	}
}

func TestPoolDelayedJobs(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2025, 6, 1, 2, 0, 0, 0, time.UTC)
	fake := clock.NewFake(start)
	s := openStore(t, "", Options{Now: fake.Now})
	g := newGate()
	close(g.release)
	p, _, stopped := startPool(t, s, g, PoolOptions{Clock: fake})
	late, _ := s.Enqueue(ctx, Request{Repo: "acme/late", Kind: "converge", RunAfter: start.Add(20 * time.Minute)})
	soon, _ := s.Enqueue(ctx, Request{Repo: "acme/soon", Kind: "converge", RunAfter: start.Add(5 * time.Minute)})
	if err := p.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	ran := len(g.ran)
	g.mu.Unlock()
	if ran != 0 {
		t.Fatalf("%d delayed jobs ran before their time", ran)
	}
	// The dispatcher sleeps until the earliest one.
	if !fake.WaitForWaiter(start.Add(5*time.Minute), stopped) {
		t.Fatal("the pool stopped")
	}
	fake.Advance(5 * time.Minute)
	if j := <-g.started; j.ID != soon.JobID {
		t.Errorf("ran job %d first, want %d", j.ID, soon.JobID)
	}
	p.WaitIdle(ctx)
	// A request for the late repository pulls its job forward.
	if r, _ := s.Enqueue(ctx, Request{Repo: "acme/late", Kind: "converge"}); !r.Coalesced || r.JobID != late.JobID {
		t.Errorf("urgent request %+v did not join the delayed job", r)
	}
	if j := <-g.started; j.ID != late.JobID || len(j.Payloads) != 2 {
		t.Errorf("ran %+v, want the delayed job with both payloads", j)
	}
	p.WaitIdle(ctx)
}

func TestPoolShutdown(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "jobs.db")
	s := openStore(t, path, Options{})

	// A job that finishes within the grace period is recorded as done.
	g := newGate()
	_, cancel, stopped := startPool(t, s, g, PoolOptions{Grace: time.Hour})
	quick, _ := s.Enqueue(ctx, Request{Repo: "acme/quick", Kind: "converge"})
	<-g.started
	cancel()
	waiting, _ := s.Enqueue(ctx, Request{Repo: "acme/waiting", Kind: "converge"})
	g.release <- struct{}{}
	<-stopped
	if j, _ := s.Get(ctx, quick.JobID); j.State != Succeeded {
		t.Errorf("job running at shutdown: %s, want succeeded", j.State)
	}
	if j, _ := s.Get(ctx, waiting.JobID); j.State != Queued {
		t.Errorf("job enqueued during shutdown: %s, want still queued", j.State)
	}

	// One that does not is cancelled and queued again, merged with the
	// request that arrived for it meanwhile.
	g = newGate()
	var outcome string
	_, cancel, stopped = startPool(t, s, g, PoolOptions{Grace: 0, Observe: func(_ Job, o string, _ time.Duration) { outcome = o }})
	slow := (<-g.started).ID
	later, _ := s.Enqueue(ctx, Request{Repo: "acme/waiting", Kind: "converge", Payload: payload("later")})
	cancel()
	<-stopped
	j, _ := s.Get(ctx, slow)
	if j.State != Queued || outcome != OutcomeRequeued || len(j.Payloads) != 2 {
		t.Errorf("interrupted job: %s (%s) with %d payloads; want queued with 2", j.State, outcome, len(j.Payloads))
	}
	if _, err := s.Get(ctx, later.JobID); !errors.Is(err, ErrNotFound) {
		t.Errorf("the later job was not merged into the interrupted one: %v", err)
	}

	// The next start runs it.
	g = newGate()
	close(g.release)
	p, _, _ := startPool(t, s, g, PoolOptions{})
	p.WaitIdle(ctx)
	if j, _ := s.Get(ctx, slow); j.State != Succeeded || j.Attempts != 2 {
		t.Errorf("after restart: %s after %d attempts", j.State, j.Attempts)
	}
}

func TestHistoryAndPrune(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	fake := clock.NewFake(now)
	s := openStore(t, "", Options{Now: fake.Now})
	for _, repo := range []string{"acme/a", "acme/b", "acme/a"} {
		r, _ := s.Enqueue(ctx, Request{Repo: repo, Kind: "scan"})
		j, _ := s.claim(ctx)
		if j == nil || j.ID != r.JobID {
			t.Fatalf("claim %+v", j)
		}
		s.finish(ctx, *j, Succeeded, "ok "+repo, "")
		fake.Advance(24 * time.Hour)
	}
	s.Enqueue(ctx, Request{Repo: "acme/a", Kind: "converge"})
	h, err := s.History(ctx, "ACME/a", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 3 || h[0].State != Queued || h[1].Result != "ok acme/a" || h[1].ID < h[2].ID {
		t.Errorf("history of acme/a: %+v", h)
	}
	if all, _ := s.History(ctx, "", 2); len(all) != 2 {
		t.Errorf("limit: %d jobs", len(all))
	}
	n, err := s.Prune(ctx, now.Add(36*time.Hour))
	if err != nil || n != 2 {
		t.Errorf("pruned %d (%v), want the 2 jobs finished before", n, err)
	}
	c, _ := s.Counts(ctx)
	if c[Queued] != 1 || c[Succeeded] != 1 {
		t.Errorf("counts %v", c)
	}
}

func BenchmarkEnqueue(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "jobs.db"), Options{MaxQueued: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.Enqueue(context.Background(), Request{Repo: fmt.Sprintf("acme/r%d", i%50), Kind: "converge", Delivery: fmt.Sprint(i)}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEnqueueConcurrently sends a burst through the group commit: every
// request is kept, each once, in one job per repository.
func TestEnqueueConcurrently(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, "", Options{})
	const n, repos = 400, 8
	var wg sync.WaitGroup
	results := make([]Enqueued, n+n/4)
	errs := make([]error, len(results))
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := i % n // the last quarter redelivers the first
			results[i], errs[i] = s.Enqueue(ctx, Request{Repo: fmt.Sprintf("acme/r%d", d%repos), Kind: "converge", Payload: payload(fmt.Sprint(d)), Delivery: fmt.Sprintf("d-%d", d)})
		}()
	}
	wg.Wait()
	jobIDs := map[int64]bool{}
	dups := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		jobIDs[r.JobID] = true
		if r.Duplicate {
			dups++
		}
	}
	if dups != n/4 || len(jobIDs) != repos {
		t.Errorf("%d duplicates in %d jobs, want %d in %d", dups, len(jobIDs), n/4, repos)
	}
	total := 0
	for id := range jobIDs {
		j, _ := s.Get(ctx, id)
		total += len(j.Payloads)
	}
	if total != n {
		t.Errorf("%d payloads kept, want %d", total, n)
	}
}

func BenchmarkEnqueueParallel(b *testing.B) {
	s, err := Open(context.Background(), filepath.Join(b.TempDir(), "jobs.db"), Options{MaxQueued: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	i := 0
	b.SetParallelism(64)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			i++
			d := i
			mu.Unlock()
			if _, err := s.Enqueue(context.Background(), Request{Repo: fmt.Sprintf("acme/r%d", d%50), Kind: "converge", Delivery: fmt.Sprint(d)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

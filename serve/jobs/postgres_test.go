package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/internal/pgtest"
)

// postgresDSN is a fresh schema in the PostgreSQL of REMEDY_TEST_POSTGRES.
func postgresDSN(t *testing.T) string { return pgtest.DSN(t) }

func openPostgres(t *testing.T, dsn string, o Options) *Store {
	t.Helper()
	s, err := OpenPostgres(context.Background(), dsn, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestPostgresReplicas: two replicas' pools on one database take a burst
// of jobs; every job runs exactly once, and no repository ever has two
// jobs running at once, though both replicas work.
func TestPostgresReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := context.Background()
	var mu sync.Mutex
	running := map[string]int{}
	ranBy := map[int64][]string{}
	overlap := ""
	handler := func(owner string) Handler {
		return HandlerFunc(func(ctx context.Context, j Job) (string, error) {
			mu.Lock()
			running[j.Repo]++
			if running[j.Repo] > 1 {
				overlap = j.Repo
			}
			ranBy[j.ID] = append(ranBy[j.ID], owner)
			mu.Unlock()
			time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
			mu.Lock()
			running[j.Repo]--
			mu.Unlock()
			return "ok", nil
		})
	}
	var stores []*Store
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, owner := range []string{"replica-a", "replica-b"} {
		s := openPostgres(t, dsn, Options{Owner: owner})
		p := NewPool(s, handler(owner), PoolOptions{Workers: 4, Poll: 20 * time.Millisecond})
		stores = append(stores, s)
		wg.Add(1)
		go func() { defer wg.Done(); p.Run(runCtx) }()
	}
	defer func() { cancel(); wg.Wait() }()
	const repos, perRepo = 6, 25
	ids := map[int64]bool{}
	var idsMu sync.Mutex
	var enq sync.WaitGroup
	for r := range repos {
		for i := range perRepo {
			enq.Add(1)
			go func() {
				defer enq.Done()
				// Each request its own job: a different key per request.
				e, err := stores[i%2].Enqueue(ctx, Request{Repo: fmt.Sprintf("acme/r%d", r), Kind: "converge", Key: fmt.Sprint(i), Delivery: fmt.Sprintf("d-%d-%d", r, i)})
				if err != nil {
					t.Error(err)
					return
				}
				idsMu.Lock()
				ids[e.JobID] = true
				idsMu.Unlock()
			}()
		}
	}
	enq.Wait()
	deadline := time.Now().Add(60 * time.Second)
	for {
		c, err := stores[0].Counts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if c[Succeeded] == repos*perRepo {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs not done: %v", c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if overlap != "" {
		t.Errorf("two jobs of %s ran at once", overlap)
	}
	by := map[string]int{}
	for id := range ids {
		if len(ranBy[id]) != 1 {
			t.Errorf("job %d ran %d times: %v", id, len(ranBy[id]), ranBy[id])
		}
		for _, o := range ranBy[id] {
			by[o]++
		}
	}
	if len(ids) != repos*perRepo || by["replica-a"] == 0 || by["replica-b"] == 0 {
		t.Errorf("%d jobs, run by %v: want %d, both replicas working", len(ids), by, repos*perRepo)
	}
	runs, err := stores[1].Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != repos*perRepo {
		t.Errorf("%d runs in the history, want %d", len(runs), repos*perRepo)
	}
	t.Logf("%d jobs over %d repositories: %v", len(ids), repos, by)
}

// TestPostgresLease: a replica that dies mid-job keeps the job until its
// lease expires; then another replica queues it again and runs it, and
// the dead replica's late end is not recorded over it.
func TestPostgresLease(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	clk := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	a := openPostgres(t, dsn, Options{Owner: "a", Now: clk, Lease: time.Minute})
	b := openPostgres(t, dsn, Options{Owner: "b", Now: clk, Lease: time.Minute})
	e, _ := a.Enqueue(ctx, Request{Repo: "acme/shop", Kind: "converge"})
	ja, err := a.claim(ctx)
	if err != nil || ja == nil {
		t.Fatalf("claim: %v %v", ja, err)
	}
	if j, _ := b.claim(ctx); j != nil {
		t.Fatalf("replica b took job %d while a runs it", j.ID)
	}
	// b starting, or reclaiming, leaves a's running job alone.
	openPostgres(t, dsn, Options{Owner: "c", Now: clk})
	b.Reclaim(ctx)
	if j, _ := b.Get(ctx, e.JobID); j.State != Running || j.Owner != "a" {
		t.Fatalf("a live replica's job was taken: %s by %q", j.State, j.Owner)
	}
	// a dies: no renewal; the lease runs out.
	clockMu.Lock()
	now = now.Add(2 * time.Minute)
	clockMu.Unlock()
	if err := b.Reclaim(ctx); err != nil {
		t.Fatal(err)
	}
	jb, err := b.claim(ctx)
	if err != nil || jb == nil || jb.ID != e.JobID || jb.Attempts != 2 {
		t.Fatalf("b claims %+v, %v: want the job again, attempt 2", jb, err)
	}
	if err := a.finish(ctx, *ja, Succeeded, "late", ""); err == nil || !strings.Contains(err.Error(), "lease") {
		t.Errorf("the dead replica's late end was recorded: %v", err)
	}
	if err := b.finish(ctx, *jb, Succeeded, "ok", ""); err != nil {
		t.Fatal(err)
	}
	runs, _ := b.Runs(ctx)
	var got []string
	for _, r := range runs {
		got = append(got, r.Owner+":"+r.Outcome)
	}
	if strings.Join(got, " ") != "a:lost b:succeeded" {
		t.Errorf("runs %v, want a lost, b succeeded", got)
	}
}

// TestPostgresFireOnce: replicas firing the same schedule tick agree on
// one; the next tick is fired again.
func TestPostgresFireOnce(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := context.Background()
	tick := time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)
	var stores []*Store
	for i := range 4 {
		stores = append(stores, openPostgres(t, dsn, Options{Owner: fmt.Sprint("r", i)}))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for _, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := s.FireOnce(ctx, "nightly", tick)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d replicas fired the tick, want 1", won)
	}
	if ok, _ := stores[0].FireOnce(ctx, "nightly", tick.Add(24*time.Hour)); !ok {
		t.Error("the next tick was not fired")
	}
}

// TestMigrations: both stores record their schema version; replicas
// opening a new database at once migrate it once; a store newer than the
// binary is refused.
func TestMigrations(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, db *sql.DB, b backend) {
		ms, _ := readMigrations(b.migrations())
		var n, max int
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
			t.Fatal(err)
		}
		if n != len(ms) || max != ms[len(ms)-1].version {
			t.Errorf("%s: %d migrations up to %d recorded, want %d", b.name(), n, max, len(ms))
		}
		if _, err := db.ExecContext(ctx, b.rebind(`INSERT INTO schema_migrations (version, name, applied) VALUES (?, 'future', 0)`), 9999); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		path := t.TempDir() + "/jobs.db"
		s := openStore(t, path, Options{})
		check(t, s.db, s.b)
		s.Close()
		if _, err := Open(ctx, path, Options{}); err == nil || !strings.Contains(err.Error(), "newer than this remedy") {
			t.Errorf("a newer store opened: %v", err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := postgresDSN(t)
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := OpenPostgres(ctx, dsn, Options{})
				if err != nil {
					t.Error(err)
					return
				}
				s.Close()
			}()
		}
		wg.Wait()
		s := openPostgres(t, dsn, Options{})
		check(t, s.db, s.b)
		if _, err := OpenPostgres(ctx, dsn, Options{}); err == nil || !strings.Contains(err.Error(), "newer than this remedy") {
			t.Errorf("a newer store opened: %v", err)
		}
	})
}

// TestMigrateUnversionedSQLite: a store an older remedy created (its
// schema without schema_migrations) is adopted, its jobs kept.
func TestMigrateUnversionedSQLite(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/jobs.db"
	db, err := openSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := readMigrations(sqliteBackend{}.migrations())
	if _, err := db.Exec(ms[0].sql); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO jobs (repo, repo_key, kind, key, state, created, run_after) VALUES ('acme/a', 'acme/a', 'converge', '', 'running', 1, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s := openStore(t, path, Options{})
	h, err := s.History(ctx, "", 10)
	if err != nil || len(h) != 1 || h[0].State != Queued {
		t.Fatalf("history after migration: %+v %v", h, err)
	}
}

// TestOnPostgres runs the store's and the pool's tests on PostgreSQL.
// Left out: the restart tests, which rely on SQLite's "every running job
// was interrupted" at open (TestPostgresLease covers a replica's death),
// and those that step a fake clock through the dispatcher's sleeps (on a
// shared store the dispatcher also wakes to poll).
func TestOnPostgres(t *testing.T) {
	postgresDSN(t)
	for _, tc := range []struct {
		name string
		test func(*testing.T)
	}{
		{"EnqueueCoalescesAndDedupes", TestEnqueueCoalescesAndDedupes},
		{"EnqueueBounds", TestEnqueueBounds},
		{"EnqueueConcurrently", TestEnqueueConcurrently},
		{"PoolOneJobPerRepository", TestPoolOneJobPerRepository},
		{"PoolFailuresAndPanics", TestPoolFailuresAndPanics},
		{"HistoryAndPrune", TestHistoryAndPrune},
		{"PoolShutdown", TestPoolShutdown},
		{"PoolStopsAJobOverTheMemoryCeiling", TestPoolStopsAJobOverTheMemoryCeiling},
		{"Postures", TestPostures},
		{"LastJobs", TestLastJobs},
	} {
		t.Run(tc.name, tc.test)
	}
}

// TestPostgresSameDeliveryTwoReplicas: one delivery stored by two
// replicas at once is one request; the other is answered as a duplicate,
// not as an error.
func TestPostgresSameDeliveryTwoReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := context.Background()
	a := openPostgres(t, dsn, Options{Owner: "a"})
	b := openPostgres(t, dsn, Options{Owner: "b"})
	for i := range 50 {
		var wg sync.WaitGroup
		outs := make([]Enqueued, 2)
		errs := make([]error, 2)
		for k, s := range []*Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[k], errs[k] = s.Enqueue(ctx, Request{Repo: fmt.Sprintf("acme/r%d", i), Kind: "review", Delivery: fmt.Sprint("d-", i)})
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("delivery %d: %v, %v", i, errs[0], errs[1])
		}
		if outs[0].Duplicate == outs[1].Duplicate || outs[0].JobID != outs[1].JobID {
			t.Fatalf("delivery %d: %+v and %+v, want one request and its duplicate", i, outs[0], outs[1])
		}
	}
}

// TestPostgresLeaseLost: a replica that cannot renew its leases (it lost
// the database) stops its jobs before another replica may take them.
func TestPostgresLeaseLost(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := context.Background()
	s, err := OpenPostgres(ctx, dsn, Options{Owner: "a", Lease: 400 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	started := make(chan struct{})
	stopped := make(chan error, 1)
	outcome := make(chan string, 1)
	p := NewPool(s, HandlerFunc(func(ctx context.Context, j Job) (string, error) {
		close(started)
		<-ctx.Done()
		stopped <- context.Cause(ctx)
		return "", ctx.Err()
	}), PoolOptions{Poll: 20 * time.Millisecond, Observe: func(_ Job, o string, _ time.Duration) { outcome <- o }})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { p.Run(runCtx); close(done) }()
	defer func() { cancel(); <-done }()
	s.Enqueue(ctx, Request{Repo: "acme/shop", Kind: "converge"})
	<-started
	s.db.Close() // the database is gone for this replica
	select {
	case cause := <-stopped:
		if !errors.Is(cause, ErrLeaseLost) {
			t.Errorf("job stopped by %v, want ErrLeaseLost", cause)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the job ran on without its lease")
	}
	if o := <-outcome; o != OutcomeLeaseLost {
		t.Errorf("outcome %q", o)
	}
}

package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/internal/pgtest"
	"github.com/remedy-bot/remedy/serve/clock"
)

// TestServeReplicasFireScheduleOnce: two servers on one PostgreSQL store
// both see the nightly tick; one fires it, the other says so, and the
// repository is queued once.
func TestServeReplicasFireScheduleOnce(t *testing.T) {
	e := newServeEnv(t)
	e.env["REMEDY_DATABASE_URL"] = pgtest.DSN(t)
	e.repo("acme", "web")
	start := time.Date(2025, 6, 10, 23, 30, 0, 0, time.UTC)
	fake := clock.NewFake(start)
	cfg := e.config("database: {env: REMEDY_DATABASE_URL}\nrepositories: [acme/web]\nschedules:\n  - name: nightly\n    cron: \"CRON_TZ=Europe/Paris 0 2 * * *\"\n    jitter: 10m\n")
	a, _ := e.start(cfg, serveDeps{Clock: fake})
	b, _ := e.start(cfg, serveDeps{Clock: fake})
	if a.Store.Backend() != "PostgreSQL" || a.Store.Owner() == b.Store.Owner() {
		t.Fatalf("stores %s %q and %s %q", a.Store.Backend(), a.Store.Owner(), b.Store.Backend(), b.Store.Owner())
	}
	paris2am := time.Date(2025, 6, 11, 0, 0, 0, 0, time.UTC)
	// Both schedulers wait for the tick, and both pools poll: four sleeps.
	for deadline := time.Now().Add(10 * time.Second); fake.Waiters() < 4; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d sleepers on the clock, want the two schedules and the two pools", fake.Waiters())
		}
	}
	fake.Set(paris2am)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.logs.String(), "schedule tick fired by another replica") {
		if time.Now().After(deadline) {
			t.Fatal("no replica left the tick to the other")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(e.logs.String(), "sweep queued"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the sweep was not queued")
		}
	}
	h, err := b.Store.History(context.Background(), "acme/web", 10)
	if err != nil || len(h) != 1 {
		t.Fatalf("jobs of acme/web: %+v %v, want one", h, err)
	}
	if n := strings.Count(e.logs.String(), "sweep queued"); n != 1 {
		t.Errorf("the sweep was queued %d times", n)
	}
}

// TestServeCheckConfigDatabase: the PostgreSQL store is named, never its
// URL (it may carry a password).
func TestServeCheckConfigDatabase(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "ghp_x")
	t.Setenv("REMEDY_APP_ID", "")
	t.Setenv("REMEDY_DATABASE_URL", "postgres://remedy:s3cret@db:5432/remedy")
	r := runCLI(t, "", "serve", "--check-config")
	if r.code != exitOK || !strings.Contains(r.stdout, "store          PostgreSQL (URL in $REMEDY_DATABASE_URL)") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "s3cret") {
		t.Error("the database password was printed")
	}
	t.Setenv("REMEDY_DATABASE_URL", "")
	if r := runCLI(t, "", "serve", "--check-config"); !strings.Contains(r.stdout, "store          SQLite remedy.db") {
		t.Errorf("without a database: %s", r.stdout)
	}
}

package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/scanner"
)

func posture(repo string, findings int) gitops.Posture {
	return gitops.Posture{
		Repo: repo, Base: "main",
		Controls:   []gitops.ControlCount{{Control: "no-privileged", Severity: scanner.SeverityCritical, Findings: findings, Fixable: findings}},
		Unfixable:  []gitops.PostureFinding{{Control: "host-pid", Severity: scanner.SeverityHigh, File: "deploy/agent.yaml", Line: 7}},
		Unreadable: []scanner.FileError{{File: "a.yaml", Message: "bad"}, {File: "b.yaml", Message: "bad"}},
		Open:       []gitops.PosturePR{{Number: 3, Branch: "remedy/security-fixes", Title: "Fix"}},
	}
}

// TestPostures: one row per repository whatever the case of its name,
// the later posture wins even when it is stored first, and Prune drops
// the postures older than the history.
func TestPostures(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, "", Options{})
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	steps := []struct {
		repo string
		rec  gitops.PostureRecord
	}{
		{"acme/shop", gitops.PostureRecord{Posture: posture("acme/shop", 3), At: t0, Job: "1"}},
		{"Acme/Shop", gitops.PostureRecord{Posture: posture("Acme/Shop", 2), At: t0.Add(time.Hour), Job: "5"}},
		// A replica that finished late: its older posture is not kept.
		{"acme/shop", gitops.PostureRecord{Posture: posture("acme/shop", 9), At: t0.Add(time.Minute), Job: "4"}},
		{"gitlab:group/sub/app", gitops.PostureRecord{Posture: posture("group/sub/app", 1), At: t0, Job: "2"}},
	}
	for _, st := range steps {
		if err := s.SavePosture(ctx, st.repo, st.rec); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Postures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d postures, want 2: %+v", len(got), got)
	}
	shop := got[0]
	if shop.Repo != "Acme/Shop" || shop.Posture.Repo != "Acme/Shop" || shop.Job != "5" || !shop.At.Equal(t0.Add(time.Hour)) || shop.Controls[0].Findings != 2 || shop.Open[0].Number != 3 {
		t.Errorf("acme/shop: %+v", shop)
	}
	// The fleet's list leaves the lists out and counts them.
	if shop.Unfixable != nil || shop.Unreadable != nil || shop.Lists != (ListCounts{Unfixable: 1, Unreadable: 2}) {
		t.Errorf("acme/shop's summary: lists %+v, unfixable %v", shop.Lists, shop.Unfixable)
	}
	whole, err := s.Posture(ctx, "acme/shop")
	if err != nil || len(whole.Unfixable) != 1 || whole.Unfixable[0].Line != 7 || len(whole.Unreadable) != 2 || whole.Lists.Unreadable != 2 {
		t.Errorf("Posture(acme/shop): %+v %v", whole, err)
	}
	one, err := s.Posture(ctx, "gitlab:GROUP/sub/app")
	if err != nil || one.Repo != "gitlab:group/sub/app" || one.Posture.Repo != "group/sub/app" || one.Controls[0].Findings != 1 {
		t.Errorf("Posture(gitlab:…): %+v %v", one, err)
	}
	if _, err := s.Posture(ctx, "acme/none"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Posture of an unknown repository: %v", err)
	}
	if err := s.SavePosture(ctx, "acme/x", gitops.PostureRecord{}); err == nil {
		t.Error("a posture without a time was stored")
	}

	c := ClusterRecord{Name: "prod", At: t0, Job: "7", Objects: 12, Drifted: 2, Findings: 5,
		Targets: []ClusterTarget{{Repo: "acme/shop", Objects: 4, Findings: 3, Fixable: 3, Outcome: "remedy/live/prod/security-fixes created #9"}}}
	if err := s.SaveCluster(ctx, c); err != nil {
		t.Fatal(err)
	}
	older := c
	older.At, older.Objects = t0.Add(-time.Hour), 1
	if err := s.SaveCluster(ctx, older); err != nil {
		t.Fatal(err)
	}
	cs, err := s.Clusters(ctx)
	if err != nil || len(cs) != 1 || cs[0].Objects != 12 || cs[0].Drifted != 2 || len(cs[0].Targets) != 1 || cs[0].Targets[0].Repo != "acme/shop" {
		t.Fatalf("clusters: %+v %v", cs, err)
	}

	if _, err := s.Prune(ctx, t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Postures(ctx)
	if len(got) != 1 || got[0].Repo != "Acme/Shop" {
		t.Errorf("after prune: %+v", got)
	}
	if cs, _ := s.Clusters(ctx); len(cs) != 0 {
		t.Errorf("after prune, clusters: %+v", cs)
	}
}

// TestLastJobs: the latest job of each repository, whatever its state.
func TestLastJobs(t *testing.T) {
	ctx := context.Background()
	s := openStore(t, "", Options{})
	for _, r := range []Request{
		{Repo: "acme/shop", Kind: "converge"},
		{Repo: "acme/shop", Kind: "scan"},
		{Repo: "cluster:prod", Kind: "cluster-sweep"},
		{Repo: "Acme/Shop", Kind: "review", Key: "4"},
	} {
		if _, err := s.Enqueue(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	last, err := s.LastJobs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, j := range last {
		got = append(got, fmt.Sprintf("%s %s %s", j.Repo, j.Kind, j.State))
	}
	want := []string{"Acme/Shop review queued", "cluster:prod cluster-sweep queued"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("last jobs %q, want %q", got, want)
	}
}

// TestPostgresPosturesTwoReplicas: replicas storing the postures of the
// same repositories at once leave one row per repository, the latest.
func TestPostgresPosturesTwoReplicas(t *testing.T) {
	dsn := postgresDSN(t)
	ctx := context.Background()
	a, b := openPostgres(t, dsn, Options{Owner: "a"}), openPostgres(t, dsn, Options{Owner: "b"})
	t0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := []*Store{a, b}[i%2]
			repo := fmt.Sprintf("acme/r%d", i%4)
			rec := gitops.PostureRecord{Posture: posture(repo, i), At: t0.Add(time.Duration(i) * time.Second), Job: fmt.Sprint(i)}
			if err := s.SavePosture(ctx, repo, rec); err != nil {
				t.Error(err)
			}
			if err := s.SaveCluster(ctx, ClusterRecord{Name: "prod", At: rec.At, Objects: i}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, err := a.Postures(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d rows, want 4", len(got))
	}
	for i, p := range got {
		if want := 36 + i; p.Controls[0].Findings != want {
			t.Errorf("%s: the posture of run %d kept, want the latest, %d", p.Repo, p.Controls[0].Findings, want)
		}
	}
	cs, err := b.Clusters(ctx)
	if err != nil || len(cs) != 1 || cs[0].Objects != 39 {
		t.Errorf("clusters: %+v %v", cs, err)
	}
}

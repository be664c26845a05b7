package tasks

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/clustersweep"
	"github.com/remedy-bot/remedy/gitops/sourcemap"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/cluster"
	"github.com/remedy-bot/remedy/serve/jobs"
)

// TestConvergeStoresThePosture: a fix job keeps the posture its life
// cycle computed as the repository's, under the job's repository name,
// with the job and the time; a job whose run computed none leaves the
// stored one in place.
func TestConvergeStoresThePosture(t *testing.T) {
	e := setup(t)
	store, err := jobs.Open(context.Background(), filepath.Join(t.TempDir(), "jobs.db"), jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Date(2026, 12, 3, 7, 0, 0, 0, time.UTC)
	// The life cycle as it runs, its posture seeded: computing it is
	// gitops's (RunResult.Posture).
	seeded := gitops.Posture{Repo: "acme/shop", Base: "main",
		Controls: []gitops.ControlCount{{Control: "privileged", Severity: scanner.SeverityCritical, Findings: 1, Fixable: 1}}}
	computed := true
	e.h.o.Remedy = func(ctx context.Context, forge gitops.Host, owner, name string, o gitops.RunOptions) (gitops.RunResult, error) {
		res, err := gitops.RemedyRepository(ctx, forge, owner, name, o)
		if res.Posture.Repo == "" && computed {
			res.Posture = seeded
		}
		if !computed {
			res.Posture = gitops.Posture{}
		}
		return res, err
	}
	e.h.o.Postures, e.h.o.Now = store, func() time.Time { return now }
	if _, err := e.run(t, KindConverge, "", Request{Source: SourceGitHub, Verb: "push"}); err != nil {
		t.Fatal(err)
	}
	got, err := store.Posture(context.Background(), "acme/shop")
	if err != nil {
		t.Fatal(err)
	}
	if got.Repo != "acme/shop" || got.Job != "1" || !got.At.Equal(now) || len(got.Controls) == 0 {
		t.Fatalf("stored %+v", got)
	}

	computed, now = false, now.Add(time.Hour)
	if _, err := e.run(t, KindConverge, "", Request{Source: SourceGitHub, Verb: "push"}); err != nil {
		t.Fatal(err)
	}
	again, _ := store.Posture(context.Background(), "acme/shop")
	if !again.At.Equal(got.At) {
		t.Errorf("a run without a posture replaced the stored one: %+v", again)
	}
}

// TestLiveCounts: a cluster's objects, its unsuppressed findings, and
// the objects that drifted, each once however many fields drifted.
func TestLiveCounts(t *testing.T) {
	live := &clustersweep.Live{
		Cluster:  clustersweep.Cluster{Name: "prod"},
		Snapshot: &cluster.Snapshot{Objects: make([]*cluster.Object, 5)},
		Report:   &scanner.Report{Findings: []scanner.Finding{{Control: "a"}, {Control: "b", Suppressed: true}, {Control: "c"}}},
		Mapping: &sourcemap.Mapping{Drift: []sourcemap.Drift{
			{Control: "a", Kind: "Deployment", Namespace: "shop", Name: "web", Path: "x"},
			{Control: "b", Kind: "Deployment", Namespace: "shop", Name: "web", Path: "y"},
			{Control: "a", Kind: "Deployment", Namespace: "shop", Name: "api", Path: "x"},
		}},
	}
	got := liveCounts(live)
	if got.Name != "prod" || got.Objects != 5 || got.Findings != 2 || got.Drifted != 2 {
		t.Errorf("counts %+v, want prod: 5 objects, 2 findings, 2 drifted", got)
	}
	if n := targetObjects(clustersweep.Target{Paths: []clustersweep.Source{{Objects: make([]clustersweep.Object, 2)}, {Objects: make([]clustersweep.Object, 3)}}}); n != 5 {
		t.Errorf("target objects %d, want 5", n)
	}
}

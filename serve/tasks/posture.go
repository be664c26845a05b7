package tasks

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/clustersweep"
	"github.com/remedy-bot/remedy/serve/jobs"
)

// PostureStore keeps what the posture page shows; *jobs.Store is one.
type PostureStore interface {
	SavePosture(ctx context.Context, repo string, rec gitops.PostureRecord) error
	SaveCluster(ctx context.Context, c jobs.ClusterRecord) error
}

// savePosture keeps p as the last posture of the job's repository, when
// the run computed one (a run that failed before it scanned did not).
// Only the fix life cycle computes a posture: a scan job answers a
// question with the default branch's findings and leaves the posture of
// the last life cycle in place. A posture that cannot be stored is
// logged, never the end of the job: the pull requests were converged.
func (h *Handler) savePosture(ctx context.Context, j jobs.Job, p gitops.Posture, log *slog.Logger) {
	if h.o.Postures == nil || p.Repo == "" {
		return
	}
	rec := gitops.PostureRecord{Posture: p, At: h.o.Now(), Job: strconv.FormatInt(j.ID, 10)}
	if err := h.o.Postures.SavePosture(ctx, j.Repo, rec); err != nil {
		log.Error("posture not stored: the posture page shows the previous one", "error", err)
	}
}

// saveCluster keeps a cluster sweep's counts for the posture page.
func (h *Handler) saveCluster(ctx context.Context, j jobs.Job, c jobs.ClusterRecord, log *slog.Logger) {
	if h.o.Postures == nil {
		return
	}
	c.At, c.Job = h.o.Now(), strconv.FormatInt(j.ID, 10)
	if err := h.o.Postures.SaveCluster(ctx, c); err != nil {
		log.Error("cluster sweep not stored: the posture page shows the previous one", "error", err)
	}
}

// liveCounts counts a cluster read's objects, those that drifted from
// git (an object counts once, however many of its fields drifted), and
// its findings.
func liveCounts(live *clustersweep.Live) jobs.ClusterRecord {
	out := jobs.ClusterRecord{Name: live.Cluster.Name}
	if live.Snapshot != nil {
		out.Objects = len(live.Snapshot.Objects)
	}
	if live.Report != nil {
		for _, f := range live.Report.Findings {
			if !f.Suppressed {
				out.Findings++
			}
		}
	}
	if live.Mapping != nil {
		drifted := map[[3]string]bool{}
		for _, d := range live.Mapping.Drift {
			drifted[[3]string{d.Kind, d.Namespace, d.Name}] = true
		}
		out.Drifted = len(drifted)
	}
	return out
}

// targetObjects counts the live objects a target deploys.
func targetObjects(t clustersweep.Target) int {
	n := 0
	for _, p := range t.Paths {
		n += len(p.Objects)
	}
	return n
}

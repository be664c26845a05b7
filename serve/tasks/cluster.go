package tasks

import (
	"net/url"

	"context"
	"errors"
	"fmt"
	"github.com/remedy-bot/remedy/gitops/sourcemap"
	"strings"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/clustersweep"
	"github.com/remedy-bot/remedy/internal/oneline"
	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/serve/jobs"
)

// KindClusterSweep sweeps one configured cluster: read its live objects,
// map them to their sources, and converge each source repository's fix
// pull request on the cluster's branches. Its job's repository is
// ClusterJobRepo(name), so sweeps of one cluster never run at once, and a
// cluster sweep never waits for a repository's jobs: the two write
// different branches (gitops/clustersweep).
const KindClusterSweep = "cluster-sweep"

// ClusterJobRepo is the job queue's name for the cluster's sweeps.
func ClusterJobRepo(cluster string) string { return ClusterJobPrefix + cluster }

// ClusterJobPrefix starts the job queue's name of a cluster's sweeps.
const ClusterJobPrefix = "cluster:"

// RemedyLiveFunc converges one cluster target's pull request on forge,
// whose git tokens are tokens; clustersweep.Remedy is the one in use.
type RemedyLiveFunc func(ctx context.Context, forge gitops.Host, tokens gitops.TokenSource, t clustersweep.Target, o clustersweep.Options) (gitops.RunResult, error)

// liveForge is a forge a cluster sweep may open pull requests on.
type liveForge struct {
	kind, host string
	client     gitops.Host
	tokens     gitops.TokenSource
}

// liveForges are GitHub's and the other forges', by host.
func (h *Handler) liveForges() []liveForge {
	out := []liveForge{{host: h.o.ForgeHost, client: h.o.Forge, tokens: h.o.Tokens}}
	for kind, c := range h.o.Forges {
		out = append(out, liveForge{kind: kind, host: h.o.ForgeHosts[kind], client: c, tokens: h.o.ForgeTokens[kind]})
	}
	return out
}

// forgeOf picks the forge of a target by its source URL's host, and names
// the repository there: a GitLab project's owner is its whole namespace.
func (h *Handler) forgeOf(t clustersweep.Target) (liveForge, clustersweep.Target, bool) {
	host := sourcemap.RepoHost(t.RepoURL)
	for _, f := range h.liveForges() {
		if f.host == "" || f.client == nil || !strings.EqualFold(f.host, host) {
			continue
		}
		owner, name, ok := clustersweep.ForgeRepo(t.RepoURL, f.host)
		if !ok {
			return liveForge{}, t, false
		}
		if f.kind == SourceGitLab {
			if web, ok := sourcemap.HTTPSURL(t.RepoURL); ok {
				if u, err := url.Parse(web); err == nil {
					owner = strings.TrimSuffix(strings.Trim(u.Path, "/"), "/"+name)
				}
			}
		}
		t.Owner, t.Name = owner, name
		return f, t, true
	}
	return liveForge{}, t, false
}

// clusterSweep runs a KindClusterSweep job. Requests that waited together
// name the same cluster; one read serves them all.
func (h *Handler) clusterSweep(ctx context.Context, j jobs.Job, reqs []Request) (string, error) {
	name := strings.TrimPrefix(j.Repo, "cluster:")
	c, ok := h.o.Clusters[name]
	if !ok {
		return "", fmt.Errorf("job %d: cluster %q is no longer configured", j.ID, name)
	}
	c.Name, c.AllNamespaces = name, c.Namespace == ""
	log := h.o.Log.With("job", j.ID, "kind", j.Kind, "cluster", name)
	live, err := clustersweep.Read(ctx, c, clustersweep.ReadOptions{
		Scan: scanner.Options{Catalog: scanner.DefaultCatalog()}, Sources: true,
		ForgeHost: h.o.ForgeHost, Tokens: h.o.Tokens, Log: log, Budgets: h.o.Budgets,
	})
	if err != nil {
		return "", fmt.Errorf("cluster %s: %w", name, err)
	}
	defer live.Close()
	for _, e := range live.Report.Errors {
		log.Warn("not placed", "object", e.File, "error", e.Message)
	}
	// Each source goes to the forge its URL's host names: GitHub or one
	// of the configured GitLab and Gitea forges.
	targets := live.Targets("")
	var parts []string
	var errs []error
	// What the posture page shows of the sweep: the cluster's counts and
	// each source repository's outcome.
	rec := liveCounts(live)
	for _, t := range targets {
		f, t, ok := h.forgeOf(t)
		target := jobs.ClusterTarget{Repo: t.RepoURL, Revision: t.Revision, Objects: targetObjects(t)}
		if !ok {
			parts = append(parts, t.RepoURL+" skipped (not on a configured forge)")
			target.Outcome = "skipped: not on a configured forge"
			rec.Targets = append(rec.Targets, target)
			continue
		}
		target.Repo = JobRepo(f.kind, t.FullName())
		res, err := h.o.RemedyLive(ctx, f.client, f.tokens, t, clustersweep.Options{ForgeHost: f.host, Bot: h.o.Bot, Now: h.o.Now, Log: log, Images: h.o.Images, Budgets: h.o.Budgets})
		for _, b := range res.Branches {
			h.o.Metrics.PullRequest(string(b.Action))
		}
		target.Findings, target.Fixable = res.Findings, res.Fixable
		switch {
		case errors.Is(err, gitops.ErrArchived):
			parts = append(parts, t.FullName()+" skipped (archived)")
			target.Outcome = "skipped: archived"
		case err != nil:
			log.Error("repository failed", "repo", t.FullName(), "error", err)
			parts = append(parts, t.FullName()+" failed")
			errs = append(errs, err)
			target.Outcome, target.Failed = "failed: "+oneline.First(err.Error(), 300), true
		default:
			parts = append(parts, t.FullName()+": "+runSummary(res))
			target.Outcome = runSummary(res)
		}
		rec.Targets = append(rec.Targets, target)
	}
	h.saveCluster(ctx, j, rec, log)
	summary := fmt.Sprintf("cluster %s: %s, %s, %s", name,
		plural.Count(len(live.Snapshot.Objects), "object"), plural.Count(len(live.Report.Findings), "finding"), repositories(len(targets)))
	if len(parts) > 0 {
		summary += "; " + strings.Join(parts, "; ")
	}
	return summary, errors.Join(errs...)
}

func repositories(n int) string {
	if n == 1 {
		return "1 source repository"
	}
	return fmt.Sprintf("%d source repositories", n)
}

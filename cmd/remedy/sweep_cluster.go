package main

import (
	"context"
	"errors"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/clustersweep"
	"github.com/remedy-bot/remedy/scanner"
)

// runCluster is remedy sweep --cluster: scan the cluster, map each object
// to its source, and converge one fix pull request per source repository
// and revision on the forge (gitops/clustersweep), --concurrency at a
// time, the shard's share only.
func (o *sweepOptions) runCluster(ctx context.Context, inv *invocation) error {
	if err := o.checkRunFlags(); err != nil {
		return err
	}
	if o.configPath != "" {
		return errors.New("--config selects repositories; --cluster sweeps the ones the cluster is deployed from: give one of them")
	}
	gh, tokens, host, err := newForge(inv, o.auth, o.forge)
	if err != nil {
		return err
	}
	o.cluster.sources = true
	live, err := o.cluster.scanCluster(ctx, inv, scanner.Options{Catalog: scanner.DefaultCatalog()}, tokens, nil)
	if err != nil {
		return err
	}
	defer live.Close()

	var mine []clustersweep.Target
	for _, t := range live.Targets(host) {
		if gitops.Shard(t.FullName(), o.shardCount) == o.shardIndex {
			mine = append(mine, t)
		}
	}
	inv.log.Info("sweeping the cluster's sources", "cluster", live.Cluster.Name, "repositories", len(mine), "shard", o.shardIndex, "shards", o.shardCount)
	prog := newProgress(inv, "sweep", "source repositories", len(mine))
	rows := o.each(len(mine), prog, func(i int) sweepRow {
		t := mine[i]
		if t.Owner == "" {
			return sweepRow{Repo: t.RepoURL, Status: "skipped", Error: "not on the forge (" + host + "): fix it there by hand", Branches: []sweepBranch{}}
		}
		res, err := clustersweep.Remedy(ctx, gh, tokens, t, clustersweep.Options{
			ForgeHost: host, Bot: o.bot.identity(), DryRun: o.dryRun, Log: inv.log.With("repo", t.FullName()),
			Images: o.images.resolver(inv.log, false), RepoImages: true,
		})
		return sweepRowOf(inv, t.FullName(), res, err)
	})
	prog.Finish()
	return o.finish(inv, rows)
}

var errSweepNeedsConfig = errors.New("--config is required (or --cluster, to sweep the repositories the cluster is deployed from)")

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/gitops"
)

// sweepOptions are the flags of remedy sweep.
type sweepOptions struct {
	configPath  string
	concurrency int
	format      string
	shardIndex  int
	shardCount  int
	dryRun      bool
	bot         botFlags
	auth        authFlags
	images      imageFlags
	forge       forgeFlags
	// cluster holds --cluster and its flags (sweep_cluster.go).
	cluster clusterFlags
}

// sweepConfig is the --config file: repositories named one by one, and
// owners (organizations or users) all of whose repositories are swept.
type sweepConfig struct {
	Repositories []string     `yaml:"repositories"`
	Owners       []sweepOwner `yaml:"owners"`
}

// sweepOwner selects repositories of an organization or user. Globs match
// the repository name (path.Match syntax); with no include, all match.
type sweepOwner struct {
	Name            string   `yaml:"name"`
	Include         []string `yaml:"include"`
	Exclude         []string `yaml:"exclude"`
	IncludeArchived bool     `yaml:"includeArchived"`
	IncludeForks    bool     `yaml:"includeForks"`
}

func newSweepCommand(inv *invocation) *cobra.Command {
	opts := &sweepOptions{}
	cmd := &cobra.Command{
		Use:   "sweep --config FILE",
		Short: "Run remedy pr over many GitHub repositories",
		Long: `Run "remedy pr" on every repository the --config file selects, several at a
time. One repository failing never stops the others; the summary lists each
repository's outcome, and the exit status is 2 if any failed.

The config file names repositories, owners (organizations or users) whose
repositories are all swept, or both:

  repositories:
    - acme/shop
  owners:
    - name: acme
      include: ["svc-*"]        # globs on the repository name; default all
      exclude: ["*-legacy"]
      includeArchived: false    # archived repositories are read-only: skipped
      includeForks: false

--shard-index and --shard-count split the repositories between parallel
jobs by a stable hash of OWNER/REPO, so each job gets the same share run
after run. Credentials and environment as for remedy pr; a GitHub App acts
as its installation on each owner, one token per owner.

With --cluster (and --kubeconfig, --context, -n or -A, as for remedy scan
--cluster) the repositories are the ones the cluster is deployed from: each
live object is mapped to its source through Argo CD or Flux, and each source
repository on the forge gets its fix pull request, built from the source
paths deployed, its body naming the live objects. Those pull requests are on
branches of the cluster's own, remedy/live/<cluster-name>/…, so that they
and a repository sweep's never rebuild each other; --cluster-name defaults
to the kubeconfig context's name. Sources elsewhere are listed as skipped;
--concurrency and the shard flags apply to the source repositories.`,
		Example: `  remedy sweep --config sweep.yaml --concurrency 8

  # Four CI jobs, this one taking the third quarter, JSON for the dashboard
  remedy sweep --config sweep.yaml --shard-index 2 --shard-count 4 -o json

  # Fix pull requests for what runs in the cluster, at its sources in git
  remedy sweep --cluster --context prod -A --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := opts.cluster.check(cmd.Flags()); err != nil {
				return err
			}
			if err := opts.images.check(); err != nil {
				return err
			}
			if opts.cluster.enabled {
				return interruptible(cmd.Context(), inv, func(ctx context.Context) error { return opts.runCluster(ctx, inv) })
			}
			if opts.configPath == "" {
				return errSweepNeedsConfig
			}
			return interruptible(cmd.Context(), inv, func(ctx context.Context) error { return opts.run(ctx, inv) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.configPath, "config", "", "sweep config file (required without --cluster)")
	f.IntVar(&opts.concurrency, "concurrency", 4, "repositories processed at once")
	f.StringVarP(&opts.format, "format", "o", formatTable, "summary format: table or json")
	f.IntVar(&opts.shardIndex, "shard-index", 0, "this job's shard, from 0")
	f.IntVar(&opts.shardCount, "shard-count", 1, "number of shards")
	f.BoolVar(&opts.dryRun, "dry-run", false, "push and write nothing; report what each repository would get")
	opts.images.register(f)
	opts.bot.register(cmd)
	opts.auth.register(cmd)
	opts.forge.register(cmd)
	opts.cluster.register(f)
	_ = f.MarkHidden("sources") // a cluster sweep always maps sources
	f.StringVar(&opts.cluster.name, "cluster-name", "", "with --cluster: the cluster's name in branch names (remedy/live/<name>/…) and pull requests (default the kubeconfig context's name)")
	return cmd
}

// sweepRow is the outcome of one repository.
type sweepRow struct {
	Repo     string        `json:"repo"`
	Status   string        `json:"status"` // ok, failed, skipped
	Findings int           `json:"findings"`
	Fixable  int           `json:"fixable"`
	Branches []sweepBranch `json:"branches"`
	// Dashboard is what became of the dashboard issue, when there is one.
	Dashboard *gitops.DashboardResult `json:"dashboard,omitempty"`
	Error     string                  `json:"error,omitempty"`
}

type sweepBranch struct {
	Branch string `json:"branch"`
	Action string `json:"action"`
	PR     int    `json:"pr,omitempty"`
	URL    string `json:"url,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Undecorated: labels, reviewers or assignees could not all be set
	// (Warnings say why); the next run adds them.
	Undecorated bool     `json:"undecorated,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
}

// checkRunFlags refuses the flags of a sweep that cannot run: what
// sweeping repositories and sweeping a cluster share.
func (o *sweepOptions) checkRunFlags() error {
	if o.concurrency < 1 {
		return fmt.Errorf("--concurrency %d: want at least 1", o.concurrency)
	}
	if o.shardCount < 1 || o.shardIndex < 0 || o.shardIndex >= o.shardCount {
		return fmt.Errorf("--shard-index %d --shard-count %d: want 0 ≤ index < count", o.shardIndex, o.shardCount)
	}
	if o.format != formatTable && o.format != formatJSON {
		return fmt.Errorf("--format %q: want table or json", o.format)
	}
	return nil
}

func (o *sweepOptions) run(ctx context.Context, inv *invocation) error {
	if err := o.checkRunFlags(); err != nil {
		return err
	}
	kind, _, err := o.forge.resolve(inv)
	if err != nil {
		return err
	}
	cfg, err := readSweepConfig(o.configPath, kind)
	if err != nil {
		return err
	}
	gh, tokens, _, err := newForge(inv, o.auth, o.forge)
	if err != nil {
		return err
	}
	repos, err := selectRepositories(ctx, gh, cfg)
	if err != nil {
		return err
	}
	var mine []string
	for _, r := range repos {
		if gitops.Shard(r, o.shardCount) == o.shardIndex {
			mine = append(mine, r)
		}
	}
	inv.log.Info("sweeping", "repositories", len(mine), "selected", len(repos), "shard", o.shardIndex, "shards", o.shardCount)

	prog := newProgress(inv, "sweep", "repositories", len(mine))
	rows := o.each(len(mine), prog, func(i int) sweepRow { return o.sweepOne(ctx, inv, gh, tokens, mine[i]) })
	prog.Finish()
	return o.finish(inv, rows)
}

// finish writes the summary; the exit status is 2 when a repository failed.
func (o *sweepOptions) finish(inv *invocation, rows []sweepRow) error {
	if err := writeSweep(inv.stdout, rows, o.format); err != nil {
		return err
	}
	for _, r := range rows {
		if r.Status == "failed" {
			return exitStatus(exitError)
		}
	}
	return nil
}

// each runs fn on 0…n-1, --concurrency at a time, and returns the rows
// in order. A panic in one becomes its row's failure, never the sweep's end.
// prog (nil: off) counts each one done.
func (o *sweepOptions) each(n int, prog *progress, fn func(i int) sweepRow) []sweepRow {
	rows := make([]sweepRow, n)
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(o.concurrency, max(1, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				rows[i] = safeRow(fn, i)
				prog.Add(1)
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	return rows
}

func safeRow(fn func(i int) sweepRow, i int) (row sweepRow) {
	defer func() {
		if p := recover(); p != nil {
			row = sweepRow{Status: "failed", Error: fmt.Sprintf("internal error: %v", p), Branches: []sweepBranch{}}
		}
	}()
	return fn(i)
}

// sweepOne runs remedy pr on one repository.
func (o *sweepOptions) sweepOne(ctx context.Context, inv *invocation, gh forgeClient, tokens gitops.TokenSource, full string) sweepRow {
	// The last slash: a GitLab project's namespace may hold more.
	sl := strings.LastIndex(full, "/")
	owner, name := full[:max(sl, 0)], full[sl+1:]
	// Asked per repository, so that a long sweep gets renewed tokens.
	token, err := tokens.Token(ctx, owner)
	var res gitops.RunResult
	if err == nil {
		res, err = gitops.RemedyRepository(ctx, gh, owner, name, gitops.RunOptions{
			Token: token, Bot: o.bot.identity(), Version: versionString(), DryRun: o.dryRun, Log: inv.log.With("repo", full),
			Images: o.images.resolver(inv.log, false), RepoImages: true,
		})
	}
	return sweepRowOf(inv, full, res, err)
}

// sweepRowOf is the row of one repository's run.
func sweepRowOf(inv *invocation, full string, res gitops.RunResult, err error) sweepRow {
	row := sweepRow{Repo: full, Branches: []sweepBranch{}}
	row.Findings, row.Fixable = res.Findings, res.Fixable
	for _, b := range res.Branches {
		row.Branches = append(row.Branches, sweepBranch{Branch: b.Branch, Action: string(b.Action), PR: b.PR, URL: b.URL, Reason: b.Reason, Undecorated: b.Undecorated, Warnings: b.Warnings})
	}
	if res.Dashboard.Action != gitops.DashboardNone {
		row.Dashboard = &res.Dashboard
	}
	switch {
	case errors.Is(err, gitops.ErrArchived):
		row.Status, row.Error = "skipped", "archived"
	case err != nil:
		row.Status, row.Error = "failed", err.Error()
		inv.log.Error("repository failed", "repo", full, "error", err)
	default:
		row.Status = "ok"
	}
	return row
}

// readSweepConfig reads the sweep config of repositories on a forge of
// kind (a GitLab project may be group/subgroup/project).
func readSweepConfig(p, kind string) (*sweepConfig, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read sweep config: %w", err)
	}
	cfg := &sweepConfig{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("sweep config %s: %w", p, err)
	}
	for _, r := range cfg.Repositories {
		if _, _, err := splitRepoOn(kind, r); err != nil {
			return nil, fmt.Errorf("sweep config %s: %w", p, err)
		}
	}
	for _, ow := range cfg.Owners {
		if ow.Name == "" {
			return nil, fmt.Errorf("sweep config %s: an owner has no name", p)
		}
		for _, g := range append(append([]string{}, ow.Include...), ow.Exclude...) {
			if _, err := path.Match(g, ""); err != nil {
				return nil, fmt.Errorf("sweep config %s: owner %s: bad glob %q", p, ow.Name, g)
			}
		}
	}
	if len(cfg.Repositories) == 0 && len(cfg.Owners) == 0 {
		return nil, fmt.Errorf("sweep config %s: no repositories and no owners", p)
	}
	return cfg, nil
}

// selectRepositories resolves the config into full names, deduplicated
// (case-insensitively, as GitHub names are) and sorted.
func selectRepositories(ctx context.Context, gh forgeClient, cfg *sweepConfig) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(full string) {
		if k := strings.ToLower(full); !seen[k] {
			seen[k] = true
			out = append(out, full)
		}
	}
	for _, r := range cfg.Repositories {
		add(strings.TrimSuffix(r, ".git"))
	}
	for _, ow := range cfg.Owners {
		repos, err := gh.ListRepositories(ctx, ow.Name)
		if err != nil {
			return nil, err
		}
		for _, r := range repos {
			if ow.selects(r) {
				add(r.FullName)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i]) < strings.ToLower(out[j]) })
	return out, nil
}

func (ow sweepOwner) selects(r gitops.RepoInfo) bool {
	if (r.Archived && !ow.IncludeArchived) || (r.Fork && !ow.IncludeForks) {
		return false
	}
	match := func(globs []string) bool {
		for _, g := range globs {
			if ok, _ := path.Match(g, r.Name); ok {
				return true
			}
		}
		return false
	}
	return (len(ow.Include) == 0 || match(ow.Include)) && !match(ow.Exclude)
}

func writeSweep(w io.Writer, rows []sweepRow, format string) error {
	if format == formatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []sweepRow{}
		}
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tSTATUS\tFINDINGS\tFIXABLE\tPULL REQUESTS")
	counts := map[string]int{}
	for _, r := range rows {
		counts[r.Status]++
		var prs []string
		for _, b := range r.Branches {
			s := b.Action
			if b.PR != 0 {
				s += fmt.Sprintf(" #%d", b.PR)
			}
			if b.Undecorated {
				// The run did not finish the pull request's labels,
				// reviewers or assignees: it is not quite "ok".
				s += " (labels/reviewers/assignees incomplete)"
			}
			prs = append(prs, s)
		}
		detail := strings.Join(prs, ", ")
		if r.Error != "" {
			detail = strings.TrimPrefix(strings.Join([]string{detail, r.Error}, "; "), "; ")
		}
		if detail == "" {
			detail = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", r.Repo, r.Status, r.Findings, r.Fixable, detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d repositories: %d ok, %d failed, %d skipped\n", len(rows), counts["ok"], counts["failed"], counts["skipped"])
	return err
}

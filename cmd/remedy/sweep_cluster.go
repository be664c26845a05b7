package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/sourcemap"
	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
)

// sourceRepo is the live objects deployed from one repository and branch.
type sourceRepo struct {
	url, revision string
	// paths are the source paths, objects the live objects by path, and
	// origins how each path is deployed (a chart's release).
	paths   []string
	objects map[string][]*sourcemap.Placed
	origins map[string]sourcemap.Origin
}

// runCluster is remedy sweep --cluster: scan the cluster, map each object
// to its source, and open one fix pull request per source repository on
// the forge, through the same life cycle as remedy pr.
func (o *sweepOptions) runCluster(ctx context.Context, inv *invocation) error {
	if o.format != formatTable && o.format != formatJSON {
		return fmt.Errorf("--format %q: want table or json", o.format)
	}
	gh, tokens, err := newGitHubClient(inv, o.auth)
	if err != nil {
		return err
	}
	scan := scanner.Options{Catalog: scanner.DefaultCatalog()}
	o.cluster.sources = true
	ls, err := o.cluster.scanCluster(ctx, inv, scan)
	if err != nil {
		return err
	}
	defer ls.cloner.Close()

	host := forgeHost(inv)
	repos := map[string]*sourceRepo{}
	var order []string
	for _, obj := range ls.snap.Objects {
		p := ls.mapping.Objects[obj.File]
		if p == nil || p.Resource == nil {
			continue
		}
		key := p.Source.Repo + "\x00" + p.Source.Revision
		r := repos[key]
		if r == nil {
			r = &sourceRepo{url: p.Source.Repo, revision: p.Source.Revision,
				objects: map[string][]*sourcemap.Placed{}, origins: map[string]sourcemap.Origin{}}
			repos[key] = r
			order = append(order, key)
		}
		if _, ok := r.objects[p.Source.Path]; !ok {
			r.paths = append(r.paths, p.Source.Path)
			r.origins[p.Source.Path] = p.Tree.Origin
		}
		r.objects[p.Source.Path] = append(r.objects[p.Source.Path], p)
	}
	var rows []sweepRow
	for _, key := range order {
		r := repos[key]
		row := sweepRow{Repo: r.url, Branches: []sweepBranch{}}
		owner, name, ok := forgeRepo(r.url, host)
		if !ok {
			row.Status, row.Error = "skipped", "not on the forge ("+host+"): fix it there by hand"
			rows = append(rows, row)
			continue
		}
		row.Repo = owner + "/" + name
		res, err := o.sweepSource(ctx, inv, gh, tokens, owner, name, r, scan)
		row.Findings, row.Fixable = res.Findings, res.Fixable
		for _, b := range res.Branches {
			row.Branches = append(row.Branches, sweepBranch{Branch: b.Branch, Action: string(b.Action), PR: b.PR, URL: b.URL, Reason: b.Reason})
		}
		if err != nil {
			row.Status, row.Error = "failed", err.Error()
			inv.log.Error("repository failed", "repo", row.Repo, "error", err)
		} else {
			row.Status = "ok"
		}
		rows = append(rows, row)
	}
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

// forgeRepo reads owner and name out of a clone URL on the forge's host:
// the last two steps of its path (https://github.com/acme/shop.git, or a
// GHES host's).
func forgeRepo(repoURL, host string) (owner, name string, ok bool) {
	if sourcemap.RepoHost(repoURL) != strings.ToLower(host) {
		return "", "", false
	}
	u, err := url.Parse(repoURL)
	if err != nil {
		return "", "", false
	}
	steps := strings.Split(strings.Trim(strings.TrimSuffix(u.Path, ".git"), "/"), "/")
	if len(steps) < 2 || steps[len(steps)-2] == "" || steps[len(steps)-1] == "" {
		return "", "", false
	}
	return steps[len(steps)-2], steps[len(steps)-1], true
}

// sweepSource clones the repository's branch, loads each source path the
// way its GitOps tool deploys it, keeps the findings of the objects that
// run in the cluster, and converges the fix pull request, whose body names
// those live objects.
func (o *sweepOptions) sweepSource(ctx context.Context, inv *invocation, gh *github.Client, tokens gitops.TokenSource,
	owner, name string, r *sourceRepo, scan scanner.Options) (gitops.RunResult, error) {
	info, err := gitops.GetRepository(ctx, gh, owner, name)
	if err != nil {
		return gitops.RunResult{}, err
	}
	out := gitops.RunResult{Repo: info, Base: cmp.Or(r.revision, info.DefaultBranch)}
	if info.Archived && !o.dryRun {
		return out, fmt.Errorf("%s: %w", info.FullName, gitops.ErrArchived)
	}
	token, err := tokens.Token(ctx, owner)
	if err != nil {
		return out, err
	}
	ws, err := gitops.Clone(ctx, gitops.CloneOptions{URL: info.CloneURL, Branch: out.Base, Token: token})
	if err != nil {
		return out, fmt.Errorf("%w (a fix pull request needs a branch to target; targetRevision %q is none)", err, r.revision)
	}
	defer ws.Close()
	cfg, err := config.Load(ws.Dir)
	if err != nil {
		return out, fmt.Errorf("%s: %w", info.FullName, err)
	}
	scan.Config = cfg

	in := &scanner.Inputs{Root: ws.Dir}
	rep := &scanner.Report{}
	seenFile := map[string]bool{}
	live := map[string]bool{}
	for _, path := range r.paths {
		t, err := sourcemap.LoadTree(ws.Dir, r.origins[path], scan)
		if err != nil {
			return out, fmt.Errorf("%s: %w", info.FullName, err)
		}
		var keep []*scanner.Resource
		for _, p := range r.objects[path] {
			if res := t.Find(p.Object.APIVersion, p.Object.Kind, p.Object.Namespace, p.Object.Name); res != nil {
				keep = append(keep, res)
				live[p.Object.Kind+" "+p.Object.Namespace+"/"+p.Object.Name] = true
			}
		}
		for _, f := range t.In.Files {
			if !seenFile[f.Path] {
				seenFile[f.Path] = true
				in.Files = append(in.Files, f)
			}
		}
		rep.Errors = append(rep.Errors, t.Report.Errors...)
		for _, f := range t.Report.Findings {
			if slices.ContainsFunc(keep, func(k *scanner.Resource) bool { return sameResource(f.Resource, k) }) {
				rep.Findings = append(rep.Findings, f)
			}
		}
	}
	scanner.SortFindings(rep.Findings)
	fixes := gitops.NewFixes(in, rep, remediate.Options{ResourceDefaults: map[string]map[string]string{
		"limits":   cfg.Defaults.Resources.Limits,
		"requests": cfg.Defaults.Resources.Requests,
	}}, scan)
	out.Findings, out.Fixable, out.InputErrors = len(fixes.Present), len(fixes.Fixed), len(rep.Errors)

	s, err := gitops.SettingsFromConfig(cfg, ws.ReadFile)
	if err != nil {
		return out, fmt.Errorf("%s: %w", info.FullName, err)
	}
	s.Repo, s.RepoURL, s.Base = info.FullName, info.HTMLURL, out.Base
	s.Bot, s.DryRun, s.Log = o.bot.identity(), o.dryRun, inv.log.With("repo", info.FullName)
	for l := range live {
		s.Live = append(s.Live, l)
	}
	slices.Sort(s.Live)
	out.Result, err = gitops.Converge(ctx, &gitops.GitHubForge{Client: gh, Owner: info.Owner, Name: info.Name}, ws, fixes, s)
	if err != nil {
		return out, fmt.Errorf("%s: %w", info.FullName, err)
	}
	return out, nil
}

// sameResource reports whether a and b are the same object of one document.
func sameResource(a, b *scanner.Resource) bool {
	return a != nil && b != nil && a.Doc == b.Doc && slices.Equal(a.Base, b.Base)
}

var errSweepNeedsConfig = errors.New("--config is required (or --cluster, to sweep the repositories the cluster is deployed from)")

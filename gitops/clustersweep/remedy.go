package clustersweep

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/sourcemap"
	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/render"
)

// Options configure Remedy.
type Options struct {
	// ForgeHost is the forge's host: values files of a chart that live in
	// another repository there are read with the owner's token.
	ForgeHost string
	// Bot is the commit identity; zero means gitops.DefaultBot.
	Bot    gitops.Identity
	DryRun bool
	Now    func() time.Time
	Log    *slog.Logger
	// Images and RepoImages turn image reading on, as in gitops.RunOptions.
	Images     *imageinfo.Resolver
	RepoImages bool
	// Budgets bound the load of each source path, as in
	// gitops.RunOptions.
	Budgets render.Budgets
}

// ErrNotOnForge is returned for a target whose repository is not on the
// configured forge: no pull request can be opened there.
var ErrNotOnForge = errors.New("not on the forge: fix it there by hand")

// Remedy converges the fix pull request of one target: clone its branch,
// load each source path the way its GitOps tool deploys it, keep the
// findings of the objects that run in the cluster, and converge on the
// cluster's branches (BranchPrefix) through the gitops life cycle. The
// pull request body names the live objects.
func Remedy(ctx context.Context, host gitops.Host, tokens gitops.TokenSource, t Target, o Options) (gitops.RunResult, error) {
	log := cmp.Or(o.Log, slog.New(slog.DiscardHandler))
	if t.Owner == "" || t.Name == "" {
		return gitops.RunResult{}, fmt.Errorf("%s: %w", t.RepoURL, ErrNotOnForge)
	}
	out, err := gitops.OpenRepository(ctx, host, t.Owner, t.Name, t.Revision, o.DryRun)
	if err != nil {
		return out, err
	}
	info := out.Repo
	// Asked per repository, so that a long sweep gets renewed tokens.
	token, err := tokens.Token(ctx, info.Owner)
	if err != nil {
		return out, err
	}
	co, err := gitops.CloneBase(ctx, info, out.Base, token, o.Budgets)
	if ce := (*gitops.CloneError)(nil); errors.As(err, &ce) {
		return out, fmt.Errorf("%w (a fix pull request needs a branch to target; the revision deployed is %q)", ce.Err, t.Revision)
	}
	if err != nil {
		return out, err
	}
	defer co.Close()
	// Values files in other repositories ($values refs of Argo CD) are
	// read from their own checkouts, never fixed.
	others := &ownerCloner{forgeHost: o.ForgeHost, tokens: tokens, log: log}
	defer others.Close()
	sc, live, err := scanTarget(ctx, others, co, t, gitops.RunOptions{Images: o.Images, RepoImages: o.RepoImages, Log: log})
	if err != nil {
		return out, fmt.Errorf("%s: %w", info.FullName, err)
	}
	return gitops.Remedy(ctx, host.Forge(info.Owner, info.Name), co, sc, func(s *gitops.Settings) {
		s.BranchPrefix = BranchPrefix(t.Cluster, out.Base, info.DefaultBranch)
		s.Bot, s.DryRun, s.Now, s.Log = o.Bot, o.DryRun, o.Now, log
		s.Live, s.Cluster = live, t.Cluster
	})
}

// scanTarget is the skeleton's scan step for a target: its source paths
// loaded the way its GitOps tool deploys them, only the findings of the
// objects running in the cluster kept (see load), and the names of those
// live objects.
func scanTarget(ctx context.Context, cloner sourcemap.Cloner, co *gitops.Checkout, t Target, o gitops.RunOptions) (gitops.Scan, []string, error) {
	scan, fix := co.ScanOptions()
	in, rep, live, err := load(ctx, cloner, co, t, scan)
	if err != nil {
		return gitops.Scan{}, nil, err
	}
	if r := o.ImageResolver(co.Config); r != nil {
		// The images are those of the sources as loaded; the scan that
		// decides the fixes runs again with them.
		gitops.ResolveImages(ctx, r, in, &scan, &fix)
		if in, rep, live, err = load(ctx, cloner, co, t, scan); err != nil {
			return gitops.Scan{}, nil, err
		}
	}
	return gitops.Scan{Inputs: in, Report: rep, Options: scan, Fix: fix}, live, nil
}

// load reads the target's source paths in the checkout co, within its
// budgets, and keeps the findings of the source objects that the live
// objects are: the inputs to fix, their findings, and the names of the
// live objects found.
func load(ctx context.Context, cloner sourcemap.Cloner, co *gitops.Checkout, t Target, scan scanner.Options) (*scanner.Inputs, *scanner.Report, []string, error) {
	dir := co.Dir()
	in := &scanner.Inputs{Root: dir}
	rep := &scanner.Report{}
	seenFile := map[string]bool{}
	var live []string
	for _, src := range t.Paths {
		tree, err := sourcemap.LoadTreeWith(ctx, cloner, dir, src.Origin, scan, co.Budgets)
		if err != nil {
			return nil, nil, nil, err
		}
		var keep []*scanner.Resource
		for _, obj := range src.Objects {
			if r := tree.Find(obj.APIVersion, obj.Kind, obj.Namespace, obj.Name); r != nil {
				keep = append(keep, r)
				live = append(live, obj.String())
			}
		}
		for _, f := range tree.In.Files {
			if !seenFile[f.Path] {
				seenFile[f.Path] = true
				in.Files = append(in.Files, f)
			}
		}
		rep.Errors = append(rep.Errors, tree.Report.Errors...)
		for _, f := range tree.Report.Findings {
			if slices.ContainsFunc(keep, func(k *scanner.Resource) bool { return sameResource(f.Resource, k) }) {
				rep.Findings = append(rep.Findings, f)
			}
		}
	}
	scanner.SortFindings(rep.Findings)
	slices.Sort(live)
	return in, rep, slices.Compact(live), nil
}

// sameResource reports whether a and b are the same object of one document.
func sameResource(a, b *scanner.Resource) bool {
	return a != nil && b != nil && a.Doc == b.Doc && slices.Equal(a.Base, b.Base)
}

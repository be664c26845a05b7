package gitops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/render"
	"github.com/remedy-bot/remedy/templates"
)

// RunOptions configure RemedyRepository.
type RunOptions struct {
	// Token authenticates git traffic; the API client carries its own.
	Token string
	// Base is the branch to fix; empty means the default branch.
	Base string
	// Bot is the commit identity; zero means DefaultBot.
	Bot Identity
	// Version is remedy's version: with it, the fix pull request records
	// the run's state, and a run that finds neither the base commit nor
	// the inputs moved does not clone (see RunState).
	Version string
	DryRun  bool
	Now     func() time.Time
	Log     *slog.Logger
	// Images, when set, reads each container's image (--resolve-images,
	// or remedy serve's images.resolve): image-tag is pinned by digest and
	// image-dependent fixes are checked against the image.
	Images *imageinfo.Resolver
	// RepoImages lets the repository's .remedy.yaml `images.resolve` turn
	// image reading on with default settings (the CLI); remedy serve
	// leaves it off, so that only its operator decides which registries
	// the server contacts.
	RepoImages bool
	// Budgets bound the scan (remedy serve's limits:); zero fields take
	// the defaults.
	Budgets render.Budgets
	// Dashboard is whether a repository whose .remedy.yaml does not say
	// keeps the dashboard issue (remedy serve's defaults.dashboard).
	Dashboard bool
}

// ImageResolver is the resolver a run uses: o.Images, else a default one
// when the repository config asks for it and o allows that, else nil.
func (o RunOptions) ImageResolver(cfg *config.Config) *imageinfo.Resolver {
	if o.Images != nil {
		return o.Images
	}
	if o.RepoImages && cfg.Images.Resolve {
		return &imageinfo.Resolver{Log: o.Log}
	}
	return nil
}

// ResolveImages reads the images of in when r is set, for scan and fix
// options: one helper for every path that scans a repository.
func ResolveImages(ctx context.Context, r *imageinfo.Resolver, in *scanner.Inputs, scan *scanner.Options, fix *remediate.Options) {
	if r == nil {
		return
	}
	set := r.ResolveRefs(ctx, scanner.ImageRefs(in))
	scan.Images, fix.Images = set, set
}

// RunResult is what RemedyRepository found and did.
type RunResult struct {
	Repo RepoInfo
	Base string
	// Findings counts unsuppressed findings at the base head, Fixable those
	// remedy fixes, InputErrors the files that could not be read or parsed.
	Findings, Fixable, InputErrors int
	// Idle: neither the base nor the inputs moved since the run that wrote
	// the fix pull request, so the repository was not cloned; the counts
	// are that run's.
	Idle bool
	Result
	// Posture is where the repository stands after the run (see Posture);
	// zero for an idle run (the last run's stands) and a cluster sweep.
	Posture Posture
	// Dashboard is what became of the dashboard issue.
	Dashboard DashboardResult
}

// ErrArchived is returned for an archived (read-only) repository.
var ErrArchived = errors.New("repository is archived")

// RemedyRepository runs remedy on one repository: read it, clone its base
// branch, read .remedy.yaml from it, scan, fix, and converge the fix pull
// requests (the skeleton of checkout.go). Settings come from the base
// branch, never from a pull request. With o.Version set, a repository
// whose fix pull request proves it idle is not cloned.
func RemedyRepository(ctx context.Context, host Host, owner, name string, o RunOptions) (RunResult, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out, err := OpenRepository(ctx, host, owner, name, o.Base, o.DryRun)
	if err != nil {
		return out, err
	}
	info := out.Repo
	prefix := BranchPrefix
	if out.Base != info.DefaultBranch {
		prefix = BaseBranchPrefix(out.Base)
	}
	bot := o.Bot
	if bot == (Identity{}) {
		bot = DefaultBot()
	}
	inputs := ""
	if o.Version != "" {
		inputs = InputsHash(o.Version, bot, prefix, o.Budgets, o.Dashboard)
	}
	forge := host.Forge(info.Owner, info.Name)
	if !o.DryRun && inputs != "" {
		res, st, idle, prs := idleCheck(ctx, host, forge, info, out.Base, prefix+repoGroupName, inputs)
		if idle {
			out.Result, out.Idle, out.Findings, out.Fixable = res, true, st.Findings, st.Fixable
			log.Debug("repository idle: not cloned", "repo", info.FullName, "base", st.Base)
			return out, nil
		}
		if prs != nil {
			forge = &listedForge{Forge: forge, branch: prefix + repoGroupName, prs: prs}
		}
	}
	co, err := CloneBase(ctx, info, out.Base, o.Token, o.Budgets)
	if err != nil {
		return out, err
	}
	defer co.Close()
	sc := co.Scan(ctx, o.ImageResolver(co.Config))
	return Remedy(ctx, forge, co, sc, func(s *Settings) {
		if out.Base != info.DefaultBranch {
			s.BranchPrefix = prefix
		}
		s.Bot, s.DryRun, s.Now, s.Log, s.Inputs = o.Bot, o.DryRun, o.Now, log, inputs
		// The dashboard shows the default branch; a run for another
		// base leaves it alone.
		s.KeepDashboard, s.DashboardDefault = out.Base == info.DefaultBranch, o.Dashboard
	})
}

// SettingsFromConfig takes the life cycle settings that .remedy.yaml holds.
// Template overrides are repository paths, read with read.
func SettingsFromConfig(cfg *config.Config, read func(string) ([]byte, error)) (Settings, error) {
	s := Settings{
		Group: cfg.Group, Labels: cfg.Labels, Reviewers: cfg.Reviewers, Assignees: cfg.Assignees,
		PRConcurrentLimit: cfg.PRConcurrentLimit, PRHourlyLimit: cfg.PRHourlyLimit,
	}
	overrides := map[string]templates.Source{}
	for _, t := range []struct{ name, path string }{
		{templates.Title, cfg.Templates.Title},
		{templates.Body, cfg.Templates.Body},
		{templates.Commit, cfg.Templates.Commit},
		{templates.Dashboard, cfg.Templates.Dashboard},
	} {
		if t.path == "" {
			continue
		}
		b, err := read(t.path)
		if err != nil {
			return Settings{}, fmt.Errorf("%s: templates.%s: %w", config.FileName, t.name, err)
		}
		overrides[t.name] = templates.Source{Text: string(b), File: t.path}
	}
	set, err := templates.ParseSources(overrides)
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", config.FileName, err)
	}
	s.Templates = set
	return s, nil
}

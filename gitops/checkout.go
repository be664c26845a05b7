package gitops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/render"
)

// "Remedy this repository" is one skeleton, in named steps that every
// caller (RemedyRepository, clustersweep.Remedy, the service's scan,
// review and ignore tasks) runs in this order, as far as it goes,
// differing only by what it passes:
//
//	OpenRepository  forge record, branch to work on, archived check
//	CloneBase       clone of that branch with its .remedy.yaml (Checkout)
//	Checkout.Scan   inputs as deployed, images, scan (or a caller's own
//	                load, e.g. a cluster's source paths, into a Scan)
//	Remedy          fixes of the scan, converged into pull requests
//
// The idle check of RemedyRepository runs between the first two: an idle
// repository is not cloned.

// OpenRepository reads owner/name from the forge and picks the branch to
// work on: base, or the default branch when base is empty. The result
// carries the repository and the base, and is returned filled even with
// ErrArchived, which an archived repository is unless readOnly (dry runs
// and tasks that write nothing may read one).
func OpenRepository(ctx context.Context, host Host, owner, name, base string, readOnly bool) (RunResult, error) {
	info, err := host.Repository(ctx, owner, name)
	if err != nil {
		return RunResult{}, err
	}
	out := RunResult{Repo: info, Base: base}
	if out.Base == "" {
		out.Base = info.DefaultBranch
	}
	if info.Archived && !readOnly {
		return out, fmt.Errorf("%s: %w", info.FullName, ErrArchived)
	}
	return out, nil
}

// Checkout is a clone of a repository's base branch and the .remedy.yaml
// read from it: everything a run reads comes from here, never from a pull
// request.
type Checkout struct {
	Repo      RepoInfo
	Base      string
	Workspace *Workspace
	Config    *config.Config
	// Budgets bound every load of the checkout (Scan, and a caller's own
	// load through ScanOptions' budgets): the operator's, never the
	// repository's.
	Budgets render.Budgets
}

// CloneBase clones the base branch of repo with token and reads its
// .remedy.yaml, refusing unknown control IDs (a typo is an error). Every
// load of the checkout is bounded by budgets. A failed clone is a
// *CloneError, for the caller to explain; a config error names the
// repository. Close the Checkout when done.
func CloneBase(ctx context.Context, repo RepoInfo, base, token string, budgets render.Budgets) (*Checkout, error) {
	ws, err := Clone(ctx, CloneOptions{URL: repo.CloneURL, Branch: base, Token: token})
	if err != nil {
		return nil, &CloneError{Err: err}
	}
	cfg, err := config.LoadKnown(ws.Dir, scanner.DefaultCatalog().IDs())
	if err != nil {
		ws.Close()
		return nil, fmt.Errorf("%s: %w", repo.FullName, err)
	}
	return &Checkout{Repo: repo, Base: base, Workspace: ws, Config: cfg, Budgets: budgets}, nil
}

// CloneError is CloneBase's failure to clone, told apart from a config
// that cannot be read: a caller may know why the branch is missing.
type CloneError struct{ Err error }

func (e *CloneError) Error() string { return e.Err.Error() }
func (e *CloneError) Unwrap() error { return e.Err }

// Close removes the clone.
func (c *Checkout) Close() error { return c.Workspace.Close() }

// Dir is the clone's directory.
func (c *Checkout) Dir() string { return c.Workspace.Dir }

// Scan is one scan of a checkout: the inputs read (rooted at the
// checkout, so file paths are repository paths), their report, and the
// options the fixes are computed with.
type Scan struct {
	Inputs  *scanner.Inputs
	Report  *scanner.Report
	Options scanner.Options
	Fix     remediate.Options
}

// ScanOptions are the scan and fix options of the checkout's config, for
// a caller that loads the inputs itself.
func (c *Checkout) ScanOptions() (scanner.Options, remediate.Options) {
	return scanner.Options{Config: c.Config, Catalog: scanner.DefaultCatalog()},
		remediate.Options{ResourceDefaults: c.Config.Defaults.ResourceDefaults()}
}

// Scan scans the checkout as deployed: kustomization roots built and Helm
// charts rendered, with findings and fixes at the lines that wrote them.
// With images set, each container's image is read first (ResolveImages).
func (c *Checkout) Scan(ctx context.Context, images *imageinfo.Resolver) Scan {
	in := render.Load(c.Dir(), []string{c.Dir()}, c.Budgets.Options(render.Options{
		LoadOptions: scanner.LoadOptions{Exclude: c.Config.Excluded}, Helm: c.Config.Helm,
	}))
	scan, fix := c.ScanOptions()
	ResolveImages(ctx, images, in, &scan, &fix)
	return Scan{Inputs: in, Report: scanner.ScanInputs(in, scan), Options: scan, Fix: fix}
}

// Settings are the life cycle settings of the checkout: its .remedy.yaml
// (SettingsFromConfig) for its repository and base. The caller adds its
// own (identity, branch prefix, clock, log).
func (c *Checkout) Settings() (Settings, error) {
	s, err := SettingsFromConfig(c.Config, c.Workspace.ReadFile)
	if err != nil {
		return Settings{}, err
	}
	s.Repo, s.RepoURL, s.Base = c.Repo.FullName, c.Repo.HTMLURL, c.Base
	return s, nil
}

// Remedy is the skeleton's last step: the fixes of sc, converged into the
// fix pull requests on forge with the checkout's settings
// (Checkout.Settings) as the caller adjusts them (identity, branch
// prefix, clock, log). The scan's unreadable inputs are logged. It is the
// one place where the scan, the fixes and the life cycle's result are all
// in hand.
func Remedy(ctx context.Context, forge Forge, co *Checkout, sc Scan, adjust func(*Settings)) (RunResult, error) {
	out := RunResult{Repo: co.Repo, Base: co.Base}
	s, err := co.Settings()
	if adjust != nil {
		adjust(&s)
	}
	log := s.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, e := range sc.Report.Errors {
		log.Warn("input not scanned", "repo", co.Repo.FullName, "file", e.File, "line", e.Line, "error", e.Message)
	}
	fixes := NewFixes(sc.Inputs, sc.Report, sc.Fix, sc.Options)
	out.Findings, out.Fixable, out.InputErrors = len(fixes.Present), len(fixes.Fixed), len(sc.Report.Errors)
	if err != nil {
		return out, fmt.Errorf("%s: %w", co.Repo.FullName, err)
	}
	// The dashboard issue, when the caller keeps it: ticked boxes are read
	// before Converge, the posture written after. Its failure does not
	// stop the fixes.
	var dash *DashboardRun
	var dashErr error
	if s.KeepDashboard {
		dash, dashErr = StartDashboard(ctx, forge, DashboardFromConfig(co.Config, s.DashboardDefault, s))
	}
	s.Dashboard = dash.Enabled()
	out.Result, err = Converge(ctx, forge, co.Workspace, fixes, s)
	if s.Cluster == "" {
		// A cluster sweep's scan is the part of the repository that a
		// cluster runs: no posture of the repository.
		out.Posture = NewPosture(co.Repo, co.Base, co.Workspace.BaseHead(), sc.Report, fixes, out.Result)
	}
	var finishErr error
	out.Dashboard, finishErr = dash.Finish(ctx, &out.Posture, forge.Traits())
	if err = errors.Join(err, dashErr, finishErr); err != nil {
		return out, fmt.Errorf("%s: %w", co.Repo.FullName, err)
	}
	return out, nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/helm"
	"github.com/remedy-bot/remedy/scanner/render"
)

// inputFlags are the flags that say what to read and which controls to
// run; scan and fix share them.
type inputFlags struct {
	failOn      scanner.Severity
	maxFileSize int64
	configPath  string
	controls    []string
	budgets     scanner.Budgets
	helmBudget  helm.Budget
	images      imageFlags
	// now is the invocation's clock, for until= of ignore directives.
	now func() time.Time
}

func newInputFlags() inputFlags { return inputFlags{failOn: scanner.SeverityLow} }

// register adds the flags; failOnHelp and controlHelp word them for the command.
func (f *inputFlags) register(fs *pflag.FlagSet, failOnHelp, controlHelp string) {
	fs.Var(severityFlag{&f.failOn}, "fail-on", failOnHelp)
	fs.Int64Var(&f.maxFileSize, "max-file-size", scanner.DefaultMaxFileSize, "skip files larger than this many bytes")
	fs.StringVar(&f.configPath, "config", "", "path of the config file (default: .remedy.yaml or .remedy.yml from the PATHs upward)")
	fs.StringSliceVar(&f.controls, "control", nil, controlHelp)
	f.images.register(fs)
	// Budgets (README "Budgets"): a repository cannot raise them.
	fs.IntVar(&f.budgets.MaxDocuments, "max-documents", scanner.DefaultMaxDocuments, "refuse a file (or chart render) of more YAML documents than this")
	fs.IntVar(&f.budgets.MaxContainers, "max-containers", scanner.DefaultMaxContainers, "refuse a pod template of more containers than this")
	fs.IntVar(&f.budgets.MaxObjects, "max-objects", scanner.DefaultMaxObjects, "refuse the files past this many objects in one run")
	fs.DurationVar(&f.helmBudget.Timeout, "helm-render-timeout", helm.DefaultRenderTimeout, "stop a Helm chart render after this long")
	fs.Int64Var(&f.helmBudget.MaxOutput, "helm-max-output", helm.DefaultMaxOutput, "refuse a Helm chart render of more bytes than this")
	fs.Int64Var(&f.helmBudget.MaxMemory, "helm-max-memory", helm.DefaultMaxMemory, "stop a Helm chart render using more memory than this many bytes")
}

// checkBudgets refuses a budget flag that is not positive.
func (f *inputFlags) checkBudgets() error {
	for _, b := range []struct {
		flag string
		v    int64
	}{
		{"max-documents", int64(f.budgets.MaxDocuments)}, {"max-containers", int64(f.budgets.MaxContainers)},
		{"max-objects", int64(f.budgets.MaxObjects)}, {"helm-render-timeout", int64(f.helmBudget.Timeout)},
		{"helm-max-output", f.helmBudget.MaxOutput}, {"helm-max-memory", f.helmBudget.MaxMemory},
	} {
		if b.v <= 0 {
			return fmt.Errorf("--%s: want a positive value", b.flag)
		}
	}
	return nil
}

// scanned is one load and scan of the command's paths.
type scanned struct {
	root    string
	cfg     *config.Config
	catalog *scanner.Catalog
	in      *scanner.Inputs
	rep     *scanner.Report
	opts    scanner.Options
	// fix are the fix options that go with the scan (defaults, images).
	fix remediate.Options
}

// scan checks the flags, reads the config, loads paths and scans them.
func (f *inputFlags) scan(ctx context.Context, log *slog.Logger, paths []string, stdin io.Reader) (*scanned, error) {
	if f.maxFileSize <= 0 {
		return nil, fmt.Errorf("--max-file-size %d: want a positive number of bytes", f.maxFileSize)
	}
	if err := f.checkBudgets(); err != nil {
		return nil, err
	}
	if err := f.images.check(); err != nil {
		return nil, err
	}
	catalog := scanner.DefaultCatalog()
	for _, id := range f.controls {
		if catalog.Get(id) == nil {
			msg := fmt.Sprintf("--control %q: no such control (remedy controls lists them)", id)
			if s := config.Suggest(id, catalog.IDs()); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return nil, errors.New(msg)
		}
	}
	// The working directory is read once: filepath.Abs reads it (two
	// stats) for every path, 1,900 stats on a scan of 479 files.
	wd, err := os.Getwd()
	if err != nil {
		return nil, fmt.Errorf("working directory: %w", err)
	}
	abs := absPaths(wd, paths)
	root, top := scanRoot(wd, abs)
	cfgDir := ""
	if f.configPath == "" {
		if cfgDir, err = configDir(paths, top); err != nil {
			return nil, err
		}
	}
	cfg, err := loadConfig(f.configPath, cfgDir, catalog)
	if err != nil {
		return nil, err
	}
	// The config's paths (exclude globs, Helm charts and values files) are
	// relative to its folder; the scan's are relative to root.
	if cfgDir != "" && cfgDir != root {
		if prefix, err := filepath.Rel(root, cfgDir); err == nil && within(root, cfgDir) {
			cfg.Rebase(filepath.ToSlash(prefix))
		}
	}
	// Kustomization roots and Helm charts are scanned as rendered, with
	// findings at the lines that wrote them (scanner/render), from the
	// absolute paths, as root is.
	in := render.Load(root, abs, render.Options{
		LoadOptions: scanner.LoadOptions{MaxFileSize: f.maxFileSize, Exclude: cfg.Excluded, Stdin: stdin, Budgets: f.budgets},
		Helm:        cfg.Helm,
		HelmBudget:  f.helmBudget,
	})
	opts := scanner.Options{Config: cfg, Catalog: catalog, Only: f.controls, Now: f.now}
	fix := remediate.Options{ResourceDefaults: cfg.Defaults.ResourceDefaults()}
	gitops.ResolveImages(ctx, f.images.resolver(log, cfg.Images.Resolve), in, &opts, &fix)
	return &scanned{root: root, cfg: cfg, catalog: catalog, in: in, rep: scanner.ScanInputs(in, opts), opts: opts, fix: fix}, nil
}

// absPaths is filepath.Abs of each PATH argument ("-", stdin, stays) with
// wd as the working directory.
func absPaths(wd string, paths []string) []string {
	abs := make([]string, len(paths))
	for i, p := range paths {
		switch {
		case p == "-":
			abs[i] = p
		case filepath.IsAbs(p):
			abs[i] = filepath.Clean(p)
		default:
			abs[i] = filepath.Join(wd, p)
		}
	}
	return abs
}

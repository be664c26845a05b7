package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/render"
)

// inputFlags are the flags that say what to read and which controls to
// run; scan and fix share them.
type inputFlags struct {
	failOn      scanner.Severity
	maxFileSize int64
	configPath  string
	controls    []string
	images      imageFlags
}

func newInputFlags() inputFlags { return inputFlags{failOn: scanner.SeverityLow} }

// register adds the flags; failOnHelp and controlHelp word them for the command.
func (f *inputFlags) register(fs *pflag.FlagSet, failOnHelp, controlHelp string) {
	fs.Var(severityFlag{&f.failOn}, "fail-on", failOnHelp)
	fs.Int64Var(&f.maxFileSize, "max-file-size", scanner.DefaultMaxFileSize, "skip files larger than this many bytes")
	fs.StringVar(&f.configPath, "config", "", "path of the config file (default: .remedy.yaml at the scan root)")
	fs.StringSliceVar(&f.controls, "control", nil, controlHelp)
	f.images.register(fs)
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
	if err := f.images.check(); err != nil {
		return nil, err
	}
	catalog := scanner.DefaultCatalog()
	for _, id := range f.controls {
		if catalog.Get(id) == nil {
			return nil, fmt.Errorf("--control %q: no such control (remedy controls lists them)", id)
		}
	}
	root := scanRoot(paths)
	cfg, err := loadConfig(f.configPath, root)
	if err != nil {
		return nil, err
	}
	// Kustomization roots and Helm charts are scanned as rendered, with
	// findings at the lines that wrote them (scanner/render).
	in := render.Load(root, paths, render.Options{
		LoadOptions: scanner.LoadOptions{MaxFileSize: f.maxFileSize, Exclude: cfg.Excluded, Stdin: stdin},
		Helm:        cfg.Helm,
	})
	opts := scanner.Options{Config: cfg, Catalog: catalog, Only: f.controls}
	fix := remediate.Options{ResourceDefaults: cfg.Defaults.ResourceDefaults()}
	gitops.ResolveImages(ctx, f.images.resolver(log, cfg.Images.Resolve), in, &opts, &fix)
	return &scanned{root: root, cfg: cfg, catalog: catalog, in: in, rep: scanner.ScanInputs(in, opts), opts: opts, fix: fix}, nil
}

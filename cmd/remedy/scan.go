package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/report"
	"github.com/remedy-bot/remedy/scanner"
)

// Scan output formats.
const (
	formatTable = "table"
	formatJSON  = "json"
	formatSARIF = "sarif"
)

// scanOptions are the flags of remedy scan.
type scanOptions struct {
	inputFlags
	format     string
	outputFile string
	// cluster holds --cluster and the flags that go with it (scan_cluster.go).
	cluster clusterFlags
}

func newScanCommand(inv *invocation) *cobra.Command {
	opts := &scanOptions{inputFlags: newInputFlags()}
	cmd := &cobra.Command{
		Use:   "scan [PATH...]",
		Short: "Scan manifests for failing security controls",
		Long: `Scan the Kubernetes manifests under each PATH (default ".") and report every
failing control with its file, line and column. Folders are walked for
.yaml, .yml and .json files (skipping .git, vendor and node_modules); "-"
reads one stream of manifests from stdin, such as rendered Helm output.

Kustomization roots and Helm charts are scanned as they are deployed: built
with Kustomize (in memory, no remote bases, no plugins) and rendered with
Helm (offline, for each release of .remedy.yaml's helm: section), and each
finding points at the line that wrote the field: a base resource, an overlay
patch, a line of values.yaml or of a template. A base used by overlays is
reported once, listing them; the files a build read are not scanned again.

Settings come from .remedy.yaml at the scan root (the first PATH if it is a
folder, else its folder), or from the file named by --config: controls to
disable or enable, paths to exclude, a severity floor and default resource
values. A "# remedy:ignore <id> <reason>" comment on a field's line, the line
above it, or the object's metadata: line suppresses a finding; suppressed
findings stay in the output, marked, with their reason.

Exit status:
  0  no unsuppressed finding at or above --fail-on
  1  at least one unsuppressed finding at or above --fail-on
  2  bad flags or config, or an input could not be read or parsed (the other
     files are still scanned and reported); 2 wins over 1`,
		Example: `  # Scan a repository checkout
  remedy scan ./deploy

  # JSON for scripts: the failing control IDs
  remedy scan -o json | jq -r '.findings[] | select(.suppressed | not) | .control'

  # SARIF for GitHub code scanning, failing the job only on high and critical
  remedy scan -o sarif --output-file remedy.sarif --fail-on high

  # Only two controls, over rendered Helm output
  helm template web ./chart | remedy scan - --control privileged --control host-path-volume`,
		RunE: func(cmd *cobra.Command, paths []string) error {
			if err := opts.cluster.check(cmd.Flags()); err != nil {
				return err
			}
			return interruptible(cmd.Context(), inv, func(ctx context.Context) error {
				if opts.cluster.enabled {
					return opts.runCluster(ctx, inv, paths)
				}
				return opts.run(ctx, inv, paths)
			})
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.format, "format", "o", formatTable, "output format: table, json or sarif")
	f.StringVar(&opts.outputFile, "output-file", "", "write the report to this file instead of stdout")
	opts.register(f, "exit 1 when an unsuppressed finding is at least this severe: low, medium, high or critical",
		"run only this control ID (repeatable; see remedy controls)")
	opts.cluster.register(f)
	return cmd
}

func (o *scanOptions) run(ctx context.Context, inv *invocation, paths []string) error {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	switch o.format {
	case formatTable, formatJSON, formatSARIF:
	default:
		return fmt.Errorf("--format %q: want table, json or sarif", o.format)
	}
	sc, err := o.scan(ctx, inv.log, paths, inv.stdin)
	if err != nil {
		return err
	}
	root, in, rep, catalog := sc.root, sc.in, sc.rep, sc.catalog
	inv.log.Debug("scanned", "root", root, "files", len(in.Files), "findings", len(rep.Findings),
		"errors", len(rep.Errors), "skipped", len(rep.Skipped))
	if o.format != formatTable || o.outputFile != "" {
		// The table lists these itself; elsewhere they would go unseen.
		for _, e := range rep.Errors {
			inv.log.Warn("input not scanned", "file", e.File, "line", e.Line, "error", e.Message)
		}
	}

	var out bytes.Buffer
	switch o.format {
	case formatJSON:
		err = report.WriteJSON(&out, rep)
	case formatSARIF:
		err = report.WriteSARIF(&out, rep, catalog, report.SARIFOptions{ToolVersion: versionString()})
	default:
		color := o.outputFile == "" && isTerminal(inv.stdout) && inv.getenv("NO_COLOR") == ""
		err = report.WriteTable(&out, rep, report.TableOptions{Color: color, Files: len(in.Files)})
	}
	if err != nil {
		return err
	}
	if err := o.write(inv, out.Bytes()); err != nil {
		return err
	}
	if code := scanExitCode(rep, o.failOn); code != exitOK {
		return exitStatus(code)
	}
	return nil
}

// scanRoot is the folder that file names are relative to and where
// .remedy.yaml is looked up: the first path if it is a folder, else its folder.
func scanRoot(paths []string) string {
	p := paths[0]
	if p == "-" {
		return "."
	}
	if info, err := os.Stat(p); err == nil && info.IsDir() {
		return p
	}
	return filepath.Dir(p)
}

// loadConfig reads the config named by --config, which must exist, or the
// optional .remedy.yaml at root. Errors name the file and, for content
// problems, the line.
func loadConfig(explicit, root string) (*config.Config, error) {
	path := explicit
	var b []byte
	var err error
	if path == "" {
		// The scanned tree's own config is the repository's choice, read
		// confined to the tree (a FIFO or a link to /dev/zero must not
		// stop the scan); --config is the operator's file.
		path = filepath.Join(root, config.FileName)
		b, err = config.ReadFile(root)
	} else {
		b, err = os.ReadFile(path)
	}
	if explicit == "" && errors.Is(err, fs.ErrNotExist) {
		return &config.Config{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := config.Parse(path, b)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// write sends the report to --output-file, or to stdout.
func (o *scanOptions) write(inv *invocation, b []byte) error {
	if o.outputFile == "" {
		_, err := inv.stdout.Write(b)
		return err
	}
	if err := inv.writes.do(func() error { return writeAtomic(o.outputFile, b, 0o644) }); err != nil {
		return fmt.Errorf("write --output-file: %w", err)
	}
	return nil
}

// scanExitCode applies the exit status contract of remedy scan.
func scanExitCode(rep *scanner.Report, failOn scanner.Severity) int {
	if len(rep.Errors) > 0 {
		return exitError
	}
	for _, f := range rep.Findings {
		if !f.Suppressed && f.Severity >= failOn {
			return exitFindings
		}
	}
	return exitOK
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// severityFlag is a pflag.Value for a severity name.
type severityFlag struct{ s *scanner.Severity }

func (f severityFlag) String() string     { return strings.ToLower(f.s.String()) }
func (f severityFlag) Set(v string) error { return f.s.UnmarshalText([]byte(v)) }
func (f severityFlag) Type() string       { return "severity" }

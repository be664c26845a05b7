package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/internal/parallel"
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

File names are relative to the repository root inside git (else the working
directory), in every format; SARIF binds %SRCROOT% to it.

Settings come from .remedy.yaml (or .remedy.yml) found from each PATH upward
to the repository root, or from the file named by --config: controls to
disable or enable, paths to exclude, a severity floor and default resource
values. An unknown control ID there, in --control or in an ignore comment is
an error naming the file and line. A "# remedy:ignore <id> <reason>" comment
on a field's line, the line above it, or the object's metadata: line
suppresses a finding, through the day of an "until=YYYY-MM-DD" in it when
there is one; suppressed findings stay in the output, marked, with their
reason, and the table lists suppressions that expire within 30 days or have
expired.

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
	o.now = inv.today
	start := time.Now()
	sc, err := o.scan(ctx, inv.log, paths, inv.stdin)
	if err != nil {
		return err
	}
	root, in, rep, catalog := sc.root, sc.in, sc.rep, sc.catalog
	inv.log.Debug("scanned", "root", root, "files", len(in.Files), "findings", len(rep.Findings),
		"errors", len(rep.Errors), "skipped", len(rep.Skipped), "took", time.Since(start))
	if o.format != formatTable || o.outputFile != "" {
		// The table lists these itself; elsewhere they would go unseen.
		for _, e := range rep.Errors {
			inv.log.Warn("input not scanned", "file", e.File, "line", e.Line, "error", e.Message)
		}
	}

	var out bytes.Buffer
	// Some hundreds of bytes a finding (JSON: 500 to 600 on the real-world
	// corpus): grown once rather than doubled (and copied, and its new
	// pages faulted in) ten times.
	out.Grow(640 * len(rep.Findings))
	switch o.format {
	case formatJSON:
		err = report.WriteJSON(&out, rep)
	case formatSARIF:
		err = report.WriteSARIF(&out, rep, catalog, report.SARIFOptions{ToolVersion: versionString(), Root: root})
	default:
		color := o.outputFile == "" && isTerminal(inv.stdout) && inv.getenv("NO_COLOR") == ""
		err = report.WriteTable(&out, rep, report.TableOptions{Color: color, Files: scannedFiles(in), Today: inv.today()})
	}
	if err != nil {
		return err
	}
	return o.emit(inv, out.Bytes(), rep)
}

// scannedFiles counts the files the scan read as manifests, for the
// summary: each file as written, and each file a Kustomize or Helm build
// read (not the build's output as one file); the repository config is
// not a manifest.
func scannedFiles(in *scanner.Inputs) int {
	seen := map[string]bool{}
	for _, f := range in.Files {
		if f.Rendered != nil {
			for p := range f.Rendered.Sources {
				seen[p] = true
			}
			continue
		}
		if b := path.Base(f.Path); b != config.FileName && b != config.AltFileName {
			seen[f.Path] = true
		}
	}
	return len(seen)
}

// scanRoot is the folder that every output path is relative to, so that
// `scan a/rbac a/apps/web` names both files from the same place and
// patches `git apply` from it: the repository root (the nearest folder
// with .git above the first PATH) when inside git, else the working
// directory when every PATH is under it, else the first PATH's folder.
// top is the folder config discovery stops at: the repository root, else
// the first PATH's folder. Both are absolute, as are wd, the working
// directory, and paths (absPaths; "-" is stdin).
func scanRoot(wd string, paths []string) (root, top string) {
	first := wd
	if paths[0] != "-" {
		first = paths[0]
		if info, err := os.Stat(first); err != nil || !info.IsDir() {
			first = filepath.Dir(first)
		}
	}
	if repo := repositoryRoot(first); repo != "" {
		return repo, repo
	}
	for _, p := range paths {
		if p == "-" {
			continue
		}
		if !within(wd, p) {
			return first, first
		}
	}
	return wd, first
}

// repositoryRoot is the nearest folder holding .git (a folder, or the
// file of a worktree) from dir upward, or "".
func repositoryRoot(dir string) string {
	for {
		if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// within reports whether p is dir or below it (both absolute).
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// configDir finds the config folder for the paths: the nearest folder
// with .remedy.yaml (or .remedy.yml) from each PATH up to top (stdin:
// from the working directory). PATHs under different configs are an
// error, rather than one config silently applied to the other's files.
func configDir(paths []string, top string) (string, error) {
	found, from := "", ""
	// Files named one by one (a shell glob: hundreds) share folders; each
	// folder's search up to top is made once.
	byFolder := map[string]string{}
	isDir := make([]bool, len(paths))
	parallel.ForEach(len(paths), func(i int) {
		info, err := os.Stat(paths[i])
		isDir[i] = err == nil && info.IsDir()
	})
	for i, p := range paths {
		start := p
		if p == "-" {
			start = "."
		} else if !isDir[i] {
			// Where Discover would start from a file.
			start = filepath.Dir(p)
		}
		dir, ok := byFolder[start]
		if !ok {
			dir = config.Discover(start, top)
			byFolder[start] = dir
		}
		if from != "" && dir != found {
			return "", fmt.Errorf("%s and %s are under different configs (%s, %s): scan them separately, or name one with --config",
				from, p, configName(found), configName(dir))
		}
		found, from = dir, p
	}
	return found, nil
}

func configName(dir string) string {
	if dir == "" {
		return "none"
	}
	return filepath.Join(dir, config.FileName)
}

// loadConfig reads the config named by --config, which must exist, or the
// optional .remedy.yaml (or .remedy.yml) of dir ("" for none). Errors name
// the file and, for content problems, the line; a control ID the catalog
// does not know is one.
func loadConfig(explicit, dir string, catalog *scanner.Catalog) (*config.Config, error) {
	path := explicit
	var b []byte
	var err error
	switch {
	case explicit != "":
		b, err = os.ReadFile(path)
	case dir == "":
		return &config.Config{}, nil
	default:
		// The scanned tree's own config is the repository's choice, read
		// confined to the tree (a FIFO or a link to /dev/zero must not
		// stop the scan); --config is the operator's file.
		var name string
		name, b, err = config.ReadNamed(dir)
		path = displayName(dir, name)
		if errors.Is(err, fs.ErrNotExist) {
			return &config.Config{}, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg, err := config.Parse(path, b)
	if err == nil {
		err = config.CheckControlIDs(path, b, catalog.IDs())
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// displayName names dir/name relative to the working directory when it is
// below it, for error messages.
func displayName(dir, name string) string {
	p := filepath.Join(dir, name)
	if wd, err := os.Getwd(); err == nil && within(wd, p) {
		if rel, err := filepath.Rel(wd, p); err == nil {
			return rel
		}
	}
	return p
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

// emit writes a rendered report and ends the scan with the exit status
// of rep (scanExitCode).
func (o *scanOptions) emit(inv *invocation, b []byte, rep *scanner.Report) error {
	if err := o.write(inv, b); err != nil {
		return err
	}
	if code := scanExitCode(rep, o.failOn); code != exitOK {
		return exitStatus(code)
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

package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/remedy-bot/remedy/gitops"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Exit statuses, a contract with CI pipelines (see README).
const (
	// exitOK: no unsuppressed finding at or above --fail-on.
	exitOK = 0
	// exitFindings: at least one unsuppressed finding at or above --fail-on.
	exitFindings = 1
	// exitError: bad usage or config, or an input that could not be read or
	// parsed. It wins over exitFindings: a partial scan must not pass as clean.
	exitError = 2
)

// exitStatus is returned by a command that has already reported its result
// and only needs the process to exit with this status.
type exitStatus int

func (s exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// invocation is what one run of the CLI works with: its streams, its
// environment and its logger. Commands receive it instead of reaching for
// os.Stdout and friends, so run is testable.
type invocation struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// logLevel is set by --log-level while flags are parsed; log reads it
	// on every record, so the logger exists before the flags do.
	logLevel *slog.LevelVar
	log      *slog.Logger
	// writes gates every file the run writes against its interruption
	// (interrupt.go).
	writes *writeGate
	// stderrIsTerminal, when set, says whether stderr is a terminal (for
	// progress lines); nil means asking the file descriptor. A test's seam.
	stderrIsTerminal func() bool
	// beforeReplace, when set, runs between computing a file's new bytes
	// and replacing the file: a test's way to change the file meanwhile.
	beforeReplace func(abs string)
	// now is the clock that decides whether a suppression's until= day
	// passed; nil is time.Now (a test sets a fixed day).
	now func() time.Time
	// profile is --profile: recorded from the flags' parse to the
	// command's end (profile.go).
	profile profiling
}

// today is the invocation's clock reading.
func (inv *invocation) today() time.Time {
	if inv.now != nil {
		return inv.now()
	}
	return time.Now()
}

// run executes the CLI with args (without the program name) and returns
// the process exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newInvocation(stdin, stdout, stderr).execute(ctx, args)
}

func newInvocation(stdin io.Reader, stdout, stderr io.Writer) *invocation {
	level := new(slog.LevelVar)
	return &invocation{
		stdin: stdin, stdout: stdout, stderr: stderr,
		getenv:   os.Getenv,
		logLevel: level,
		log:      slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
		writes:   &writeGate{},
	}
}

// execute runs the CLI with args and returns the process exit status.
func (inv *invocation) execute(ctx context.Context, args []string) int {
	stderr := inv.stderr
	root := newRootCommand(inv)
	root.SetArgs(args)
	code := exitCode(stderr, root.ExecuteContext(ctx))
	if err := inv.profile.finish(); err != nil {
		// The command's own result stands; a run that asked for a
		// profile and got none does not pass as fine either.
		fmt.Fprintf(stderr, "remedy: %v\n", err)
		if code == exitOK {
			code = exitError
		}
	}
	return code
}

// exitCode is the exit status of a command that returned err, which it
// reports on stderr unless the command reported its result itself.
func exitCode(stderr io.Writer, err error) int {
	var status exitStatus
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &status):
		return int(status)
	default:
		fmt.Fprintf(stderr, "remedy: %v\n", err)
		return exitError
	}
}

func newRootCommand(inv *invocation) *cobra.Command {
	root := &cobra.Command{
		Use:   "remedy",
		Short: "Find and fix failing security controls in Kubernetes manifests",
		Long: `remedy reads the Kubernetes manifests of a GitOps repository (plain YAML,
multi-document files, Lists, rendered Helm output on stdin) and checks every
workload, Service and RBAC object against a catalog of security controls drawn
from the CIS Kubernetes Benchmark and the Pod Security Standards. Each finding
names the control, the object, and the file, line and column of the offending
field. Where a fix is safe, remedy edits the source in place, keeping comments,
key order and formatting byte for byte, and can open a pull request with the
change. Run "remedy controls" to see the catalog and "remedy scan --help" to
start.`,
		Example: `  # Scan the current repository and print a table
  remedy scan

  # Fail a CI job only on high and critical findings, and upload SARIF
  remedy scan deploy/ --fail-on high -o sarif --output-file remedy.sarif

  # Scan rendered Helm output
  helm template web ./charts/web | remedy scan -`,
		Version:           versionString(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: true},
	}
	root.SetIn(inv.stdin)
	root.SetOut(inv.stdout)
	root.SetErr(inv.stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return fmt.Errorf("%w\nRun '%s --help' for usage", err, cmd.CommandPath())
	})
	root.PersistentFlags().Var(levelFlag{inv.logLevel}, "log-level", "log verbosity on stderr: debug, info, warn or error")
	root.PersistentFlags().Var(&formatFlag{inv: inv, format: "text"}, "log-format", "log format on stderr: text, or json (one object a line, for log collectors)")
	inv.profile.register(root.PersistentFlags())
	// Every command's run is profiled from here (no command has a
	// PersistentPreRunE of its own, which cobra would run instead).
	root.PersistentPreRunE = func(*cobra.Command, []string) error { return inv.profile.start() }

	root.AddCommand(
		newScanCommand(inv),
		newFixCommand(inv),
		newControlsCommand(inv),
		newVersionCommand(),
		newPRCommand(inv),
		newSweepCommand(inv),
		newImportCommand(inv),
		newServeCommand(inv),
		// pr, sweep and serve are added here, one file each
		// (pr.go: newPRCommand(inv), …), taking the same *invocation.
	)
	return root
}

// levelFlag is --log-level: a pflag.Value over the logger's level.
type levelFlag struct{ level *slog.LevelVar }

func (f levelFlag) String() string     { return strings.ToLower(f.level.Level().String()) }
func (f levelFlag) Set(s string) error { return f.level.UnmarshalText([]byte(s)) }
func (f levelFlag) Type() string       { return "level" }

// removeStaleClones removes the temporary clones that killed runs left
// behind, before a command that clones makes its own.
func (inv *invocation) removeStaleClones() {
	removed, err := gitops.RemoveStaleClones("")
	if len(removed) > 0 {
		inv.log.Info("removed temporary clones of runs that were killed", "folders", len(removed))
	}
	if err != nil {
		inv.log.Warn("could not remove every stale temporary clone", "error", err)
	}
}

// formatFlag is --log-format: setting it replaces the invocation's logger
// before any command runs (flags are parsed first), keeping the level.
type formatFlag struct {
	inv    *invocation
	format string
}

func (f *formatFlag) String() string { return f.format }
func (f *formatFlag) Type() string   { return "format" }
func (f *formatFlag) Set(s string) error {
	opts := &slog.HandlerOptions{Level: f.inv.logLevel}
	switch s {
	case "text":
		f.inv.log = slog.New(slog.NewTextHandler(f.inv.stderr, opts))
	case "json":
		f.inv.log = slog.New(slog.NewJSONHandler(f.inv.stderr, opts))
	default:
		return fmt.Errorf("unknown log format %q: text or json", s)
	}
	f.format = s
	return nil
}

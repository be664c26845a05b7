package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/remedy-bot/remedy/internal/parallel"
	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
)

// fixOptions are the flags of remedy fix.
type fixOptions struct {
	inputFlags
	dryRun bool
	format string
}

func newFixCommand(inv *invocation) *cobra.Command {
	opts := &fixOptions{inputFlags: newInputFlags()}
	cmd := &cobra.Command{
		Use:   "fix [PATH...]",
		Short: "Fix failing controls in place, keeping every other byte",
		Long: `Fix every fixable finding under each PATH (default ".") by editing the
manifests in place. Only the lines that must change are touched: comments,
blank lines, quoting, key order, document separators, CRLF, BOM and a
missing final newline all stay as they were, and new lines follow the
file's own indentation. Every edit is verified before it is written: the
file must parse, equal the original object with the fix's JSON patch
applied, and rescan without the fixed findings. Anything that cannot be
edited safely (anchors shared with other objects, explicit tags, Helm
templates) is left untouched and reported as not fixable, with the reason.

Findings of Kustomize and Helm output are fixed where they are written: in
the base when no overlay overrides the field (once for every overlay), in
the overlay's patch when it set the value, in values.yaml for a chart. The
edit is verified by building or rendering again: the fixed findings gone,
nothing new, and nothing else in the output changed.

Findings suppressed by "# remedy:ignore" or disabled in .remedy.yaml are
never fixed. resource-limits and resource-requests are only fixed with the
values of defaults.resources in .remedy.yaml.

--dry-run writes nothing and prints a unified diff (a/ and b/ paths relative
to the repository root inside git, else the working directory) that
"git apply" or "patch -p1" applies from there to give exactly the in-place
result; the summary goes to stderr, with the reason of every finding left
unfixed.

Every file is re-read just before it is replaced: one that changed since
remedy read it is left as it is and reported ("changed while remedy worked
on it"). A file that cannot be written is reported and the others are still
written; the summary is always printed. A file is replaced through a
temporary file and a rename, so SIGINT or SIGTERM stops remedy within a
second with every file either as it was or fully fixed.

Exit status: 0 nothing at or above --fail-on is left unfixed; 1 findings
remain; 2 an input could not be read or parsed, a file could not be
written, bad flags or config, or the run was interrupted.`,
		Example: `  # See what would change, as a patch
  remedy fix --dry-run ./deploy > remedy.patch && git apply remedy.patch

  # Fix only two controls, in place
  remedy fix ./deploy --control read-only-root-filesystem --control no-privilege-escalation

  # Machine-readable outcome per finding
  remedy fix --dry-run -o json ./deploy`,
		RunE: func(cmd *cobra.Command, paths []string) error {
			return interruptible(cmd.Context(), inv, func(ctx context.Context) error { return opts.run(ctx, inv, paths) })
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.dryRun, "dry-run", false, "write nothing; print a unified diff of the fixes")
	f.StringVarP(&opts.format, "format", "o", "text", "output format: text or json")
	opts.register(f, "exit 1 when an unfixed, unsuppressed finding is at least this severe",
		"fix only this control ID (repeatable; see remedy controls)")
	return cmd
}

func (o *fixOptions) run(ctx context.Context, inv *invocation, paths []string) error {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	for _, p := range paths {
		if p == "-" {
			return fmt.Errorf("fix edits files and cannot take stdin; use remedy scan - for streams")
		}
	}
	if o.format != "text" && o.format != formatJSON {
		return fmt.Errorf("--format %q: want text or json", o.format)
	}
	o.now = inv.today
	// The phases' durations are logged at debug level: where a slow fix
	// spends its time, without a profile (--profile has the detail).
	start := time.Now()
	sc, err := o.scan(ctx, inv.log, paths, nil)
	if err != nil {
		return err
	}
	rep := sc.rep
	inv.log.Debug("scanned", "files", len(sc.in.Files), "findings", len(rep.Findings), "took", time.Since(start))
	if err := ctx.Err(); err != nil {
		return err
	}
	start = time.Now()
	fixes := remediate.FixReportContext(ctx, sc.in, rep, sc.fix, scanner.Options{Config: sc.cfg, Catalog: sc.catalog, Images: sc.opts.Images, Now: sc.opts.Now})
	if err := ctx.Err(); err != nil {
		return err
	}
	inv.log.Debug("fixes made and verified", "files", changedFiles(fixes), "took", time.Since(start))

	var diff bytes.Buffer
	var failed []scanner.FileError
	var writeErrs []error
	var writing time.Duration
	if !o.dryRun {
		start = time.Now()
		writeErrs = o.replaceAll(inv, fixes)
		writing = time.Since(start)
	}
	for i := range fixes {
		fx := &fixes[i]
		if !fx.Changed() {
			continue
		}
		if o.dryRun {
			if err := remediate.UnifiedDiff(&diff, fx.File.Path, fx.Before, fx.After); err != nil {
				return err
			}
			continue
		}
		if err := writeErrs[i]; err != nil {
			// The other files are still tried; this one is as it was.
			failed = append(failed, scanner.FileError{File: fx.File.Path, Message: "not written: " + err.Error()})
			unwritten(fx, err)
		}
	}
	if !o.dryRun {
		// Counted once the files not written are no longer changed ones.
		inv.log.Debug("files replaced", "files", changedFiles(fixes), "took", writing)
	}
	sum := summarise(rep, fixes)
	if o.format == formatJSON {
		if err := writeFixJSON(inv.stdout, rep, failed, fixes, sum, diff.String()); err != nil {
			return err
		}
	} else {
		out := inv.stdout
		if o.dryRun {
			// stdout is the patch; keep it clean for git apply.
			out = inv.stderr
			if _, err := inv.stdout.Write(diff.Bytes()); err != nil {
				return err
			}
		}
		writeFixSummary(out, sum, rep, failed, fixes, o.dryRun)
	}
	if len(rep.Errors) > 0 || len(failed) > 0 {
		return exitStatus(exitError)
	}
	for _, fx := range fixes {
		for _, oc := range fx.Outcomes {
			if oc.Status == remediate.StatusNotFixable && oc.Finding.Severity >= o.failOn {
				return exitStatus(exitFindings)
			}
		}
	}
	return nil
}

// errChangedMeanwhile is the error of a file that changed on disk between
// remedy reading it and replacing it.
var errChangedMeanwhile = errors.New("changed while remedy worked on it; run remedy fix again")

// fileWriters is how many files fix replaces at once: a write mostly waits
// for its fsync, and those overlap (the 214 files of the corpus: one
// at a time 110 to 190 ms, eight at a time 50 to 70).
const fileWriters = 8

// replaceAll replaces every changed file in place, several at once, and
// returns each file's error by index; the caller reports them in order.
// Each file is logged as it is written: the log says how far a run got.
func (o *fixOptions) replaceAll(inv *invocation, fixes []remediate.FileFix) []error {
	errs := make([]error, len(fixes))
	parallel.ForEachOn(fileWriters, len(fixes), func(i int) {
		if !fixes[i].Changed() {
			return
		}
		if errs[i] = o.replace(inv, &fixes[i]); errs[i] == nil {
			inv.log.Info("fixed", "file", fixes[i].File.Path)
		}
	})
	return errs
}

// replace writes a fixed file in place, unless the run was interrupted or
// the file no longer holds the bytes the fix was computed from.
func (o *fixOptions) replace(inv *invocation, fx *remediate.FileFix) error {
	if inv.beforeReplace != nil {
		inv.beforeReplace(fx.File.Abs)
	}
	return inv.writes.do(func() error {
		return replaceFile(fx.File.Abs, fx.Before, fx.After, fx.File.Mode)
	})
}

// unwritten records that a fixed file could not be written: its findings
// are not fixed after all, and it is no longer a changed file.
func unwritten(fx *remediate.FileFix, err error) {
	fx.After = fx.Before
	fx.Remediations = nil
	for i := range fx.Outcomes {
		if fx.Outcomes[i].Status == remediate.StatusFixed {
			fx.Outcomes[i].Status = remediate.StatusNotFixable
			fx.Outcomes[i].Reason = "the file could not be written: " + err.Error()
		}
	}
}

// replaceFile is writeAtomic that first checks, once the new bytes are on
// disk beside the file and just before the rename, that path still holds
// before: a line a user appended meanwhile is not lost.
func replaceFile(path string, before, after []byte, mode os.FileMode) error {
	return writeAtomicChecked(path, after, mode, func(real string) error {
		now, err := os.ReadFile(real)
		if err != nil {
			return err
		}
		if !bytes.Equal(now, before) {
			return errChangedMeanwhile
		}
		return nil
	})
}

// writeAtomic replaces path with b through a temporary file in the same
// folder and a rename, so a crash never leaves a half-written manifest.
func writeAtomic(path string, b []byte, mode os.FileMode) error {
	return writeAtomicChecked(path, b, mode, nil)
}

// writeAtomicChecked is writeAtomic with a check of the file (symlinks
// resolved) made just before the rename; an error keeps the file as it is.
func writeAtomicChecked(path string, b []byte, mode os.FileMode, check func(real string) error) error {
	if mode == 0 {
		mode = 0o644
	}
	// Write through a symlink (the loader only follows ones inside the
	// root) rather than replace the link with a regular file.
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".remedy-*")
	if err != nil {
		return err
	}
	renamed := false
	defer func() {
		if !renamed {
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if check != nil {
		if err := check(path); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	renamed = true
	return nil
}

// controlSummary counts outcomes of one control.
type controlSummary struct {
	Control    string `json:"control"`
	Fixed      int    `json:"fixed"`
	NotFixable int    `json:"notFixable"`
	Ignored    int    `json:"ignored"`
}

func summarise(rep *scanner.Report, fixes []remediate.FileFix) []controlSummary {
	by := map[string]*controlSummary{}
	for _, fx := range fixes {
		for _, oc := range fx.Outcomes {
			s := by[oc.Finding.Control]
			if s == nil {
				s = &controlSummary{Control: oc.Finding.Control}
				by[oc.Finding.Control] = s
			}
			switch oc.Status {
			case remediate.StatusFixed:
				s.Fixed++
			case remediate.StatusIgnored:
				s.Ignored++
			default:
				s.NotFixable++
			}
		}
	}
	out := make([]controlSummary, 0, len(by))
	for _, s := range by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Control < out[j].Control })
	return out
}

// changedFiles counts the files a fix changes.
func changedFiles(fixes []remediate.FileFix) int {
	changed := 0
	for _, fx := range fixes {
		if fx.Changed() {
			changed++
		}
	}
	return changed
}

func writeFixSummary(w io.Writer, sum []controlSummary, rep *scanner.Report, failed []scanner.FileError, fixes []remediate.FileFix, dryRun bool) {
	changed := changedFiles(fixes)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CONTROL\tFIXED\tNOT FIXABLE\tIGNORED")
	var fixed, notFixable, ignored int
	for _, s := range sum {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\n", s.Control, s.Fixed, s.NotFixable, s.Ignored)
		fixed, notFixable, ignored = fixed+s.Fixed, notFixable+s.NotFixable, ignored+s.Ignored
	}
	tw.Flush()
	verb := "changed"
	if dryRun {
		verb = "would change"
	}
	fmt.Fprintf(w, "\n%d fixed, %d not fixable, %d ignored; %s %d files", fixed, notFixable, ignored, verb, changed)
	if len(rep.Errors) > 0 {
		fmt.Fprintf(w, "; %d inputs could not be read", len(rep.Errors))
	}
	if len(failed) > 0 {
		fmt.Fprintf(w, "; %d files could not be written", len(failed))
	}
	fmt.Fprintln(w)
	if fixed > 0 {
		safe := 0
		for _, fx := range fixes {
			for _, oc := range fx.Outcomes {
				if oc.Status == remediate.StatusFixed && oc.Risk() == scanner.RiskNone {
					safe++
				}
			}
		}
		fmt.Fprintf(w, "%d of the fixes cannot change what a working container does, %d need a human check (risk in -o json)\n", safe, fixed-safe)
	}
	for _, fx := range fixes {
		for _, oc := range fx.Outcomes {
			// Every finding left unfixed says why, the control's own
			// reason (no safe automatic fix) as much as a place's.
			if oc.Status == remediate.StatusNotFixable {
				reason := oc.Reason
				if reason == "" {
					reason = "remedy has no automatic fix for this control"
				}
				fmt.Fprintf(w, "not fixable: %s:%d %s: %s\n", oc.Finding.File, oc.Finding.Line, oc.Finding.Control, reason)
			}
		}
	}
	for _, e := range slices.Concat(rep.Errors, failed) {
		fmt.Fprintf(w, "error: %s\n", e.Error())
	}
}

// fixJSON is the --format json output of remedy fix.
type fixJSON struct {
	Summary  []controlSummary    `json:"summary"`
	Outcomes []outcomeJSON       `json:"outcomes"`
	Files    []fileJSON          `json:"files"`
	Errors   []scanner.FileError `json:"errors"`
	Diff     string              `json:"diff,omitempty"`
}

type outcomeJSON struct {
	scanner.Finding
	Status remediate.Status `json:"status"`
	Why    string           `json:"why,omitempty"`
	// Risk is "none" or "review" for a fixed finding (see remedy controls).
	Risk scanner.RiskLevel `json:"risk,omitempty"`
	// Image says what an image-dependent fix was checked against.
	Image *imageCheckJSON `json:"image,omitempty"`
}

type imageCheckJSON struct {
	Image    string `json:"image"`
	Digest   string `json:"digest,omitempty"`
	Verified bool   `json:"verified"`
	Detail   string `json:"detail"`
}

type fileJSON struct {
	File  string      `json:"file"`
	Patch []patchJSON `json:"remediations"`
}

type patchJSON struct {
	Kind      string         `json:"kind"`
	Namespace string         `json:"namespace"`
	Name      string         `json:"name"`
	Patch     []remediate.Op `json:"patch"`
}

func writeFixJSON(w io.Writer, rep *scanner.Report, failed []scanner.FileError, fixes []remediate.FileFix, sum []controlSummary, diff string) error {
	out := fixJSON{Summary: sum, Outcomes: []outcomeJSON{}, Files: []fileJSON{}, Errors: slices.Concat([]scanner.FileError{}, rep.Errors, failed), Diff: diff}
	for _, fx := range fixes {
		for _, oc := range fx.Outcomes {
			oj := outcomeJSON{Finding: oc.Finding, Status: oc.Status, Why: oc.Reason}
			if oc.Status == remediate.StatusFixed {
				oj.Risk = oc.Risk()
			}
			if c := oc.Image; c != nil {
				oj.Image = &imageCheckJSON{Image: c.Image, Digest: c.Digest, Verified: c.Verified, Detail: c.Detail}
			}
			out.Outcomes = append(out.Outcomes, oj)
		}
		if !fx.Changed() {
			continue
		}
		fj := fileJSON{File: fx.File.Path}
		for _, r := range fx.Remediations {
			fj.Patch = append(fj.Patch, patchJSON{Kind: r.Resource.Kind, Namespace: r.Resource.Namespace, Name: r.Resource.Name, Patch: r.Patch})
		}
		out.Files = append(out.Files, fj)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

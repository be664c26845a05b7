package scanner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/internal/parallel"
)

// IgnoreWithoutReasonID is the control reported for a `# remedy:ignore`
// directive that gives no reason: silent suppressions are what reviewers
// cannot audit.
const IgnoreWithoutReasonID = "ignore-without-reason"

// Options control a scan.
type Options struct {
	// Config is the repository config; nil means defaults.
	Config *config.Config
	// Catalog defaults to DefaultCatalog().
	Catalog *Catalog
	// Only restricts the scan to these control IDs (remedy fix --control).
	Only []string
	// Images, when set, is what --resolve-images read for the images of
	// the inputs; fixes that depend on the image are checked against it.
	Images ImageLookup
	// Now is the clock that decides whether an ignore directive's until=
	// has passed; nil means time.Now.
	Now func() time.Time
}

// ScanInputs evaluates every enabled control over every resource in.
// Files are scanned in parallel: controls, and the SourceMap of rendered
// files, must only read the nodes and any state shared between files.
func ScanInputs(in *Inputs, opts Options) *Report {
	cfg := opts.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	cat := opts.Catalog
	if cat == nil {
		cat = DefaultCatalog()
	}
	floor := SeverityLow
	if cfg.Severity != "" {
		floor, _ = ParseSeverity(cfg.Severity)
	}
	pssMinor := cfg.PSSMinor()
	var controls []*Control
	for _, c := range cat.Controls() {
		if c.Check == nil || !cfg.ControlEnabled(c.ID) || c.Severity < floor {
			continue
		}
		if len(opts.Only) > 0 && !slices.Contains(opts.Only, c.ID) {
			continue
		}
		if onlyPSS(c) && c.PSS.Since > pssMinor {
			// A check the followed policy version does not have yet.
			continue
		}
		controls = append(controls, c)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	today := now()
	cc := &CheckContext{ResourceDefaults: cfg.Defaults.ResourceDefaults(), PSSMinor: pssMinor, Images: opts.Images}
	// Controls are pure functions of read-only nodes, so files are scanned
	// in parallel; the sort below makes the order independent of timing.
	perFile := make([][]Finding, len(in.Files))
	parallel.ForEach(len(in.Files), func(i int) {
		f := in.Files[i]
		var out []Finding
		for _, d := range f.Docs {
			for _, r := range d.Resources() {
				for _, c := range controls {
					for _, h := range c.Check(r, cc) {
						f := newFinding(c, r, h, pssMinor)
						noteImage(&f, c, cc)
						out = append(out, f)
					}
				}
			}
		}
		for i := range out {
			suppress(&out[i], today)
			if !out[i].Suppressed && !out[i].Expired {
				accept(&out[i], cfg.Controls.Accept, today)
			}
		}
		if f.Rendered != nil {
			out = append(out, f.Rendered.ignoresWithoutReason(cat, cfg, floor, opts.Only)...)
		}
		out = append(out, ignoresWithoutReason(f, cat, cfg, floor, opts.Only)...)
		// Each file's findings are sorted here, on every core, so that the
		// sort of them all below, stable too, finds runs already in order
		// and gives the same order in a fraction of the time.
		SortFindings(out)
		perFile[i] = out
	})
	rep := &Report{Errors: slices.Concat(in.Errors, ignoreErrors(in, cat)), Skipped: in.Skipped, Findings: mergeRendered(slices.Concat(perFile...))}
	SortFindings(rep.Findings)
	return rep
}

// onlyPSS reports whether a control serves the Pod Security Standards and
// nothing else (no CIS line, no best practice), so that it follows the
// standard's versions as a whole.
func onlyPSS(c *Control) bool {
	if c.PSS == nil {
		return false
	}
	for _, ref := range c.Refs {
		if !strings.HasPrefix(ref, "PSS ") {
			return false
		}
	}
	return true
}

func newFinding(c *Control, r *Resource, h Hit, pssMinor int) Finding {
	f := Finding{
		Control: c.ID, Severity: c.Severity, File: r.File(),
		Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, Container: h.Container,
		Path: h.Path.String(), Message: h.Message,
		Fixable:  c.Fixable && h.NotFixable == "",
		Resource: r, FieldPath: h.Path, NotFixable: h.NotFixable,
	}
	switch {
	case h.PSSLevel != "":
		// The hit knows its level (and that its version has the check).
		f.PSSLevel = h.PSSLevel
	case c.PSS != nil && c.PSS.Since <= pssMinor:
		f.PSSLevel = c.PSS.Level
	}
	if h.Node != nil {
		f.Line, f.Column = h.Node.Line, h.Node.Column
	}
	if f.Message == "" {
		f.Message = c.Title
	}
	if rd := r.Doc.File.Rendered; rd != nil {
		rd.place(&f, r, h)
	}
	return f
}

// suppress applies inline ignore directives: on the finding's line or the
// line above it, or on the resource's `metadata:` line or the line above.
func suppress(f *Finding, today time.Time) {
	if f.Resource == nil {
		return
	}
	if rd := f.Resource.Doc.File.Rendered; rd != nil {
		rd.suppress(f, today)
		return
	}
	ignores := f.Resource.Doc.File.IgnoreLines
	if len(ignores) == 0 {
		return
	}
	lines := []int{f.Line, f.Line - 1}
	if k, _ := FieldPair(f.Resource.Node.YNode(), "metadata"); k != nil {
		lines = append(lines, k.Line, k.Line-1)
	}
	for _, l := range lines {
		ig, ok := ignores[l]
		if !ok || ig.Reason == "" || !slices.Contains(ig.Controls, f.Control) {
			continue
		}
		applyIgnore(f, ig, today)
		return
	}
}

// applyIgnore suppresses f by ig, unless ig's until= day has passed: an
// accepted risk that expired is active again, and says so.
func applyIgnore(f *Finding, ig Ignore, today time.Time) {
	f.Reason = ig.Reason
	if !ig.Until.IsZero() {
		f.Until = ig.Until.Format(time.DateOnly)
	}
	if ig.Expired(today) {
		f.Expired = true
		return
	}
	f.Suppressed = true
}

// accept applies the config's accepted risks (controls.accept) to a
// finding no ignore comment matched, with the same expiry.
func accept(f *Finding, accepted []config.Accepted, today time.Time) {
	for _, a := range accepted {
		if a.Control == f.Control {
			applyIgnore(f, Ignore{Controls: []string{a.Control}, Reason: a.Reason, Until: a.UntilDate()}, today)
			return
		}
	}
}

// ignoreErrors reports the ignore directives of the inputs (files as
// written and the sources of rendered ones) that name a control the
// catalog does not know, or carry an until= that is not a date: a typo
// must not silently suppress nothing. Each directive is reported once.
func ignoreErrors(in *Inputs, cat *Catalog) []FileError {
	var files []*SourceFile
	for _, f := range in.Files {
		files = append(files, f)
		if f.Rendered != nil {
			for _, src := range f.Rendered.Sources {
				files = append(files, src)
			}
		}
	}
	seen := map[string]bool{}
	var out []FileError
	for _, f := range files {
		if f == nil || len(f.IgnoreLines) == 0 || seen[f.Path] {
			continue
		}
		seen[f.Path] = true
		lines := make([]int, 0, len(f.IgnoreLines))
		for l := range f.IgnoreLines {
			lines = append(lines, l)
		}
		slices.Sort(lines)
		for _, l := range lines {
			ig := f.IgnoreLines[l]
			for _, id := range ig.Controls {
				if cat.Get(id) == nil {
					msg := fmt.Sprintf("remedy:ignore: unknown control %q (remedy controls lists them)", id)
					if s := config.Suggest(id, cat.IDs()); s != "" {
						msg += fmt.Sprintf("; did you mean %q?", s)
					}
					out = append(out, FileError{File: f.Path, Line: l, Message: msg})
				}
			}
			if ig.BadUntil != "" {
				out = append(out, FileError{File: f.Path, Line: l, Message: fmt.Sprintf("remedy:ignore: until=%s: want a date, YYYY-MM-DD", ig.BadUntil)})
			}
		}
	}
	return out
}

func ignoresWithoutReason(f *SourceFile, cat *Catalog, cfg *config.Config, floor Severity, only []string) []Finding {
	c := cat.Get(IgnoreWithoutReasonID)
	if c == nil || len(f.IgnoreLines) == 0 || !cfg.ControlEnabled(c.ID) || c.Severity < floor {
		return nil
	}
	if len(only) > 0 && !slices.Contains(only, c.ID) {
		return nil
	}
	var out []Finding
	for _, ig := range f.IgnoreLines {
		if ig.Reason != "" {
			continue
		}
		out = append(out, Finding{
			Control: c.ID, Severity: c.Severity, File: f.Path, Line: ig.Line, Column: 1,
			Message: "remedy:ignore " + strings.Join(ig.Controls, ",") + " gives no reason; it suppresses nothing until it does",
		})
	}
	return out
}

// SortFindings orders findings by file, position, then control.
func SortFindings(fs []Finding) { slices.SortStableFunc(fs, CompareFindings) }

package scanner

import (
	"slices"
	"strings"

	"github.com/remedy-bot/remedy/config"
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
	cc := &CheckContext{ResourceDefaults: cfg.Defaults.ResourceDefaults(), PSSMinor: pssMinor, Images: opts.Images}
	// Controls are pure functions of read-only nodes, so files are scanned
	// in parallel; the sort below makes the order independent of timing.
	perFile := make([][]Finding, len(in.Files))
	forEachParallel(len(in.Files), func(i int) {
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
			suppress(&out[i])
		}
		if f.Rendered != nil {
			out = append(out, f.Rendered.ignoresWithoutReason(cat, cfg, floor, opts.Only)...)
		}
		perFile[i] = append(out, ignoresWithoutReason(f, cat, cfg, floor, opts.Only)...)
	})
	rep := &Report{Errors: in.Errors, Skipped: in.Skipped, Findings: mergeRendered(slices.Concat(perFile...))}
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
func suppress(f *Finding) {
	if f.Resource == nil {
		return
	}
	if rd := f.Resource.Doc.File.Rendered; rd != nil {
		rd.suppress(f)
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
		f.Suppressed, f.Reason = true, ig.Reason
		return
	}
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

package remediate

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"slices"
	"sync"

	"github.com/remedy-bot/remedy/internal/parallel"
	"github.com/remedy-bot/remedy/scanner"
)

// Status is what became of a finding in a fix run.
type Status string

// Statuses of an Outcome.
const (
	StatusFixed      Status = "fixed"
	StatusNotFixable Status = "not-fixable"
	StatusIgnored    Status = "ignored"
)

// Outcome is what a fix run did about one finding.
type Outcome struct {
	Finding scanner.Finding
	Status  Status
	Reason  string
	// Image, for a fix whose safety depends on the container's image, says
	// what was checked against it (nil for other fixes).
	Image *ImageCheck
}

// FileFix is the fix of one file: its bytes before and after (After equals
// Before when nothing changed), the remediations applied, and every
// finding's outcome.
type FileFix struct {
	File          *scanner.SourceFile
	Before, After []byte
	Remediations  []Remediation
	Outcomes      []Outcome
}

// Changed reports whether the fix edits the file.
func (f FileFix) Changed() bool { return !bytes.Equal(f.Before, f.After) }

// FixReport fixes every file of a scan report. Files without fixable
// findings are returned with After == Before.
func FixReport(in *scanner.Inputs, rep *scanner.Report, opts Options, scan scanner.Options) []FileFix {
	return FixReportContext(context.Background(), in, rep, opts, scan)
}

// FixReportContext is FixReport that stops between files once ctx is
// done; the files not reached are left out of the result. Files are fixed
// in parallel; the result is in input order regardless.
func FixReportContext(ctx context.Context, in *scanner.Inputs, rep *scanner.Report, opts Options, scan scanner.Options) []FileFix {
	byFile := map[string][]scanner.Finding{}
	var rendered []scanner.Finding
	for _, f := range rep.Findings {
		// Findings of Kustomize and Helm output are fixed where they are
		// written, which the rendered file is not (source.go).
		if f.IsRendered() {
			rendered = append(rendered, f)
			continue
		}
		byFile[f.File] = append(byFile[f.File], f)
	}
	var files []*scanner.SourceFile
	for _, file := range in.Files {
		if len(byFile[file.Path]) > 0 && file.Rendered == nil {
			files = append(files, file)
		}
	}
	// Files as written are fixed on every core, beside the rendered
	// fixes (whose sources are never files as written: render.Load takes
	// what a build consumed out of the inputs); results are taken in
	// order.
	fixes := make([]*FileFix, len(files))
	var renderedFixes []FileFix
	var wg sync.WaitGroup
	if len(rendered) > 0 && ctx.Err() == nil {
		wg.Go(func() { renderedFixes = fixRendered(in, rendered, opts, scan) })
	}
	parallel.ForEach(len(files), func(i int) {
		if ctx.Err() == nil {
			ff := FixFile(files[i], byFile[files[i].Path], opts, scan)
			fixes[i] = &ff
		}
	})
	wg.Wait()
	var out []FileFix
	for _, ff := range fixes {
		if ff != nil {
			out = append(out, *ff)
		}
	}
	return append(out, renderedFixes...)
}

// candidate is a fixable finding with the operations that fix it.
type candidate struct {
	finding scanner.Finding
	ops     []Op // relative to the document root
}

// FixFile computes, applies and verifies the fixes of one file's findings.
func FixFile(file *scanner.SourceFile, findings []scanner.Finding, opts Options, scan scanner.Options) FileFix {
	ff := FileFix{File: file, Before: file.Bytes, After: file.Bytes}
	if file.Encoding != "" {
		return refuseEncoded(ff, findings)
	}
	var cands []candidate
	fixes := fixers()
	builders := map[*scanner.Resource]*patchBuilder{}
	for _, f := range findings {
		switch {
		case f.Suppressed:
			ff.Outcomes = append(ff.Outcomes, Outcome{Finding: f, Status: StatusIgnored, Reason: f.Reason})
			continue
		case !f.Fixable:
			reason := f.NotFixable
			if reason == "" {
				reason = "report-only control: fix by hand"
			}
			ff.Outcomes = append(ff.Outcomes, Outcome{Finding: f, Status: StatusNotFixable, Reason: reason})
			continue
		}
		ops, err := planFinding(builders, fixes, f, opts)
		if err != nil {
			ff.Outcomes = append(ff.Outcomes, Outcome{Finding: f, Status: StatusNotFixable, Reason: reasonOf(err)})
			continue
		}
		cands = append(cands, candidate{finding: f, ops: ops})
	}
	accepted, after, refusals := applyCandidates(file, cands, scan)
	ff.Outcomes = append(ff.Outcomes, refusals...)
	ff.After = after
	byRes := map[*scanner.Resource]int{}
	for _, c := range accepted {
		ff.Outcomes = append(ff.Outcomes, fixedOutcome(builders, c.finding))
		i, ok := byRes[c.finding.Resource]
		if !ok {
			i = len(ff.Remediations)
			byRes[c.finding.Resource] = i
			ff.Remediations = append(ff.Remediations, Remediation{Resource: c.finding.Resource})
		}
		rem := &ff.Remediations[i]
		rem.Findings = append(rem.Findings, c.finding)
		base := c.finding.Resource.Base.Pointer()
		for _, op := range c.ops {
			op.Path = op.Path[len(base):]
			rem.Patch = append(rem.Patch, op)
		}
	}
	for i := range ff.Remediations {
		ff.Remediations[i].Patch = coalesce(ff.Remediations[i].Patch)
	}
	sortOutcomes(ff.Outcomes)
	return ff
}

// refuseEncoded is the fix of a UTF-16 or UTF-32 file: none. Splicing
// the decoded text and encoding it back would work, but neither the
// --dry-run patch (git treats such a file as binary) nor a pull request's
// diff would show the change, so such a file is reported and left to be
// converted to UTF-8 by hand.
func refuseEncoded(ff FileFix, findings []scanner.Finding) FileFix {
	reason := EncodingRefusal(ff.File.Encoding)
	for _, f := range findings {
		if f.Suppressed {
			ff.Outcomes = append(ff.Outcomes, Outcome{Finding: f, Status: StatusIgnored, Reason: f.Reason})
			continue
		}
		ff.Outcomes = append(ff.Outcomes, Outcome{Finding: f, Status: StatusNotFixable, Reason: reason})
	}
	sortOutcomes(ff.Outcomes)
	return ff
}

// EncodingRefusal is why a file in encoding (SourceFile.Encoding) is not
// fixed.
func EncodingRefusal(encoding string) string {
	return "file is " + encoding + "; remedy fixes UTF-8 files only (convert it to UTF-8 to have it fixed)"
}

func reasonOf(err error) string {
	if r, ok := err.(*RefusedError); ok {
		return r.Reason
	}
	return err.Error()
}

// planFinding returns the operations (document-relative) for one finding,
// computed against the resource as already patched by earlier findings.
func planFinding(builders map[*scanner.Resource]*patchBuilder, fixes map[string]fixer, f scanner.Finding, opts Options) ([]Op, error) {
	fix := fixes[f.Control]
	if fix == nil || f.Resource == nil {
		return nil, refuse("no automatic fix for %s", f.Control)
	}
	b := builders[f.Resource]
	if b == nil {
		ps := scanner.PodSpecOf(f.Resource)
		if ps == nil {
			return nil, refuse("%s has no pod template", f.Resource.Kind)
		}
		obj, err := nodeJSON(f.Resource.Node.YNode())
		if err != nil {
			return nil, err
		}
		if b, err = newPatchBuilder(obj); err != nil {
			return nil, err
		}
		b.pod = newPodTemplate(ps)
		builders[f.Resource] = b
	}
	ps := b.pod
	n := len(b.ops)
	b.track()
	if err := fix(b, f, ps, opts); err != nil {
		b.rollback()
		b.ops = b.ops[:n]
		return nil, err
	}
	b.commit()
	base := f.Resource.Base.Pointer()
	ops := make([]Op, 0, len(b.ops)-n)
	for _, op := range b.ops[n:] {
		op.Path = base + op.Path
		ops = append(ops, op)
	}
	return ops, nil
}

// applyCandidates edits the file with every candidate's operations. When a
// document refuses the whole set, candidates are retried one by one so that
// one unsafe edit does not block the others. The result is then re-parsed
// and rescanned: targeted findings must be gone and no new ones appear.
func applyCandidates(file *scanner.SourceFile, cands []candidate, scan scanner.Options) ([]candidate, []byte, []Outcome) {
	var refused []Outcome
	known := fingerprints(file, scan)
	for attempt := 0; attempt < 3; attempt++ {
		accepted, after, docRefusals := editDocuments(file, cands)
		refused = append(refused, docRefusals...)
		if len(accepted) == 0 {
			return nil, file.Bytes, refused
		}
		stale, err := verifyRescan(file, after, accepted, known, scan)
		if err != nil {
			for _, c := range accepted {
				refused = append(refused, Outcome{Finding: c.finding, Status: StatusNotFixable, Reason: err.Error()})
			}
			return nil, file.Bytes, refused
		}
		if len(stale) == 0 {
			return accepted, after, refused
		}
		cands = cands[:0]
		for _, c := range accepted {
			if stale[c.finding.Fingerprint()] {
				refused = append(refused, Outcome{Finding: c.finding, Status: StatusNotFixable, Reason: "the rescan still reports it after the edit"})
				continue
			}
			cands = append(cands, c)
		}
	}
	return nil, file.Bytes, append(refused, outcomesOf(cands, "the fix did not converge")...)
}

func outcomesOf(cands []candidate, reason string) []Outcome {
	out := make([]Outcome, len(cands))
	for i, c := range cands {
		out[i] = Outcome{Finding: c.finding, Status: StatusNotFixable, Reason: reason}
	}
	return out
}

// editDocuments applies candidates document by document.
func editDocuments(file *scanner.SourceFile, cands []candidate) ([]candidate, []byte, []Outcome) {
	byDoc := map[*scanner.Document][]candidate{}
	for _, c := range cands {
		d := c.finding.Resource.Doc
		byDoc[d] = append(byDoc[d], c)
	}
	var accepted []candidate
	var refused []Outcome
	var out bytes.Buffer
	prev := 0
	for _, d := range file.Docs {
		dc := byDoc[d]
		if len(dc) == 0 {
			continue
		}
		edited, ok, rej := editDocument(d.Bytes(), dc)
		refused = append(refused, rej...)
		accepted = append(accepted, ok...)
		out.Write(file.Bytes[prev:d.Start])
		out.Write(edited)
		prev = d.End
	}
	out.Write(file.Bytes[prev:])
	return accepted, out.Bytes(), refused
}

// editDocument tries all candidates at once, then one by one.
func editDocument(src []byte, cands []candidate) ([]byte, []candidate, []Outcome) {
	all := make([]Op, 0, len(cands))
	for _, c := range cands {
		all = append(all, c.ops...)
	}
	if out, err := EditDocument(src, coalesce(all)); err == nil {
		return out, cands, nil
	}
	var ok []candidate
	var refused []Outcome
	var ops []Op
	cur := src
	for _, c := range cands {
		next, err := EditDocument(src, append(append([]Op{}, ops...), c.ops...))
		if err != nil {
			refused = append(refused, Outcome{Finding: c.finding, Status: StatusNotFixable, Reason: reasonOf(err)})
			continue
		}
		ops = append(ops, c.ops...)
		ok = append(ok, c)
		cur = next
	}
	return cur, ok, refused
}

// fingerprints returns the fingerprints of every finding of file under
// every control, the baseline a rescan is compared with.
func fingerprints(file *scanner.SourceFile, opts scanner.Options) map[string]bool {
	opts.Only = nil
	rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{file}}, opts)
	known := make(map[string]bool, 2*len(rep.Findings))
	for _, f := range rep.Findings {
		remember(known, f)
	}
	return known
}

// remember records a finding in a rescan baseline under its fingerprint
// and its shiftKey.
func remember(known map[string]bool, f scanner.Finding) {
	known[f.Fingerprint()] = true
	known[shiftKey(f)] = true
}

// isKnown reports whether a finding of a rescan was in the baseline.
func isKnown(known map[string]bool, f scanner.Finding) bool {
	return known[f.Fingerprint()] || known[shiftKey(f)]
}

var sequenceIndex = regexp.MustCompile(`\[[0-9]+\]`)

// shiftKey identifies a finding up to the positions of list items. Removing
// an entry of a list (capabilities.add) moves the entries after it, so
// their unchanged findings get new paths and fingerprints; they are not
// new findings. The message, which names the entry, keeps them apart.
func shiftKey(f scanner.Finding) string {
	f.Path = sequenceIndex.ReplaceAllString(f.Path, "[]")
	return "shift\x00" + f.Fingerprint() + "\x00" + f.Message
}

// verifyRescan parses and rescans the edited file. It returns the
// fingerprints of targeted findings that are still reported; an error when
// the file no longer parses or the edit introduced a finding that known
// (the original file's) does not have.
func verifyRescan(file *scanner.SourceFile, after []byte, accepted []candidate, known map[string]bool, opts scanner.Options) (map[string]bool, error) {
	edited, errs := scanner.ParseFile(file.Path, after)
	if len(errs) > 0 {
		return nil, fmt.Errorf("the edited file does not parse: %s", errs[0].Error())
	}
	edited.Abs, edited.Mode = file.Abs, file.Mode
	opts.Only = nil
	now := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{edited}}, opts)
	current := map[string]bool{}
	for _, f := range now.Findings {
		fp := f.Fingerprint()
		if !isKnown(known, f) {
			return nil, fmt.Errorf("the edit would introduce a new finding: %s at line %d", f.Control, f.Line)
		}
		current[fp] = true
	}
	stale := map[string]bool{}
	for _, c := range accepted {
		if fp := c.finding.Fingerprint(); current[fp] {
			stale[fp] = true
		}
	}
	return stale, nil
}

func sortOutcomes(os []Outcome) {
	slices.SortStableFunc(os, func(a, b Outcome) int { return scanner.CompareFindings(a.Finding, b.Finding) })
}

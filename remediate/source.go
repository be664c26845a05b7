package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
	"github.com/remedy-bot/remedy/internal/parallel"
	"github.com/remedy-bot/remedy/scanner"
)

// sourceTracer is what a fix at the source needs of a build's source map
// (scanner/kustomize and scanner/helm implement it): where a rendered
// field is written, and the build run again over edited sources.
type sourceTracer interface {
	// Trace returns where the field at pointer (RFC 6901, relative to the
	// object) of the rendered object r is written, or, when it is missing,
	// where it could be written, best first.
	Trace(r *scanner.Resource, pointer string) ([]scanner.WrittenAt, error)
	// Rerender builds again with the sources at the given scan-root-relative
	// paths replaced.
	Rerender(replace map[string][]byte) (*scanner.SourceFile, error)
}

// sourceEdit is the operations on a document of a source file that
// write one rendered operation there.
type sourceEdit struct {
	at  scanner.WrittenAt
	ops []Op // relative to the document at `at`
}

// renderedCandidate is a fixable finding of rendered output with the
// operations that fix it in the rendered object, and the ways to write them
// at the source, best first.
type renderedCandidate struct {
	finding scanner.Finding
	ops     []Op
	plans   [][]sourceEdit
}

// fixRendered fixes findings of rendered output (Kustomize, Helm) where
// they are written. Each fix is planned against the rendered object, as
// for any file, then each operation is moved to the source that writes
// (or would hold) the field: the base resource when no overlay overrides
// it, the patch that set the value, the line of values.yaml. The edited
// sources are verified by building again every output that reads them: the
// fixed findings must be gone, no new finding may appear, and every
// rendered object must equal the object before with the planned patch
// applied — nothing else in the output may change. A fix that fails is
// tried at its next place, then reported "not fixable here".
func fixRendered(in *scanner.Inputs, findings []scanner.Finding, opts Options, scan scanner.Options) []FileFix {
	fx := &renderedFix{
		opts: opts, scan: scan, builders: map[*scanner.Resource]*patchBuilder{},
		oldScans: map[*scanner.SourceFile]*scanner.Report{}, files: map[string]*scanner.SourceFile{},
	}
	for _, f := range in.Files {
		if f.Rendered != nil {
			fx.outputs = append(fx.outputs, f)
		}
	}
	var outcomes []Outcome
	var cands []*renderedCandidate
	fixes := fixers()
	for _, f := range findings {
		switch {
		case f.Suppressed:
			outcomes = append(outcomes, Outcome{Finding: f, Status: StatusIgnored, Reason: f.Reason})
			continue
		case !f.Fixable:
			reason := f.NotFixable
			if reason == "" {
				reason = "report-only control: fix by hand"
			}
			outcomes = append(outcomes, Outcome{Finding: f, Status: StatusNotFixable, Reason: reason})
			continue
		}
		c, err := fx.plan(fixes, f)
		if err != nil {
			outcomes = append(outcomes, Outcome{Finding: f, Status: StatusNotFixable, Reason: reasonOf(err)})
			continue
		}
		cands = append(cands, c)
	}
	accepted, after, refused := fx.apply(cands)
	outcomes = append(outcomes, refused...)
	for _, c := range accepted {
		outcomes = append(outcomes, fixedOutcome(fx.builders, c.finding))
	}
	return fx.fileFixes(outcomes, accepted, after)
}

// renderedFix is the state of one fixRendered run.
type renderedFix struct {
	opts     Options
	scan     scanner.Options
	builders map[*scanner.Resource]*patchBuilder
	// outputs are the rendered files of the inputs.
	outputs []*scanner.SourceFile
	// oldScans are the scans, under every control, of rendered outputs.
	oldScans map[*scanner.SourceFile]*scanner.Report
	// files are the source files by path.
	files map[string]*scanner.SourceFile
	// chosen says which plan of each candidate the last apply used.
	chosen map[*renderedCandidate]int
}

// plan computes a finding's operations on its rendered object and the
// places to write them.
func (fx *renderedFix) plan(fixes map[string]fixer, f scanner.Finding) (*renderedCandidate, error) {
	rd := scanner.RenderedOf(f)
	tr, ok := rd.Map.(sourceTracer)
	if !ok {
		return nil, refuse("the %s output of %s cannot be traced to its sources", rd.Tool, rd.Root)
	}
	// A finding whose operations cannot be written at the source leaves
	// the planned object as it was, for the next finding of the object.
	b, existed := fx.builders[f.Resource]
	var snapshot any
	var n int
	if existed {
		snapshot, n = clone(b.doc), len(b.ops)
	}
	undo := func() {
		if existed {
			b.doc, b.ops = snapshot, b.ops[:n]
		} else {
			delete(fx.builders, f.Resource)
		}
	}
	ops, err := planFinding(fx.builders, fixes, f, fx.opts)
	if err != nil {
		return nil, err
	}
	c := &renderedCandidate{finding: f, ops: ops}
	var alternatives [][]sourceEdit
	for _, op := range ops {
		edits, err := translateOp(tr, f.Resource, op)
		if err != nil {
			undo()
			return nil, refuse("%s", err.Error())
		}
		for _, e := range edits {
			fx.files[e.at.File.Path] = e.at.File
		}
		alternatives = append(alternatives, edits)
	}
	most := 0
	for _, a := range alternatives {
		most = max(most, len(a))
	}
	for i := 0; i < most; i++ {
		var p []sourceEdit
		for _, a := range alternatives {
			p = append(p, a[min(i, len(a)-1)])
		}
		c.plans = append(c.plans, p)
	}
	if len(c.plans) == 0 {
		// An earlier finding's fix of the same object fixes this one too
		// (one pod-level seccompProfile for two containers): the rebuild
		// must show it gone like any other.
		c.plans = [][]sourceEdit{nil}
	}
	return c, nil
}

// translateOp moves one operation on a rendered object to the places that
// write the field, best first.
func translateOp(tr sourceTracer, r *scanner.Resource, op Op) ([]sourceEdit, error) {
	tokens, err := opTokens(op.Path)
	if err != nil {
		return nil, err
	}
	target := op.Path
	appendItem := tokens[len(tokens)-1] == "-"
	if appendItem {
		target = op.Path[:strings.LastIndex(op.Path, "/")]
	}
	ws, err := tr.Trace(r, target)
	if err != nil {
		return nil, err
	}
	var out []sourceEdit
	for _, w := range ws {
		e := sourceEdit{at: w}
		m, isMap := op.Value.(map[string]any)
		switch {
		case w.SetValue:
			if len(w.Missing) > 0 {
				continue
			}
			e.ops = []Op{{Op: "replace", Path: w.Pointer, Value: w.Set}}
		case appendItem:
			if len(w.Missing) > 0 {
				continue
			}
			e.ops = []Op{{Op: "add", Path: w.Pointer + "/-", Value: op.Value}}
		case op.Op == "remove":
			if len(w.Missing) > 0 {
				continue
			}
			e.ops = []Op{{Op: "remove", Path: w.Pointer}}
		case w.Merge && isMap && len(w.Missing) == 0:
			keys := make([]string, 0, len(m))
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				e.ops = append(e.ops, Op{Op: "add", Path: w.Pointer + "/" + jsonpointer.Escape(k), Value: m[k]})
			}
		case len(w.Missing) == 0:
			e.ops = []Op{{Op: "replace", Path: w.Pointer, Value: op.Value}}
		default:
			v := op.Value
			for i := len(w.Missing) - 1; i >= 1; i-- {
				v = map[string]any{w.Missing[i]: v}
			}
			e.ops = []Op{{Op: "add", Path: w.Pointer + "/" + jsonpointer.Escape(w.Missing[0]), Value: v}}
		}
		for _, o := range e.ops {
			if o.Path == "" {
				return nil, fmt.Errorf("%s would replace a whole document", op.Path)
			}
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no source writes %s", op.Path)
	}
	return out, nil
}

// stillReported is the reason a candidate is refused when the rebuilt
// output still reports its finding.
const stillReported = "the rebuilt output still reports it after the edit"

// apply writes the candidates to their sources and verifies the result;
// it returns the candidates kept, the edited sources by path, and the
// outcomes of the refused. All candidates are tried at once first; when
// the result fails verification in a way that names no finding, they are
// tried one by one, each at its places in turn.
func (fx *renderedFix) apply(cands []*renderedCandidate) ([]*renderedCandidate, map[string][]byte, []Outcome) {
	fx.chosen = map[*renderedCandidate]int{}
	left, edited, refused := fx.applyTogether(cands)
	if edited != nil {
		return left, edited, refused
	}
	accepted, edited, more := fx.applyOneByOne(left)
	return accepted, edited, append(refused, more...)
}

// applyTogether writes all candidates at once, at most three times, each
// time without those refused or still reported by the last. It returns
// the candidates left, the edited sources when a write passed
// verification (nil otherwise: the candidates left are for
// applyOneByOne), and the outcomes of the refused.
func (fx *renderedFix) applyTogether(cands []*renderedCandidate) ([]*renderedCandidate, map[string][]byte, []Outcome) {
	left := cands
	var refused []Outcome
	for attempt := 0; attempt < 3 && len(left) > 0; attempt++ {
		edited, rej, err := fx.write(left)
		refused = append(refused, rej...)
		left = dropRefused(left, rej)
		if err != nil || len(left) == 0 {
			break
		}
		stale, err := fx.verify(left, edited)
		if err != nil {
			break
		}
		if len(stale) == 0 {
			return left, edited, refused
		}
		var keep []*renderedCandidate
		for _, c := range left {
			if stale[c.finding.Fingerprint()] {
				refused = append(refused, Outcome{Finding: c.finding, Status: StatusNotFixable, Reason: stillReported})
				continue
			}
			keep = append(keep, c)
		}
		left = keep
	}
	return left, nil, refused
}

// applyOneByOne adds the candidates one at a time to those accepted, each
// at its places in turn, keeping the first place whose write verifies.
func (fx *renderedFix) applyOneByOne(cands []*renderedCandidate) ([]*renderedCandidate, map[string][]byte, []Outcome) {
	var edited map[string][]byte
	accepted, failed := oneByOne(cands, func(try []*renderedCandidate) error {
		c := try[len(try)-1]
		var lastErr error
		for i := range c.plans {
			fx.chosen[c] = i
			e, err := fx.writeVerified(try)
			if err == nil {
				edited = e
				return nil
			}
			lastErr = err
		}
		return lastErr
	})
	var refused []Outcome
	for _, f := range failed {
		refused = append(refused, Outcome{Finding: f.cand.finding, Status: StatusNotFixable, Reason: reasonOf(f.err)})
		delete(fx.chosen, f.cand)
	}
	return accepted, edited, refused
}

// writeVerified writes the candidates at their chosen places and verifies
// the result; any refusal, an empty write or a finding still reported is
// an error.
func (fx *renderedFix) writeVerified(cands []*renderedCandidate) (map[string][]byte, error) {
	edited, rej, err := fx.write(cands)
	if err != nil {
		return nil, err
	}
	if len(rej) > 0 {
		return nil, errors.New(rej[0].Reason)
	}
	if len(edited) == 0 {
		return nil, refuse("nothing to change")
	}
	stale, err := fx.verify(cands, edited)
	if err != nil {
		return nil, err
	}
	if len(stale) > 0 {
		return nil, errors.New(stillReported)
	}
	return edited, nil
}

// refusal is a candidate that oneByOne could not add, and why.
type refusal struct {
	cand *renderedCandidate
	err  error
}

// oneByOne adds the candidates in order to those kept so far, keeping each
// that try accepts together with them: the one-by-one retry, so that one
// refusal does not block the rest. try gets a slice of its own.
func oneByOne(cands []*renderedCandidate, try func([]*renderedCandidate) error) ([]*renderedCandidate, []refusal) {
	var kept []*renderedCandidate
	var refused []refusal
	for _, c := range cands {
		next := append(slices.Clone(kept), c)
		if err := try(next); err != nil {
			refused = append(refused, refusal{cand: c, err: err})
			continue
		}
		kept = next
	}
	return kept, refused
}

func dropRefused(cands []*renderedCandidate, refused []Outcome) []*renderedCandidate {
	if len(refused) == 0 {
		return cands
	}
	gone := map[string]bool{}
	for _, o := range refused {
		gone[o.Finding.Fingerprint()] = true
	}
	var out []*renderedCandidate
	for _, c := range cands {
		if !gone[c.finding.Fingerprint()] {
			out = append(out, c)
		}
	}
	return out
}

// region is a document of a source file, as WrittenAt names it.
type region struct {
	file       string
	start, end int
	indent     int
}

// write edits the sources with the chosen plan of every candidate and
// returns the new bytes of each edited file. A region that refuses the
// whole set is retried candidate by candidate, and the candidates it still
// refuses are returned as outcomes.
func (fx *renderedFix) write(cands []*renderedCandidate) (map[string][]byte, []Outcome, error) {
	regions, byRegion := fx.regionsOf(cands)
	var refused []Outcome
	refusedSet := map[*renderedCandidate]bool{}
	splices := map[string][]splice{}
	for _, rg := range regions {
		text, failed, err := fx.writeRegion(rg, byRegion[rg])
		for _, f := range failed {
			if !refusedSet[f.cand] {
				refusedSet[f.cand] = true
				refused = append(refused, Outcome{Finding: f.cand.finding, Status: StatusNotFixable, Reason: reasonOf(f.err)})
			}
		}
		if err != nil {
			return nil, refused, err
		}
		splices[rg.file] = append(splices[rg.file], splice{start: rg.start, end: rg.end, text: string(text)})
	}
	if len(refusedSet) > 0 {
		// Candidates refused in one region must not stay half-applied in
		// another: write again without them.
		var keep []*renderedCandidate
		for _, c := range cands {
			if !refusedSet[c] {
				keep = append(keep, c)
			}
		}
		if len(keep) == 0 {
			return map[string][]byte{}, refused, nil
		}
		edited, more, err := fx.write(keep)
		return edited, append(refused, more...), err
	}
	out := map[string][]byte{}
	for file, sps := range splices {
		b, err := applySplices(fx.files[file].Bytes, sps)
		if err != nil {
			return nil, refused, fmt.Errorf("%s: %w", file, err)
		}
		out[file] = b
	}
	return out, refused, nil
}

// regionsOf groups the candidates by the regions their chosen plans edit,
// the regions in file and byte order.
func (fx *renderedFix) regionsOf(cands []*renderedCandidate) ([]region, map[region][]*renderedCandidate) {
	byRegion := map[region][]*renderedCandidate{}
	var regions []region
	for _, c := range cands {
		seen := map[region]bool{}
		for _, e := range c.plans[fx.chosen[c]] {
			rg := region{file: e.at.File.Path, start: e.at.Start, end: e.at.End, indent: e.at.Indent}
			if seen[rg] {
				continue
			}
			seen[rg] = true
			if byRegion[rg] == nil {
				regions = append(regions, rg)
			}
			byRegion[rg] = append(byRegion[rg], c)
		}
	}
	sort.Slice(regions, func(i, j int) bool {
		if regions[i].file != regions[j].file {
			return regions[i].file < regions[j].file
		}
		return regions[i].start < regions[j].start
	})
	return regions, byRegion
}

// writeRegion returns the new text of one region with the operations of
// every candidate written there. When the set is refused, the candidates
// are added one by one, and those refused are returned with the text of
// the rest.
func (fx *renderedFix) writeRegion(rg region, cands []*renderedCandidate) ([]byte, []refusal, error) {
	src := fx.files[rg.file].Bytes[rg.start:rg.end]
	edit := func(cs []*renderedCandidate) ([]byte, error) {
		return editSourceRegion(rg.file, src, rg.indent, fx.regionOps(rg, cs))
	}
	if text, err := edit(cands); err == nil {
		return text, nil, nil
	}
	ok, failed := oneByOne(cands, func(try []*renderedCandidate) error {
		_, err := edit(try)
		return err
	})
	text, err := edit(ok)
	return text, failed, err
}

// regionOps returns the operations the candidates' chosen plans write in
// the region, merged and coalesced.
func (fx *renderedFix) regionOps(rg region, cands []*renderedCandidate) []Op {
	var out []Op
	for _, c := range cands {
		for _, e := range c.plans[fx.chosen[c]] {
			if e.at.File.Path == rg.file && e.at.Start == rg.start && e.at.End == rg.end {
				out = append(out, e.ops...)
			}
		}
	}
	return coalesce(mergeAdds(out))
}

// mergeAdds folds an add of a mapping into an earlier add of a mapping at
// the same path: two fixes that each create a container's securityContext
// create one.
func mergeAdds(ops []Op) []Op {
	var out []Op
	for _, op := range ops {
		merged := false
		if m, ok := op.Value.(map[string]any); ok && op.Op == "add" {
			for i := range out {
				if prev, ok := out[i].Value.(map[string]any); ok && out[i].Op == "add" && out[i].Path == op.Path {
					out[i].Value = mergeMaps(prev, m)
					merged = true
					break
				}
			}
		}
		if !merged {
			out = append(out, op)
		}
	}
	return out
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if am, ok := out[k].(map[string]any); ok {
			if bm, ok := v.(map[string]any); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// editRegion applies ops to the document held by src, whose lines all
// carry indent columns that are not the document's own (an inline patch
// in a kustomization): they are cut off for the edit and put back on the
// lines the edit wrote; lines it kept are kept byte for byte.
func editRegion(src []byte, indent int, ops []Op) ([]byte, error) {
	if indent == 0 {
		return EditDocument(src, ops)
	}
	lines := bytes.SplitAfter(src, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	var doc bytes.Buffer
	dedented := make([][]byte, len(lines))
	for i, l := range lines {
		n := 0
		for n < indent && n < len(l) && l[n] == ' ' {
			n++
		}
		if n < indent && len(bytes.TrimSpace(l)) > 0 {
			return nil, refuse("the inline patch's lines are not evenly indented")
		}
		dedented[i] = l[n:]
		doc.Write(l[n:])
	}
	edited, err := EditDocument(doc.Bytes(), ops)
	if err != nil {
		return nil, err
	}
	out := bytes.SplitAfter(edited, []byte("\n"))
	if len(out) > 0 && len(out[len(out)-1]) == 0 {
		out = out[:len(out)-1]
	}
	// Lines before the first change and after the last are the original's.
	pre := 0
	for pre < len(out) && pre < len(dedented) && bytes.Equal(out[pre], dedented[pre]) {
		pre++
	}
	suf := 0
	for suf < len(out)-pre && suf < len(dedented)-pre && bytes.Equal(out[len(out)-1-suf], dedented[len(dedented)-1-suf]) {
		suf++
	}
	var b bytes.Buffer
	for _, l := range lines[:pre] {
		b.Write(l)
	}
	pad := bytes.Repeat([]byte{' '}, indent)
	for _, l := range out[pre : len(out)-suf] {
		if len(bytes.TrimSpace(l)) > 0 {
			b.Write(pad)
		}
		b.Write(l)
	}
	for _, l := range lines[len(lines)-suf:] {
		b.Write(l)
	}
	return b.Bytes(), nil
}

// verify builds again every output that reads an edited file and checks
// it. It returns the fingerprints of targeted findings that are still
// reported, or an error when the output no longer builds, a new finding
// appears, or an object changed other than by the planned patch.
func (fx *renderedFix) verify(cands []*renderedCandidate, edited map[string][]byte) (map[string]bool, error) {
	targeted := map[string]bool{}
	for _, c := range cands {
		targeted[c.finding.Fingerprint()] = true
	}
	stale := map[string]bool{}
	rebuilt := rerender(fx.outputs, edited)
	for i, out := range fx.outputs {
		rd := out.Rendered
		now, err := rebuilt[i].file, rebuilt[i].err
		if err != nil {
			return nil, err
		}
		if now == nil {
			continue
		}
		old := fx.oldScan(out)
		known := map[string]bool{}
		for _, f := range old.Findings {
			remember(known, f)
		}
		opts := fx.scan
		opts.Only = nil
		for _, f := range scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{now}}, opts).Findings {
			fp := f.Fingerprint()
			if !isKnown(known, f) {
				return nil, fmt.Errorf("the edit would introduce a new finding in %s: %s at %s:%d", rd.Root, f.Control, f.File, f.Line)
			}
			if targeted[fp] {
				stale[fp] = true
			}
		}
		if err := fx.sameObjects(out, now, old, targeted); err != nil {
			return nil, err
		}
	}
	if err := fx.bystandersUnchanged(edited); err != nil {
		return nil, err
	}
	return stale, nil
}

// sourcesRead returns the edited sources an output reads: what its build
// run again replaces.
func sourcesRead(rd *scanner.Rendered, edited map[string][]byte) map[string][]byte {
	replace := map[string][]byte{}
	for path, b := range edited {
		if rd.Sources[path] != nil {
			replace[path] = b
		}
	}
	return replace
}

// rebuild is an output built again with edited sources: no file and no
// error when the output reads none of them.
type rebuild struct {
	file *scanner.SourceFile
	err  error
}

// rerender builds again, on every core, each output that reads an edited
// source (each a Kustomize build or Helm render of its own); verify
// checks them in order. Helm renders run beside the builds, as in
// render.Load: they wait on a render child, which the charts of a lane
// share and take turns in.
func rerender(outputs []*scanner.SourceFile, edited map[string][]byte) []rebuild {
	out := make([]rebuild, len(outputs))
	helm := func(i int) bool { return outputs[i].Rendered.Tool == scanner.ToolHelm }
	parallel.ForEachBeside(len(outputs), helm, func(i int) {
		rd := outputs[i].Rendered
		replace := sourcesRead(rd, edited)
		if len(replace) == 0 {
			return
		}
		tr, ok := rd.Map.(sourceTracer)
		if !ok {
			out[i].err = fmt.Errorf("%s cannot be built again", rd.Root)
			return
		}
		now, err := tr.Rerender(replace)
		if err != nil {
			out[i].err = fmt.Errorf("the edited sources no longer build: %w", err)
			return
		}
		out[i].file = now
	})
	return out
}

// bystandersUnchanged builds again every output that is not scanned (an
// overlay excluded by config) but reads an edited file, and refuses an
// edit that changes it: a base shared with overlays that must not change
// is fixed in each overlay by hand, with a patch.
func (fx *renderedFix) bystandersUnchanged(edited map[string][]byte) error {
	seen := map[*scanner.SourceFile]bool{}
	for _, out := range fx.outputs {
		for _, by := range out.Rendered.Bystanders {
			if seen[by] {
				continue
			}
			seen[by] = true
			rd := by.Rendered
			replace := sourcesRead(rd, edited)
			if len(replace) == 0 {
				continue
			}
			tr, ok := rd.Map.(sourceTracer)
			if !ok {
				continue
			}
			now, err := tr.Rerender(replace)
			if err != nil {
				return fmt.Errorf("the edit breaks the build of %s, which .remedy.yaml excludes: %w", rd.Root, err)
			}
			if err := fx.sameObjects(by, now, &scanner.Report{}, nil); err != nil {
				return fmt.Errorf("the fix would change %s, which .remedy.yaml excludes: the source is shared with an overlay that must not change; "+
					"fix it with a patch in each overlay that deploys it", rd.Root)
			}
		}
	}
	return nil
}

// oldScan scans a rendered output as it was, under every control.
func (fx *renderedFix) oldScan(out *scanner.SourceFile) *scanner.Report {
	if rep := fx.oldScans[out]; rep != nil {
		return rep
	}
	opts := fx.scan
	opts.Only = nil
	rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{out}}, opts)
	fx.oldScans[out] = rep
	return rep
}

// sameObjects checks that every object of the rebuilt output equals the
// object before with the fixes of its targeted findings applied.
func (fx *renderedFix) sameObjects(before, after *scanner.SourceFile, old *scanner.Report, targeted map[string]bool) error {
	// The fixes as they apply to this output's objects.
	builders := map[*scanner.Resource]*patchBuilder{}
	fixes := fixers()
	for _, f := range old.Findings {
		if !targeted[f.Fingerprint()] || f.Resource == nil {
			continue
		}
		_, _ = planFinding(builders, fixes, f, fx.opts)
	}
	// By node, and by identity and rank, so that two objects of one
	// output with the same identity (two Terraform examples declaring the
	// same Deployment) are told apart.
	fixed := map[*yaml.Node]*patchBuilder{}
	for r, b := range builders {
		fixed[r.Node.YNode()] = b
	}
	want := map[string][]byte{}
	var order []string
	seen := map[string]int{}
	for _, d := range before.Docs {
		for _, r := range d.Resources() {
			id := rankedID(r, seen)
			obj, err := nodeJSON(r.Node.YNode())
			if err != nil {
				return err
			}
			if b := fixed[r.Node.YNode()]; b != nil {
				if obj, err = json.Marshal(b.doc); err != nil {
					return err
				}
			}
			want[id] = obj
			order = append(order, id)
		}
	}
	got := map[string][]byte{}
	seen = map[string]int{}
	for _, d := range after.Docs {
		for _, r := range d.Resources() {
			obj, err := nodeJSON(r.Node.YNode())
			if err != nil {
				return err
			}
			got[rankedID(r, seen)] = obj
		}
	}
	if len(got) != len(want) {
		return fmt.Errorf("the edit changes which objects %s renders", before.Rendered.Root)
	}
	for _, id := range order {
		g, ok := got[id]
		if !ok {
			return fmt.Errorf("the edit removes %s from the output of %s", id, before.Rendered.Root)
		}
		if !jsonEqual(g, want[id]) {
			return fmt.Errorf("the edit changes %s in the output of %s beyond the fix", id, before.Rendered.Root)
		}
	}
	return nil
}

func objectID(r *scanner.Resource) string {
	return r.APIVersion + " " + r.ID()
}

// rankedID is objectID with the number of objects of that identity seen
// before it in the same output.
func rankedID(r *scanner.Resource, seen map[string]int) string {
	id := objectID(r)
	n := seen[id]
	seen[id]++
	if n == 0 {
		return id
	}
	return id + " #" + strconv.Itoa(n+1)
}

// fileFixes turns the run into one FileFix per source file that a finding
// points at or an edit changed.
func (fx *renderedFix) fileFixes(outcomes []Outcome, accepted []*renderedCandidate, after map[string][]byte) []FileFix {
	byPath := map[string]*FileFix{}
	get := func(path string, src *scanner.SourceFile) *FileFix {
		ff := byPath[path]
		if ff == nil {
			if src == nil {
				src = fx.files[path]
			}
			if src == nil {
				src = &scanner.SourceFile{Path: path}
			}
			ff = &FileFix{File: src, Before: src.Bytes, After: src.Bytes}
			if b, ok := after[path]; ok {
				ff.After = b
			}
			byPath[path] = ff
		}
		return ff
	}
	for _, o := range outcomes {
		var src *scanner.SourceFile
		if rd := scanner.RenderedOf(o.Finding); rd != nil {
			src = rd.Sources[o.Finding.File]
		}
		ff := get(o.Finding.File, src)
		ff.Outcomes = append(ff.Outcomes, o)
	}
	for path := range after {
		get(path, nil)
	}
	// Remediations: the source operations, by document.
	type key struct {
		path  string
		start int
	}
	rems := map[key]*Remediation{}
	var keys []key
	for _, c := range accepted {
		for _, e := range c.plans[fx.chosen[c]] {
			k := key{e.at.File.Path, e.at.Start}
			r := rems[k]
			if r == nil {
				r = &Remediation{Resource: sourceResource(e.at)}
				rems[k] = r
				keys = append(keys, k)
			}
			r.Patch = append(r.Patch, e.ops...)
			if len(r.Findings) == 0 || r.Findings[len(r.Findings)-1].Fingerprint() != c.finding.Fingerprint() {
				r.Findings = append(r.Findings, c.finding)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].path != keys[j].path {
			return keys[i].path < keys[j].path
		}
		return keys[i].start < keys[j].start
	})
	for _, k := range keys {
		r := rems[k]
		r.Patch = coalesce(mergeAdds(r.Patch))
		ff := get(k.path, nil)
		ff.Remediations = append(ff.Remediations, *r)
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	out := make([]FileFix, 0, len(paths))
	for _, p := range paths {
		ff := byPath[p]
		sortOutcomes(ff.Outcomes)
		out = append(out, *ff)
	}
	return out
}

// sourceResource names the document a source edit changes: the object
// it holds when it is one (a base resource, a patch), else an object with
// no kind (values.yaml, a JSON 6902 op list).
func sourceResource(at scanner.WrittenAt) *scanner.Resource {
	for _, d := range at.File.Docs {
		if d.Start == at.Start && d.End == at.End {
			if rs := d.Resources(); len(rs) > 0 {
				return rs[0]
			}
			return &scanner.Resource{Doc: d, Node: d.Node}
		}
	}
	return &scanner.Resource{Doc: &scanner.Document{File: at.File, Start: at.Start, End: at.End}}
}

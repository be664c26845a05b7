package remediate

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Applying operations one by one (docEditor.Apply) parses the document
// again after every operation, so that the next one is located in the
// bytes as they are now. Most operations of a fix do not read what the
// earlier ones changed: fields added to a container and to its pod, a value
// replaced elsewhere. applyAll locates such operations in the same parse
// and splices them in together, and parses again only before an operation
// that depends on an edit made since the last parse.
//
// The result must be byte for byte what Apply gives, so an operation joins
// the pending ones only when its location and rendering provably do not
// depend on them:
//
//   - its path neither is nor goes through a pending path, nor the reverse;
//   - it is a simple edit (editReplace, editInsert) and so are the pending;
//   - a replacement is on a line no pending edit touches;
//   - a block line insertion finds the end of the entry it follows by a
//     scan of the lines after it (entryScan). Pending insertions inside that
//     entry must read as inside it, pending ones between it and the line
//     that stops the scan as stopping it; pending insertions at the same
//     offset are scanned line by line in their order, starting after the
//     latest one into the same collection (which Apply would find as the
//     collection's last entry), and the new text goes where the scan stops.
//
// Anything else is located in a fresh parse of the edits so far. After each
// parse, every simple edit must read back where it was written (landed):
// a text taken in by something else, say an explicit key above it, would
// break the reasoning above. Any error, that one included, returns to the
// caller, which then applies the operations one by one, so that the bytes
// and refusals are exactly those of Apply.

// editKind says how an edit depends on the bytes around it.
type editKind int

const (
	// editComplex edits (flow collections, removals, nulls, values that
	// gain lines) are located in a fresh parse, and the next operation too.
	editComplex editKind = iota
	// editReplace swaps one single-line scalar token of a block collection
	// for another single-line token.
	editReplace
	// editInsert inserts whole block lines after the last entry of a block
	// collection (lineInsert).
	editInsert
)

// edit is one operation located against a parse.
type edit struct {
	op      Op
	splices []splice
	kind    editKind
	line    int         // editReplace: the line of the token
	column  int         // editReplace: the column of the token
	ins     *lineInsert // editInsert
	tokens  []string
	pos     int // editInsert: the order among insertions at the same offset
}

// lineInsert describes a block line insertion: the scan that placed it
// (entryScan from line first, for a key or dash at column col) and where
// that scan stopped.
type lineInsert struct {
	first, col   int
	mappingEntry bool
	stop         int // the line that stopped the scan; lineCount+1 at the end
}

// newLineInsert returns the scan of an insertion after line end, or nil when
// the insertion is not a plain block line insertion: the last value is a
// flow collection (its end is found by bracket matching), or the last line
// has no line break (the insertion then starts with one).
func newLineInsert(t *text, first, col int, mappingEntry bool, last *yaml.Node, end int) *lineInsert {
	if flowCollection(last) || !t.hasNewline(end) {
		return nil
	}
	scanEnd, stop := entryScan(t, first, col, mappingEntry)
	if scanEnd != end {
		return nil
	}
	return &lineInsert{first: first, col: col, mappingEntry: mappingEntry, stop: stop}
}

// simpleReplace reports whether a replacement only swaps one scalar token on
// its line for another single-line token: no flow collection, no null
// (whose position yaml.v3 may take from what follows), no new lines.
func simpleReplace(s step, v any, sps []splice) bool {
	if len(sps) != 1 || s.node.Kind != yaml.ScalarNode || inFlow(s) || s.node.Tag == "!!null" {
		return false
	}
	switch v.(type) {
	case map[string]any, []any:
		return false
	}
	sp := sps[0]
	return sp.end > sp.start && !bytes.ContainsAny([]byte(sp.text), "\r\n")
}

// applyAll applies ops in order, giving the bytes and parse Apply would.
func (e *docEditor) applyAll(ops []Op) error {
	b := batch{e: e, t: newText(e.src)}
	for _, op := range ops {
		tokens, err := opTokens(op.Path)
		if err != nil {
			return err
		}
		if b.pathConflict(tokens) {
			if err := b.flush(); err != nil {
				return err
			}
		}
		ed, err := e.locate(b.t, op)
		if err == nil {
			ed.tokens = tokens
		}
		if err != nil || ed.kind == editComplex || !b.fits(ed) {
			if len(b.pending) > 0 {
				if err := b.flush(); err != nil {
					return err
				}
				ed, err = e.locate(b.t, op)
				if err == nil {
					ed.tokens = tokens
				}
			}
			if err != nil {
				return err
			}
			if ed.kind != editComplex && !b.fits(ed) {
				return fmt.Errorf("%s %s: conflicts with no pending edit", op.Op, op.Path)
			}
		}
		b.add(ed)
		if ed.kind == editComplex {
			if err := b.flush(); err != nil {
				return err
			}
		}
	}
	return b.flush()
}

// batch holds the edits located against the current parse of e.src and
// not yet spliced in.
type batch struct {
	e       *docEditor
	t       *text
	pending []*edit
	at      map[int][]*edit // insertions by offset, in their byte order
	index   pendingIndex
}

// pendingIndex indexes the pending edits for the questions pathConflict
// and fits ask of each new operation, so that a batch of thousands of
// edits (one Deployment with thousands of containers) is not gone through
// for every operation.
type pendingIndex struct {
	// paths counts pending paths, prefixes the strict prefixes of pending
	// paths (keys are pathKey of the tokens).
	paths, prefixes map[string]int
	// parents counts, by the path of their collection, the pending edits
	// and, of those, the insertions.
	parents, parentInserts map[string]int
	// lines holds the lines of pending replacements.
	lines map[int]bool
	// replaces are the splices of pending replacements, by start; offsets
	// are the keys of batch.at, in order.
	replaces []splice
	offsets  []int
	complex  int
}

// pathKey joins pointer tokens into a map key. A NUL in a token could make
// two paths share a key; that only ever reads as a conflict, which flushes.
func pathKey(tokens []string) string { return strings.Join(tokens, "\x00") }

func (b *batch) add(ed *edit) {
	b.pending = append(b.pending, ed)
	x := &b.index
	if x.paths == nil {
		*x = pendingIndex{paths: map[string]int{}, prefixes: map[string]int{}, parents: map[string]int{}, parentInserts: map[string]int{}, lines: map[int]bool{}}
	}
	x.paths[pathKey(ed.tokens)]++
	for i := 0; i < len(ed.tokens); i++ {
		x.prefixes[pathKey(ed.tokens[:i])]++
	}
	if len(ed.tokens) > 0 {
		parent := pathKey(ed.tokens[:len(ed.tokens)-1])
		x.parents[parent]++
		if ed.kind == editInsert {
			x.parentInserts[parent]++
		}
	}
	switch ed.kind {
	case editReplace:
		x.lines[ed.line] = true
		sp := ed.splices[0]
		i, _ := slices.BinarySearchFunc(x.replaces, sp.start, func(s splice, at int) int { return s.start - at })
		x.replaces = slices.Insert(x.replaces, i, sp)
	case editInsert:
	default:
		x.complex++
		return
	}
	if ed.kind != editInsert {
		return
	}
	if b.at == nil {
		b.at = map[int][]*edit{}
	}
	at := ed.splices[0].start
	if _, ok := b.at[at]; !ok {
		i, _ := slices.BinarySearch(x.offsets, at)
		x.offsets = slices.Insert(x.offsets, i, at)
	}
	b.at[at] = slices.Insert(b.at[at], ed.pos, ed)
}

// insertsIn returns the offsets of pending insertions in [from, to).
func (x *pendingIndex) insertsIn(from, to int) []int {
	i, _ := slices.BinarySearch(x.offsets, from)
	j, _ := slices.BinarySearch(x.offsets, to)
	if j < i {
		return nil
	}
	return x.offsets[i:j]
}

// flush splices the pending edits in and parses the result.
func (b *batch) flush() error {
	if len(b.pending) == 0 {
		return nil
	}
	var sps []splice
	for _, ed := range b.pending {
		switch ed.kind {
		case editInsert:
			// One splice per offset, its texts in order.
		default:
			sps = append(sps, ed.splices...)
		}
	}
	for at, eds := range b.at {
		var text []byte
		for _, ed := range eds {
			text = append(text, ed.splices[0].text...)
		}
		sps = append(sps, splice{start: at, end: at, text: string(text)})
	}
	src, err := applySplices(b.e.src, sps)
	if err != nil {
		return err
	}
	// Where each edit's text starts in the new bytes.
	shift := newShifter(sps)
	starts := make(map[*edit]int, len(b.pending))
	for _, ed := range b.pending {
		if ed.kind != editInsert {
			starts[ed] = shift.offset(ed.splices[0].start)
		}
	}
	for at, eds := range b.at {
		off := shift.offset(at)
		for _, ed := range eds {
			starts[ed] = off
			off += len(ed.splices[0].text)
		}
	}
	b.e.src = src
	pending := b.pending
	b.pending, b.at, b.index = nil, nil, pendingIndex{}
	if err := b.e.parse(); err != nil {
		return fmt.Errorf("produced invalid YAML: %w", err)
	}
	b.t = newText(b.e.src)
	for _, ed := range pending {
		if ed.kind != editComplex && !b.landed(ed, lineOf(b.t, starts[ed])) {
			return fmt.Errorf("%s %s did not read back where it was written", ed.op.Op, ed.op.Path)
		}
	}
	return nil
}

// shifter maps an offset of the bytes before splices (sorted by start) to
// the offset of the same place after them; an offset where a splice starts
// maps to where its text starts.
type shifter struct {
	starts []int
	deltas []int // deltas[i]: the growth of the bytes by splices before i
}

func newShifter(sps []splice) shifter {
	s := shifter{starts: make([]int, len(sps)), deltas: make([]int, len(sps)+1)}
	for i, sp := range sps {
		s.starts[i] = sp.start
		s.deltas[i+1] = s.deltas[i] + len(sp.text) - (sp.end - sp.start)
	}
	return s
}

func (s shifter) offset(off int) int {
	i, _ := slices.BinarySearch(s.starts, off) // splices starting before off
	return off + s.deltas[i]
}

// landed checks, in the new parse, that a simple edit made what the
// editing of later operations assumed: a replaced scalar where it was, an
// inserted entry or item of its collection at the line its text starts.
// A text read as part of something else (say, an explicit key above it)
// fails, and the operations are applied one by one instead.
func (b *batch) landed(ed *edit, line int) bool {
	switch ed.kind {
	case editReplace:
		n := nodeAt(b.e.root, ed.tokens)
		return n != nil && n.Kind == yaml.ScalarNode && n.Line == line && n.Column == ed.column
	case editInsert:
		p := nodeAt(b.e.root, ed.tokens[:len(ed.tokens)-1])
		if p == nil {
			return false
		}
		key := ed.tokens[len(ed.tokens)-1]
		switch {
		case ed.ins.mappingEntry && p.Kind == yaml.MappingNode:
			for i := 0; i+1 < len(p.Content); i += 2 {
				if k := p.Content[i]; k.Line == line && k.Column == ed.ins.col+1 && k.Value == key && k.Kind == yaml.ScalarNode {
					return true
				}
			}
		case !ed.ins.mappingEntry && p.Kind == yaml.SequenceNode:
			for _, it := range p.Content {
				if it.Line == line && it.Column == ed.ins.col+3 {
					return true
				}
			}
		}
	}
	return false
}

// nodeAt follows pointer tokens from root the way walk does; nil when
// there is no such node.
func nodeAt(root *yaml.Node, tokens []string) *yaml.Node {
	cur := root
	for _, tok := range tokens {
		var next *yaml.Node
		switch cur.Kind {
		case yaml.MappingNode:
			for j := 0; j+1 < len(cur.Content); j += 2 {
				if cur.Content[j].Value == tok {
					next = cur.Content[j+1]
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(cur.Content) {
				next = cur.Content[i]
			}
		}
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}

// pathConflict reports whether a pending edit's path is, or is inside, or
// holds, the path tokens.
func (b *batch) pathConflict(tokens []string) bool {
	x := &b.index
	if len(b.pending) == 0 || len(tokens) == 0 {
		return len(b.pending) > 0
	}
	// A pending path holding tokens, or tokens holding a pending path.
	for i := 0; i < len(tokens); i++ {
		if x.paths[pathKey(tokens[:i])] > 0 {
			return true
		}
	}
	if x.prefixes[pathKey(tokens)] > 0 {
		return true
	}
	// The same path, unless two new items at the end of one sequence.
	return x.paths[pathKey(tokens)] > 0 && tokens[len(tokens)-1] != "-"
}

// sameParent reports whether two edits are in the same collection.
func sameParent(x, y *edit) bool {
	return len(x.tokens) == len(y.tokens) && slices.Equal(x.tokens[:len(x.tokens)-1], y.tokens[:len(y.tokens)-1])
}

// fits reports whether the simple edit ed, located against the current
// parse, is what Apply would locate after the pending edits, and sets its
// order among insertions at its offset.
func (b *batch) fits(ed *edit) bool {
	if b.pathConflict(ed.tokens) {
		return false
	}
	x := &b.index
	if x.complex > 0 {
		return false
	}
	last := ed.tokens[len(ed.tokens)-1]
	if _, err := strconv.Atoi(last); err == nil || last == "-" {
		// An index (or the end) of a sequence that pending edits may append to.
		parent := pathKey(ed.tokens[:len(ed.tokens)-1])
		others := x.parents[parent]
		if last == "-" && ed.kind == editInsert {
			others -= x.parentInserts[parent]
		}
		if others > 0 {
			return false
		}
	}
	t := b.t
	switch ed.kind {
	case editReplace:
		ls, le := t.lineStart(ed.line), t.lineEnd(ed.line)
		return !x.lines[ed.line] && len(x.insertsIn(ls+1, le)) == 0
	case editInsert:
	default:
		return false
	}
	in := ed.ins
	at := ed.splices[0].start
	inner := t.lineEnd(in.first)
	gapEnd := len(t.src)
	if in.stop <= t.lineCount() {
		gapEnd = t.lineStart(in.stop)
	}
	// The one pending replacement that could hold at: the last to start
	// before it (pending replacements do not overlap).
	if i, _ := slices.BinarySearchFunc(x.replaces, at, func(s splice, at int) int { return s.start - at }); i > 0 {
		if sp := x.replaces[i-1]; sp.start < at && at <= sp.end {
			return false
		}
	}
	for _, pat := range x.insertsIn(inner, at) {
		for _, p := range b.at[pat] {
			if scanText(p.splices[0].text, in, false) != lineInside {
				return false
			}
		}
	}
	for _, pat := range x.insertsIn(at+1, gapEnd+1) {
		for _, p := range b.at[pat] {
			if scanText(p.splices[0].text, in, false) != lineStop {
				return false
			}
		}
	}
	same := b.at[at]
	pos := 0
	for i := len(same) - 1; i >= 0; i-- {
		if sameParent(same[i], ed) {
			// Apply would scan from that entry's first line.
			if scanText(same[i].splices[0].text, in, true) != lineInside {
				return false
			}
			pos = i + 1
			break
		}
	}
	for ; pos < len(same); pos++ {
		c := scanText(same[pos].splices[0].text, in, false)
		if c == lineStop {
			break
		}
		if c != lineInside {
			return false
		}
	}
	ed.pos = pos
	return true
}

// scanText classifies the lines of an inserted text for the scan of an
// insertion: lineInside when every line is inside the scanned entry,
// lineStop when the first line stops the scan, lineSkip for anything else
// (blank or comment lines, a scan stopping midway). With skipFirst, the
// first line is the scan's own start and is not classified.
func scanText(text string, in *lineInsert, skipFirst bool) int {
	lines := bytes.Split([]byte(text), []byte("\n"))
	if len(lines) < 2 || len(lines[len(lines)-1]) != 0 {
		return lineSkip // always ends with a line break
	}
	lines = lines[:len(lines)-1]
	if skipFirst {
		lines = lines[1:]
	}
	for i, l := range lines {
		c := classifyLine(bytes.TrimSuffix(l, []byte("\r")), in.col, in.mappingEntry)
		switch {
		case c == lineInside:
		case c == lineStop && i == 0 && !skipFirst:
			return lineStop
		default:
			return lineSkip
		}
	}
	return lineInside
}

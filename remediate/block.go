package remediate

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func jsonString(s string) (string, error) {
	b, err := json.Marshal(s)
	return string(b), err
}

// isDashLine reports whether b (a line without its indent) starts a block
// sequence item.
func isDashLine(b []byte) bool {
	return len(b) > 0 && b[0] == '-' && (len(b) == 1 || b[1] == ' ' || b[1] == '\t' || b[1] == '\r')
}

// entryEndLine returns the last line of the block entry that starts on line
// start with its key or dash at 0-based column col: every following
// non-blank line indented deeper belongs to it (nested collections, block
// scalars); so does, for a mapping entry, an indentless sequence item at the
// same column. Trailing blank and comment lines do not.
func entryEndLine(t *text, start, col int, value *yaml.Node, mappingEntry bool) int {
	end, _ := entryScan(t, start, col, mappingEntry)
	// A flow collection may close at a shallower indent than it opened.
	if flowCollection(value) {
		if closeAt := matchClose(t.src, t.offset(value.Line, value.Column)); closeAt >= 0 {
			if l := lineOf(t, closeAt); l > end {
				end = l
			}
		}
	}
	return end
}

func flowCollection(n *yaml.Node) bool {
	return n != nil && n.Style&yaml.FlowStyle != 0 && n.Kind != yaml.ScalarNode
}

// Line classes of an entry scan (entryScan).
const (
	lineSkip   = iota // blank, or a comment not indented deeper: passed over
	lineInside        // belongs to the entry
	lineStop          // ends the scan
)

// classifyLine classifies a line (without its line break) for the scan of
// a block entry whose key or dash is at 0-based column col.
func classifyLine(c []byte, col int, mappingEntry bool) int {
	trimmed := bytes.TrimLeft(c, " \t")
	if len(trimmed) == 0 {
		return lineSkip
	}
	ind := 0
	for ind < len(c) && c[ind] == ' ' {
		ind++
	}
	if ind > col || (mappingEntry && ind == col && isDashLine(trimmed)) {
		return lineInside
	}
	if trimmed[0] == '#' {
		return lineSkip
	}
	return lineStop
}

// entryScan returns the last line of the entry that starts on line start
// (before any flow extension, see entryEndLine) and the line that ends the
// scan: the first later line neither inside nor skipped, or lineCount+1.
func entryScan(t *text, start, col int, mappingEntry bool) (end, stop int) {
	end = start
	l := start + 1
	for ; l <= t.lineCount(); l++ {
		switch classifyLine(t.content(l), col, mappingEntry) {
		case lineInside:
			end = l
			continue
		case lineSkip:
			continue
		}
		break
	}
	return end, l
}

func lineOf(t *text, off int) int {
	return sort.Search(len(t.starts), func(i int) bool { return t.starts[i] > off })
}

// matchClose returns the offset of the bracket closing the flow collection
// that opens at open, skipping quoted strings and comments; -1 if none.
func matchClose(src []byte, open int) int {
	depth := 0
	for i := open; i < len(src); i++ {
		switch c := src[i]; c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i
			}
		case '"', '\'':
			if i = quotedEnd(src, i); i < 0 {
				return -1
			}
		case '#':
			if i > 0 && (src[i-1] == ' ' || src[i-1] == '\t' || src[i-1] == '\n') {
				for i < len(src) && src[i] != '\n' {
					i++
				}
			}
		}
	}
	return -1
}

// quotedEnd returns the index of the quote closing the double- or
// single-quoted scalar that opens at b[open], or -1 when b ends first.
// Double quotes escape with a backslash, single quotes by doubling.
func quotedEnd(b []byte, open int) int {
	q := b[open]
	for i := open + 1; i < len(b); i++ {
		switch {
		case q == '"' && b[i] == '\\':
			i++
		case b[i] == q && q == '\'' && i+1 < len(b) && b[i+1] == '\'':
			i++
		case b[i] == q:
			return i
		}
	}
	return -1
}

// insertAfterLine returns a splice that inserts block lines after line l,
// keeping a missing final newline missing.
func (e *docEditor) insertAfterLine(t *text, l int, lines string) splice {
	at := t.lineEnd(l)
	if !t.hasNewline(l) {
		return splice{start: at, end: at, text: e.style.newline + strings.TrimSuffix(lines, e.style.newline)}
	}
	return splice{start: at, end: at, text: lines}
}

// addKey adds key: v to mapping m. The scan is set when the edit is a
// plain block line insertion (see lineInsert).
func (e *docEditor) addKey(t *text, m *yaml.Node, key string, v any) ([]splice, *lineInsert, error) {
	if m.Style&yaml.FlowStyle != 0 || len(m.Content) == 0 {
		val, err := renderFlow(v)
		if err != nil {
			return nil, nil, err
		}
		sp, err := e.flowInsert(t, m, renderString(key, true)+": "+val)
		return sp, nil, err
	}
	first, lastKey, lastVal := m.Content[0], m.Content[len(m.Content)-2], m.Content[len(m.Content)-1]
	col := first.Column - 1
	end := entryEndLine(t, lastKey.Line, lastKey.Column-1, lastVal, true)
	lines, err := e.style.renderEntry(col, key, v)
	if err != nil {
		return nil, nil, err
	}
	var ins *lineInsert
	if lastKey.Column == first.Column && first.Column == m.Column {
		// The next insertion's scan would start from this one's key, at col.
		ins = newLineInsert(t, lastKey.Line, lastKey.Column-1, true, lastVal, end)
	}
	return []splice{e.insertAfterLine(t, end, lines)}, ins, nil
}

// flowInsert adds an element before the closing bracket of flow collection c.
func (e *docEditor) flowInsert(t *text, c *yaml.Node, elem string) ([]splice, error) {
	open := t.offset(c.Line, c.Column)
	if open >= len(t.src) || (t.src[open] != '{' && t.src[open] != '[') {
		return nil, refuse("cannot find the flow collection at line %d", c.Line)
	}
	closeAt := matchClose(t.src, open)
	if closeAt < 0 {
		return nil, refuse("cannot find the end of the flow collection at line %d", c.Line)
	}
	last := closeAt - 1
	for last > open && (t.src[last] == ' ' || t.src[last] == '\t' || t.src[last] == '\n' || t.src[last] == '\r') {
		last--
	}
	switch t.src[last] {
	case '{', '[':
		return []splice{{start: last + 1, end: last + 1, text: elem}}, nil
	case ',':
		return []splice{{start: last + 1, end: last + 1, text: " " + elem}}, nil
	}
	return []splice{{start: last + 1, end: last + 1, text: ", " + elem}}, nil
}

// appendItem appends v to sequence s (index must be its length). The scan
// is set as for addKey.
func (e *docEditor) appendItem(t *text, s *yaml.Node, index int, v any) ([]splice, *lineInsert, error) {
	if index != len(s.Content) {
		return nil, nil, refuse("inserting into the middle of the sequence at line %d is not supported", s.Line)
	}
	if s.Style&yaml.FlowStyle != 0 || len(s.Content) == 0 {
		val, err := renderFlow(v)
		if err != nil {
			return nil, nil, err
		}
		sp, err := e.flowInsert(t, s, val)
		return sp, nil, err
	}
	dashCol := s.Column - 1
	lastItem := s.Content[len(s.Content)-1]
	dashLine, err := itemDashLine(t, lastItem, dashCol)
	if err != nil {
		return nil, nil, err
	}
	end := entryEndLine(t, dashLine, dashCol, lastItem, false)
	var b strings.Builder
	if err := e.style.writeItem(&b, dashCol, v); err != nil {
		return nil, nil, err
	}
	return []splice{e.insertAfterLine(t, end, b.String())}, newLineInsert(t, dashLine, dashCol, false, lastItem, end), nil
}

// itemDashLine finds the line holding the dash of a block sequence item.
func itemDashLine(t *text, item *yaml.Node, dashCol int) (int, error) {
	for l := item.Line; l >= 1 && l >= item.Line-3; l-- {
		c := t.content(l)
		if len(c) > dashCol && t.indent(l) == dashCol && isDashLine(c[dashCol:]) {
			return l, nil
		}
	}
	return 0, refuse("cannot find the dash of the item at line %d", item.Line)
}

// remove deletes the last step's value (and its key).
func (e *docEditor) remove(t *text, steps []step) ([]splice, error) {
	s := steps[len(steps)-1]
	if inFlow(s) {
		return e.flowRemove(t, s)
	}
	var start, end int
	switch s.parent.Kind {
	case yaml.MappingNode:
		if t.indent(s.key.Line) != s.key.Column-1 {
			return nil, refuse("%q at line %d shares its line with a sequence dash", s.key.Value, s.key.Line)
		}
		start = t.lineStart(s.key.Line)
		end = t.lineEnd(entryEndLine(t, s.key.Line, s.key.Column-1, s.node, true))
	default:
		dashCol := s.parent.Column - 1
		dl, err := itemDashLine(t, s.node, dashCol)
		if err != nil {
			return nil, err
		}
		start = t.lineStart(dl)
		end = t.lineEnd(entryEndLine(t, dl, dashCol, s.node, false))
	}
	out := []splice{{start: start, end: end}}
	if end == len(t.src) && start > 0 && !bytes.HasSuffix(t.src, []byte("\n")) {
		// The removed lines ended the file without a newline: so must what is left.
		out[0].start = start - len(e.style.newline)
		if out[0].start < 0 || !bytes.HasPrefix(t.src[out[0].start:], []byte(e.style.newline)) {
			out[0].start = start - 1
		}
	}
	if len(s.parent.Content) > 2 || (s.parent.Kind == yaml.SequenceNode && len(s.parent.Content) > 1) {
		return out, nil
	}
	// The collection becomes empty; in block style that would read as null,
	// so the parent key gains an explicit {} or [].
	if len(steps) < 2 || steps[len(steps)-2].key == nil || inFlow(steps[len(steps)-2]) {
		return nil, refuse("removing the last entry at line %d would leave an empty collection", s.node.Line)
	}
	pk := steps[len(steps)-2].key
	colon, err := colonAfter(t, pk)
	if err != nil {
		return nil, err
	}
	empty := " {}"
	if s.parent.Kind == yaml.SequenceNode {
		empty = " []"
	}
	return append(out, splice{start: colon + 1, end: colon + 1, text: empty}), nil
}

// colonAfter returns the offset of the ':' that ends a block mapping key.
func colonAfter(t *text, key *yaml.Node) (int, error) {
	_, end, err := scalarSpan(t, key, false)
	if err != nil {
		return 0, err
	}
	for end < len(t.src) && (t.src[end] == ' ' || t.src[end] == '\t') {
		end++
	}
	if end >= len(t.src) || t.src[end] != ':' {
		return 0, refuse("cannot find the ':' after key %q at line %d", key.Value, key.Line)
	}
	return end, nil
}

// flowRemove deletes an element of a flow collection with its comma.
func (e *docEditor) flowRemove(t *text, s step) ([]splice, error) {
	first := s.node
	if s.key != nil {
		first = s.key
	}
	start := t.offset(first.Line, first.Column)
	var end int
	if s.node.Kind == yaml.ScalarNode {
		_, e2, err := scalarSpan(t, s.node, true)
		if err != nil {
			return nil, err
		}
		end = e2
	} else {
		c := matchClose(t.src, t.offset(s.node.Line, s.node.Column))
		if c < 0 {
			return nil, refuse("cannot find the end of the value at line %d", s.node.Line)
		}
		end = c + 1
	}
	j := end
	for j < len(t.src) && (t.src[j] == ' ' || t.src[j] == '\t') {
		j++
	}
	if j < len(t.src) && t.src[j] == ',' {
		j++
		for j < len(t.src) && (t.src[j] == ' ' || t.src[j] == '\t') {
			j++
		}
		return []splice{{start: start, end: j}}, nil
	}
	i := start
	for i > 0 && (t.src[i-1] == ' ' || t.src[i-1] == '\t') {
		i--
	}
	if i > 0 && t.src[i-1] == ',' {
		return []splice{{start: i - 1, end: end}}, nil
	}
	return []splice{{start: start, end: end}}, nil
}

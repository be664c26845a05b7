// The parser half of loading: a file's bytes become a SourceFile of
// Documents, each parsed on its own into yaml nodes with file-absolute
// lines, with errors naming the file line kubectl would. load.go finds and
// reads the files; this file knows nothing of the filesystem.

package scanner

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// DefaultMaxFileSize bounds the bytes read from one file, so one huge or
// hostile input cannot exhaust memory.
const DefaultMaxFileSize = 5 << 20

// maxDepth bounds the nesting of a document that remedy walks; yaml.v3 stops
// at 10,000 levels, which no Kubernetes object comes close to.
const maxDepth = 512

// maxAliasNodes bounds how many nodes a document's aliases may stand for
// once expanded. Kubernetes' decoder expands aliases, so a "billion laughs"
// document would exhaust memory there (kubectl refuses it as "excessive
// aliasing"); remedy refuses it before any control walks it.
const maxAliasNodes = 1_000_000

// StdinName is the file name reported for a stream read from standard input.
const StdinName = "<stdin>"

// SourceFile is one input file, kept byte for byte so edits can be spliced
// into it.
type SourceFile struct {
	// Path is the file's path relative to the scan root, with '/' separators.
	Path string
	// Abs is the file's path on disk; empty for standard input.
	Abs string
	// Mode is the file's permission bits, kept by in-place edits.
	Mode fs.FileMode
	// Bytes is the file's content as read, in UTF-8: a UTF-16 or UTF-32
	// file is decoded (see Encoding).
	Bytes []byte
	// Encoding is the file's encoding on disk when not UTF-8 (a UTF-16 or
	// UTF-32 BOM; see DecodeUnicode), else "". Bytes is then not what the
	// file holds, and fixes refuse to write it.
	Encoding string
	// Docs are the YAML documents of the file, in order.
	Docs []*Document
	// IgnoreLines maps a 1-based line to the `# remedy:ignore` directive on it.
	IgnoreLines map[int]Ignore
	// Rendered is set when the file is the output of a Kustomize or Helm
	// build rather than a file as written; see rendered.go.
	Rendered *Rendered
}

// Document is one YAML document of a file: the byte range from its `---`
// separator line (or the file start) to the next separator, or through its
// `...` end marker.
type Document struct {
	File  *SourceFile
	Index int
	// Start and End are byte offsets into File.Bytes.
	Start, End int
	// StartLine is the 1-based file line at Start.
	StartLine int
	// Node is the document's root node, with file-absolute line numbers;
	// nil for an empty or comment-only document.
	Node *yaml.RNode
}

// Bytes returns the document's bytes.
func (d *Document) Bytes() []byte { return d.File.Bytes[d.Start:d.End] }

// Ignore is an inline `# remedy:ignore <id>[,<id>] <reason>` directive.
// The reason may carry `until=YYYY-MM-DD`: an accepted risk that expires,
// after which the finding is active again.
type Ignore struct {
	Line     int
	Controls []string
	Reason   string
	// Until is the last day the directive suppresses (UTC); zero for a
	// directive without an end.
	Until time.Time
	// BadUntil is the text of an until= that is not a date, reported as
	// an error of the file.
	BadUntil string
}

// NewIgnore makes the directive of a line from its comma-separated IDs
// and the rest of the comment, taking `until=YYYY-MM-DD` out of the reason.
func NewIgnore(line int, ids, rest string) Ignore {
	ig := Ignore{Line: line}
	for _, id := range strings.Split(ids, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ig.Controls = append(ig.Controls, id)
		}
	}
	var words []string
	for _, w := range strings.Fields(rest) {
		if v, ok := strings.CutPrefix(w, "until="); ok {
			if t, err := time.Parse(time.DateOnly, v); err == nil {
				ig.Until = t
			} else {
				ig.BadUntil = v
			}
			continue
		}
		words = append(words, w)
	}
	ig.Reason = strings.Join(words, " ")
	return ig
}

// Expired reports whether the directive's until= day is before today's.
func (ig Ignore) Expired(now time.Time) bool {
	if ig.Until.IsZero() {
		return false
	}
	y, m, d := now.UTC().Date()
	return ig.Until.Before(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

var ignoreRE = regexp.MustCompile(`#\s*remedy:ignore\s+([A-Za-z0-9_,*-]+)[ \t]*([^\r\n]*)`)

// parseIgnores finds every ignore directive in content, by line.
func parseIgnores(content []byte) map[int]Ignore {
	if !bytes.Contains(content, []byte("remedy:ignore")) {
		return nil
	}
	out := map[int]Ignore{}
	for i, line := range bytes.Split(content, []byte("\n")) {
		m := ignoreRE.FindSubmatch(line)
		if m == nil {
			continue
		}
		out[i+1] = NewIgnore(i+1, string(m[1]), string(m[2]))
	}
	return out
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// ParseFile splits content into documents and parses each on its own, so one
// broken document does not hide the others. Errors name the file-absolute line.
func ParseFile(path string, content []byte) (*SourceFile, []FileError) {
	f := splitFile(path, content)
	return f, f.parseDocs()
}

// parseDocs parses the documents splitFile cut out.
func (f *SourceFile) parseDocs() []FileError {
	var errs []FileError
	for _, d := range f.Docs {
		if err := d.parse(); err != nil {
			errs = append(errs, *err)
		}
	}
	return errs
}

// splitFile returns the file with its documents cut out but not yet parsed.
func splitFile(path string, content []byte) *SourceFile {
	f := &SourceFile{Path: path, Bytes: content, IgnoreLines: parseIgnores(content)}
	for i, r := range splitDocuments(content) {
		f.Docs = append(f.Docs, &Document{File: f, Index: i, Start: r.start, End: r.end, StartLine: r.line})
	}
	return f
}

// parse parses the document's bytes into d.Node.
func (d *Document) parse() *FileError {
	n, err := parseDocument(d.Bytes(), d.StartLine)
	if err != nil {
		return &FileError{File: d.File.Path, Line: err.line, Message: err.msg}
	}
	d.Node = n
	return nil
}

type docRange struct{ start, end, line int }

// isMarker reports whether line (without its '\n') is the document marker
// m ("---" or "...") alone or followed by a space, a tab or a '\r'.
func isMarker(line []byte, m string) bool {
	if len(line) < 3 || string(line[:3]) != m {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r'
}

// isPreamble reports whether line (without its '\n') may come before a
// document's `---`: blank, a comment or a directive such as `%YAML 1.1`.
func isPreamble(line []byte) (ok, directive bool) {
	if len(line) > 0 && line[0] == '%' {
		return true, true
	}
	t := bytes.TrimLeft(line, " \t\r")
	return len(t) == 0 || t[0] == '#', false
}

// splitDocuments returns the byte ranges of the documents of content: a
// range ends before a `---` line or after a `...` line. Each range but the
// first starts at its separator line. Directives (`%YAML 1.1`) stay with the
// document whose `---` follows them, as YAML requires.
func splitDocuments(content []byte) []docRange {
	start := 0
	if bytes.HasPrefix(content, bom) {
		start = len(bom)
	}
	var out []docRange
	cur := docRange{start: start, line: 1}
	preamble, directive := true, false
	lineNo := 1
	for off := start; off < len(content); lineNo++ {
		next := len(content)
		if i := bytes.IndexByte(content[off:], '\n'); i >= 0 {
			next = off + i + 1
		}
		line := content[off:next]
		if n := len(line); n > 0 && line[n-1] == '\n' {
			line = line[:n-1]
		}
		switch {
		case off > cur.start && isMarker(line, "---") && !(preamble && directive):
			cur.end = off
			out = append(out, cur)
			cur = docRange{start: off, line: lineNo}
			preamble, directive = false, false
		case isMarker(line, "..."):
			cur.end = next
			out = append(out, cur)
			cur = docRange{start: next, line: lineNo + 1}
			preamble, directive = true, false
			off = next
			continue
		}
		if preamble {
			ok, d := isPreamble(line)
			preamble, directive = ok, directive || d
		}
		off = next
	}
	cur.end = len(content)
	if cur.start < cur.end || len(out) == 0 {
		out = append(out, cur)
	}
	return out
}

type parseError struct {
	line int
	msg  string
}

// parseDocument parses one document chunk whose first line is file line
// firstLine and shifts every node's line to be file-absolute.
func parseDocument(chunk []byte, firstLine int) (*yaml.RNode, *parseError) {
	var n yaml.Node
	if err := unmarshalNode(chunk, &n); err != nil {
		return nil, yamlError(chunk, firstLine, err)
	}
	if n.Kind == 0 || n.Kind == yaml.DocumentNode && len(n.Content) == 0 {
		return nil, nil
	}
	w := docWalk{lines: newLineMap(chunk, firstLine)}
	if _, err := w.walk(&n, 0); err != nil {
		return nil, err
	}
	root := &n
	if n.Kind == yaml.DocumentNode {
		root = n.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	return yaml.NewRNode(root), nil
}

// unmarshalNode parses the first document of chunk. A panic inside the YAML
// library on hostile input becomes an error: one bad file must not take the
// whole scan down.
func unmarshalNode(chunk []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML parser failed on this document: %v", r)
		}
	}()
	return yaml.Unmarshal(chunk, n)
}

// yamlError turns a parse error of chunk into a file-absolute one.
//
// yaml.v3 reports a parser error at the start of the enclosing block (often
// the document's first line), while yaml.v2, which kubectl uses, reports the
// offending token. So the line comes from re-parsing the chunk with yaml.v2,
// falling back to yaml.v3's when yaml.v2 gives none.
func yamlError(chunk []byte, firstLine int, err error) *parseError {
	line, msg := splitYAMLError(err)
	if l, m, ok := yamlv2Error(chunk); ok && l > 0 {
		line, msg = l, m
	}
	line = newLineMap(chunk, 1).file(line)
	if l := invalidUTF8Line(chunk); l > 0 && strings.Contains(msg, "UTF-8") {
		// Both parsers check the encoding before reading a token and name
		// the line they are at, not the byte's.
		line = l
	}
	if line == 0 {
		if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
			name, _, _ = strings.Cut(name, "'")
			line = lineOf(chunk, "*"+name)
		}
	}
	line = max(line, 1)
	// An error at the end of the stream is reported on the line after the
	// last; it belongs to the last.
	line = min(line, lineCount(chunk))
	return &parseError{line: firstLine + line - 1, msg: "invalid YAML: " + msg}
}

// invalidUTF8Line returns the '\n'-counted line of chunk's first byte that
// is not valid UTF-8, or 0 when chunk is valid.
func invalidUTF8Line(chunk []byte) int {
	for i := 0; i < len(chunk); {
		r, size := utf8.DecodeRune(chunk[i:])
		if r == utf8.RuneError && size <= 1 {
			return bytes.Count(chunk[:i], []byte("\n")) + 1
		}
		i += size
	}
	return 0
}

// lineMap turns a line yaml reports within a chunk into a file line.
//
// YAML also breaks lines at a lone '\r', NEL, LS and PS (YAML 1.1, 5.4);
// editors, git and GitHub count '\n' only, and so does remedy.
type lineMap struct {
	// first is the file line of the chunk's first line.
	first int
	// table, when the chunk holds breaks that only YAML counts, maps yaml's
	// 1-based line to the chunk's '\n'-counted one.
	table []int
}

func newLineMap(chunk []byte, firstLine int) lineMap {
	m := lineMap{first: firstLine}
	if hasYAMLOnlyBreaks(chunk) {
		m.table = yamlLineTable(chunk)
	}
	return m
}

// file returns the file line of yaml line l; 0 stays 0 (no line known).
func (m lineMap) file(l int) int {
	if l <= 0 {
		return 0
	}
	if m.table != nil {
		l = m.table[min(l, len(m.table)-1)]
	}
	return m.first + l - 1
}

// yamlOnlyBreak returns the length of the line break at chunk[i] that
// YAML counts but '\n' counting does not, or 0.
func yamlOnlyBreak(chunk []byte, i int) int {
	rest := chunk[i:]
	switch {
	case rest[0] == '\r' && (len(rest) == 1 || rest[1] != '\n'):
		return 1
	case rest[0] == 0xc2 && len(rest) > 1 && rest[1] == 0x85: // NEL
		return 2
	case rest[0] == 0xe2 && len(rest) > 2 && rest[1] == 0x80 && (rest[2] == 0xa8 || rest[2] == 0xa9): // LS, PS
		return 3
	}
	return 0
}

func hasYAMLOnlyBreaks(chunk []byte) bool {
	for _, first := range []byte{'\r', 0xc2, 0xe2} {
		for i := 0; ; i++ {
			j := bytes.IndexByte(chunk[i:], first)
			if j < 0 {
				break
			}
			if i += j; yamlOnlyBreak(chunk, i) > 0 {
				return true
			}
		}
	}
	return false
}

// yamlLineTable maps each yaml line (index, 1-based) of chunk to its
// '\n'-counted line.
func yamlLineTable(chunk []byte) []int {
	table := []int{0, 1}
	line := 1
	for i := 0; i < len(chunk); i++ {
		if chunk[i] == '\n' {
			line++
			table = append(table, line)
			continue
		}
		if n := yamlOnlyBreak(chunk, i); n > 0 {
			table = append(table, line)
			i += n - 1
		}
	}
	return table
}

// splitYAMLError splits "yaml: line 3: did not find expected key" into 3
// and the message; line is 0 when the error names none.
func splitYAMLError(err error) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0, msg
	}
	num, text, ok := strings.Cut(rest, ": ")
	n, convErr := strconv.Atoi(num)
	if !ok || convErr != nil {
		return 0, msg
	}
	return n, text
}

// yamlv2ParserProblems are the problems raised by yaml.v2's parser (not its
// scanner), whose line it reports 0-based: one line above the offending token.
var yamlv2ParserProblems = []string{
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
	"found undefined tag handle",
}

// yamlv2Error parses chunk with yaml.v2 and returns the 1-based line and
// message of its syntax error, if any. Decoding into an empty struct keeps
// yaml.v2 from expanding aliases.
func yamlv2Error(chunk []byte) (line int, msg string, ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	err := yamlv2.Unmarshal(chunk, &struct{}{})
	var typeErr *yamlv2.TypeError
	if err == nil || errors.As(err, &typeErr) {
		return 0, "", false
	}
	line, msg = splitYAMLError(err)
	if line > 0 && slices.Contains(yamlv2ParserProblems, msg) {
		line++
	}
	return line, msg, true
}

// lineCount returns the number of lines of chunk, counting a last line
// without a final newline.
func lineCount(chunk []byte) int {
	n := bytes.Count(chunk, []byte{'\n'})
	if len(chunk) > 0 && chunk[len(chunk)-1] != '\n' {
		n++
	}
	return max(n, 1)
}

// lineOf returns the 1-based line of the first occurrence of s in chunk, or 0.
func lineOf(chunk []byte, s string) int {
	i := bytes.Index(chunk, []byte(s))
	if i < 0 {
		return 0
	}
	return bytes.Count(chunk[:i], []byte{'\n'}) + 1
}

// docWalk visits a freshly parsed document once: it makes node lines
// file-absolute and rejects what kubectl rejects (duplicate mapping keys,
// alias bombs) or what remedy will not walk (extreme nesting, aliases that
// contain themselves).
type docWalk struct {
	lines lineMap
	// ancestors are the nodes from the root to the one being visited.
	ancestors []*yaml.Node
	// expanded is the size of each anchored node with its aliases expanded.
	expanded map[*yaml.Node]int
	// aliasNodes is how many nodes the aliases seen so far stand for.
	aliasNodes int
}

// walk returns the number of nodes n stands for with aliases expanded,
// capped just above maxAliasNodes.
func (w *docWalk) walk(n *yaml.Node, depth int) (int, *parseError) {
	if depth > maxDepth {
		return 0, &parseError{line: w.lines.file(n.Line), msg: fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
	}
	n.Line = w.lines.file(n.Line)
	if n.Kind == yaml.AliasNode {
		return w.alias(n)
	}
	if n.Kind == yaml.MappingNode {
		if err := duplicateKey(n, w.lines); err != nil {
			return 0, err
		}
	}
	w.ancestors = append(w.ancestors, n)
	size := 1
	for _, c := range n.Content {
		s, err := w.walk(c, depth+1)
		if err != nil {
			return 0, err
		}
		size = min(size+s, maxAliasNodes+1)
	}
	w.ancestors = w.ancestors[:len(w.ancestors)-1]
	if n.Anchor != "" {
		if w.expanded == nil {
			w.expanded = map[*yaml.Node]int{}
		}
		w.expanded[n] = size
	}
	return size, nil
}

// alias accounts for an alias node. Its target precedes it in the document,
// so its size is known, unless the target contains the alias.
func (w *docWalk) alias(n *yaml.Node) (int, *parseError) {
	if n.Alias == nil || slices.Contains(w.ancestors, n.Alias) {
		return 0, &parseError{line: n.Line, msg: fmt.Sprintf("alias *%s refers to a node that contains it", n.Value)}
	}
	size := w.expanded[n.Alias]
	w.aliasNodes = min(w.aliasNodes+size, maxAliasNodes+1)
	if w.aliasNodes > maxAliasNodes {
		return 0, &parseError{line: n.Line, msg: fmt.Sprintf("aliases expand to more than %d nodes (a YAML alias bomb?)", maxAliasNodes)}
	}
	return size, nil
}

// duplicateKey reports a key written twice in mapping m. Small mappings,
// nearly all of them, are compared pairwise to avoid allocating a set.
func duplicateKey(m *yaml.Node, lines lineMap) *parseError {
	keys := len(m.Content) / 2
	dup := func(k *yaml.Node, first int) *parseError {
		return &parseError{line: lines.file(k.Line), msg: fmt.Sprintf("duplicate key %q (first at line %d)", k.Value, lines.file(first))}
	}
	isKey := func(k *yaml.Node) bool { return k.Kind == yaml.ScalarNode && k.Value != "<<" }
	if keys <= 16 {
		for i := 2; i < 2*keys; i += 2 {
			k := m.Content[i]
			if !isKey(k) {
				continue
			}
			for j := 0; j < i; j += 2 {
				if p := m.Content[j]; p.Kind == yaml.ScalarNode && p.Value == k.Value {
					return dup(k, p.Line)
				}
			}
		}
		return nil
	}
	seen := make(map[string]int, keys)
	for i := 0; i < 2*keys; i += 2 {
		k := m.Content[i]
		if !isKey(k) {
			continue
		}
		if first, ok := seen[k.Value]; ok {
			return dup(k, first)
		}
		seen[k.Value] = k.Line
	}
	return nil
}

package remediate

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
)

// Op is one RFC 6902 operation. remedy emits add, replace and remove.
type Op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

func (o Op) String() string {
	if o.Op == "remove" {
		return o.Op + " " + o.Path
	}
	v, _ := renderFlow(o.Value)
	return o.Op + " " + o.Path + " " + v
}

// RefusedError says why an edit cannot be made safely; the file is left alone.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "not fixable here: " + e.Reason }

func refuse(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}

// docEditor applies patch operations to one document's bytes, in order:
// each operation is located in a parse of the bytes, rendered as new lines
// in the document's own style, and spliced in. Apply parses again after
// every operation; applyAll (batch.go) parses again only when an operation
// depends on an edit made since the last parse.
type docEditor struct {
	src   []byte
	root  *yaml.Node
	style style
}

func newDocEditor(src []byte) (*docEditor, error) {
	// YAML also breaks lines at a lone CR; remedy's line arithmetic does not,
	// and such files are too rare to be worth the risk.
	if i := bytes.IndexByte(src, '\r'); i >= 0 && bytes.Count(src, []byte("\r")) != bytes.Count(src, []byte("\r\n")) {
		return nil, refuse("the document breaks lines with a lone carriage return")
	}
	e := &docEditor{src: src}
	if err := e.parse(); err != nil {
		return nil, err
	}
	e.style = detectStyle(e.root, src)
	return e, nil
}

func (e *docEditor) parse() error {
	var n yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(e.src)).Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return refuse("empty document")
		}
		return fmt.Errorf("parse: %w", err)
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		e.root = n.Content[0]
	} else {
		e.root = &n
	}
	return nil
}

// step is one hop of a JSON pointer walk.
type step struct {
	parent *yaml.Node // the collection holding node
	key    *yaml.Node // the mapping key, for mapping parents
	index  int        // the index, for sequence parents
	node   *yaml.Node // the value; nil when the last token is absent
	token  string
}

// walk follows a JSON pointer from the document root. All but the last
// token must exist. Anchored and aliased nodes are refused: an edit there
// would leak to every other user of the anchor.
func (e *docEditor) walk(pointer string) ([]step, error) {
	tokens, err := opTokens(pointer)
	if err != nil {
		return nil, err
	}
	cur := e.root
	var steps []step
	for i, tok := range tokens {
		if cur.Kind == yaml.AliasNode {
			return nil, refuse("%s goes through the alias *%s", pointer, cur.Value)
		}
		if cur.Anchor != "" {
			return nil, refuse("%s goes through the anchor &%s, shared with its aliases", pointer, cur.Anchor)
		}
		last := i == len(tokens)-1
		s := step{parent: cur, token: tok, index: -1}
		switch cur.Kind {
		case yaml.MappingNode:
			for j := 0; j+1 < len(cur.Content); j += 2 {
				if cur.Content[j].Value == "<<" {
					return nil, refuse("%s is in a mapping with a << merge key", pointer)
				}
				if cur.Content[j].Value == tok {
					s.key, s.node = cur.Content[j], cur.Content[j+1]
				}
			}
		case yaml.SequenceNode:
			if tok == "-" && last {
				s.index = len(cur.Content)
				break
			}
			n, err := strconv.Atoi(tok)
			if err != nil || n < 0 || n > len(cur.Content) || (n == len(cur.Content) && !last) {
				return nil, fmt.Errorf("%s: no item %s", pointer, tok)
			}
			s.index = n
			if n < len(cur.Content) {
				s.node = cur.Content[n]
			}
		default:
			return nil, fmt.Errorf("%s: %q is not a collection", pointer, strings.Join(tokens[:i], "/"))
		}
		steps = append(steps, s)
		if s.node == nil {
			if !last {
				return nil, fmt.Errorf("%s: %q does not exist", pointer, tok)
			}
			break
		}
		if s.node.Kind == yaml.AliasNode || s.node.Anchor != "" {
			return nil, refuse("%s is anchored or aliased, shared with other parts of the file", pointer)
		}
		cur = s.node
	}
	if len(steps) == 0 {
		return nil, refuse("cannot replace a whole document")
	}
	return steps, nil
}

// opTokens splits an operation's path into its reference tokens. An
// operation changes a field, never the whole document, so the root
// pointer "" is refused here as an invalid path.
func opTokens(path string) ([]string, error) {
	if path == "" {
		return nil, fmt.Errorf("invalid JSON pointer %q", path)
	}
	return jsonpointer.Split(path)
}

// Apply applies one operation, splicing the change into the bytes and
// parsing the result again.
func (e *docEditor) Apply(op Op) error {
	ed, err := e.locate(newText(e.src), op)
	if err != nil {
		return err
	}
	src, err := applySplices(e.src, ed.splices)
	if err != nil {
		return fmt.Errorf("%s %s: %w", op.Op, op.Path, err)
	}
	e.src = src
	if err := e.parse(); err != nil {
		return fmt.Errorf("%s %s produced invalid YAML: %w", op.Op, op.Path, err)
	}
	return nil
}

// locate finds and renders one operation against the current parse: the
// splices that make it, and what edits made since that parse it depends on
// (see edit).
func (e *docEditor) locate(t *text, op Op) (*edit, error) {
	steps, err := e.walk(op.Path)
	if err != nil {
		return nil, err
	}
	s := steps[len(steps)-1]
	ed := &edit{op: op}
	switch op.Op {
	case "add", "replace":
		switch {
		case s.node != nil:
			ed.splices, err = e.replace(t, steps, op.Value)
			if err == nil && simpleReplace(s, op.Value, ed.splices) {
				ed.kind, ed.line, ed.column = editReplace, s.node.Line, s.node.Column
			}
		case op.Op == "replace":
			return nil, fmt.Errorf("replace %s: no such field", op.Path)
		case s.parent.Kind == yaml.MappingNode:
			ed.splices, ed.ins, err = e.addKey(t, s.parent, s.token, op.Value)
			if s.token == "<<" {
				// A merge key changes how later walks read the mapping.
				ed.ins = nil
			}
		default:
			ed.splices, ed.ins, err = e.appendItem(t, s.parent, s.index, op.Value)
		}
	case "remove":
		if s.node == nil {
			return nil, fmt.Errorf("remove %s: no such field", op.Path)
		}
		ed.splices, err = e.remove(t, steps)
	default:
		return nil, fmt.Errorf("unsupported op %q", op.Op)
	}
	if err != nil {
		return nil, err
	}
	if ed.ins != nil {
		ed.kind = editInsert
	}
	return ed, nil
}

// scalarSpan returns the byte range of a scalar's token on its line.
func scalarSpan(t *text, n *yaml.Node, flow bool) (int, int, error) {
	if n.Style&yaml.TaggedStyle != 0 || (n.Tag != "" && !strings.HasPrefix(n.Tag, "!!")) {
		return 0, 0, refuse("the value at line %d has an explicit tag %s", n.Line, n.Tag)
	}
	start := t.offset(n.Line, n.Column)
	line := t.content(n.Line)
	lineStart := t.lineStart(n.Line)
	if n.Line > t.lineCount() || start < lineStart || start > lineStart+len(line) {
		return 0, 0, refuse("cannot locate the value at line %d", n.Line)
	}
	rest := line[start-lineStart:]
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		return 0, 0, refuse("the value at line %d is a block scalar", n.Line)
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		if end := quotedEnd(rest, 0); end >= 0 {
			return start, start + end + 1, nil
		}
		return 0, 0, refuse("the quoted value at line %d spans lines", n.Line)
	}
	end := 0
	for end < len(rest) {
		c := rest[end]
		if c == '#' && end > 0 && (rest[end-1] == ' ' || rest[end-1] == '\t') {
			break
		}
		if flow && (c == ',' || c == ']' || c == '}') {
			break
		}
		// A plain key ends at ": " (or ":" ending the line).
		if c == ':' && (end+1 == len(rest) || rest[end+1] == ' ' || rest[end+1] == '\t' || (flow && strings.IndexByte(",[]{}", rest[end+1]) >= 0)) {
			break
		}
		end++
	}
	tok := strings.TrimRight(string(rest[:end]), " \t")
	if tok != n.Value && !(n.Tag == "!!null" && (tok == "" || tok == "~" || strings.EqualFold(tok, "null"))) {
		return 0, 0, refuse("the value at line %d spans lines", n.Line)
	}
	return start, start + len(tok), nil
}

// inFlow reports whether the last step's parent is a flow collection.
func inFlow(s step) bool { return s.parent.Style&yaml.FlowStyle != 0 }

// replace swaps an existing value for v.
func (e *docEditor) replace(t *text, steps []step, v any) ([]splice, error) {
	sp, err := e.replaceOne(t, steps, v)
	if err != nil {
		return nil, err
	}
	return []splice{sp}, nil
}

func (e *docEditor) replaceOne(t *text, steps []step, v any) (splice, error) {
	s := steps[len(steps)-1]
	n := s.node
	_, isColl := v.(map[string]any)
	if _, ok := v.([]any); ok {
		isColl = true
	}
	if n.Kind != yaml.ScalarNode {
		return splice{}, refuse("replacing the %s at line %d is not supported", kindName(n), n.Line)
	}
	if !isColl || inFlow(s) {
		start, end, err := scalarSpan(t, n, inFlow(s))
		if err != nil {
			return splice{}, err
		}
		var val string
		if isColl {
			val, err = renderFlow(v)
		} else {
			val, err = e.renderLike(v, n, inFlow(s))
		}
		if err != nil {
			return splice{}, err
		}
		if n.Tag == "!!null" && start == end && s.key != nil {
			val = " " + val
		}
		return splice{start: start, end: end, text: val}, nil
	}
	// A collection replacing a null scalar in a block mapping: `key:` (or
	// `key: null`) gains block lines below it.
	if n.Tag != "!!null" || s.key == nil {
		return splice{}, refuse("replacing the scalar at line %d with a collection is not supported", n.Line)
	}
	start, end, err := scalarSpan(t, n, false)
	if err != nil {
		return splice{}, err
	}
	if n.Line != s.key.Line {
		return splice{}, refuse("the value of %q is not on its key's line", s.key.Value)
	}
	// Drop the null token and the blanks before it; keep any comment.
	for start > 0 && (e.src[start-1] == ' ' || e.src[start-1] == '\t') {
		start--
	}
	lines, err := e.renderValueLines(s.key.Column-1, v)
	if err != nil {
		return splice{}, err
	}
	lineEnd := t.lineEnd(n.Line)
	rest := string(e.src[end:lineEnd])
	if !t.hasNewline(n.Line) {
		// Last line without a final newline: keep it that way.
		return splice{start: start, end: lineEnd, text: rest + e.style.newline + strings.TrimSuffix(lines, e.style.newline)}, nil
	}
	return splice{start: start, end: lineEnd, text: rest + lines}, nil
}

// renderValueLines renders a collection as the block lines that follow its
// key at column keyCol (0-based).
func (e *docEditor) renderValueLines(keyCol int, v any) (string, error) {
	var b strings.Builder
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if err := e.style.writeEntry(&b, keyCol+e.style.step, renderString(k, false), x[k]); err != nil {
				return "", err
			}
		}
	case []any:
		for _, it := range x {
			if err := e.style.writeItem(&b, keyCol+e.style.seqIndent, it); err != nil {
				return "", err
			}
		}
	}
	return b.String(), nil
}

// renderLike renders a scalar replacing old, keeping old's quoting for strings.
func (e *docEditor) renderLike(v any, old *yaml.Node, flow bool) (string, error) {
	s, ok := v.(string)
	if !ok {
		return renderScalar(v, flow)
	}
	switch {
	case old.Style&yaml.DoubleQuotedStyle != 0:
		b, _ := jsonString(s)
		return b, nil
	case old.Style&yaml.SingleQuotedStyle != 0 && !strings.ContainsAny(s, "\n\r"):
		return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
	}
	return renderString(s, flow), nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	}
	return "value"
}

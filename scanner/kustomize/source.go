package kustomize

import (
	"bytes"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
	"github.com/remedy-bot/remedy/scanner"
)

// sourceDoc is a YAML document as written — a resource, a patch file's
// document, or a patch inline in a kustomization — with file-absolute
// lines, and where its text is in the file, so that an edit can be made
// there and spliced back.
type sourceDoc struct {
	file *scanner.SourceFile
	root *yaml.Node
	// start and end are the byte range of the document's lines in
	// file.Bytes; indent is how many columns of indentation every line of
	// it carries there (an inline block scalar's), 0 for a document of
	// its own.
	start, end, indent int
	// editable is false when the text cannot be cut out as whole lines:
	// an inline patch written as a quoted or folded string.
	editable bool
	// source is scanner.SourceResource or scanner.SourcePatch.
	source string
	// json is true for a JSON 6902 op list.
	json bool

	pointers map[*yaml.Node]string
}

// fileDocs returns the non-empty documents of a file.
func fileDocs(f *scanner.SourceFile) []*sourceDoc {
	var out []*sourceDoc
	for _, d := range f.Docs {
		if d.Node == nil {
			continue
		}
		out = append(out, &sourceDoc{file: f, root: d.Node.YNode(), start: d.Start, end: d.End, editable: true})
	}
	return out
}

// pointer returns the JSON pointer of n within the document, or false.
func (d *sourceDoc) pointer(n *yaml.Node) (string, bool) {
	if d.pointers == nil {
		d.pointers = map[*yaml.Node]string{}
		var walk func(n *yaml.Node, p string, depth int)
		walk = func(n *yaml.Node, p string, depth int) {
			if n == nil || depth > 512 {
				return
			}
			d.pointers[n] = p
			switch n.Kind {
			case yaml.MappingNode:
				for i := 0; i+1 < len(n.Content); i += 2 {
					k := n.Content[i]
					kp := p + "/" + jsonpointer.Escape(k.Value)
					d.pointers[k] = kp
					walk(n.Content[i+1], kp, depth+1)
				}
			case yaml.SequenceNode:
				for i, c := range n.Content {
					walk(c, p+"/"+strconv.Itoa(i), depth+1)
				}
			}
		}
		walk(d.root, "", 0)
	}
	p, ok := d.pointers[n]
	return p, ok
}

// lineStarts returns the byte offset at which each line of b starts;
// index 0 is line 1.
func lineStarts(b []byte) []int {
	out := []int{0}
	for i, c := range b {
		if c == '\n' && i+1 < len(b) {
			out = append(out, i+1)
		}
	}
	return out
}

// lineRange returns the byte range of lines first..last (1-based,
// inclusive) of b, through the last line's newline.
func lineRange(b []byte, starts []int, first, last int) (int, int) {
	start := starts[first-1]
	end := len(b)
	if last < len(starts) {
		end = starts[last]
	}
	return start, end
}

func leadingSpaces(line []byte) int {
	n := 0
	for n < len(line) && line[n] == ' ' {
		n++
	}
	return n
}

func isBlank(line []byte) bool { return len(bytes.TrimSpace(line)) == 0 }

// inlineDocs parses a patch written inline in a kustomization (kf) as the
// scalar n. A literal block scalar (`patch: |-`) is located line by line,
// so its fields get their own lines and it can be edited; any other
// scalar style gets the scalar's line for every field and is not editable.
func inlineDocs(kf *scanner.SourceFile, starts []int, n *yaml.Node) []*sourceDoc {
	if n.Style&yaml.LiteralStyle != 0 {
		if docs := literalDocs(kf, starts, n); docs != nil {
			return docs
		}
	}
	f, _ := scanner.ParseFile(kf.Path, []byte(n.Value))
	var out []*sourceDoc
	for _, d := range f.Docs {
		if d.Node == nil {
			continue
		}
		shift(d.Node.YNode(), func(l, c int) (int, int) { return n.Line, n.Column })
		out = append(out, &sourceDoc{file: kf, root: d.Node.YNode()})
	}
	return out
}

// literalDocs locates the documents of a literal block scalar in kf, whose
// lineStarts are starts.
func literalDocs(kf *scanner.SourceFile, starts []int, n *yaml.Node) []*sourceDoc {
	line := func(l int) []byte {
		s, e := lineRange(kf.Bytes, starts, l, l)
		return bytes.TrimRight(kf.Bytes[s:e], "\r\n")
	}
	first := n.Line + 1
	if first > len(starts) {
		return nil
	}
	indent := -1
	last := first - 1
	for l := first; l <= len(starts); l++ {
		c := line(l)
		if isBlank(c) {
			continue
		}
		ind := leadingSpaces(c)
		if indent < 0 {
			indent = ind
		}
		if ind < indent {
			break
		}
		last = l
	}
	if indent <= 0 || last < first {
		return nil
	}
	var text bytes.Buffer
	for l := first; l <= last; l++ {
		c := line(l)
		if len(c) >= indent {
			c = c[indent:]
		} else {
			c = nil
		}
		text.Write(c)
		text.WriteByte('\n')
	}
	if strings.TrimRight(text.String(), "\n") != strings.TrimRight(n.Value, "\n") {
		return nil
	}
	f, _ := scanner.ParseFile(kf.Path, text.Bytes())
	var out []*sourceDoc
	for _, d := range f.Docs {
		if d.Node == nil {
			continue
		}
		docFirst := d.StartLine
		docLast := docFirst + bytes.Count(d.Bytes(), []byte{'\n'}) - 1
		if !bytes.HasSuffix(d.Bytes(), []byte{'\n'}) {
			docLast++
		}
		shift(d.Node.YNode(), func(l, c int) (int, int) { return l + first - 1, c + indent })
		s, e := lineRange(kf.Bytes, starts, docFirst+first-1, min(docLast+first-1, last))
		out = append(out, &sourceDoc{file: kf, root: d.Node.YNode(), start: s, end: e, indent: indent, editable: true})
	}
	return out
}

// shift moves every node of a tree by pos.
func shift(n *yaml.Node, pos func(line, col int) (int, int)) {
	seen := map[*yaml.Node]bool{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		n.Line, n.Column = pos(n.Line, n.Column)
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
}

package remediate

import (
	"bytes"
	"unicode/utf8"
)

// text indexes the lines of a document's bytes. Lines and columns are
// 1-based, as yaml.v3 reports them; columns count runes.
type text struct {
	src    []byte
	starts []int // byte offset of each line's start; starts[0] is line 1
}

func newText(src []byte) *text {
	t := &text{src: src, starts: []int{0}}
	for i, c := range src {
		if c == '\n' && i+1 <= len(src) {
			t.starts = append(t.starts, i+1)
		}
	}
	// A final newline does not open a line.
	if len(src) > 0 && src[len(src)-1] == '\n' {
		t.starts = t.starts[:len(t.starts)-1]
	}
	return t
}

func (t *text) lineCount() int { return len(t.starts) }

// lineStart returns the offset of a line's first byte.
func (t *text) lineStart(line int) int {
	if line > len(t.starts) {
		return len(t.src)
	}
	return t.starts[line-1]
}

// lineEnd returns the offset just past the line's newline (or EOF).
func (t *text) lineEnd(line int) int {
	if line >= len(t.starts) {
		return len(t.src)
	}
	return t.starts[line]
}

// content returns a line without its line break.
func (t *text) content(line int) []byte {
	b := t.src[t.lineStart(line):t.lineEnd(line)]
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// offset converts a line and rune column to a byte offset.
func (t *text) offset(line, col int) int {
	off := t.lineStart(line)
	for c := 1; c < col && off < len(t.src); c++ {
		_, size := utf8.DecodeRune(t.src[off:])
		off += size
	}
	return off
}

// indent returns the number of leading spaces of a line.
func (t *text) indent(line int) int {
	b := t.content(line)
	n := 0
	for n < len(b) && b[n] == ' ' {
		n++
	}
	return n
}

// hasNewline reports whether the line ends with a line break.
func (t *text) hasNewline(line int) bool {
	end := t.lineEnd(line)
	return end > 0 && t.src[end-1] == '\n'
}

// newline returns the document's line break: CRLF when its first line
// break is CRLF, else LF.
func newline(src []byte) string {
	if i := bytes.IndexByte(src, '\n'); i > 0 && src[i-1] == '\r' {
		return "\r\n"
	}
	return "\n"
}

package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/remedy-bot/remedy/internal/parallel"
	"github.com/remedy-bot/remedy/scanner"
)

// jsonChunk is how many list items one goroutine encodes at a time.
const jsonChunk = 128

// WriteJSON writes rep in its public JSON form (see scanner.Report),
// indented by two spaces and ending in a newline: byte for byte what
// json.Encoder with SetIndent("", "  ") writes for it (a test holds it to
// that, on the real-world corpus too). A nil list is written as [], as
// writeJSONList writes every empty one.
//
// The findings, most of the output, are written by appendFinding rather
// than by reflection, in chunks on every core, and the chunks are written
// as they are joined. One encoder would marshal the whole report on one
// core into one buffer, indent it into a second and then write it: for a
// large repository megabytes of fresh memory, whose page faults alone cost
// more than the encoding.
func WriteJSON(w io.Writer, rep *scanner.Report) error {
	if rep == nil {
		rep = &scanner.Report{}
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString("{\n  \"findings\": ")
	if err := writeJSONList(bw, rep.Findings, appendFinding); err != nil {
		return err
	}
	bw.WriteString(",\n  \"errors\": ")
	if err := writeJSONList(bw, rep.Errors, appendIndented); err != nil {
		return err
	}
	bw.WriteString(",\n  \"skipped\": ")
	if err := writeJSONList(bw, rep.Skipped, appendIndented); err != nil {
		return err
	}
	bw.WriteString("\n}\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// itemIndent starts each line of a list item (the lists are fields of
// the report's top-level object); fieldIndent starts its fields' lines.
const (
	itemIndent  = "\n    "
	fieldIndent = "\n      "
)

// writeJSONList writes items as the value of a field of the report's
// top-level object: "[]" when empty, else one item per line, each
// appended by appendItem.
func writeJSONList[T any](w *bufio.Writer, items []T, appendItem func([]byte, *T) ([]byte, error)) error {
	if len(items) == 0 {
		w.WriteString("[]")
		return nil
	}
	chunks := make([][]byte, (len(items)+jsonChunk-1)/jsonChunk)
	errs := make([]error, len(chunks))
	parallel.ForEach(len(chunks), func(c int) {
		// A finding takes some 570 bytes (the real-world corpus).
		buf := make([]byte, 0, 640*jsonChunk)
		for i := c * jsonChunk; i < min((c+1)*jsonChunk, len(items)); i++ {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, itemIndent...)
			var err error
			if buf, err = appendItem(buf, &items[i]); err != nil {
				errs[c] = fmt.Errorf("write JSON report: %w", err)
				return
			}
		}
		chunks[c] = buf
	})
	w.WriteByte('[')
	for c := range chunks {
		if errs[c] != nil {
			return errs[c]
		}
		w.Write(chunks[c])
	}
	w.WriteString("\n  ]")
	return nil
}

// appendIndented appends v as encoding/json indents a list item of the
// report.
func appendIndented[T any](dst []byte, v *T) ([]byte, error) {
	b, err := json.MarshalIndent(v, itemIndent[1:], "  ")
	return append(dst, b...), err
}

// appendFinding appends f as encoding/json indents a list item of the
// report, field by field in scanner.Finding's order, omitting what its
// tags omit when empty.
func appendFinding(dst []byte, f *scanner.Finding) ([]byte, error) {
	str := func(name, v string) {
		dst = append(append(append(dst, fieldIndent...), name...), `": `...)
		dst = appendJSONString(dst, v)
		dst = append(dst, ',')
	}
	num := func(name string, v int) {
		dst = append(append(append(dst, fieldIndent...), name...), `": `...)
		dst = append(strconv.AppendInt(dst, int64(v), 10), ',')
	}
	boolean := func(name string, v bool) {
		dst = append(append(append(dst, fieldIndent...), name...), `": `...)
		dst = append(strconv.AppendBool(dst, v), ',')
	}
	dst = append(dst, '{')
	str(`"control`, f.Control)
	str(`"severity`, f.Severity.String())
	str(`"file`, f.File)
	num(`"line`, f.Line)
	num(`"column`, f.Column)
	str(`"kind`, f.Kind)
	str(`"namespace`, f.Namespace)
	str(`"name`, f.Name)
	str(`"container`, f.Container)
	str(`"path`, f.Path)
	str(`"message`, f.Message)
	boolean(`"fixable`, f.Fixable)
	boolean(`"suppressed`, f.Suppressed)
	str(`"reason`, f.Reason)
	if f.Source != "" {
		str(`"sourceKind`, f.Source)
	}
	if len(f.Rendered) > 0 {
		b, err := json.MarshalIndent(f.Rendered, fieldIndent[1:], "  ")
		if err != nil {
			return dst, err
		}
		dst = append(append(append(dst, fieldIndent...), `"rendered": `...), b...)
		dst = append(dst, ',')
	}
	if f.Note != "" {
		str(`"note`, f.Note)
	}
	if f.Address != "" {
		str(`"address`, f.Address)
	}
	if f.Until != "" {
		str(`"until`, f.Until)
	}
	if f.Expired {
		boolean(`"expired`, f.Expired)
	}
	dst[len(dst)-1] = '\n' // the last field's comma
	return append(dst, "    }"...), nil
}

// appendJSONString appends s quoted as encoding/json quotes a string with
// its default HTML escaping: <, > and & as \u003c, \u003e and \u0026,
// U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= ' ' && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(append(dst, s[start:i]...), `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(append(dst, s[start:i]...), '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

package scanner

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// hostPIDPod is the evasion of issue 18: a privileged hostPID Pod, with a
// character outside the BMP (a surrogate pair in UTF-16) in a comment.
const hostPIDPod = `apiVersion: v1
kind: Pod
metadata:
  name: evil # 😈
spec:
  hostPID: true
  containers:
  - name: sh
    image: busybox:1.36
    securityContext:
      privileged: true
`

// encode writes s in encoding with its byte order mark.
func encode(s, encoding string) []byte {
	var order binary.AppendByteOrder = binary.LittleEndian
	if strings.HasSuffix(encoding, "BE") {
		order = binary.BigEndian
	}
	var out []byte
	if strings.HasPrefix(encoding, "UTF-16") {
		for _, u := range utf16.Encode([]rune("\uFEFF" + s)) {
			out = order.AppendUint16(out, u)
		}
		return out
	}
	for _, r := range "\uFEFF" + s {
		out = order.AppendUint32(out, uint32(r))
	}
	return out
}

// TestLoadDecodesUnicodeWithBOM: UTF-16 and UTF-32 files with a BOM are
// read as Kubernetes reads them, with the lines of the text, and scanned.
func TestLoadDecodesUnicodeWithBOM(t *testing.T) {
	for _, encoding := range []string{EncodingUTF16LE, EncodingUTF16BE, EncodingUTF32LE, EncodingUTF32BE} {
		t.Run(encoding, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "pod.yaml"), encode(hostPIDPod, encoding), 0o644); err != nil {
				t.Fatal(err)
			}
			in := Load(dir, []string{dir}, LoadOptions{})
			if len(in.Files) != 1 || len(in.Errors) > 0 || len(in.Skipped) > 0 {
				t.Fatalf("files %d, errors %v, skipped %v", len(in.Files), in.Errors, in.Skipped)
			}
			f := in.Files[0]
			if f.Encoding != encoding || string(f.Bytes) != hostPIDPod {
				t.Errorf("encoding %q, bytes %q; want %q and the text", f.Encoding, f.Bytes, encoding)
			}
			rep := ScanInputs(in, Options{})
			lines := map[string]int{}
			for _, fd := range rep.Findings {
				lines[fd.Control] = fd.Line
			}
			if lines["host-pid"] != 6 || lines["privileged"] != 11 {
				t.Errorf("host-pid at line %d, privileged at %d; want 6 and 11 (findings %v)", lines["host-pid"], lines["privileged"], lines)
			}

			// The same through standard input.
			st := Load(".", []string{"-"}, LoadOptions{Stdin: strings.NewReader(string(encode(hostPIDPod, encoding)))})
			if len(st.Files) != 1 || st.Files[0].Encoding != encoding || string(st.Files[0].Bytes) != hostPIDPod {
				t.Errorf("stdin: files %d, errors %v", len(st.Files), st.Errors)
			}
		})
	}
}

// TestDecodeUnicodeRefusesBrokenText: what cannot be decoded exactly is an
// error naming the encoding, never a U+FFFD; UTF-8, with or without its BOM,
// is returned as it is; UTF-16 without a BOM stays binary.
func TestDecodeUnicodeRefusesBrokenText(t *testing.T) {
	tests := []struct {
		name, want, encoding string
		in                   []byte
	}{
		{name: "UTF-8", in: []byte("a: 1\n")},
		{name: "UTF-8 with BOM", in: []byte("\uFEFFa: 1\n")},
		{name: "UTF-16LE odd length", in: append(encode("a: 1\n", EncodingUTF16LE), 'x'), encoding: EncodingUTF16LE, want: "invalid UTF-16LE: odd number of bytes (11)"},
		{name: "UTF-16BE lone high surrogate", in: append(encode("a: 1\n", EncodingUTF16BE), 0xD8, 0x00, 0x00, 'b'), encoding: EncodingUTF16BE, want: "invalid UTF-16BE: unpaired surrogate on line 2"},
		{name: "UTF-16LE lone low surrogate", in: append(encode("a\n", EncodingUTF16LE), 0x00, 0xDC), encoding: EncodingUTF16LE, want: "invalid UTF-16LE: unpaired surrogate on line 2"},
		{name: "UTF-32BE out of range", in: append(encode("a\n", EncodingUTF32BE), 0x00, 0x11, 0x00, 0x00), encoding: EncodingUTF32BE, want: "invalid UTF-32BE: invalid code point U+110000 on line 2"},
		{name: "UTF-32LE truncated", in: append(encode("a\n", EncodingUTF32LE), 'b'), encoding: EncodingUTF32LE, want: "invalid UTF-32LE: 9 bytes, not a whole number of 4-byte units"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, enc, err := DecodeUnicode(tc.in)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want || enc != tc.encoding {
				t.Fatalf("error %q, encoding %q; want %q, %q", got, enc, tc.want, tc.encoding)
			}
			if tc.want == "" && tc.encoding == "" && string(out) != string(tc.in) {
				t.Errorf("UTF-8 changed: %q", out)
			}
		})
	}

	dir := t.TempDir()
	noBOM := encode(hostPIDPod, EncodingUTF16LE)[2:]
	if err := os.WriteFile(filepath.Join(dir, "pod.yaml"), noBOM, 0o644); err != nil {
		t.Fatal(err)
	}
	in := Load(dir, []string{dir}, LoadOptions{})
	if len(in.Skipped) != 1 || in.Skipped[0].Reason != "binary file" {
		t.Errorf("UTF-16 without a BOM: skipped %v, files %d", in.Skipped, len(in.Files))
	}
	if err := os.WriteFile(filepath.Join(dir, "pod.yaml"), encode("a\n", EncodingUTF16LE)[:5], 0o644); err != nil {
		t.Fatal(err)
	}
	in = Load(dir, []string{dir}, LoadOptions{})
	if len(in.Errors) != 1 || in.Errors[0].Error() != "pod.yaml: invalid UTF-16LE: odd number of bytes (3)" {
		t.Errorf("broken UTF-16: errors %v", in.Errors)
	}
}

// TestParseFileNamesTheLineOfInvalidUTF8: the YAML parsers name the line
// they were at, often the document's first; the error names the byte's.
func TestParseFileNamesTheLineOfInvalidUTF8(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain scalar on line 4", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \xffweb\n", "pod.yaml:4: invalid YAML: invalid leading UTF-8 octet"},
		{"quoted scalar on line 6", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels:\n    a: \"x\xff\"\n", "pod.yaml:6: invalid YAML: invalid leading UTF-8 octet"},
		{"second document, line 9", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\xff\n", "pod.yaml:9: invalid YAML: invalid leading UTF-8 octet"},
		{"truncated sequence in a comment, line 3", "a: 1\nb: 2\n# \xe2\x82\nc: 3\n", "pod.yaml:3: invalid YAML: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := ParseFile("pod.yaml", []byte(tc.in))
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Fatalf("errors %v, want one starting %q", errs, tc.want)
			}
		})
	}
}

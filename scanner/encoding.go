package scanner

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Encodings of a manifest other than UTF-8, named by SourceFile.Encoding.
const (
	EncodingUTF16LE = "UTF-16LE"
	EncodingUTF16BE = "UTF-16BE"
	EncodingUTF32LE = "UTF-32LE"
	EncodingUTF32BE = "UTF-32BE"
)

// unicodeBOMs are the byte order marks DecodeUnicode recognises, UTF-32LE
// before UTF-16LE, whose mark starts the same.
var unicodeBOMs = []struct {
	bom      []byte
	encoding string
}{
	{[]byte{0x00, 0x00, 0xFE, 0xFF}, EncodingUTF32BE},
	{[]byte{0xFF, 0xFE, 0x00, 0x00}, EncodingUTF32LE},
	{[]byte{0xFE, 0xFF}, EncodingUTF16BE},
	{[]byte{0xFF, 0xFE}, EncodingUTF16LE},
}

// DecodeUnicode returns content as UTF-8 and the encoding it was in: ""
// for UTF-8 (returned as is, a UTF-8 BOM included), else the encoding its
// byte order mark names, the mark dropped.
//
// Kubernetes reads manifests this way: kubectl's file visitor
// (k8s.io/cli-runtime/pkg/resource) wraps every file in
// golang.org/x/text/encoding/unicode.BOMOverride, which switches to UTF-16
// on a UTF-16 BOM. A privileged Pod saved as UTF-16 is applied like any
// other, so remedy must read it too, not skip it as binary. UTF-32 with a
// BOM is read as well (BOMOverride does not, but other tools do): reading
// more can only show more findings. Without a BOM, a UTF-16 file holds NUL
// bytes and is skipped as binary, as before.
//
// Decoding is strict: an unpaired surrogate, a code point out of range or
// a truncated unit is an error rather than a U+FFFD, so that what is
// scanned is exactly what the file says.
func DecodeUnicode(content []byte) ([]byte, string, error) {
	for _, b := range unicodeBOMs {
		if !bytes.HasPrefix(content, b.bom) {
			continue
		}
		body := content[len(b.bom):]
		var out []byte
		var err error
		switch b.encoding {
		case EncodingUTF16LE:
			out, err = decodeUTF16(body, binary.LittleEndian)
		case EncodingUTF16BE:
			out, err = decodeUTF16(body, binary.BigEndian)
		case EncodingUTF32LE:
			out, err = decodeUTF32(body, binary.LittleEndian)
		default:
			out, err = decodeUTF32(body, binary.BigEndian)
		}
		if err != nil {
			return nil, b.encoding, fmt.Errorf("invalid %s: %w", b.encoding, err)
		}
		return out, b.encoding, nil
	}
	return content, "", nil
}

func decodeUTF16(b []byte, order binary.ByteOrder) ([]byte, error) {
	if len(b)%2 != 0 {
		return nil, fmt.Errorf("odd number of bytes (%d)", len(b))
	}
	out := make([]byte, 0, len(b)/2*3/2)
	line := 1
	for i := 0; i < len(b); i += 2 {
		u := rune(order.Uint16(b[i:]))
		switch {
		case utf16.IsSurrogate(u):
			if u >= 0xDC00 || i+4 > len(b) {
				return nil, fmt.Errorf("unpaired surrogate on line %d", line)
			}
			lo := rune(order.Uint16(b[i+2:]))
			r := utf16.DecodeRune(u, lo)
			if r == utf8.RuneError {
				return nil, fmt.Errorf("unpaired surrogate on line %d", line)
			}
			out = utf8.AppendRune(out, r)
			i += 2
		default:
			if u == '\n' {
				line++
			}
			out = utf8.AppendRune(out, u)
		}
	}
	return out, nil
}

func decodeUTF32(b []byte, order binary.ByteOrder) ([]byte, error) {
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%d bytes, not a whole number of 4-byte units", len(b))
	}
	out := make([]byte, 0, len(b)/4)
	line := 1
	for i := 0; i < len(b); i += 4 {
		r := rune(order.Uint32(b[i:]))
		if !utf8.ValidRune(r) {
			return nil, fmt.Errorf("invalid code point U+%X on line %d", uint32(r), line)
		}
		if r == '\n' {
			line++
		}
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

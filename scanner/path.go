package scanner

import (
	"strconv"
	"strings"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
)

// Path locates a field inside a resource. Keys are plain segments; sequence
// indices are written "[N]". It renders both as the JSON-path-like form used
// in reports (spec.containers[0].image) and as an RFC 6901 JSON pointer
// (/spec/containers/0/image) used by remediation patches.
type Path []string

// Key returns p extended by a mapping key.
func (p Path) Key(k string) Path { return append(p[:len(p):len(p)], k) }

// Index returns p extended by a sequence index.
func (p Path) Index(i int) Path { return append(p[:len(p):len(p)], "["+strconv.Itoa(i)+"]") }

// IsIndex reports whether a segment is a sequence index and returns it.
func IsIndex(seg string) (int, bool) {
	if len(seg) < 3 || seg[0] != '[' || seg[len(seg)-1] != ']' {
		return 0, false
	}
	n, err := strconv.Atoi(seg[1 : len(seg)-1])
	return n, err == nil && n >= 0
}

// String renders p as spec.template.spec.containers[0].securityContext.
func (p Path) String() string {
	var b strings.Builder
	for i, s := range p {
		if _, ok := IsIndex(s); ok {
			b.WriteString(s)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}

// Tokens returns p as RFC 6901 reference tokens (unescaped): an index as
// its number.
func (p Path) Tokens() []string {
	out := make([]string, len(p))
	for i, s := range p {
		if n, ok := IsIndex(s); ok {
			out[i] = strconv.Itoa(n)
		} else {
			out[i] = s
		}
	}
	return out
}

// PathOf reads reference tokens (of a pointer into an object) as a Path:
// a token that is a non-negative number is a sequence index, as it is in
// every pointer remedy writes; any other is a mapping key.
func PathOf(tokens []string) Path {
	var p Path
	for _, t := range tokens {
		if i, err := strconv.Atoi(t); err == nil && i >= 0 {
			p = p.Index(i)
		} else {
			p = p.Key(t)
		}
	}
	return p
}

// Pointer renders p as an RFC 6901 JSON pointer.
func (p Path) Pointer() string {
	var b strings.Builder
	for _, s := range p {
		b.WriteByte('/')
		if n, ok := IsIndex(s); ok {
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteString(jsonpointer.Escape(s))
	}
	return b.String()
}

// Package jsonpointer reads and writes RFC 6901 JSON pointers, the one
// spelling of "where in a document" shared by the scanner (a finding's
// field), remediate (an RFC 6902 operation's path) and the tracers of
// Helm, Kustomize, Terraform and imported reports.
//
// Data enters as a pointer string (Split) or as unescaped reference
// tokens (Join, Escape) and leaves as the other. The empty pointer is
// the whole document and has no tokens; "/" is one token, the empty key.
// A token's "~" is written "~0" and its "/" is written "~1"; any other
// "~" is an error, so Join(Split(p)) == p for every valid p.
package jsonpointer

import (
	"fmt"
	"strings"
)

// Escape writes one reference token as it appears in a pointer.
func Escape(token string) string {
	if !strings.ContainsAny(token, "~/") {
		return token
	}
	return strings.ReplaceAll(strings.ReplaceAll(token, "~", "~0"), "/", "~1")
}

// Unescape reads one reference token as written in a pointer. A "~" not
// followed by "0" or "1" is an error.
func Unescape(s string) (string, error) {
	if !strings.Contains(s, "~") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '~' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(s) {
			switch s[i+1] {
			case '0':
				b.WriteByte('~')
				i++
				continue
			case '1':
				b.WriteByte('/')
				i++
				continue
			}
		}
		return "", fmt.Errorf("invalid JSON pointer token %q: \"~\" must be followed by 0 or 1", s)
	}
	return b.String(), nil
}

// Split returns a pointer's unescaped reference tokens: none for "", the
// whole document. A non-empty pointer must start with "/".
func Split(pointer string) ([]string, error) {
	if pointer == "" {
		return nil, nil
	}
	if pointer[0] != '/' {
		return nil, fmt.Errorf("invalid JSON pointer %q", pointer)
	}
	tokens := strings.Split(pointer[1:], "/")
	for i, s := range tokens {
		t, err := Unescape(s)
		if err != nil {
			return nil, fmt.Errorf("invalid JSON pointer %q: %w", pointer, err)
		}
		tokens[i] = t
	}
	return tokens, nil
}

// Join writes unescaped reference tokens as a pointer: "" for none.
func Join(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(Escape(t))
	}
	return b.String()
}

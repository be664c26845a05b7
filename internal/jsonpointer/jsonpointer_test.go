package jsonpointer

import (
	"slices"
	"testing"
)

func TestSplitJoin(t *testing.T) {
	tests := []struct {
		pointer string
		tokens  []string
	}{
		{"", nil},                   // the whole document
		{"/", []string{""}},         // the empty key
		{"//", []string{"", ""}},    // two empty keys
		{"/spec", []string{"spec"}}, // one key
		{"/spec/containers/0/image", []string{"spec", "containers", "0", "image"}},
		{"/a~1b", []string{"a/b"}}, // "/" in a key
		{"/m~0n", []string{"m~n"}}, // "~" in a key
		{"/~01", []string{"~1"}},   // "~0" then "1", not "~" then "~1"
		{"/~10", []string{"/0"}},   // "~1" then "0"
		{"/metadata/annotations/app.kubernetes.io~1name", []string{"metadata", "annotations", "app.kubernetes.io/name"}},
		{"/a/-", []string{"a", "-"}},  // the append token is just a token
		{"/ /\"", []string{" ", `"`}}, // RFC 6901 section 5 examples
		{"/k\"l/^", []string{`k"l`, "^"}},
	}
	for _, tt := range tests {
		got, err := Split(tt.pointer)
		if err != nil {
			t.Errorf("Split(%q): %v", tt.pointer, err)
			continue
		}
		if !slices.Equal(got, tt.tokens) || (got == nil) != (tt.tokens == nil) {
			t.Errorf("Split(%q) = %q, want %q", tt.pointer, got, tt.tokens)
		}
		if back := Join(tt.tokens); back != tt.pointer {
			t.Errorf("Join(%q) = %q, want %q", tt.tokens, back, tt.pointer)
		}
	}
}

func TestSplitRefuses(t *testing.T) {
	for _, p := range []string{"spec", "spec/containers", "~1", "/a~", "/a~2b", "/~", "/ok/~x"} {
		if got, err := Split(p); err == nil {
			t.Errorf("Split(%q) = %q, want an error", p, got)
		}
	}
}

func TestEscapeUnescape(t *testing.T) {
	tests := []struct{ token, escaped string }{
		{"", ""},
		{"plain", "plain"},
		{"~", "~0"},
		{"/", "~1"},
		{"~/", "~0~1"},
		{"/~", "~1~0"},
		{"~1", "~01"},
		{"a/b~c", "a~1b~0c"},
	}
	for _, tt := range tests {
		if got := Escape(tt.token); got != tt.escaped {
			t.Errorf("Escape(%q) = %q, want %q", tt.token, got, tt.escaped)
		}
		got, err := Unescape(tt.escaped)
		if err != nil || got != tt.token {
			t.Errorf("Unescape(%q) = %q, %v; want %q", tt.escaped, got, err, tt.token)
		}
	}
}

// FuzzRoundTrip checks that any tokens survive Join then Split, and that
// any pointer Split accepts is written back byte for byte by Join.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{"", "/", "/a~1b/m~0n", "/~01", "spec", "/a~2", "//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tokens, err := Split(s); err == nil {
			if back := Join(tokens); back != s {
				t.Fatalf("Join(Split(%q)) = %q", s, back)
			}
		}
		// s as one token, and s's pieces as tokens.
		for _, tokens := range [][]string{{s}, {s, s}, {"", s, ""}} {
			got, err := Split(Join(tokens))
			if err != nil {
				t.Fatalf("Split(Join(%q)): %v", tokens, err)
			}
			if !slices.Equal(got, tokens) {
				t.Fatalf("Split(Join(%q)) = %q", tokens, got)
			}
		}
		if u, err := Unescape(Escape(s)); err != nil || u != s {
			t.Fatalf("Unescape(Escape(%q)) = %q, %v", s, u, err)
		}
	})
}

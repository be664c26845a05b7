package oneline

import "testing"

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"dial tcp:\n  connection refused", "dial tcp: connection refused"},
		{"  a\r\n\tb  \n", "a b"},
		{"a\n\n\nb", "a b"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFirst(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"", 5, ""},
		{"one\ntwo", 5, "one"},
		{"abcdef", 5, "abcde…"},
		{"abcde", 5, "abcde"},
		{"ééééééé\nx", 3, "ééé…"}, // runes, not bytes
		{"\nsecond", 5, ""},
	}
	for _, tt := range tests {
		if got := First(tt.in, tt.max); got != tt.want {
			t.Errorf("First(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

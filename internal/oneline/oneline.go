// Package oneline puts text that may span lines (an error wrapping a git
// server's or a registry's message, a multi-line summary) into places that
// hold one line: a JSON error field, a status line, a job's result.
//
// Data enters as any string and leaves as a string with no line break.
// Fold keeps every word; First keeps the first line, clipped. Neither
// makes text safe to show: untrusted text written into Markdown, Slack or
// a pull request goes through internal/quote, whose Line also makes one
// line.
package oneline

import "strings"

// Fold joins s's lines, and collapses every run of white space to one
// space: "dial tcp:\n  connection refused" becomes "dial tcp: connection
// refused". Leading and trailing space goes.
func Fold(s string) string { return strings.Join(strings.Fields(s), " ") }

// First returns s's first line, clipped to limit runes with "…" added when
// it was longer; the rest is dropped.
func First(s string, limit int) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "…"
	}
	return s
}

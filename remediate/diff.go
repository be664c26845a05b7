package remediate

import (
	"fmt"
	"io"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// UnifiedDiff writes a git-style unified diff of one file (`a/path`,
// `b/path`, three lines of context) that `git apply` and `patch -p1` apply
// to give exactly after. Lines are compared with their line breaks, so CRLF
// and a missing final newline survive the round trip.
func UnifiedDiff(w io.Writer, path string, before, after []byte) error {
	if string(before) == string(after) {
		return nil
	}
	a, b := splitLinesKeep(string(before)), splitLinesKeep(string(after))
	m := difflib.NewMatcherWithJunk(a, b, false, nil)
	var sb strings.Builder
	fmt.Fprintf(&sb, "diff --git a/%s b/%s\n--- a/%s\n+++ b/%s\n", path, path, path, path)
	for _, group := range m.GetGroupedOpCodes(3) {
		first, last := group[0], group[len(group)-1]
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(first.I1, last.I2), hunkRange(first.J1, last.J2))
		for _, op := range group {
			switch op.Tag {
			case 'e':
				writeLines(&sb, " ", a[op.I1:op.I2])
			case 'r':
				writeLines(&sb, "-", a[op.I1:op.I2])
				writeLines(&sb, "+", b[op.J1:op.J2])
			case 'd':
				writeLines(&sb, "-", a[op.I1:op.I2])
			case 'i':
				writeLines(&sb, "+", b[op.J1:op.J2])
			}
		}
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func hunkRange(start, end int) string {
	n := end - start
	switch {
	case n == 1:
		return fmt.Sprintf("%d", start+1)
	case n == 0:
		return fmt.Sprintf("%d,0", start)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func writeLines(sb *strings.Builder, prefix string, lines []string) {
	for _, l := range lines {
		sb.WriteString(prefix)
		sb.WriteString(l)
		if !strings.HasSuffix(l, "\n") {
			sb.WriteString("\n\\ No newline at end of file\n")
		}
	}
}

// splitLinesKeep splits s into lines, each keeping its line break.
func splitLinesKeep(s string) []string {
	var out []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

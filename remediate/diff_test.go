package remediate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

// applyUnified applies a one-file unified diff to before, checking every
// context and removed line; it is what `git apply` does, in a few lines.
func applyUnified(t *testing.T, before, diff string) string {
	t.Helper()
	src := slices.Collect(strings.Lines(before))
	var out []string
	at := 0 // next line of src not yet copied
	lines := slices.Collect(strings.Lines(diff))
	for k := 0; k < len(lines); k++ {
		l := lines[k]
		if !strings.HasPrefix(l, "@@ -") {
			continue
		}
		start, _, _ := strings.Cut(strings.TrimPrefix(l, "@@ -"), " ")
		first, count, _ := strings.Cut(start, ",")
		n, _ := strconv.Atoi(first)
		if count != "0" {
			n-- // 1-based, except for an empty range
		}
		if n < at {
			t.Fatalf("hunk %q goes back", l)
		}
		out = append(out, src[at:n]...)
		at = n
		for k+1 < len(lines) && !strings.HasPrefix(lines[k+1], "@@ ") {
			k++
			h := lines[k]
			if h == "\\ No newline at end of file\n" {
				out[len(out)-1] = strings.TrimSuffix(out[len(out)-1], "\n")
				continue
			}
			text := h[1:]
			if k+1 < len(lines) && lines[k+1] == "\\ No newline at end of file\n" {
				text = strings.TrimSuffix(text, "\n")
				k++
			}
			switch h[0] {
			case ' ', '-':
				if at >= len(src) || src[at] != text {
					t.Fatalf("hunk %q: line %d is %q, the diff says %q", l, at+1, src[min(at, len(src)-1)], text)
				}
				at++
				if h[0] == ' ' {
					out = append(out, text)
				}
			case '+':
				out = append(out, text)
			}
		}
	}
	return strings.Join(append(out, src[at:]...), "")
}

// TestUnifiedDiffOfLargeFiles: where difflib's matcher would take
// quadratic time, the anchored diff still applies to give exactly after.
func TestUnifiedDiffOfLargeFiles(t *testing.T) {
	fix := func(src []byte) FileFix {
		file, errs := scanner.ParseFile("big.yaml", src)
		if len(errs) > 0 {
			t.Fatal(errs[0])
		}
		rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{file}}, scanner.Options{})
		return FixFile(file, rep.Findings, Options{}, scanner.Options{})
	}
	tests := []struct {
		name          string
		before, after string
	}{
		{"fixed containers", "", ""},
		{"repeated lines moved", strings.Repeat("a\nb\n", 2000) + "tail", "head\n" + strings.Repeat("b\na\n", 2000)},
		{"anchors among repeated lines", "", ""},
		{"no final newline", strings.Repeat("a\n", 3000) + "end", strings.Repeat("a\n", 2999) + "c\nend\n"},
	}
	fx := fix(manyContainers(1200))
	tests[0].before, tests[0].after = string(fx.Before), string(fx.After)
	var before, after strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&before, "id: %d\nk: 1\nk: 1\n", i)
		switch i % 7 {
		case 0:
			fmt.Fprintf(&after, "id: %d\nk: 2\nk: 1\nk: 1\n", i)
		case 3:
			fmt.Fprintf(&after, "k: 1\nid: %d\n", i)
		default:
			fmt.Fprintf(&after, "id: %d\nk: 1\nk: 1\n", i)
		}
	}
	tests[2].before, tests[2].after = before.String(), after.String()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := slices.Collect(strings.Lines(tc.before)), slices.Collect(strings.Lines(tc.after))
			if matchCost(a, b) <= maxMatcherCost {
				t.Fatalf("cost %d: the test does not reach the anchored diff", matchCost(a, b))
			}
			var sb strings.Builder
			if err := UnifiedDiff(&sb, "big.yaml", []byte(tc.before), []byte(tc.after)); err != nil {
				t.Fatal(err)
			}
			if got := applyUnified(t, tc.before, sb.String()); got != tc.after {
				t.Errorf("the diff applies to something else than after")
			}
		})
	}
}

// TestAnchoredDiffOfGoldens: on the inputs of the fix goldens (which keep
// difflib's output), the anchored diff applies too.
func TestAnchoredDiffOfGoldens(t *testing.T) {
	for i, tc := range []struct{ before, after string }{
		{"a\nb\nc\n", "a\nB\nc\n"},
		{"a\nb\nc", "a\nb\nc\nd"},
		{"", "new\n"},
		{"old\n", ""},
		{"k: 1\nk: 1\nx\nk: 1\n", "k: 1\ny\nk: 1\nx\nk: 1\nk: 2\n"},
	} {
		a, b := slices.Collect(strings.Lines(tc.before)), slices.Collect(strings.Lines(tc.after))
		var sb strings.Builder
		fmt.Fprintf(&sb, "diff --git a/f b/f\n--- a/f\n+++ b/f\n")
		for _, group := range groupOpCodes(opCodes(len(a), len(b), anchoredBlocks(a, b)), 3) {
			first, last := group[0], group[len(group)-1]
			fmt.Fprintf(&sb, "@@ -%s +%s @@\n", hunkRange(first.I1, last.I2), hunkRange(first.J1, last.J2))
			for _, op := range group {
				switch op.Tag {
				case 'e':
					writeLines(&sb, " ", a[op.I1:op.I2])
				case 'r', 'd', 'i':
					writeLines(&sb, "-", a[op.I1:op.I2])
					writeLines(&sb, "+", b[op.J1:op.J2])
				}
			}
		}
		if got := applyUnified(t, tc.before, sb.String()); got != tc.after {
			t.Errorf("case %d: got %q, want %q\n%s", i, got, tc.after, sb.String())
		}
	}
}

package remediate

import (
	"fmt"
	"io"
	"slices"
	"sort"
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
	a, b := slices.Collect(strings.Lines(string(before))), slices.Collect(strings.Lines(string(after)))
	var groups [][]difflib.OpCode
	if matchCost(a, b) <= maxMatcherCost {
		groups = difflib.NewMatcherWithJunk(a, b, false, nil).GetGroupedOpCodes(3)
	} else {
		groups = groupOpCodes(opCodes(len(a), len(b), anchoredBlocks(a, b)), 3)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "diff --git a/%s b/%s\n--- a/%s\n+++ b/%s\n", path, path, path, path)
	for _, group := range groups {
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

// difflib's matcher (without autojunk, which would make it miss lines)
// looks, for each line of before, at every line of after equal to it, once
// for every block it matches: quadratic or worse when lines repeat, as
// they do in a Deployment with thousands of containers ("image: …",
// "ports:"). Where that work would be large, the diff is anchored instead
// on lines found once in before and once in after (as patience diff does),
// and difflib matches only what lies between anchors. Both give a diff
// that applies to exactly after; small files, the goldens among them, keep
// difflib's output line for line.

// maxMatcherCost bounds the line comparisons of one scan of difflib's
// longest-match search over the whole file.
const maxMatcherCost = 1 << 16

// matchCost is the number of (line of a, equal line of b) pairs.
func matchCost(a, b []string) int {
	counts := make(map[string]int, len(b))
	for _, l := range b {
		counts[l]++
	}
	cost := 0
	for _, l := range a {
		cost += counts[l]
	}
	return cost
}

// block is a run of size equal lines at a[i:] and b[j:].
type block struct{ i, j, size int }

// anchoredBlocks returns the matching blocks of a and b, in order, adjacent
// ones merged.
func anchoredBlocks(a, b []string) []block {
	var out []block
	var match func(alo, ahi, blo, bhi int)
	match = func(alo, ahi, blo, bhi int) {
		// Common lines at both ends.
		n := 0
		for alo+n < ahi && blo+n < bhi && a[alo+n] == b[blo+n] {
			n++
		}
		if n > 0 {
			out = append(out, block{alo, blo, n})
			alo, blo = alo+n, blo+n
		}
		m := 0
		for ahi-m > alo && bhi-m > blo && a[ahi-m-1] == b[bhi-m-1] {
			m++
		}
		tail := block{ahi - m, bhi - m, m}
		ahi, bhi = ahi-m, bhi-m
		switch {
		case alo == ahi || blo == bhi:
		case matchCost(a[alo:ahi], b[blo:bhi]) <= maxMatcherCost:
			for _, mb := range difflib.NewMatcherWithJunk(a[alo:ahi], b[blo:bhi], false, nil).GetMatchingBlocks() {
				if mb.Size > 0 {
					out = append(out, block{alo + mb.A, blo + mb.B, mb.Size})
				}
			}
		default:
			anchors := uniqueAnchors(a[alo:ahi], b[blo:bhi])
			pi, pj := alo, blo
			for _, an := range anchors {
				i, j := alo+an.i, blo+an.j
				match(pi, i, pj, j)
				out = append(out, block{i, j, 1})
				pi, pj = i+1, j+1
			}
			if len(anchors) > 0 {
				match(pi, ahi, pj, bhi)
			}
			// No anchor: the region is replaced whole.
		}
		if m > 0 {
			out = append(out, tail)
		}
	}
	match(0, len(a), 0, len(b))
	// Merge adjacent blocks, as difflib does.
	var merged []block
	for _, bl := range out {
		if k := len(merged) - 1; k >= 0 && merged[k].i+merged[k].size == bl.i && merged[k].j+merged[k].size == bl.j {
			merged[k].size += bl.size
			continue
		}
		merged = append(merged, bl)
	}
	return merged
}

// uniqueAnchors returns the pairs of lines found once in a and once in b,
// in the longest run increasing in both (patience sorting).
func uniqueAnchors(a, b []string) []block {
	type seen struct{ na, nb, i, j int }
	lines := map[string]*seen{}
	for i, l := range a {
		s := lines[l]
		if s == nil {
			s = &seen{}
			lines[l] = s
		}
		s.na++
		s.i = i
	}
	for j, l := range b {
		if s := lines[l]; s != nil {
			s.nb++
			s.j = j
		}
	}
	var pairs []block
	for i, l := range a {
		if s := lines[l]; s.na == 1 && s.nb == 1 {
			pairs = append(pairs, block{i: i, j: s.j, size: 1})
		}
	}
	// Longest increasing subsequence of j, pairs being in order of i.
	tails := []int{}                // tails[k]: index in pairs of the smallest j ending a run of k+1
	prev := make([]int, len(pairs)) // the pair before, in the run
	for p, pr := range pairs {
		k := sort.Search(len(tails), func(k int) bool { return pairs[tails[k]].j >= pr.j })
		prev[p] = -1
		if k > 0 {
			prev[p] = tails[k-1]
		}
		if k == len(tails) {
			tails = append(tails, p)
		} else {
			tails[k] = p
		}
	}
	if len(tails) == 0 {
		return nil
	}
	out := make([]block, len(tails))
	for k, p := len(tails)-1, tails[len(tails)-1]; k >= 0; k, p = k-1, prev[p] {
		out[k] = pairs[p]
	}
	return out
}

// opCodes turns matching blocks into difflib's operations (its
// get_opcodes).
func opCodes(la, lb int, blocks []block) []difflib.OpCode {
	var out []difflib.OpCode
	i, j := 0, 0
	for _, bl := range append(blocks, block{la, lb, 0}) {
		var tag byte
		switch {
		case i < bl.i && j < bl.j:
			tag = 'r'
		case i < bl.i:
			tag = 'd'
		case j < bl.j:
			tag = 'i'
		}
		if tag != 0 {
			out = append(out, difflib.OpCode{Tag: tag, I1: i, I2: bl.i, J1: j, J2: bl.j})
		}
		i, j = bl.i+bl.size, bl.j+bl.size
		if bl.size > 0 {
			out = append(out, difflib.OpCode{Tag: 'e', I1: bl.i, I2: i, J1: bl.j, J2: j})
		}
	}
	return out
}

// groupOpCodes is difflib's GetGroupedOpCodes over given operations: hunks
// with n lines of context.
func groupOpCodes(codes []difflib.OpCode, n int) [][]difflib.OpCode {
	if len(codes) == 0 {
		codes = []difflib.OpCode{{Tag: 'e', I1: 0, I2: 1, J1: 0, J2: 1}}
	}
	if c := &codes[0]; c.Tag == 'e' {
		c.I1, c.J1 = max(c.I1, c.I2-n), max(c.J1, c.J2-n)
	}
	if c := &codes[len(codes)-1]; c.Tag == 'e' {
		c.I2, c.J2 = min(c.I2, c.I1+n), min(c.J2, c.J1+n)
	}
	var groups [][]difflib.OpCode
	var group []difflib.OpCode
	for _, c := range codes {
		if c.Tag == 'e' && c.I2-c.I1 > 2*n {
			group = append(group, difflib.OpCode{Tag: 'e', I1: c.I1, I2: min(c.I2, c.I1+n), J1: c.J1, J2: min(c.J2, c.J1+n)})
			groups = append(groups, group)
			group = nil
			c.I1, c.J1 = max(c.I1, c.I2-n), max(c.J1, c.J2-n)
		}
		group = append(group, c)
	}
	if len(group) > 0 && !(len(group) == 1 && group[0].Tag == 'e') {
		groups = append(groups, group)
	}
	return groups
}

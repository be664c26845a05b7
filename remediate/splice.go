package remediate

import (
	"cmp"
	"fmt"
	"slices"
)

// splice is one byte-range replacement of a source: the bytes [start, end)
// become text. An insertion has start == end; a removal has no text.
type splice struct {
	start, end int
	text       string
}

// applySplices returns src with every splice made, in one pass. The
// splices are all located in src, so none sees another's bytes; they are
// sorted by start in place (batch's shifter reads them so). They must not
// overlap: at one offset there may be one insertion, which goes before a
// replacement or removal starting there (remove's " {}" after a parent's
// colon, when the removed lines began right after it), and nothing more.
// The one applier of the package: a document editor's operation, a
// batch of them, and a rendered fix's edited regions of a source file.
func applySplices(src []byte, sps []splice) ([]byte, error) {
	slices.SortFunc(sps, func(x, y splice) int { return cmp.Or(x.start-y.start, x.end-y.end) })
	n, prev := len(src), 0
	for i, sp := range sps {
		if sp.start < prev || sp.end < sp.start || sp.end > len(src) ||
			(i > 0 && sp.start == sps[i-1].start && sp.end == sp.start) {
			return nil, fmt.Errorf("overlapping edits at offset %d", sp.start)
		}
		prev = sp.end
		n += len(sp.text) - (sp.end - sp.start)
	}
	out := make([]byte, 0, n)
	prev = 0
	for _, sp := range sps {
		out = append(out, src[prev:sp.start]...)
		out = append(out, sp.text...)
		prev = sp.end
	}
	return append(out, src[prev:]...), nil
}

package gitops

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzTickedDeclined: any body (a person may write anything in the
// issue) is read without a panic, and every number read back is that of
// a marker in the body, on a ticked line.
func FuzzTickedDeclined(f *testing.F) {
	f.Add("- [x] 2 fixes of `privileged`, declined in #12 <!-- remedy:declined 12 -->\n")
	f.Add("* [X] a <!-- remedy:declined 3 -->\r\n- [ ] b <!-- remedy:declined 4 -->")
	f.Add("  - [x] <!-- remedy:declined 99999999999999999999999 -->")
	f.Add("- [x] <!-- remedy:declined 012 -->")
	f.Fuzz(func(t *testing.T, body string) {
		for _, n := range TickedDeclined(body) {
			marker := "<!-- remedy:declined " + strconv.Itoa(n) + " -->"
			i := strings.Index(body, marker)
			if n <= 0 || i < 0 {
				t.Fatalf("read %d from %q", n, body)
			}
		}
	})
}

package parallel

import (
	"sync/atomic"
	"testing"
)

func TestForEachCallsEachIndexOnce(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 100} {
		calls := make([]atomic.Int32, n)
		ForEach(n, func(i int) { calls[i].Add(1) })
		ForEachOn(8, n, func(i int) { calls[i].Add(1) })
		for i := range calls {
			if got := calls[i].Load(); got != 2 {
				t.Errorf("n=%d: index %d called %d times by ForEach and ForEachOn, want 2", n, i, got)
			}
		}
	}
}

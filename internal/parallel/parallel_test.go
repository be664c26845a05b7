package parallel

import (
	"runtime"
	"slices"
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

// TestForEachFirstTakesFirstThoseFirst: on one goroutine the order is
// visible: the chosen iterations, then the others, each in index order.
func TestForEachFirstTakesFirstThoseFirst(t *testing.T) {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	var got []int
	ForEachFirst(6, func(i int) bool { return i%3 == 2 }, func(i int) { got = append(got, i) })
	if want := []int{2, 5, 0, 1, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
	"time"
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

// TestForEachBesideRunsAsidesBesideTheRest: iterations set aside run
// beside the others, not in their workers' turn: here each waits for the
// last of the others, which two asides holding both workers of two cores
// would never let run.
func TestForEachBesideRunsAsidesBesideTheRest(t *testing.T) {
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	const n = 8
	aside := func(i int) bool { return i < 3 }
	lastRest := make(chan struct{})
	var calls [n]atomic.Int32
	var rest atomic.Int32
	done := make(chan struct{})
	go func() {
		ForEachBeside(n, aside, func(i int) {
			calls[i].Add(1)
			if aside(i) {
				<-lastRest
				return
			}
			if rest.Add(1) == n-3 {
				close(lastRest)
			}
		})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the iterations set aside held the workers of the others")
	}
	for i := range calls {
		if got := calls[i].Load(); got != 1 {
			t.Errorf("index %d called %d times, want once", i, got)
		}
	}
}

func TestBeside(t *testing.T) {
	prev := runtime.GOMAXPROCS(4)
	defer runtime.GOMAXPROCS(prev)
	if got := Beside(3); got != 2 {
		t.Errorf("Beside(3) on 4 cores = %d, want 2", got)
	}
	if got := Beside(0); got != 4 {
		t.Errorf("Beside(0) on 4 cores = %d, want every core", got)
	}
	runtime.GOMAXPROCS(1)
	if got := Beside(3); got != 1 {
		t.Errorf("Beside(3) on 1 core = %d, want 1", got)
	}
}

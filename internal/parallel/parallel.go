// Package parallel runs the iterations of a loop on every core. Each
// iteration writes only its own index of the caller's results, so the
// caller reads them in order and its output does not depend on timing.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// ForEach calls fn(i) for every i in [0, n) on up to GOMAXPROCS
// goroutines, and returns when all have returned. Iterations are taken in
// index order, so put the longest first to finish soonest.
func ForEach(n int, fn func(i int)) {
	ForEachOn(runtime.GOMAXPROCS(0), n, fn)
}

// ForEachOn is ForEach on up to workers goroutines: more than the cores
// for iterations that mostly wait (a file write's fsync).
func ForEachOn(workers, n int, fn func(i int)) {
	workers = min(workers, n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		})
	}
	wg.Wait()
}

// ForEachFirst is ForEach with the iterations for which first(i) holds
// taken before the others, each group in index order: those that take
// longest, or mostly wait on another process, so that none is left to run
// alone at the end.
func ForEachFirst(n int, first func(i int) bool, fn func(i int)) {
	order := make([]int, 0, n)
	for _, want := range []bool{true, false} {
		for i := range n {
			if first(i) == want {
				order = append(order, i)
			}
		}
	}
	ForEach(n, func(j int) { fn(order[j]) })
}

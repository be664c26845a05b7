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

// ForEachBeside is ForEach with the iterations for which aside(i) holds
// run on goroutines of their own (Beside of the others), beside the
// others on every core: iterations that mostly wait on another process
// (a Helm render child, whose renders take turns) would otherwise hold a
// core's worker while they wait, or wait on each other in two of them.
func ForEachBeside(n int, aside func(i int) bool, fn func(i int)) {
	var side, rest []int
	for i := range n {
		if aside(i) {
			side = append(side, i)
		} else {
			rest = append(rest, i)
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { ForEachOn(Beside(len(rest)), len(side), func(j int) { fn(side[j]) }) })
	ForEach(len(rest), func(j int) { fn(rest[j]) })
	wg.Wait()
}

// Beside is how many goroutines ForEachBeside gives the iterations set
// aside when rest others run beside them: half the cores, at least one,
// or every core when there are no others.
func Beside(rest int) int {
	cores := runtime.GOMAXPROCS(0)
	if rest == 0 {
		return cores
	}
	return max(1, cores/2)
}

package jobs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// ErrMemoryCeiling is the cause of a job stopped because the server's
// heap passed PoolOptions.MemoryCeiling while it ran.
var ErrMemoryCeiling = errors.New("job memory ceiling")

// memoryCheckEvery is how often a running job's guard reads the heap.
const memoryCheckEvery = 50 * time.Millisecond

// defaultMemoryCeiling is 80% of the Go memory limit (GOMEMLIMIT, set
// from the container's limit in deploy/), or 0 (no guard) without one.
// Past GOMEMLIMIT the collector runs without pause; the ceiling stops the
// job before that, and well before the kernel kills the container.
func defaultMemoryCeiling() int64 {
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < math.MaxInt64 {
		return lim / 10 * 8
	}
	return 0
}

// liveHeap is the heap still in use after the last collection.
func liveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

// guardMemory watches the live heap while job j runs under ctx. Past the
// ceiling, it marks the job in the store as one not to run again (if
// the process dies of it, the next start fails the job instead of running
// it once more), and cancels ctx with an ErrMemoryCeiling cause: a job
// that stops then fails with that error. Every job running at that moment
// is stopped: the heap is the process's, not one job's.
func (p *Pool) guardMemory(ctx context.Context, j Job, cancel context.CancelCauseFunc) (stop func()) {
	ceiling := p.opts.MemoryCeiling
	if ceiling <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(memoryCheckEvery)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			live := liveHeap()
			if live <= ceiling {
				continue
			}
			err := fmt.Errorf("%w: the server's heap reached %d MiB while this job ran, over the %d MiB ceiling (limits.jobMemory); not run again",
				ErrMemoryCeiling, live>>20, ceiling>>20)
			if perr := p.store.poison(context.WithoutCancel(ctx), j.ID, err.Error()); perr != nil {
				p.opts.Log.Error("could not mark the job as over its memory ceiling", "job", j.ID, "error", perr)
			}
			p.opts.Log.Error("job over the memory ceiling; stopping it", "job", j.ID, "kind", j.Kind, "repo", j.Repo,
				"heap_mib", live>>20, "ceiling_mib", ceiling>>20)
			cancel(err)
			return
		}
	}()
	return func() { close(done) }
}

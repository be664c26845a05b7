package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/remedy-bot/remedy/serve/clock"
)

// Handler does the work of a job and summarizes it in one line.
type Handler interface {
	Handle(ctx context.Context, j Job) (result string, err error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, j Job) (string, error)

// Handle implements Handler.
func (f HandlerFunc) Handle(ctx context.Context, j Job) (string, error) { return f(ctx, j) }

// Outcomes a PoolOptions.Observe callback receives.
const (
	OutcomeSucceeded = "succeeded"
	OutcomeFailed    = "failed"
	// OutcomeRequeued: a shutdown interrupted the job; it runs again
	// after the restart.
	OutcomeRequeued = "requeued"
	// OutcomeRetried: the job failed on a transient error (the network,
	// the forge's 5xx) and is queued again after a backoff.
	OutcomeRetried = "retried"
	// OutcomeDeadLetter: the job failed on transient errors MaxAttempts
	// times and is failed for good; its error says so.
	OutcomeDeadLetter = "dead-letter"
	// OutcomeLeaseLost: the store could not be told for most of a lease
	// that the job still runs; it was stopped, since another replica may
	// take it.
	OutcomeLeaseLost = "lease-lost"
)

// ErrLeaseLost stops a job whose lease could not be renewed.
var ErrLeaseLost = errors.New("the job's lease could not be renewed")

// PoolOptions configure a Pool.
type PoolOptions struct {
	// Workers bounds jobs running at once; 0 means 4.
	Workers int
	// Timeout bounds one job; 0 means 15 minutes.
	Timeout time.Duration
	// Grace is how long running jobs may go on after Run's context is
	// done; those still running then are cancelled and queued again.
	Grace time.Duration
	// Clock wakes the dispatcher for delayed jobs; nil means clock.Real.
	Clock clock.Clock
	// MemoryCeiling stops the running jobs when the live heap passes it,
	// and fails them (memory.go); 0 means 80% of GOMEMLIMIT when that is
	// set, else none; negative means none.
	MemoryCeiling int64
	// Retryable says whether a failed job is tried again after a backoff;
	// nil means Transient. Jobs are tried at most the store's MaxAttempts
	// times, then failed as dead letters.
	Retryable func(error) bool
	// Backoff is the wait before the second attempt, doubled for each
	// further one (at most an hour); 0 means 30 seconds.
	Backoff time.Duration
	// Poll is how often a pool on a shared store (PostgreSQL) looks for
	// jobs other replicas queued or unblocked; 0 means 2 seconds.
	Poll time.Duration
	// Observe, when set, is told of each job's end.
	Observe func(j Job, outcome string, took time.Duration)
	Log     *slog.Logger
}

// Pool runs the jobs of a Store.
type Pool struct {
	store   *Store
	handler Handler
	opts    PoolOptions
	wake    chan struct{}

	mu   sync.Mutex
	busy map[string]bool // repo keys with a running job
	// cancels stops each running job, by ID.
	cancels map[int64]context.CancelCauseFunc
	idle    *sync.Cond // signalled whenever a job ends
	n       int        // running jobs
	// passes counts finished dispatch passes, for WaitIdle.
	passes int
}

// NewPool returns a pool running store's jobs with h. Enqueue on store
// wakes the pool.
func NewPool(store *Store, h Handler, o PoolOptions) *Pool {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Minute
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MemoryCeiling == 0 {
		o.MemoryCeiling = defaultMemoryCeiling()
	}
	if o.Retryable == nil {
		o.Retryable = Transient
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Backoff <= 0 {
		o.Backoff = 30 * time.Second
	}
	p := &Pool{store: store, handler: h, opts: o, wake: make(chan struct{}, 1), busy: map[string]bool{}, cancels: map[int64]context.CancelCauseFunc{}}
	p.idle = sync.NewCond(&p.mu)
	store.notify = p.Wake
	return p
}

// Wake makes the dispatcher look for due jobs now.
func (p *Pool) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Running is the number of jobs running now.
func (p *Pool) Running() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// Run dispatches jobs until ctx is done. Then it takes no new job, lets the
// running ones finish for up to Grace, cancels the rest and queues them
// again, and returns once every worker has stopped.
func (p *Pool) Run(ctx context.Context) error {
	// Jobs run under their own context: a SIGTERM stops dispatching, not
	// the clone or push in flight.
	workCtx, cancelWork := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cancelWork(nil)
	// Leases are renewed until every worker stopped, so that a job in its
	// grace period is not taken by another replica.
	leaseCtx, stopLeases := context.WithCancel(context.WithoutCancel(ctx))
	leasesDone := make(chan struct{})
	go func() { defer close(leasesDone); p.keepLeases(leaseCtx) }()
	defer func() { stopLeases(); <-leasesDone }()
	var wg sync.WaitGroup
	for {
		if err := p.dispatch(ctx, workCtx, &wg); err != nil && ctx.Err() == nil {
			p.opts.Log.Error("job dispatch failed", "error", err)
		}
		p.mu.Lock()
		p.passes++
		p.idle.Broadcast()
		p.mu.Unlock()
		// Sleep until the next job is due, when a worker is free for it;
		// a job that became due during the pass (the clock moved) gives a
		// timer that fires at once. A job's end wakes the loop anyway.
		var timer <-chan time.Time
		if _, free := p.snapshot(); free {
			wait := time.Duration(-1)
			if due, err := p.store.nextDue(ctx); err == nil && !due.IsZero() {
				wait = due.Sub(p.opts.Clock.Now())
			}
			// Other replicas queue jobs and end theirs without waking this
			// one: a shared store is polled.
			if p.store.b.shared() && (wait < 0 || wait > p.opts.Poll) {
				wait = p.opts.Poll
			}
			if wait >= 0 {
				timer = p.opts.Clock.After(wait)
			}
		}
		select {
		case <-ctx.Done():
			p.drain(cancelWork, &wg)
			return nil
		case <-p.wake:
		case <-timer:
		}
	}
}

// keepLeases renews the leases of this process's running jobs every
// quarter lease, and queues again the jobs of replicas that stopped
// renewing theirs, until ctx is done.
func (p *Pool) keepLeases(ctx context.Context) {
	every := p.store.opts.Lease / 4
	renewed := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
		if err := p.store.renew(ctx); err != nil && ctx.Err() == nil {
			p.opts.Log.Warn("could not renew the leases of the running jobs", "error", err)
			// Past three quarters of a lease, another replica may take the
			// jobs soon: stop them rather than run them twice.
			if p.store.b.shared() && time.Since(renewed) > 3*p.store.opts.Lease/4 {
				p.stopAll(ErrLeaseLost)
			}
		} else {
			renewed = time.Now()
		}
		if p.store.b.shared() {
			if err := p.store.Reclaim(ctx); err != nil && ctx.Err() == nil {
				p.opts.Log.Warn("could not reclaim the jobs of stopped replicas", "error", err)
			} else {
				p.Wake()
			}
		}
	}
}

// stopAll cancels the running jobs with cause.
func (p *Pool) stopAll(cause error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, cancel := range p.cancels {
		cancel(cause)
	}
}

// drain waits for running jobs up to Grace, then cancels them; their
// workers queue them again.
func (p *Pool) drain(cancelWork context.CancelCauseFunc, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	if p.Running() > 0 {
		p.opts.Log.Info("waiting for running jobs", "jobs", p.Running(), "grace", p.opts.Grace)
	}
	select {
	case <-done:
		return
	case <-time.After(p.opts.Grace):
	}
	cancelWork(errShutdown)
	<-done
}

var errShutdown = errors.New("server shutting down")

// dispatch starts due jobs while workers are free.
func (p *Pool) dispatch(ctx, workCtx context.Context, wg *sync.WaitGroup) error {
	for ctx.Err() == nil {
		// Reserve the worker before the job turns "running" in the store,
		// so that WaitIdle never sees a running job and no worker.
		p.mu.Lock()
		if p.n >= p.opts.Workers {
			p.mu.Unlock()
			return nil
		}
		p.n++
		p.mu.Unlock()
		j, err := p.store.claim(ctx)
		p.mu.Lock()
		if err != nil || j == nil {
			p.n--
			p.idle.Broadcast()
			p.mu.Unlock()
			return err
		}
		p.busy[repoKey(j.Repo)] = true
		p.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.run(workCtx, *j)
		}()
	}
	return nil
}

// snapshot copies the repositories with a running job, and says whether a
// worker is free.
func (p *Pool) snapshot() (busy map[string]bool, free bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	busy = make(map[string]bool, len(p.busy))
	for k := range p.busy {
		busy[k] = true
	}
	return busy, p.n < p.opts.Workers
}

// run runs one job and records its end.
func (p *Pool) run(workCtx context.Context, j Job) {
	defer func() {
		p.mu.Lock()
		delete(p.busy, repoKey(j.Repo))
		p.n--
		p.idle.Broadcast()
		p.mu.Unlock()
		p.Wake()
	}()
	log := p.opts.Log.With("job", j.ID, "kind", j.Kind, "repo", j.Repo)
	ctx, cancel := context.WithTimeout(workCtx, p.opts.Timeout)
	defer cancel()
	ctx, cancelMemory := context.WithCancelCause(ctx)
	defer cancelMemory(nil)
	stopGuard := p.guardMemory(ctx, j, cancelMemory)
	p.mu.Lock()
	p.cancels[j.ID] = cancelMemory
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.cancels, j.ID)
		p.mu.Unlock()
	}()
	start := time.Now()
	result, err := p.call(ctx, j)
	took := time.Since(start)
	stopGuard()
	if cause := context.Cause(ctx); err != nil && (errors.Is(cause, ErrMemoryCeiling) || errors.Is(cause, ErrLeaseLost)) {
		err = cause
	}
	// The store outlives the work context: record the end even when the
	// work was cancelled.
	rec := context.WithoutCancel(workCtx)
	outcome := OutcomeSucceeded
	switch {
	case errors.Is(err, ErrLeaseLost):
		// Another replica may run it already: record nothing over its run.
		outcome = OutcomeLeaseLost
		log.Error("job stopped: its lease could not be renewed, so another replica may take it", "took", took)
		if rerr := p.store.requeue(rec, j); rerr != nil {
			log.Warn("the stopped job is queued again when its lease expires", "error", rerr)
		}
	case err != nil && errors.Is(context.Cause(workCtx), errShutdown):
		outcome = OutcomeRequeued
		log.Warn("job interrupted by shutdown; queued again", "error", err)
		if rerr := p.store.requeue(rec, j); rerr != nil {
			log.Error("could not queue the job again; it is queued at the next start", "error", rerr)
		}
	case err != nil && p.opts.Retryable(err) && j.Attempts < p.store.opts.MaxAttempts:
		outcome = OutcomeRetried
		wait := backoff(p.opts.Backoff, j.Attempts)
		log.Warn("job failed on a transient error; tried again later", "error", err, "attempt", j.Attempts, "of", p.store.opts.MaxAttempts, "retry_in", wait)
		msg := fmt.Sprintf("attempt %d of %d: %v", j.Attempts, p.store.opts.MaxAttempts, err)
		if rerr := p.store.retry(rec, j, p.opts.Clock.Now().Add(wait), msg); rerr != nil {
			log.Error("could not queue the job again", "error", rerr)
		}
	case err != nil && p.opts.Retryable(err):
		outcome = OutcomeDeadLetter
		log.Error("job failed as a dead letter: transient errors on every attempt; not tried again", "error", err, "attempts", j.Attempts, "took", took)
		msg := fmt.Sprintf("dead letter after %d attempts: %v", j.Attempts, err)
		if ferr := p.store.finish(rec, j, Failed, result, msg); ferr != nil {
			log.Error("could not record the job's end", "error", ferr)
		}
	case err != nil:
		outcome = OutcomeFailed
		log.Error("job failed", "error", err, "took", took)
		if ferr := p.store.finish(rec, j, Failed, result, err.Error()); ferr != nil {
			log.Error("could not record the job's end", "error", ferr)
		}
	default:
		log.Info("job done", "result", result, "took", took)
		if ferr := p.store.finish(rec, j, Succeeded, result, ""); ferr != nil {
			log.Error("could not record the job's end", "error", ferr)
		}
	}
	if p.opts.Observe != nil {
		p.opts.Observe(j, outcome, took)
	}
}

// call runs the handler, turning a panic into the job's error.
func (p *Pool) call(ctx context.Context, j Job) (result string, err error) {
	defer func() {
		if r := recover(); r != nil {
			p.opts.Log.Error("job panicked", "job", j.ID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	return p.handler.Handle(ctx, j)
}

// WaitIdle blocks until no job runs and none is due, or ctx is done. For
// tests and for draining before an exit. Run must be running.
func (p *Pool) WaitIdle(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.idle.Broadcast()
		p.mu.Unlock()
	})
	defer stop()
	for {
		p.mu.Lock()
		for p.n > 0 && ctx.Err() == nil {
			p.idle.Wait()
		}
		gen := p.passes
		p.mu.Unlock()
		if err := ctx.Err(); err != nil {
			return err
		}
		due, err := p.store.dueCount(ctx)
		if err != nil {
			return err
		}
		if due == 0 && p.Running() == 0 {
			return nil
		}
		// A due job nobody took yet: wait for a dispatch pass after this.
		p.Wake()
		p.mu.Lock()
		for p.passes == gen && ctx.Err() == nil {
			p.idle.Wait()
		}
		p.mu.Unlock()
	}
}

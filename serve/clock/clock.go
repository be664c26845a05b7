// Package clock is the time source of the long-running parts of remedy
// serve (the job dispatcher, the schedules), so that tests can move time
// instead of waiting for it.
//
// Time enters from the system clock (or a test's fake, which tests
// advance) and leaves as Now and as timers the dispatcher and the
// schedules wait on.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and wakes a waiter after a duration.
type Clock interface {
	Now() time.Time
	// After is time.After: the channel receives the time once d passed.
	After(d time.Duration) <-chan time.Time
}

// Real is the system clock.
type Real struct{}

// Now implements Clock.
func (Real) Now() time.Time { return time.Now() }

// After implements Clock.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Fake is a Clock that moves only when told to. It is safe for concurrent
// use.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	added   chan struct{} // closed and replaced whenever a waiter is added
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewFake returns a Fake set to now.
func NewFake(now time.Time) *Fake { return &Fake{now: now, added: make(chan struct{})} }

// Now implements Clock.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After implements Clock.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- f.now
		return ch
	}
	f.waiters = append(f.waiters, waiter{at: f.now.Add(d), ch: ch})
	close(f.added)
	f.added = make(chan struct{})
	return ch
}

// Advance moves the clock by d and wakes the waiters whose time came, in
// time order.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the clock to t (never backwards) and wakes the waiters whose
// time came.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if t.After(f.now) {
		f.now = t
	}
	sort.SliceStable(f.waiters, func(i, j int) bool { return f.waiters[i].at.Before(f.waiters[j].at) })
	keep := f.waiters[:0]
	for _, w := range f.waiters {
		if w.at.After(f.now) {
			keep = append(keep, w)
			continue
		}
		w.ch <- w.at
	}
	f.waiters = keep
}

// Waiters is the number of pending After calls.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// WaitForWaiter blocks until some After call is pending whose time is at or
// before deadline, or done is closed. Tests use it to know that a loop has
// gone to sleep before they advance the clock; it involves no real time.
func (f *Fake) WaitForWaiter(deadline time.Time, done <-chan struct{}) bool {
	for {
		f.mu.Lock()
		for _, w := range f.waiters {
			if !w.at.After(deadline) {
				f.mu.Unlock()
				return true
			}
		}
		added := f.added
		f.mu.Unlock()
		select {
		case <-added:
		case <-done:
			return false
		}
	}
}

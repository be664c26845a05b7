// Package schedule runs named cron schedules (the nightly sweep) on an
// injectable clock. Expressions are robfig/cron's standard five fields or
// descriptors (@daily, @every 6h), with an optional CRON_TZ=Zone prefix;
// without one they are read in UTC, never in the server's local zone, so
// a schedule means the same wherever the pod lands.
//
// A schedule never overlaps itself: a tick that comes while the previous
// run is still going is skipped, and ticks missed while the process slept
// fire once, not once each.
//
// Data enters as named Specs (an expression each) and the Fire function
// of a Scheduler; it leaves as calls of Fire, at the Specs' times on the
// clock (serve/clock).
package schedule

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/remedy-bot/remedy/serve/clock"
)

// Spec is a schedule as configured.
type Spec struct {
	Name string
	// Cron is the expression, e.g. "CRON_TZ=Europe/Paris 0 2 * * *".
	Cron string
	// Jitter spreads the schedule's work over this window (see Offset).
	Jitter time.Duration
}

// cronFields are the fields a schedule may use: the five standard ones and
// the @descriptors.
const cronFields = cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor

// Parse checks a cron expression and returns its schedule. Expressions
// without CRON_TZ= are in UTC.
func Parse(expr string) (cron.Schedule, error) {
	e := strings.TrimSpace(expr)
	hasZone := strings.HasPrefix(e, "CRON_TZ=") || strings.HasPrefix(e, "TZ=")
	if hasZone && !strings.Contains(e, " ") {
		// robfig/cron slices up to the first space and panics without one.
		return nil, fmt.Errorf("cron expression %q: a time zone must be followed by a space and the schedule", expr)
	}
	if !hasZone && !strings.HasPrefix(e, "@every") {
		e = "CRON_TZ=UTC " + e
	}
	s, err := parseCron(e)
	if err != nil {
		return nil, fmt.Errorf("cron expression %q: %w", expr, err)
	}
	return s, nil
}

// parseCron is robfig/cron's parser made total: a configuration typo must be
// an error, and the library panics on some malformed input rather than
// returning one.
func parseCron(e string) (s cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("malformed schedule: %v", r)
		}
	}()
	return cron.NewParser(cronFields).Parse(e)
}

// Offset is where, within window, the work of key (a repository) starts
// when schedule name fires: a stable hash, so each repository keeps its
// slot from night to night and a fleet is spread over the window instead
// of hitting the API in the same second.
func Offset(name, key string, window time.Duration) time.Duration {
	if window <= 0 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write([]byte(strings.ToLower(key)))
	return time.Duration(h.Sum64() % uint64(window))
}

// Fire runs a schedule's work; at is the tick it runs for.
type Fire func(ctx context.Context, s Spec, at time.Time) error

// Scheduler runs schedules.
type Scheduler struct {
	entries []*entry
	clock   clock.Clock
	fire    Fire
	log     *slog.Logger
	wg      sync.WaitGroup
	// afterRun, when set, is called once a run has ended (for tests).
	afterRun func(name string)
}

type entry struct {
	spec    Spec
	sched   cron.Schedule
	next    time.Time
	mu      sync.Mutex
	running bool
}

// New parses specs. c nil means the real clock.
func New(specs []Spec, c clock.Clock, fire Fire, log *slog.Logger) (*Scheduler, error) {
	if c == nil {
		c = clock.Real{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{clock: c, fire: fire, log: log}
	seen := map[string]bool{}
	for _, sp := range specs {
		if sp.Name == "" || seen[sp.Name] {
			return nil, fmt.Errorf("schedule %q: names must be set and unique", sp.Name)
		}
		seen[sp.Name] = true
		cs, err := Parse(sp.Cron)
		if err != nil {
			return nil, fmt.Errorf("schedule %s: %w", sp.Name, err)
		}
		s.entries = append(s.entries, &entry{spec: sp, sched: cs})
	}
	return s, nil
}

// Next is when each schedule fires next, by name, as of the last Run step.
func (s *Scheduler) Next(now time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	for _, e := range s.entries {
		out[e.spec.Name] = e.sched.Next(now)
	}
	return out
}

// Run fires the schedules until ctx is done, then waits for the runs in
// progress to return.
func (s *Scheduler) Run(ctx context.Context) {
	defer s.wg.Wait()
	if len(s.entries) == 0 {
		<-ctx.Done()
		return
	}
	now := s.clock.Now()
	for _, e := range s.entries {
		e.next = e.sched.Next(now)
		s.log.Info("schedule", "name", e.spec.Name, "cron", e.spec.Cron, "next", e.next)
	}
	for {
		earliest := s.entries[0].next
		for _, e := range s.entries[1:] {
			if e.next.Before(earliest) {
				earliest = e.next
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-s.clock.After(earliest.Sub(s.clock.Now())):
		}
		now := s.clock.Now()
		for _, e := range s.entries {
			if e.next.After(now) {
				continue
			}
			// Ticks missed while asleep collapse into the latest one.
			tick := e.next
			for n := e.sched.Next(tick); !n.After(now); n = e.sched.Next(n) {
				tick = n
			}
			s.start(ctx, e, tick)
			e.next = e.sched.Next(now)
		}
	}
}

// start fires e for tick at, unless its previous run is still going.
func (s *Scheduler) start(ctx context.Context, e *entry, at time.Time) {
	e.mu.Lock()
	if e.running {
		e.mu.Unlock()
		s.log.Warn("schedule still running from its previous tick; this tick is skipped", "name", e.spec.Name, "tick", at)
		return
	}
	e.running = true
	e.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer func() {
			e.mu.Lock()
			e.running = false
			e.mu.Unlock()
			if s.afterRun != nil {
				s.afterRun(e.spec.Name)
			}
		}()
		s.log.Info("schedule fired", "name", e.spec.Name, "tick", at)
		if err := s.fire(ctx, e.spec, at); err != nil {
			s.log.Error("scheduled run failed", "name", e.spec.Name, "tick", at, "error", err)
		}
	}()
}

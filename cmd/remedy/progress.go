package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress shows how far a long run is on one line of a terminal, such as
// "sweep: 12/300 repositories", rewritten in place. It goes to stderr and
// only when stderr is a terminal: piped or redirected output (CI logs, a
// -o json summary captured by a script) never gets carriage returns. The
// summary itself is on stdout, so progress never mixes into it.
//
// The line is drawn with the cursor returned to its start, so a log record
// written meanwhile overwrites it and the next update draws below the
// record: no coordination with the logger is needed. A nil *progress is
// off, and every method is a no-op.
type progress struct {
	w     io.Writer
	label string // "sweep"
	unit  string // "repositories"
	total int
	every time.Duration // the least time between redraws
	now   func() time.Time

	mu    sync.Mutex
	done  int
	drawn time.Time
}

// newProgress returns the progress of total items, or nil (off) when
// stderr is not a terminal.
func newProgress(inv *invocation, label, unit string, total int) *progress {
	terminal := inv.stderrIsTerminal
	if terminal == nil {
		terminal = func() bool { return isTerminal(inv.stderr) }
	}
	if !terminal() {
		return nil
	}
	p := &progress{w: inv.stderr, label: label, unit: unit, total: total, every: 100 * time.Millisecond, now: time.Now}
	p.draw(true)
	return p
}

// Add counts n more items done and redraws, at most every p.every, and
// always for the last one.
func (p *progress) Add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	p.draw(p.done >= p.total)
}

// draw writes the line; p.mu is held.
func (p *progress) draw(force bool) {
	now := p.now()
	if !force && now.Sub(p.drawn) < p.every {
		return
	}
	p.drawn = now
	fmt.Fprintf(p.w, "\r\x1b[K%s: %d/%d %s\r", p.label, p.done, p.total, p.unit)
}

// Finish clears the line, so that what follows starts on a clean one.
func (p *progress) Finish() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\x1b[K")
}

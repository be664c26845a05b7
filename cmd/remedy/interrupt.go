package main

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Signals. main cancels the run's context on SIGINT or SIGTERM. scan, fix,
// pr, sweep and import run their work under interruptible: once the
// context is done the command returns within stopGrace (the work checks
// the context between files where it can; where it cannot, say inside a
// Helm render, the process exits around it). Every file a command writes
// goes through the invocation's writeGate, so that an interruption waits
// for a write in progress and no write starts after it: a file is replaced
// whole, through a temporary file and a rename, or not at all.

// errInterrupted is the error of a run stopped by a signal.
var errInterrupted = errors.New("interrupted by a signal: files already written are complete, the others untouched")

// stopGrace is how long an interrupted command may take to finish the
// file it is on and print what it did, before the run stops without it.
const stopGrace = 300 * time.Millisecond

// writeGate orders a run's file writes with its interruption: writes run
// side by side, and an interruption waits for those in progress and
// refuses the ones after it.
type writeGate struct {
	mu     sync.RWMutex
	closed bool
}

// do runs write unless the run was interrupted.
func (g *writeGate) do(write func() error) error {
	if g == nil {
		return write()
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	if g.closed {
		return errInterrupted
	}
	return write()
}

// close waits for the writes in progress and refuses the ones after them.
func (g *writeGate) close() {
	if g == nil {
		return
	}
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
}

// interruptible runs work and returns its error, or errInterrupted soon
// after ctx is done, whether or not work has returned.
func interruptible(ctx context.Context, inv *invocation, work func(ctx context.Context) error) error {
	if ctx.Err() != nil {
		return errInterrupted
	}
	done := make(chan error, 1)
	go func() { done <- work(ctx) }()
	select {
	case err := <-done:
		if ctx.Err() != nil {
			return errInterrupted
		}
		return err
	case <-ctx.Done():
	}
	inv.writes.close()
	select {
	case <-done:
	case <-time.After(stopGrace):
	}
	return errInterrupted
}

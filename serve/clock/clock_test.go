package clock

import (
	"testing"
	"time"
)

func TestFake(t *testing.T) {
	start := time.Date(2025, 3, 30, 0, 59, 0, 0, time.UTC)
	f := NewFake(start)
	late := f.After(2 * time.Minute)
	early := f.After(time.Minute)
	if now := f.After(0); (<-now) != start {
		t.Error("After(0) does not fire at once")
	}
	if f.Waiters() != 2 {
		t.Fatalf("%d waiters, want 2", f.Waiters())
	}
	f.Advance(90 * time.Second)
	select {
	case at := <-early:
		if want := start.Add(time.Minute); !at.Equal(want) {
			t.Errorf("fired with %v, want %v", at, want)
		}
	default:
		t.Fatal("the one-minute waiter did not fire after 90s")
	}
	select {
	case <-late:
		t.Fatal("the two-minute waiter fired after 90s")
	default:
	}
	f.Set(start) // never backwards
	if got := f.Now(); !got.Equal(start.Add(90 * time.Second)) {
		t.Errorf("Set moved the clock back to %v", got)
	}
	if !f.WaitForWaiter(start.Add(2*time.Minute), nil) {
		t.Error("WaitForWaiter missed the pending waiter")
	}
	f.Advance(time.Minute)
	<-late
	if f.Waiters() != 0 {
		t.Errorf("%d waiters left", f.Waiters())
	}
	done := make(chan struct{})
	close(done)
	if f.WaitForWaiter(f.Now().Add(time.Hour), done) {
		t.Error("WaitForWaiter found a waiter that does not exist")
	}
}

package jobs

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// Transient says whether err is worth another attempt later: the network
// failed (refused, reset, timed out, cut short) or the error says so itself
// with a Retryable() bool method. A job that ran out of its own time, was
// cancelled or failed on its input is not: running it again gives the same.
func Transient(err error) bool {
	if err == nil || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) || errors.Is(err, ErrMemoryCeiling) {
		return false
	}
	var r interface{ Retryable() bool }
	if errors.As(err, &r) {
		return r.Retryable()
	}
	var ne net.Error
	return errors.As(err, &ne) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, io.ErrUnexpectedEOF)
}

// backoff is the wait before attempt n+1 after n failed attempts: base
// doubled per attempt, at most an hour.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

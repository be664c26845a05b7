package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC: one-shot commands collect at oneShotGCPercent under
// oneShotMemoryLimit; `remedy serve` and a run whose environment sets GOGC
// or GOMEMLIMIT keep what they have.
func TestTuneGC(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		percent int
		limit   int64
	}{
		{"scan", []string{"scan", "."}, nil, oneShotGCPercent, oneShotMemoryLimit},
		{"fix with flags", []string{"--log-level", "debug", "fix", "deploy/"}, nil, oneShotGCPercent, oneShotMemoryLimit},
		{"serve", []string{"serve", "--listen", ":8080"}, nil, 100, math.MaxInt64},
		{"GOGC set", []string{"scan"}, map[string]string{"GOGC": "50"}, 100, math.MaxInt64},
		{"GOMEMLIMIT set", []string{"scan"}, map[string]string{"GOMEMLIMIT": "1GiB"}, 100, math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prevPercent, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
			defer func() {
				debug.SetGCPercent(prevPercent)
				debug.SetMemoryLimit(prevLimit)
			}()
			tuneGC(tc.args, func(k string) string { return tc.env[k] })
			percent := debug.SetGCPercent(100)
			limit := debug.SetMemoryLimit(math.MaxInt64)
			if percent != tc.percent || limit != tc.limit {
				t.Errorf("GC percent %d, memory limit %d; want %d, %d", percent, limit, tc.percent, tc.limit)
			}
		})
	}
}

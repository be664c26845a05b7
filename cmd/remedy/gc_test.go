package main

import (
	"io/fs"
	"math"
	"runtime/debug"
	"testing"
)

// TestTuneGC: one-shot commands collect at oneShotGCPercent under
// oneShotMemoryLimit, or half the container's memory when that is less;
// `remedy serve` and a run whose environment sets GOGC or GOMEMLIMIT keep
// what they have.
func TestTuneGC(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		cgroup  map[string]string
		percent int
		limit   int64
	}{
		{"scan", []string{"scan", "."}, nil, nil, oneShotGCPercent, oneShotMemoryLimit},
		{"fix with flags", []string{"--log-level", "debug", "fix", "deploy/"}, nil, nil, oneShotGCPercent, oneShotMemoryLimit},
		{"serve", []string{"serve", "--listen", ":8080"}, nil, nil, 100, math.MaxInt64},
		{"GOGC set", []string{"scan"}, map[string]string{"GOGC": "50"}, nil, 100, math.MaxInt64},
		{"GOMEMLIMIT set", []string{"scan"}, map[string]string{"GOMEMLIMIT": "1GiB"}, nil, 100, math.MaxInt64},
		{"cgroup v2, 128 MiB", []string{"fix"}, nil, map[string]string{"/sys/fs/cgroup/memory.max": "134217728\n"}, oneShotGCPercent, 64 << 20},
		{"cgroup v2, no limit", []string{"fix"}, nil, map[string]string{"/sys/fs/cgroup/memory.max": "max\n"}, oneShotGCPercent, oneShotMemoryLimit},
		{"cgroup v2, 1 GiB", []string{"fix"}, nil, map[string]string{"/sys/fs/cgroup/memory.max": "1073741824\n"}, oneShotGCPercent, oneShotMemoryLimit},
		{"cgroup v1, 200 MiB", []string{"fix"}, nil, map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "209715200\n"}, oneShotGCPercent, 100 << 20},
		{"cgroup v1, no limit", []string{"fix"}, nil, map[string]string{"/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, oneShotGCPercent, oneShotMemoryLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prevPercent, prevLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
			defer func() {
				debug.SetGCPercent(prevPercent)
				debug.SetMemoryLimit(prevLimit)
			}()
			readFile := func(p string) ([]byte, error) {
				if v, ok := tc.cgroup[p]; ok {
					return []byte(v), nil
				}
				return nil, fs.ErrNotExist
			}
			tuneGC(tc.args, func(k string) string { return tc.env[k] }, readFile)
			percent := debug.SetGCPercent(100)
			limit := debug.SetMemoryLimit(math.MaxInt64)
			if percent != tc.percent || limit != tc.limit {
				t.Errorf("GC percent %d, memory limit %d; want %d, %d", percent, limit, tc.percent, tc.limit)
			}
		})
	}
}

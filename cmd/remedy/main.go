// Command remedy scans Kubernetes manifests for failing security controls,
// fixes them with byte-exact edits and opens fix pull requests.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/remedy-bot/remedy/scanner/helm"
)

func main() {
	// A Helm chart renders in a child process: this binary, re-executed
	// (scanner/helm's child.go).
	helm.RunChildIfRequested()
	tuneGC(os.Args[1:], os.Getenv, os.ReadFile)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// One-shot commands collect garbage less often than Go's default.
const (
	// oneShotGCPercent lets the heap grow to five times what is live
	// between collections (Go's default: twice).
	oneShotGCPercent = 400
	// oneShotMemoryLimit caps that growth: past it the collector runs
	// as often as it must, whatever the percent says.
	oneShotMemoryLimit = 160 << 20
)

// tuneGC sets the garbage collector for a one-shot command (scan, fix, pr,
// …): such a run allocates a few hundred MB over a live heap of tens and
// exits, and at Go's default (a collection each time the heap doubles,
// from 4 MB) it spends a fifth of its CPU collecting garbage that exit
// would drop anyway. A larger percent under a memory limit trades memory
// for CPU: a plain scan never reaches the limit (its live heap is a few
// MB: 67 MB peak RSS on the corpus), and a fix of the corpus as deployed,
// whose live heap is about 40 MB, collects 5 times instead of 23 (1.25 s
// of CPU instead of 1.55, at 185 MB peak RSS instead of 117: hack/bench.sh).
// In a container the limit is at most half of its memory (the rest is the
// binary, stacks and Helm's render children), so that a run that would
// have fit at Go's defaults still fits. `remedy serve` runs for days and
// keeps the defaults, and so does any run whose GOGC or GOMEMLIMIT says
// otherwise.
func tuneGC(args []string, getenv func(string) string, readFile func(string) ([]byte, error)) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" || slices.Contains(args, "serve") {
		return
	}
	limit := int64(oneShotMemoryLimit)
	if c, ok := containerMemory(readFile); ok && c/2 < limit {
		limit = c / 2
	}
	debug.SetGCPercent(oneShotGCPercent)
	debug.SetMemoryLimit(limit)
}

// containerMemory is the memory limit of the cgroup mounted at
// /sys/fs/cgroup (v2, else v1) when one is set: in a container, its own
// (the root a cgroup namespace shows); on a host, the root cgroup's,
// which has none.
func containerMemory(readFile func(string) ([]byte, error)) (int64, bool) {
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := readFile(p)
		if err != nil {
			continue
		}
		// "max" (v2) and a page-rounded MaxInt64 (v1) mean no limit.
		n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || n <= 0 || n >= 1<<62 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

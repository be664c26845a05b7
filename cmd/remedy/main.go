// Command remedy scans Kubernetes manifests for failing security controls,
// fixes them with byte-exact edits and opens fix pull requests.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"

	"github.com/remedy-bot/remedy/scanner/helm"
)

func main() {
	// A Helm chart renders in a child process: this binary, re-executed
	// (scanner/helm's child.go).
	helm.RunChildIfRequested()
	tuneGC(os.Args[1:], os.Getenv)
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
	oneShotMemoryLimit = 80 << 20
)

// tuneGC sets the garbage collector for a one-shot command (scan, fix, pr,
// …): such a run allocates a few hundred MB over a live heap of tens and
// exits, and at Go's default (a collection each time the heap doubles,
// from 4 MB) it spends a fifth of its CPU collecting garbage that exit
// would drop anyway. A larger percent under a memory limit keeps the peak
// where it was (hack/bench.sh: scan of the corpus, CPU and peak RSS).
// `remedy serve` runs for days and keeps the defaults, and so does any
// run whose GOGC or GOMEMLIMIT says otherwise.
func tuneGC(args []string, getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" || slices.Contains(args, "serve") {
		return
	}
	debug.SetGCPercent(oneShotGCPercent)
	debug.SetMemoryLimit(oneShotMemoryLimit)
}

// Command remedy scans Kubernetes manifests for failing security controls,
// fixes them with byte-exact edits and opens fix pull requests.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/remedy-bot/remedy/scanner/helm"
)

func main() {
	// A Helm chart renders in a child process: this binary, re-executed
	// (scanner/helm's child.go).
	helm.RunChildIfRequested()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

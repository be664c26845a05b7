//go:build !e2e

package e2e

import (
	"testing"

	"github.com/remedy-bot/remedy/internal/clustertest"
)

// TestE2E stands for the tests that the e2e build tag compiles in, so a plain
// `go test ./...` says how to run them instead of passing over them silently.
func TestE2E(t *testing.T) {
	t.Skip("end-to-end tests are built with -tags e2e; they " + clustertest.HowToRun)
}

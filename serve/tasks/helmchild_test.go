package tasks

import (
	"os"
	"testing"

	"github.com/remedy-bot/remedy/scanner/helm"
)

// TestMain lets the test binary be the Helm render child of the tests'
// renders (scanner/helm renders charts in a child process).
func TestMain(m *testing.M) {
	helm.RunChildIfRequested()
	os.Exit(m.Run())
}

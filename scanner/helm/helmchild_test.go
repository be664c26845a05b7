package helm

import (
	"os"
	"testing"
)

// TestMain lets the test binary be the render child of the tests' renders.
func TestMain(m *testing.M) {
	RunChildIfRequested()
	os.Exit(m.Run())
}

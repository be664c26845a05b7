//go:build !unix

package helm

import "os/exec"

// prepareChild: the process is killed alone on platforms without process
// groups; the child starts nothing of its own.
func prepareChild(*exec.Cmd) {}

// setAddressSpaceLimit: no RLIMIT_AS here; the heap watchdog remains.
func setAddressSpaceLimit(int64) {}

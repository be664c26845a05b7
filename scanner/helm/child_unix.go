//go:build unix

package helm

import (
	"os/exec"
	"syscall"
)

// prepareChild starts the child in its own process group, and makes a
// cancelled render kill the whole group.
func prepareChild(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// setAddressSpaceLimit caps the process's virtual memory (RLIMIT_AS): an
// allocation past it fails, and the Go runtime dies with "out of memory".
func setAddressSpaceLimit(bytes int64) {
	lim := &syscall.Rlimit{Cur: uint64(bytes), Max: uint64(bytes)}
	var old syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_AS, &old) == nil && old.Max < lim.Max {
		lim.Cur, lim.Max = old.Max, old.Max
	}
	_ = syscall.Setrlimit(syscall.RLIMIT_AS, lim)
}

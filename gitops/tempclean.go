package gitops

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// clonePrefix starts the name of every temporary clone folder, followed by
// the process ID of the run that made it: remedy-clone-<pid>-<random>.
const clonePrefix = "remedy-clone-"

// RemoveStaleClones removes the temporary clone folders in dir (empty: the
// system temp folder) that runs which no longer exist left behind: a
// killed run cannot clean up after itself, so the next one does. A folder
// of a process still alive, or of unknown origin, is kept. It returns the
// folders removed.
func RemoveStaleClones(dir string) ([]string, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		pid, ok := clonePID(e.Name())
		if !e.IsDir() || !ok || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, p)
	}
	return removed, errors.Join(errs...)
}

// clonePID reads the process ID out of a clone folder's name.
func clonePID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, clonePrefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	if !ok {
		// A folder named by an older remedy (remedy-clone-<random>) has
		// no owner to ask; it is stale unless in use, and an older remedy
		// still running is unlikely next to this one.
		return 0, true
	}
	pid, err := strconv.Atoi(digits)
	return pid, err == nil && pid > 0
}

// processAlive reports whether process pid exists (signal 0 delivers
// nothing; EPERM means it exists under another user).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

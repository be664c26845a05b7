package gitops

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

func TestRemoveStaleClones(t *testing.T) {
	dir := t.TempDir()
	// A PID far above any pid_max is a process that does not exist.
	dead := filepath.Join(dir, clonePrefix+"99999999-123")
	alive := filepath.Join(dir, clonePrefix+strconv.Itoa(os.Getppid())+"-456")
	mine := filepath.Join(dir, clonePrefix+strconv.Itoa(os.Getpid())+"-789")
	legacy := filepath.Join(dir, clonePrefix+"2718281")
	other := filepath.Join(dir, "someone-else-1")
	for _, d := range []string{dead, alive, mine, legacy, other} {
		if err := os.MkdirAll(filepath.Join(d, ".git"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := RemoveStaleClones(dir)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(removed)
	want := []string{legacy, dead}
	slices.Sort(want)
	if !slices.Equal(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	for _, d := range []string{alive, mine, other} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s: %v", d, err)
		}
	}
	for _, d := range want {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s still there", d)
		}
	}
}

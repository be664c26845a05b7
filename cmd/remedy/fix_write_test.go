package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fixablePod is a manifest remedy fixes (and reports as high).
const fixablePod = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  hostPID: true
  containers:
  - name: web
    image: nginx:1.25
    securityContext:
      privileged: true
`

// runInvocation runs the CLI like runCLI, with hooks set on its invocation.
func runInvocation(t *testing.T, setup func(*invocation), args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	inv := newInvocation(strings.NewReader(""), &stdout, &stderr)
	setup(inv)
	code := inv.execute(context.Background(), args)
	return result{code, stdout.String(), stderr.String()}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFixKeepsAFileChangedMeanwhile: a line a user appends to a file while
// fix works on it is kept; the file is reported, the others are written.
func TestFixKeepsAFileChangedMeanwhile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.yaml": fixablePod, "b.yaml": fixablePod})
	appended := fixablePod + "# a line added by hand\n"
	r := runInvocation(t, func(inv *invocation) {
		inv.beforeReplace = func(abs string) {
			if filepath.Base(abs) == "a.yaml" {
				if err := os.WriteFile(abs, []byte(appended), 0o644); err != nil {
					t.Error(err)
				}
			}
		}
	}, "fix", dir, "--log-level", "debug")
	if r.code != exitError {
		t.Errorf("exit %d, want %d\n%s%s", r.code, exitError, r.stdout, r.stderr)
	}
	// The log counts the files replaced, not those tried.
	if want := `msg="files replaced" files=1 took=`; !strings.Contains(r.stderr, want) {
		t.Errorf("the log lacks %q:\n%s", want, r.stderr)
	}
	if got := readFile(t, filepath.Join(dir, "a.yaml")); got != appended {
		t.Errorf("a.yaml lost the line added meanwhile:\n%s", got)
	}
	if got := readFile(t, filepath.Join(dir, "b.yaml")); got == fixablePod {
		t.Error("b.yaml was not fixed")
	}
	for _, want := range []string{"error: a.yaml: not written: changed while remedy worked on it", "1 files could not be written", "changed 1 files"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	assertNoTempFiles(t, dir)
}

// TestFixTriesEveryFile: a file that cannot be written does not stop the
// run: the others are written, the summary is printed, the exit status is 2.
func TestFixTriesEveryFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a/pod.yaml": fixablePod, "b/pod.yaml": fixablePod, "c/pod.yaml": fixablePod})
	setup := func(*invocation) {}
	if os.Geteuid() == 0 {
		// root writes in a read-only folder; a folder that has become a
		// file between the scan and the write stops root too.
		setup = func(inv *invocation) {
			inv.beforeReplace = func(abs string) {
				if filepath.Base(filepath.Dir(abs)) == "a" {
					a := filepath.Dir(abs)
					if err := os.Rename(a, a+".moved"); err != nil {
						t.Error(err)
					}
					if err := os.WriteFile(a, nil, 0o644); err != nil {
						t.Error(err)
					}
				}
			}
		}
	} else {
		if err := os.Chmod(filepath.Join(dir, "a"), 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(filepath.Join(dir, "a"), 0o755) })
	}
	r := runInvocation(t, setup, "fix", dir)
	if r.code != exitError {
		t.Errorf("exit %d, want %d\n%s%s", r.code, exitError, r.stdout, r.stderr)
	}
	for _, f := range []string{"b/pod.yaml", "c/pod.yaml"} {
		if readFile(t, filepath.Join(dir, f)) == fixablePod {
			t.Errorf("%s was not fixed after a/pod.yaml failed", f)
		}
	}
	for _, want := range []string{"CONTROL", "error: a/pod.yaml: not written:", "changed 2 files; 1 files could not be written"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, r.stdout)
		}
	}
	// The findings of the unwritten file are not reported as fixed.
	j := runInvocation(t, func(*invocation) {}, "fix", "--dry-run", "-o", "json", filepath.Join(dir, "c"))
	if j.code == exitError {
		t.Errorf("fixed file c/pod.yaml does not scan cleanly: %s", j.stdout)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".remedy-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
}

// TestSignalStopsFix builds remedy, starts `remedy fix` over a large tree,
// sends SIGINT or SIGTERM while it scans or while it writes, and checks
// that it stops within a second with a non-zero status and every file
// either as it was or fully fixed.
func TestSignalStopsFix(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "remedy")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// One file fixed alone gives the fully fixed bytes every file must have.
	ref := t.TempDir()
	original := manyContainerPod(20)
	writeFiles(t, ref, map[string]string{"pod.yaml": original})
	if out, err := exec.Command(bin, "fix", ref).CombinedOutput(); err != nil && !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("reference fix: %v\n%s", err, out)
	}
	fixed := readFile(t, filepath.Join(ref, "pod.yaml"))
	if fixed == original {
		t.Fatal("reference fix changed nothing")
	}

	tests := []struct {
		name   string
		signal syscall.Signal
		// when says when to send the signal: after this much stderr output
		// (the first "fixed" log line: while writing), or at once (scanning).
		when string
	}{
		{"SIGINT while writing", syscall.SIGINT, "msg=fixed"},
		{"SIGTERM while writing", syscall.SIGTERM, "msg=fixed"},
		{"SIGINT while scanning", syscall.SIGINT, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{}
			for i := range 300 {
				files[fmt.Sprintf("app%03d/pod.yaml", i)] = original
			}
			writeFiles(t, dir, files)
			cmd := exec.Command(bin, "fix", dir)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			cmd.Stdout = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			if tc.when != "" {
				deadline := time.Now().Add(60 * time.Second)
				for !strings.Contains(stderr.String(), tc.when) {
					if time.Now().After(deadline) {
						cmd.Process.Kill()
						t.Fatalf("no %q within a minute:\n%s", tc.when, stderr.String())
					}
					time.Sleep(time.Millisecond)
				}
			} else {
				time.Sleep(100 * time.Millisecond)
			}
			sent := time.Now()
			if err := cmd.Process.Signal(tc.signal); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatal("remedy did not stop within 10 s of the signal")
			}
			if took := time.Since(sent); took > time.Second {
				t.Errorf("stopped %v after the signal, want under a second", took)
			}
			if err == nil || cmd.ProcessState.ExitCode() != exitError {
				t.Errorf("exit %v, want status %d\n%s", err, exitError, stderr.String())
			}
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("no word of the interruption:\n%s", stderr.String())
			}
			var unchanged, done2 int
			for name := range files {
				switch got := readFile(t, filepath.Join(dir, name)); got {
				case original:
					unchanged++
				case fixed:
					done2++
				default:
					t.Errorf("%s is neither as it was nor fully fixed:\n%s", name, got)
				}
			}
			t.Logf("%d files fixed, %d untouched", done2, unchanged)
			if tc.when != "" && (done2 == 0 || unchanged == 0) {
				t.Errorf("want the signal to land mid-run: %d fixed, %d untouched", done2, unchanged)
			}
			assertNoTempFiles(t, dir)
		})
	}
}

// manyContainerPod is a Pod with n containers that fail the fixable controls.
func manyContainerPod(n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - name: c%d\n    image: nginx:1.25\n", i)
	}
	return b.String()
}

// syncBuffer is a bytes.Buffer safe for a process writing while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProfile records each kind of --profile of a real run and checks the
// file is one its tool reads: pprof profiles are gzipped protocol buffers,
// an execution trace starts with Go's trace header.
func TestProfile(t *testing.T) {
	for _, kind := range []string{"cpu", "heap", "allocs", "trace"} {
		t.Run(kind, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "profile")
			r := runCLI(t, "", "scan", "testdata/medium", "--profile", kind, "--profile-output", out)
			if r.code != exitFindings {
				t.Fatalf("exit %d, want %d (the scan's own result)\nstderr:\n%s", r.code, exitFindings, r.stderr)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			raw := b
			if kind == "trace" {
				if !bytes.HasPrefix(b, []byte("go 1.")) || !bytes.Contains(b[:16], []byte(" trace")) {
					t.Errorf("%s does not start with a Go trace header: %q", out, b[:min(len(b), 16)])
				}
			} else {
				z, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatalf("%s is not a pprof profile: %v", out, err)
				}
				if raw, err = io.ReadAll(z); err != nil || len(raw) == 0 {
					t.Errorf("%s: %d bytes of profile, %v", out, len(raw), err)
				}
			}
			// Stacks and counts only: nothing the run read (the scanned
			// manifest's image digest).
			if bytes.Contains(raw, []byte("9b2a1f4c7e0d3b6a5c8f1e2d4b7a0c3f")) {
				t.Errorf("the %s profile holds what the scan read", kind)
			}
		})
	}
}

func TestProfileRefusesBadFlags(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a typo is an error, not a run without the profile", []string{"--profile", "cpus"}, `--profile "cpus": want one of none, cpu, heap, allocs, trace`},
		{"an output that cannot be written fails before the run", []string{"--profile", "cpu", "--profile-output", filepath.Join(dir, "missing", "cpu.pprof")}, "--profile-output: open "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", append([]string{"scan", "testdata/medium"}, tt.args...)...)
			if r.code != exitError || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q: want exit %d and %q", r.code, r.stderr, exitError, tt.want)
			}
			if r.stdout != "" {
				t.Errorf("the scan ran anyway:\n%s", r.stdout)
			}
		})
	}
	// No flag, no file: the default records nothing.
	if r := runCLI(t, "", "scan", "testdata/hardened"); r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if _, err := os.Stat("profile.pprof"); err == nil {
		t.Error("a run without --profile wrote profile.pprof")
	}
}

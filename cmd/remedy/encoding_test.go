package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"
)

// TestUTF16ManifestIsScannedNotFixed: the evasion of issue 18, a hostPID
// Pod saved as UTF-16 with a BOM, fails scan --fail-on high; fix reports
// why it leaves the file alone and leaves it byte for byte.
func TestUTF16ManifestIsScannedNotFixed(t *testing.T) {
	dir := t.TempDir()
	var b []byte
	for _, u := range utf16.Encode([]rune("\uFEFF" + fixablePod)) {
		b = append(b, byte(u), byte(u>>8))
	}
	p := filepath.Join(dir, "pod.yaml")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, "", "scan", "--fail-on", "high", "-o", "json", dir)
	if r.code != exitFindings || !strings.Contains(r.stdout, `"control": "host-pid"`) {
		t.Fatalf("scan exit %d, want %d with host-pid\n%s%s", r.code, exitFindings, r.stdout, r.stderr)
	}
	r = runCLI(t, "", "fix", dir)
	if r.code != exitFindings {
		t.Errorf("fix exit %d, want %d\n%s%s", r.code, exitFindings, r.stdout, r.stderr)
	}
	if want := "pod.yaml:6 host-pid: file is UTF-16LE; remedy fixes UTF-8 files only"; !strings.Contains(r.stdout, want) {
		t.Errorf("fix summary lacks %q:\n%s", want, r.stdout)
	}
	if got := readFile(t, p); got != string(b) {
		t.Error("fix changed the UTF-16 file")
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// copyTree copies a folder of the repository into a temp dir.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.Contains(p, string(filepath.Separator)+".git"+string(filepath.Separator)) {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			out[rel] = string(b)
		}
		return nil
	})
	return out
}

// TestFixDryRunPatchEqualsInPlace: the --dry-run diff, applied by git apply,
// gives exactly what an in-place fix writes; a second fix changes nothing;
// suppressed findings are never fixed.
func TestFixDryRunPatchEqualsInPlace(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	patched, inPlace := copyTree(t, "../../examples/shop"), copyTree(t, "../../examples/shop")
	original := readTree(t, patched)

	dry := runCLI(t, "", "fix", "--dry-run", patched)
	if dry.code != exitFindings {
		t.Fatalf("dry run exit %d, want %d (report-only findings remain)\n%s", dry.code, exitFindings, dry.stderr)
	}
	if !strings.HasPrefix(dry.stdout, "diff --git a/") {
		t.Fatalf("dry run stdout is not a patch:\n%s", dry.stdout)
	}
	if got := readTree(t, patched); !equalTrees(got, original) {
		t.Fatal("--dry-run wrote files")
	}
	apply := exec.Command("git", "apply", "-p1", "--whitespace=nowarn", "-")
	apply.Dir = patched
	apply.Stdin = strings.NewReader(dry.stdout)
	if out, err := apply.CombinedOutput(); err != nil {
		t.Fatalf("git apply: %v\n%s", err, out)
	}

	if r := runCLI(t, "", "fix", inPlace); r.code != exitFindings {
		t.Fatalf("fix exit %d\n%s", r.code, r.stderr)
	}
	a, b := readTree(t, patched), readTree(t, inPlace)
	if !equalTrees(a, b) {
		for k := range a {
			if a[k] != b[k] {
				t.Errorf("%s differs between git apply of --dry-run and in-place fix", k)
			}
		}
	}
	if equalTrees(b, original) {
		t.Fatal("fix changed nothing")
	}

	// Idempotent: a second run has nothing left to change.
	if r := runCLI(t, "", "fix", "--dry-run", inPlace); r.stdout != "" {
		t.Errorf("second fix would change more:\n%s", r.stdout)
	}

	// Suppressed findings stay unfixed: the JSON outcome says ignored.
	r := runCLI(t, "", "fix", "--dry-run", "-o", "json", copyTree(t, "../../examples/shop"))
	var out struct {
		Outcomes []struct {
			Control, Status, Why string
			Suppressed           bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	ignored, fixed := 0, 0
	for _, o := range out.Outcomes {
		if o.Suppressed && o.Status != "ignored" {
			t.Errorf("suppressed %s has status %s", o.Control, o.Status)
		}
		switch o.Status {
		case "ignored":
			ignored++
		case "fixed":
			fixed++
		}
	}
	if ignored == 0 || fixed == 0 {
		t.Errorf("want ignored and fixed outcomes, got %d ignored, %d fixed", ignored, fixed)
	}
}

func equalTrees(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestFixKeepsModeAndRefusesStdin covers the file-handling contract.
func TestFixKeepsModeAndRefusesStdin(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "pod.yaml")
	src := []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n  - name: a\n    image: a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n")
	if err := os.WriteFile(p, src, 0o600); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "", "fix", dir)
	info, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if b, _ := os.ReadFile(p); bytes.Equal(b, src) {
		t.Error("nothing was fixed")
	}
	if r := runCLI(t, "", "fix", "-"); r.code != exitError {
		t.Errorf("fix - exit %d, want %d", r.code, exitError)
	}
}

// TestFixWritesThroughSymlinks: a manifest reached through a symlink inside
// the root is edited at its target; the link stays a link.
func TestFixWritesThroughSymlinks(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.yml")
	src := []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  hostPID: true\n  containers:\n  - name: a\n    image: a@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n")
	if err := os.WriteFile(target, src, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.yaml")
	if err := os.Symlink("real.yml", link); err != nil {
		t.Skip("symlinks not supported:", err)
	}
	runCLI(t, "", "fix", link, "--control", "host-pid")
	info, err := os.Lstat(link)
	if err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced by a regular file (%v)", err)
	}
	b, _ := os.ReadFile(target)
	if !strings.Contains(string(b), "hostPID: false") {
		t.Errorf("target not fixed:\n%s", b)
	}
}

// TestFixLogsPhases: at debug level a fix says how long each phase took,
// which is where an operator looks first when a sweep gets slow.
func TestFixLogsPhases(t *testing.T) {
	dir := copyTree(t, "testdata/medium")
	r := runCLI(t, "", "fix", dir, "--log-level", "debug")
	if r.code != exitOK {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"msg=scanned", `msg="fixes made and verified" files=1 took=`, `msg="files replaced" files=1 took=`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the log lacks %q:\n%s", want, r.stderr)
		}
	}
}

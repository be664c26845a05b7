package repofs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/repofs"
	"github.com/remedy-bot/remedy/internal/repofs/repofstest"
)

func TestReadFile(t *testing.T) {
	repo := repofstest.Tree(t)
	repofstest.WriteFile(t, repo, "big.yaml", strings.Repeat("x", 2048))
	repofstest.Symlink(t, repo, "up.yaml", "../repo/deploy/pod.yaml")
	r, err := repofs.Open(repo, 1024)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, tc := range []struct {
		name    string
		want    string // content, when the read succeeds
		wantErr error
		msg     string // in the error
	}{
		{name: "deploy/pod.yaml", want: repofstest.PrivilegedPod},
		{name: "deploy/alias.yaml", want: repofstest.PrivilegedPod},
		{name: "deploy/passwd.yaml", wantErr: repofs.ErrOutside, msg: "read deploy/passwd.yaml: leads outside the repository"},
		{name: "deploy/environ.yaml", wantErr: repofs.ErrOutside, msg: "read deploy/environ.yaml"},
		{name: "deploy/zero.yaml", wantErr: repofs.ErrOutside, msg: "read deploy/zero.yaml"},
		{name: "deploy/secret.yaml", wantErr: repofs.ErrOutside},
		// Out through the parent and back in by name: still out, since
		// the link leaves the tree on its way.
		{name: "up.yaml", wantErr: repofs.ErrOutside},
		{name: "../outside/secret.yaml", wantErr: repofs.ErrOutside},
		{name: filepath.Join(filepath.Dir(repo), "outside", "secret.yaml"), wantErr: repofs.ErrOutside},
		{name: "deploy/fifo.yaml", wantErr: repofs.ErrNotRegular, msg: "read deploy/fifo.yaml: not a regular file (named pipe (FIFO))"},
		{name: "kfifo/kustomization.yaml", wantErr: repofs.ErrNotRegular},
		{name: "deploy", wantErr: repofs.ErrNotRegular, msg: "(folder)"},
		{name: "big.yaml", wantErr: repofs.ErrTooLarge, msg: "read big.yaml: over the size limit: the file is 2048 bytes, over the 1024-byte limit"},
		{name: "missing.yaml", wantErr: os.ErrNotExist, msg: "read missing.yaml"},
		{name: filepath.Join(repo, "deploy", "pod.yaml"), want: repofstest.PrivilegedPod},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := r.ReadFile(tc.name)
			if tc.wantErr == nil {
				if err != nil || string(b) != tc.want {
					t.Fatalf("ReadFile = %q, %v; want the pod", b, err)
				}
				return
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ReadFile error = %v; want %v", err, tc.wantErr)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			// Errors name files relative to the repository, never the host's
			// folders, and never content.
			if strings.Contains(err.Error(), filepath.Dir(repo)) || strings.Contains(err.Error(), repofstest.SecretMarker) {
				t.Errorf("error %q names a host path or content", err)
			}
		})
	}
}

func TestReadFileGrowing(t *testing.T) {
	// A file that grows after Stat (or a proc file that says it is empty)
	// is still cut at the limit by the LimitReader.
	dir := t.TempDir()
	r, err := repofs.Open(dir, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	repofstest.WriteFile(t, dir, "f", "0123456789")
	if b, err := r.ReadFile("f"); err != nil || len(b) != 10 {
		t.Fatalf("10 bytes at a 10-byte limit: %q, %v", b, err)
	}
	if _, err := repofs.ReadRegularFile("/proc/self/environ", 1); err != nil && !errors.Is(err, repofs.ErrTooLarge) && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a proc file that reports size 0 and holds more: %v; want ErrTooLarge", err)
	}
}

func TestStatAndRel(t *testing.T) {
	repo := repofstest.Tree(t)
	r, err := repofs.Open(repo, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.IsRegular("deploy/alias.yaml") || r.IsRegular("deploy/zero.yaml") || r.IsRegular("deploy/fifo.yaml") {
		t.Error("IsRegular: want the in-repository link only")
	}
	if !r.IsDir("deploy") || r.IsDir("deploy/pod.yaml") {
		t.Error("IsDir")
	}
	info, err := r.Lstat("deploy/alias.yaml")
	if err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("Lstat of a link: %v, %v", info, err)
	}
	if _, err := r.Stat("deploy/environ.yaml"); !errors.Is(err, repofs.ErrOutside) {
		t.Errorf("Stat of a link out: %v", err)
	}
	if rel, err := r.Rel(filepath.Join(repo, "a", "..", "deploy")); err != nil || rel != "deploy" {
		t.Errorf("Rel = %q, %v", rel, err)
	}
	if _, err := r.Rel("a/../../x"); !errors.Is(err, repofs.ErrOutside) {
		t.Errorf("Rel of a climb: %v", err)
	}
	entries, err := r.ReadDir("deploy")
	if err != nil || len(entries) != 7 {
		t.Errorf("ReadDir: %d entries, %v", len(entries), err)
	}
}

// The cost of confinement per read, against os.ReadFile: Repo.ReadFile
// resolves the path below an open root; the package-level ReadFile also
// opens and closes the root.
func BenchmarkReadFile(b *testing.B) {
	dir := b.TempDir()
	repofstest.WriteFile(b, dir, "deploy/web/pod.yaml", repofstest.PrivilegedPod)
	name := filepath.Join("deploy", "web", "pod.yaml")
	b.Run("os.ReadFile", func(b *testing.B) {
		for b.Loop() {
			if _, err := os.ReadFile(filepath.Join(dir, name)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Repo.ReadFile", func(b *testing.B) {
		r, err := repofs.Open(dir, 0)
		if err != nil {
			b.Fatal(err)
		}
		defer r.Close()
		for b.Loop() {
			if _, err := r.ReadFile(name); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ReadFile", func(b *testing.B) {
		for b.Loop() {
			if _, err := repofs.ReadFile(dir, name, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

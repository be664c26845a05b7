// Package repofstest writes hostile repositories for tests: symlinks that
// leave the tree (to /etc/passwd, /proc/self/environ, /dev/zero, a secret
// beside the repository), FIFOs where config, kustomization and chart
// files are expected, and a fine in-repository symlink. FIFOs and links to
// absolute paths cannot be committed to testdata, so the tree is written
// into a test's temporary folder.
package repofstest

import (
	"os"
	"path/filepath"
	"testing"
)

// SecretMarker is the content of the secret beside the hostile repository:
// a test asserts that it never appears in anything remedy writes.
const SecretMarker = "HOSTILE-SECRET-4f1c9e-must-never-appear"

// Targets outside any repository that hostile links point at.
const (
	Passwd  = "/etc/passwd"
	Environ = "/proc/self/environ"
	Zero    = "/dev/zero"
)

// PrivilegedPod is a manifest with a finding, the repository's one
// legitimate file.
const PrivilegedPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx:1.27
    securityContext:
      privileged: true
`

// Symlink makes name (slash path below dir) a symlink to target, creating
// its folders.
func Symlink(tb testing.TB, dir, name, target string) {
	tb.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.Symlink(target, p); err != nil {
		tb.Fatal(err)
	}
}

// FIFO makes name (slash path below dir) a named pipe nobody writes to:
// opening it for reading the ordinary way blocks forever.
func FIFO(tb testing.TB, dir, name string) {
	tb.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := mkfifo(p); err != nil {
		tb.Skipf("no FIFOs here: %v", err)
	}
}

// WriteFile writes content at name (slash path below dir), creating its folders.
func WriteFile(tb testing.TB, dir, name, content string) {
	tb.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

// Up is a relative path from name (slash path in a repository) that climbs
// far enough to reach the file system's root, then target (absolute).
func Up(target string) string {
	return "../../../../../../../../../../../.." + target
}

// Secret writes the secret beside repo (in repo's parent folder) and
// returns a relative link target reaching it from the repository's top.
func Secret(tb testing.TB, repo string) string {
	tb.Helper()
	outside := filepath.Join(filepath.Dir(repo), "outside")
	WriteFile(tb, outside, "secret.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "+SecretMarker+"\ndata:\n  token: "+SecretMarker+"\n")
	return "../outside/secret.yaml"
}

// Tree writes a hostile repository and returns its folder. No
// .remedy.yaml: tests add the one they need. It holds:
//
//	deploy/pod.yaml          a privileged Pod (the one real finding)
//	deploy/alias.yaml        -> pod.yaml, a fine in-repository symlink
//	deploy/passwd.yaml       -> ../../…/etc/passwd
//	deploy/environ.yaml      -> /proc/self/environ
//	deploy/zero.yaml         -> /dev/zero
//	deploy/secret.yaml       -> the secret beside the repository
//	deploy/fifo.yaml         a FIFO
//	kfifo/kustomization.yaml a FIFO
//	kzero/kustomization.yaml -> /dev/zero
//	kout/kustomization.yaml  -> the secret beside the repository
//	chart/.helmignore        a FIFO, in a chart that is otherwise fine
//	chartzero/.helmignore    -> /dev/zero, likewise
//	chartout/values.yaml     -> the secret beside the repository
func Tree(tb testing.TB) string {
	tb.Helper()
	repo := filepath.Join(tb.TempDir(), "repo")
	secret := Secret(tb, repo)
	WriteFile(tb, repo, "deploy/pod.yaml", PrivilegedPod)
	Symlink(tb, repo, "deploy/alias.yaml", "pod.yaml")
	Symlink(tb, repo, "deploy/passwd.yaml", Up(Passwd))
	Symlink(tb, repo, "deploy/environ.yaml", Environ)
	Symlink(tb, repo, "deploy/zero.yaml", Zero)
	Symlink(tb, repo, "deploy/secret.yaml", "../"+secret)
	FIFO(tb, repo, "deploy/fifo.yaml")
	FIFO(tb, repo, "kfifo/kustomization.yaml")
	Symlink(tb, repo, "kzero/kustomization.yaml", Zero)
	Symlink(tb, repo, "kout/kustomization.yaml", "../"+secret)
	for _, c := range []string{"chart", "chartzero", "chartout"} {
		WriteFile(tb, repo, c+"/Chart.yaml", "apiVersion: v2\nname: "+c+"\nversion: 0.1.0\n")
		WriteFile(tb, repo, c+"/templates/pod.yaml", PrivilegedPod)
	}
	FIFO(tb, repo, "chart/.helmignore")
	Symlink(tb, repo, "chartzero/.helmignore", Zero)
	Symlink(tb, repo, "chartout/values.yaml", "../"+secret)
	return repo
}

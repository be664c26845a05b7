package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 17 §3: the patch of fix --dry-run applies with `git apply` from
// the repository root (the README and fix --help recipe), whichever
// folder was fixed; the summary counts the files the patch changes (not
// .remedy.yaml); every not-fixable finding says why.
func TestFixPatchAppliesInGitRepository(t *testing.T) {
	manifest, err := os.ReadFile("testdata/medium/api.yaml")
	if err != nil {
		t.Fatal(err)
	}
	repo := gitRepo(t, map[string]string{
		".remedy.yaml":         "defaults:\n  resources:\n    limits: {cpu: 500m, memory: 256Mi}\n",
		"deploy/apps/api.yaml": string(manifest),
		"deploy/apps/x.yaml":   privilegedPod,
	})
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("git %v in %s: %v\n%s", args, dir, err, out.String())
		}
		return out.String()
	}
	for _, run := range []struct{ cwd, path string }{{".", "deploy"}, {"deploy", "."}, {"deploy/apps", "x.yaml"}} {
		t.Run(run.cwd+" "+run.path, func(t *testing.T) {
			t.Chdir(filepath.Join(repo, run.cwd))
			r := runCLI(t, "", "fix", "--dry-run", run.path)
			if r.code == exitError {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			patch := filepath.Join(t.TempDir(), "remedy.patch")
			if err := os.WriteFile(patch, []byte(r.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			git(repo, "apply", "--check", patch)
			stat := git(repo, "apply", "--numstat", patch)
			files := strings.Count(stat, "\n")
			if files == 0 || strings.Contains(stat, ".remedy.yaml") {
				t.Fatalf("patch changes %d files:\n%s", files, stat)
			}
			if want := fmt.Sprintf("would change %d files", files); !strings.Contains(r.stderr, want) {
				t.Errorf("summary does not say %q:\n%s", want, r.stderr)
			}
			// Every not-fixable finding has its line with the reason.
			notFixable := 0
			if _, after, ok := strings.Cut(r.stderr, " fixed, "); ok {
				fmt.Sscanf(after, "%d not fixable", &notFixable)
			}
			if got := strings.Count(r.stderr, "\nnot fixable: "); notFixable == 0 || got != notFixable {
				t.Errorf("%d not fixable, %d reasons given:\n%s", notFixable, got, r.stderr)
			}
		})
	}
}

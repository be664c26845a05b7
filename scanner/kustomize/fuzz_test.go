package kustomize

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

// FuzzBuildAndTrace builds a base and an overlay whose patch (and
// kustomization tail) are fuzzed, then scans the output: a hostile
// kustomization must give an error or findings, never a panic.
func FuzzBuildAndTrace(f *testing.F) {
	f.Add("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      hostPID: true\n", "")
	f.Add("- op: add\n  path: /spec/template/spec/hostIPC\n  value: true\n", "namePrefix: x-\n")
	f.Add("[{\"op\": \"remove\", \"path\": \"/spec\"}]", "images:\n- name: nginx\n  digest: sha256:00\n")
	f.Add("$patch: delete\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n", "namespace: default\n")
	f.Fuzz(func(t *testing.T, patch, tail string) {
		dir := t.TempDir()
		for p, c := range map[string]string{
			"base/kustomization.yaml": baseKustomization,
			"base/deployment.yaml":    baseDeployment,
			"prod/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: patch.yaml\n  target:\n    kind: Deployment\n" + tail,
			"prod/patch.yaml":         patch,
		} {
			full := filepath.Join(dir, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res, err := Build(filepath.Join(dir, "prod"), Options{Root: dir})
		if err != nil {
			return
		}
		rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{res.File}}, scanner.Options{})
		for _, fd := range rep.Findings {
			if fd.File == "" || fd.Line < 1 {
				t.Errorf("finding %s without a place: %s:%d", fd.Control, fd.File, fd.Line)
			}
			if fd.Resource != nil {
				_, _ = res.File.Rendered.Map.(*sourceMap).Trace(fd.Resource, fd.FieldPath.Pointer())
			}
		}
	})
}

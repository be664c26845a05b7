package kustomize

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

// inlinePatches writes a kustomization with n Deployments and an inline
// strategic-merge patch for each (issue 18: 2,000 patches, 330 KB, took
// 174 s to build and trace).
func inlinePatches(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	var res, kust strings.Builder
	kust.WriteString("resources:\n- deployments.yaml\npatches:\n")
	for i := range n {
		fmt.Fprintf(&res, "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-%d\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.27\n", i)
		fmt.Fprintf(&kust, "- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web-%d\n    spec:\n      template:\n        spec:\n          containers:\n          - name: web\n            securityContext:\n              privileged: true\n", i)
	}
	for name, content := range map[string]string{"deployments.yaml": res.String(), "kustomization.yaml": kust.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// BenchmarkBuildInlinePatches builds and traces a kustomization with many
// inline patches, and scans its output (each finding traced to its patch).
// Time per patch should stay flat as n grows.
func BenchmarkBuildInlinePatches(b *testing.B) {
	for _, n := range []int{200, 500, 2000} {
		b.Run(fmt.Sprintf("patches=%d", n), func(b *testing.B) {
			dir := inlinePatches(b, n)
			b.ReportAllocs()
			for b.Loop() {
				res, err := Build(dir, Options{Root: dir})
				if err != nil {
					b.Fatal(err)
				}
				rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{res.File}}, scanner.Options{Only: []string{"privileged"}})
				if len(rep.Findings) != n {
					b.Fatalf("%d privileged findings, want %d", len(rep.Findings), n)
				}
			}
		})
	}
}

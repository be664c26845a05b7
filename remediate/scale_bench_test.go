package remediate

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

// Inputs at the sizes of issue 18, generated rather than stored: a file
// that size in testdata would say less than the generator does.

// manyContainers is one Deployment with n containers, each failing every
// container control remedy fixes.
func manyContainers(n int) []byte {
	var b strings.Builder
	b.WriteString(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: big
spec:
  selector:
    matchLabels:
      app: big
  template:
    metadata:
      labels:
        app: big
    spec:
      containers:
`)
	for i := range n {
		fmt.Fprintf(&b, "      - name: c%d\n        image: nginx:1.25\n        ports:\n        - containerPort: 80\n", i)
	}
	return []byte(b.String())
}

// manyDeployments is n small Deployments in one file.
func manyDeployments(n int) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-%d
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.25
`, i)
	}
	return []byte(b.String())
}

// benchFix parses, scans and fixes src b.N times; with diff, it also
// writes the unified diff --dry-run prints.
func benchFix(b *testing.B, src []byte, diff bool) {
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		file, errs := scanner.ParseFile("big.yaml", src)
		if len(errs) > 0 {
			b.Fatal(errs[0])
		}
		rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{file}}, scanner.Options{})
		fx := FixFile(file, rep.Findings, Options{}, scanner.Options{})
		if !fx.Changed() {
			b.Fatal("nothing fixed")
		}
		if diff {
			if err := UnifiedDiff(io.Discard, file.Path, fx.Before, fx.After); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkFixManyContainers fixes one Deployment with many containers
// (issue 18: 5,000 containers, 249 KB, took 89 s). Time per container
// should stay flat as n grows.
func BenchmarkFixManyContainers(b *testing.B) {
	for _, n := range []int{500, 1000, 5000} {
		b.Run(fmt.Sprintf("containers=%d", n), func(b *testing.B) { benchFix(b, manyContainers(n), false) })
	}
}

// BenchmarkFixManyContainersDryRun is BenchmarkFixManyContainers with the
// unified diff of --dry-run.
func BenchmarkFixManyContainersDryRun(b *testing.B) {
	for _, n := range []int{500, 1000, 5000} {
		b.Run(fmt.Sprintf("containers=%d", n), func(b *testing.B) { benchFix(b, manyContainers(n), true) })
	}
}

// BenchmarkFixManyDeployments fixes one file of many small Deployments
// (issue 18: 28,606 Deployments in 4.9 MB took 62 s and 2.5 GB).
func BenchmarkFixManyDeployments(b *testing.B) {
	for _, n := range []int{1000, 28606} {
		b.Run(fmt.Sprintf("deployments=%d", n), func(b *testing.B) { benchFix(b, manyDeployments(n), false) })
	}
}

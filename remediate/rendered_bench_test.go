package remediate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/render"
)

// benchTree copies a corpus folder to a temporary one, with stubs.
func benchTree(b *testing.B, dir string, stubs map[string]string) string {
	b.Helper()
	out := copyTree(b, filepath.Join(corpusRoot(b), filepath.FromSlash(dir)))
	for p, c := range stubs {
		if err := os.WriteFile(filepath.Join(out, filepath.FromSlash(p)), []byte(c), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

// benchRenderScan loads a tree as deployed and scans it, b.N times.
func benchRenderScan(b *testing.B, dir string) {
	b.ReportAllocs()
	for b.Loop() {
		in := render.Load(dir, []string{dir}, render.Options{})
		if len(in.Errors) > 0 {
			b.Fatal(in.Errors)
		}
		rep := scanner.ScanInputs(in, scanner.Options{})
		if len(rep.Findings) == 0 {
			b.Fatal("no findings")
		}
	}
}

// BenchmarkRenderScanPodinfoChart renders podinfo's chart (the real render,
// the marker render and the boolean flips its findings need) and scans it.
func BenchmarkRenderScanPodinfoChart(b *testing.B) {
	dir := benchTree(b, "podinfo/charts", map[string]string{"podinfo/templates/_helpers.tpl": podinfoHelpers(b)})
	benchRenderScan(b, dir)
}

// BenchmarkRenderScanMicroservicesDemoKustomize builds the four roots of
// microservices-demo's kustomize tree (base, components) and scans them.
func BenchmarkRenderScanMicroservicesDemoKustomize(b *testing.B) {
	benchRenderScan(b, benchTree(b, "microservices-demo/kustomize", nil))
}

// BenchmarkFixMicroservicesDemoKustomize plans, writes and verifies (by
// building every root again) the fixes of the microservices-demo tree.
func BenchmarkFixMicroservicesDemoKustomize(b *testing.B) {
	dir := benchTree(b, "microservices-demo/kustomize", nil)
	in := render.Load(dir, []string{dir}, render.Options{})
	rep := scanner.ScanInputs(in, scanner.Options{})
	b.ReportAllocs()
	for b.Loop() {
		FixReport(in, rep, Options{}, scanner.Options{})
	}
}

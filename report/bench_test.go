package report

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

// BenchmarkWriteJSON writes the report of the real-world corpus, as
// `remedy scan -o json` does at the end of a scan.
func BenchmarkWriteJSON(b *testing.B) {
	root := filepath.Join("..", "..", "shared", "fixtures", "manifests")
	if _, err := os.Stat(root); err != nil {
		b.Skipf("real-world corpus not found at %s: %v", root, err)
	}
	rep := scanner.ScanInputs(scanner.Load(root, []string{root}, scanner.LoadOptions{}), scanner.Options{})
	b.ReportAllocs()
	for b.Loop() {
		if err := WriteJSON(io.Discard, rep); err != nil {
			b.Fatal(err)
		}
	}
}

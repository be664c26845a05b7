package scanner

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkScanCorpus loads and scans every real-world manifest of the
// shared corpus, the way `remedy scan` does over a repository.
func BenchmarkScanCorpus(b *testing.B) {
	dir := corpusDir(b)
	var total int64
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !isManifestName(d.Name()) {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		total += info.Size()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		in := Load(dir, []string{dir}, LoadOptions{})
		if len(in.Files) == 0 {
			b.Fatal("no files loaded")
		}
		ScanInputs(in, Options{})
	}
}

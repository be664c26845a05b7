package scanner

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/testfiles"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// corpusDir returns the real-world manifest corpus.
func corpusDir(tb testing.TB) string {
	tb.Helper()
	return testfiles.Shared(tb, "fixtures", "manifests")
}

// TestCorpus loads and scans every real-world manifest of the shared corpus
// in one go, as `remedy scan` would a repository, and compares a summary
// with testdata/corpus.golden. Regenerate it with
//
//	go test ./scanner -run TestCorpus -update
//
// whenever a control or the loader changes what is found.
func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	in := Load(dir, []string{dir}, LoadOptions{})
	rep := ScanInputs(in, Options{})
	for _, e := range in.Errors {
		content, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(e.File)))
		if err != nil {
			t.Errorf("error %q does not name a corpus file: %v", e.Error(), err)
			continue
		}
		if n := lineCount(content); e.Line < 1 || e.Line > n {
			t.Errorf("error %q: line %d is not within the file's %d lines", e.Error(), e.Line, n)
		}
	}
	lines := map[string]int{}
	for _, f := range in.Files {
		lines[f.Path] = lineCount(f.Bytes)
	}
	for _, f := range rep.Findings {
		if n, ok := lines[f.File]; !ok || f.Line < 1 || f.Line > n {
			t.Errorf("finding %s at %s:%d is not within a file read", f.Control, f.File, f.Line)
		}
	}
	got := corpusSummary(in, rep)
	golden := filepath.Join("testdata", "corpus.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("corpus summary differs from %s (run with -update if the change is intended):\n%s", golden, lineDiff(string(want), string(got)))
	}
}

// corpusSummary counts what a load and scan produced: files, documents,
// resources, each error, skips by reason and findings by control.
func corpusSummary(in *Inputs, rep *Report) []byte {
	var docs, empty, resources int
	for _, f := range in.Files {
		for _, d := range f.Docs {
			if d.Node == nil {
				empty++
				continue
			}
			docs++
			resources += len(d.Resources())
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "files read: %d\n", len(in.Files))
	fmt.Fprintf(&b, "documents: %d (and %d empty or comment-only)\n", docs, empty)
	fmt.Fprintf(&b, "resources: %d\n", resources)
	fmt.Fprintf(&b, "errors: %d\n", len(in.Errors))
	for _, e := range in.Errors {
		fmt.Fprintf(&b, "  %s\n", e.Error())
	}
	fmt.Fprintf(&b, "skipped: %d\n", len(in.Skipped))
	writeCounts(&b, in.Skipped, func(s Skipped) string { return s.Reason })
	var suppressed int
	for _, f := range rep.Findings {
		if f.Suppressed {
			suppressed++
		}
	}
	fmt.Fprintf(&b, "findings: %d (%d suppressed)\n", len(rep.Findings), suppressed)
	writeCounts(&b, rep.Findings, func(f Finding) string { return f.Control })
	return b.Bytes()
}

// writeCounts writes "  key: count" lines, sorted by key.
func writeCounts[T any](b *bytes.Buffer, items []T, key func(T) string) {
	counts := map[string]int{}
	for _, it := range items {
		counts[key(it)]++
	}
	for _, k := range slices.Sorted(maps.Keys(counts)) {
		fmt.Fprintf(b, "  %s: %d\n", k, counts[k])
	}
}

// lineDiff lists the lines only in want (-) or only in got (+).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for _, l := range w {
		if !slices.Contains(g, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

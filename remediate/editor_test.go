package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/remedy-bot/remedy/scanner"
)

var update = flag.Bool("update", false, "rewrite golden files")

// editFile applies ops to the first document of a file that holds an object,
// the way FixFile does: parse, splice the document, reassemble.
func editFile(content []byte, ops []Op) ([]byte, error) {
	f, errs := scanner.ParseFile("in.yaml", content)
	if len(errs) > 0 {
		// The scanner refuses such files before any fix; the editor must too.
		return EditDocument(content, ops)
	}
	for _, d := range f.Docs {
		if d.Node == nil {
			continue
		}
		edited, err := EditDocument(d.Bytes(), ops)
		if err != nil {
			return nil, err
		}
		out := append([]byte{}, content[:d.Start]...)
		out = append(out, edited...)
		return append(out, content[d.End:]...), nil
	}
	return nil, errors.New("no document")
}

// TestEditGolden applies testdata/edit/NAME.ops.json to NAME.yaml and
// compares with NAME.golden (the edited bytes, or "REFUSED: reason").
func TestEditGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/edit/*.yaml")
	if len(inputs) == 0 {
		t.Fatal("no golden inputs")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var ops []Op
			raw, err := os.ReadFile(strings.TrimSuffix(in, ".yaml") + ".ops.json")
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &ops); err != nil {
				t.Fatal(err)
			}
			got, err := editFile(src, ops)
			refused := err != nil
			if refused {
				var r *RefusedError
				if !errors.As(err, &r) {
					t.Fatalf("error is not a refusal: %v", err)
				}
				got = []byte("REFUSED: " + r.Reason + "\n")
			} else {
				checkEditInvariants(t, src, got, ops)
			}
			golden := strings.TrimSuffix(in, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("edit of %s differs from golden:\n got: %q\nwant: %q", in, got, want)
			}
			// Determinism: the same input gives the same bytes.
			again, _ := editFile(src, ops)
			if !refused && !bytes.Equal(again, got) {
				t.Errorf("second run gave different bytes")
			}
		})
	}
}

// checkEditInvariants asserts what every successful edit promises: the
// result parses; every original line survives unless an operation replaced
// or removed it; line endings, BOM and final-newline state are kept.
func checkEditInvariants(t *testing.T, before, after []byte, ops []Op) {
	t.Helper()
	if _, errs := scanner.ParseFile("out.yaml", after); len(errs) > 0 {
		t.Fatalf("edited file does not parse: %v", errs[0])
	}
	// Each operation rewrites at most its own line (a flow collection, a
	// scalar) or removes its entry; block additions only insert lines.
	allowed := len(ops) + 1
	a, b := slices.Collect(strings.Lines(string(before))), slices.Collect(strings.Lines(string(after)))
	lost := 0
	for _, oc := range difflib.NewMatcherWithJunk(a, b, false, nil).GetOpCodes() {
		if oc.Tag == 'r' || oc.Tag == 'd' {
			lost += oc.I2 - oc.I1
		}
	}
	if lost > allowed {
		t.Errorf("%d original lines changed, %d replace/remove ops", lost, allowed)
	}
	removes := false
	for _, op := range ops {
		removes = removes || op.Op == "remove"
	}
	for _, l := range a {
		if c := strings.TrimSpace(l); strings.HasPrefix(c, "#") && !removes && !strings.Contains(string(after), l) {
			t.Errorf("comment line lost: %q", l)
		}
	}
	if bytes.HasPrefix(before, bom()) != bytes.HasPrefix(after, bom()) {
		t.Errorf("BOM changed")
	}
	if bytes.HasSuffix(before, []byte("\n")) != bytes.HasSuffix(after, []byte("\n")) {
		t.Errorf("final newline state changed")
	}
	if bytes.Contains(before, []byte("\r\n")) && bytes.Count(after, []byte("\n")) != bytes.Count(after, []byte("\r\n")) {
		t.Errorf("CRLF file gained LF-only lines")
	}
}

func bom() []byte { return []byte{0xEF, 0xBB, 0xBF} }

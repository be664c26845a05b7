package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/scanner"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// goldenControls pins the controls of the golden scan, so a control added
// to the catalog elsewhere does not rewrite these files.
var goldenControls = []string{
	"image-pull-policy", "read-only-root-filesystem", "no-privilege-escalation", scanner.IgnoreWithoutReasonID,
}

// scanTestdata runs a real scan of testdata/scan: findings, one suppressed,
// one ignore without a reason, a parse error and an excluded file.
// jsonReport is scanner.Report without its MarshalJSON method: WriteJSON
// writes what encoding/json writes for it, indented.
type jsonReport scanner.Report

func scanTestdata(t *testing.T) (*scanner.Report, int) {
	t.Helper()
	root := filepath.Join("testdata", "scan")
	cfg, err := config.Load(root)
	if err != nil {
		t.Fatal(err)
	}
	in := scanner.Load(root, []string{root}, scanner.LoadOptions{Exclude: cfg.Excluded})
	rep := scanner.ScanInputs(in, scanner.Options{Config: cfg, Only: goldenControls})
	if len(rep.Findings) == 0 || len(rep.Errors) == 0 || len(rep.Skipped) == 0 {
		t.Fatalf("testdata/scan should give findings, errors and skipped files; got %+v", rep)
	}
	return rep, len(in.Files)
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (if the change is intended, run go test ./report -update)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func TestGolden(t *testing.T) {
	rep, files := scanTestdata(t)
	catalog := scanner.DefaultCatalog()
	tests := []struct {
		golden string
		write  func(*bytes.Buffer) error
	}{
		{"table.golden", func(b *bytes.Buffer) error { return WriteTable(b, rep, TableOptions{Files: files}) }},
		{"json.golden", func(b *bytes.Buffer) error { return WriteJSON(b, rep) }},
		{"sarif.golden", func(b *bytes.Buffer) error {
			return WriteSARIF(b, rep, catalog, SARIFOptions{ToolVersion: "v1.2.3"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(&b); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.golden, b.Bytes())
		})
	}
}

func TestWriteJSONRoundTrips(t *testing.T) {
	rep, _ := scanTestdata(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("}\n")) || !bytes.HasPrefix(b.Bytes(), []byte("{\n  \"findings\": [")) {
		t.Errorf("want an object indented by two spaces with a trailing newline, got:\n%s", b.String())
	}
	var back scanner.Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Findings) != len(rep.Findings) || len(back.Errors) != len(rep.Errors) || len(back.Skipped) != len(rep.Skipped) {
		t.Errorf("round trip lost entries: %d/%d/%d findings/errors/skipped, want %d/%d/%d",
			len(back.Findings), len(back.Errors), len(back.Skipped), len(rep.Findings), len(rep.Errors), len(rep.Skipped))
	}
}

func TestWriteJSONEmptyReport(t *testing.T) {
	for _, rep := range []*scanner.Report{nil, {}} {
		var b bytes.Buffer
		if err := WriteJSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		want := "{\n  \"findings\": [],\n  \"errors\": [],\n  \"skipped\": []\n}\n"
		if b.String() != want {
			t.Errorf("got %q, want %q", b.String(), want)
		}
	}
}

func TestWriteTableColor(t *testing.T) {
	rep, files := scanTestdata(t)
	tests := []struct {
		color bool
		want  bool
	}{{false, false}, {true, true}}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := WriteTable(&b, rep, TableOptions{Color: tt.color, Files: files}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), "\x1b["); got != tt.want {
			t.Errorf("Color=%v: ANSI escapes present = %v, want %v", tt.color, got, tt.want)
		}
		if tt.color {
			if !strings.Contains(b.String(), ansiYellow+"MEDIUM"+ansiReset) {
				t.Errorf("Color=true: want MEDIUM in yellow, got:\n%q", b.String())
			}
		}
	}
}

func TestSummary(t *testing.T) {
	tests := []struct {
		name  string
		rep   scanner.Report
		files int
		want  string
	}{
		{"empty", scanner.Report{}, 0, "0 findings (0 high, 0 medium, 0 low), 0 suppressed, 0 errors, 0 skipped in 0 files"},
		{"singular", scanner.Report{
			Findings: []scanner.Finding{{Severity: scanner.SeverityHigh}},
			Errors:   []scanner.FileError{{File: "a.yaml", Message: "bad"}},
			Skipped:  []scanner.Skipped{{File: "b.yaml"}},
		}, 1, "1 finding (1 high, 0 medium, 0 low), 0 suppressed, 1 error, 1 skipped in 1 file"},
		{"suppressed are counted apart", scanner.Report{Findings: []scanner.Finding{
			{Severity: scanner.SeverityLow}, {Severity: scanner.SeverityMedium}, {Severity: scanner.SeverityMedium, Suppressed: true},
		}}, 3, "2 findings (0 high, 1 medium, 1 low), 1 suppressed, 0 errors, 0 skipped in 3 files"},
		{"critical shown when present", scanner.Report{Findings: []scanner.Finding{{Severity: scanner.SeverityCritical}}},
			2, "1 finding (1 critical, 0 high, 0 medium, 0 low), 0 suppressed, 0 errors, 0 skipped in 2 files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary(&tt.rep, tt.files); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestWriteControls(t *testing.T) {
	catalog := scanner.DefaultCatalog()
	tests := []struct {
		format string
		check  func(t *testing.T, out string)
	}{
		{FormatTable, func(t *testing.T, out string) {
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != len(catalog.Controls())+1 || !strings.HasPrefix(lines[0], "ID ") {
				t.Errorf("want a header and one line per control, got:\n%s", out)
			}
		}},
		{FormatJSON, func(t *testing.T, out string) {
			var got []controlJSON
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(catalog.Controls()) {
				t.Fatalf("got %d controls, want %d", len(got), len(catalog.Controls()))
			}
			for _, c := range got {
				if c.ID == "" || c.Title == "" || c.Severity == 0 || c.Refs == nil {
					t.Errorf("incomplete control %+v", c)
				}
			}
		}},
		{FormatMarkdown, func(t *testing.T, out string) {
			for _, c := range catalog.Controls() {
				if !strings.Contains(out, "| `"+c.ID+"` | "+c.Severity.String()+" |") {
					t.Errorf("no row for %s in:\n%s", c.ID, out)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteControls(&b, catalog, tt.format); err != nil {
				t.Fatal(err)
			}
			tt.check(t, b.String())
		})
	}
	if err := WriteControls(&bytes.Buffer{}, catalog, "yaml"); err == nil {
		t.Error("format yaml: want an error")
	}
}

// TestWriteJSONIsEncodingJSON holds WriteJSON, which encodes the lists in
// chunks on every core, to what one json.Encoder writes for the report:
// on the real-world corpus (thousands of findings, many chunks) and on a
// report whose strings need escaping and whose findings were rendered.
func TestWriteJSONIsEncodingJSON(t *testing.T) {
	tricky := &scanner.Report{
		Findings: []scanner.Finding{
			{Control: "a<b>&c", File: "dir/ü.yaml", Line: 3, Message: "\u2028\u2029 \"q\\\" \x01\b\f\n\r\t\x1f\x7f \xff\xe2\x80 é 世 😀 </script>", Source: scanner.SourceTemplate,
				Rendered: []scanner.RenderedBy{{Tool: "helm", Release: "r"}, {}}, Note: "n", Address: "a", Until: "2030-01-01", Expired: true},
			{Control: "b", Path: "spec.containers[0]", Severity: scanner.SeverityHigh, Fixable: true, Column: -1},
		},
		Skipped: []scanner.Skipped{{}},
	}
	reports := map[string]*scanner.Report{"tricky": tricky, "empty": {}}
	for i := range jsonChunk + 1 {
		tricky.Errors = append(tricky.Errors, scanner.FileError{File: "f.yaml", Line: i, Message: "<&>"})
	}
	root := filepath.Join("..", "..", "shared", "fixtures", "manifests")
	if _, err := os.Stat(root); err == nil {
		in := scanner.Load(root, []string{root}, scanner.LoadOptions{})
		reports["corpus"] = scanner.ScanInputs(in, scanner.Options{})
		if n := len(reports["corpus"].Findings); n < 3*jsonChunk {
			t.Fatalf("the corpus gives %d findings; want several chunks of %d", n, jsonChunk)
		}
	}
	for name, rep := range reports {
		var got, want bytes.Buffer
		if err := WriteJSON(&got, rep); err != nil {
			t.Fatal(err)
		}
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		if err := enc.Encode(jsonReport(rep.WithEmptyLists())); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: WriteJSON differs from encoding/json (%d bytes, want %d)", name, got.Len(), want.Len())
		}
	}
}

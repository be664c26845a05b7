package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/remedy-bot/remedy/internal/testfiles"
	"github.com/remedy-bot/remedy/scanner"
)

// compileSARIFSchema compiles the OASIS SARIF 2.1.0 schema, asserting formats
// (uri, uri-reference) too, as GitHub's upload does.
func compileSARIFSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(testfiles.Shared(t, "fixtures"), "sarif-schema-2.1.0.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("sarif-schema-2.1.0.json")
	if err != nil {
		t.Fatalf("compile %s: %v", path, err)
	}
	return sch
}

func validate(t *testing.T, sch *jsonschema.Schema, b []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("SARIF output is not JSON: %v", err)
	}
	return sch.Validate(inst)
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	sch := compileSARIFSchema(t)
	rep, _ := scanTestdata(t)
	odd := &scanner.Report{
		Findings: []scanner.Finding{{Control: "not-in-catalog", Severity: scanner.SeverityCritical, File: "dir with space/100%.yaml", Message: "m"}},
		Errors:   []scanner.FileError{{File: scanner.StdinName, Message: "input is over the limit"}},
	}
	tests := []struct {
		name    string
		rep     *scanner.Report
		catalog *scanner.Catalog
		opts    SARIFOptions
	}{
		{"scan", rep, scanner.DefaultCatalog(), SARIFOptions{ToolVersion: "v1.2.3"}},
		{"scan, all rules", rep, scanner.DefaultCatalog(), SARIFOptions{AllRules: true}},
		{"empty", &scanner.Report{}, scanner.DefaultCatalog(), SARIFOptions{}},
		{"nil report and catalog", nil, nil, SARIFOptions{}},
		{"unknown control, odd names, no line", odd, scanner.DefaultCatalog(), SARIFOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteSARIF(&b, tt.rep, tt.catalog, tt.opts); err != nil {
				t.Fatal(err)
			}
			if err := validate(t, sch, b.Bytes()); err != nil {
				t.Errorf("SARIF does not validate: %v\n%s", err, b.String())
			}
		})
	}
}

// TestSARIFSchemaRejects shows the validation above can fail: documents
// that break the standard in ways a bug here might are rejected.
func TestSARIFSchemaRejects(t *testing.T) {
	sch := compileSARIFSchema(t)
	tests := map[string]string{
		"line 0":            `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"remedy"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"region":{"startLine":0}}}]}]}]}`,
		"suppression kind":  `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"remedy"}},"results":[{"message":{"text":"m"},"suppressions":[{"kind":"inline"}]}]}]}`,
		"duplicate tags":    `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"remedy","rules":[{"id":"x","properties":{"tags":["a","a"]}}]}}}]}`,
		"level":             `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"remedy"}},"results":[{"level":"high","message":{"text":"m"}}]}]}`,
		"invocation status": `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"remedy"}},"invocations":[{}]}]}`,
	}
	for name, doc := range tests {
		if err := validate(t, sch, []byte(doc)); err == nil {
			t.Errorf("%s: schema accepted an invalid document", name)
		}
	}
}

// sarifDoc is the part of the output the tests below read back.
type sarifDoc struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID                   string
					DefaultConfiguration struct{ Level string }
					Properties           struct {
						Tags             []string
						SecuritySeverity string `json:"security-severity"`
					}
				}
			}
		}
		Invocations []struct {
			ExecutionSuccessful bool
			Notifications       []struct{ Level string } `json:"toolExecutionNotifications"`
		}
		Results []struct {
			RuleID              string
			RuleIndex           int
			Level               string
			PartialFingerprints map[string]string
			Suppressions        []struct{ Kind, Justification string }
			Locations           []struct {
				PhysicalLocation struct {
					ArtifactLocation struct{ URI, URIBaseID string }
					Region           struct{ StartLine, StartColumn int }
				}
			}
		}
	}
}

func TestSARIFContent(t *testing.T) {
	rep, _ := scanTestdata(t)
	var b bytes.Buffer
	if err := WriteSARIF(&b, rep, scanner.DefaultCatalog(), SARIFOptions{}); err != nil {
		t.Fatal(err)
	}
	var doc sarifDoc
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	run := doc.Runs[0]
	if len(run.Results) != len(rep.Findings) {
		t.Fatalf("got %d results, want one per finding (%d)", len(run.Results), len(rep.Findings))
	}
	rules := run.Tool.Driver.Rules
	suppressed := 0
	for i, r := range run.Results {
		f := rep.Findings[i]
		if r.RuleIndex >= len(rules) || rules[r.RuleIndex].ID != r.RuleID || r.RuleID != f.Control {
			t.Errorf("result %d: ruleId %s, ruleIndex %d does not name its rule", i, r.RuleID, r.RuleIndex)
		}
		loc := r.Locations[0].PhysicalLocation
		if loc.ArtifactLocation.URI != f.File || loc.ArtifactLocation.URIBaseID != "%SRCROOT%" ||
			loc.Region.StartLine != f.Line || loc.Region.StartColumn != f.Column {
			t.Errorf("result %d: location %+v, want %s:%d:%d under %%SRCROOT%%", i, loc, f.File, f.Line, f.Column)
		}
		if got := r.PartialFingerprints["remedyFingerprint/v1"]; got != f.Fingerprint() {
			t.Errorf("result %d: fingerprint %q, want %q", i, got, f.Fingerprint())
		}
		if f.Suppressed {
			suppressed++
			if len(r.Suppressions) != 1 || r.Suppressions[0].Kind != "inSource" || r.Suppressions[0].Justification != f.Reason {
				t.Errorf("result %d: suppressions %+v, want inSource with %q", i, r.Suppressions, f.Reason)
			}
		} else if len(r.Suppressions) != 0 {
			t.Errorf("result %d: unsuppressed finding has suppressions %+v", i, r.Suppressions)
		}
	}
	if suppressed == 0 {
		t.Error("testdata/scan should hold a suppressed finding")
	}
	inv := run.Invocations[0]
	if inv.ExecutionSuccessful || len(inv.Notifications) != len(rep.Errors)+len(rep.Skipped) {
		t.Errorf("invocation %+v: want unsuccessful with one notification per error and skipped file", inv)
	}
}

func TestSARIFRuleSeverity(t *testing.T) {
	tests := []struct {
		sev            scanner.Severity
		level, numeric string
	}{
		{scanner.SeverityLow, "note", "2.0"},
		{scanner.SeverityMedium, "warning", "5.0"},
		{scanner.SeverityHigh, "error", "8.0"},
		{scanner.SeverityCritical, "error", "9.5"},
	}
	for _, tt := range tests {
		c := &scanner.Control{ID: "x-" + tt.sev.String(), Title: "t", Severity: tt.sev, Refs: []string{"CIS 5.2.6", "security", "PSS restricted"}}
		r := sarifRuleOf(c.ID, c)
		if r.DefaultConfiguration.Level != tt.level || r.Properties.SecuritySeverity != tt.numeric {
			t.Errorf("%s: level %s, security-severity %s; want %s, %s", tt.sev, r.DefaultConfiguration.Level, r.Properties.SecuritySeverity, tt.level, tt.numeric)
		}
		want := []string{"security", "kubernetes", "CIS 5.2.6", "PSS restricted"}
		if got := r.Properties.Tags; len(got) != len(want) || got[2] != want[2] || got[3] != want[3] {
			t.Errorf("%s: tags %q, want %q", tt.sev, got, want)
		}
	}
}

func TestRuleName(t *testing.T) {
	tests := map[string]string{
		"read-only-root-filesystem": "ReadOnlyRootFilesystem",
		"host-pid":                  "HostPid",
		"privileged":                "Privileged",
	}
	for id, want := range tests {
		if got := ruleName(id); got != want {
			t.Errorf("ruleName(%q) = %q, want %q", id, got, want)
		}
	}
}

package templates

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// manyFindings is data as big as a large repository's report.
func manyFindings(n int) Data {
	d := sampleData()
	d.Findings = nil
	for i := range n {
		d.Findings = append(d.Findings, Finding{Control: "privileged", Severity: "high", Resource: fmt.Sprintf("Deployment shop/web-%d", i), File: "a.yaml", Line: i, Refs: []string{"CIS 5.2.2"}})
	}
	d.Table = d.Findings[:min(n, 50)]
	return d
}

// TestHostileTemplatesStopWithinBudget: a repository's template that
// would take gigabytes or hours (issue 18: seven nested ranges, > 3 GB)
// fails with an error naming its file, at parse or before it runs.
func TestHostileTemplatesStopWithinBudget(t *testing.T) {
	seven := strings.Repeat("{{range .Findings}}", 7) + "x" + strings.Repeat("{{end}}", 7)
	for _, tc := range []struct {
		name, body string
		parseErr   bool
		want       string
	}{
		{name: "seven nested ranges", body: seven, parseErr: true, want: "nest more than 4 deep (line 1)"},
		{name: "nested withs and template calls", body: `{{define "a"}}{{with .}}{{with .}}{{template "b" .}}{{end}}{{end}}{{end}}{{define "b"}}{{with .}}{{with .}}x{{end}}{{end}}{{end}}{{template "a" .}}`, parseErr: true, want: "nest more than 4 deep"},
		{name: "recursive template", body: `{{define "r"}}{{template "r" .}}{{end}}{{template "r" .}}`, parseErr: true, want: `template "r" calls itself`},
		{name: "doubling variable", body: "{{$x := \"ab\"}}{{range .Findings}}{{$x = printf \"%s%s\" $x $x}}{{end}}", parseErr: true, want: "a variable is assigned again (line 1)"},
		{name: "three ranges over every finding", body: "{{range .Findings}}{{range $.Findings}}{{range $.Findings}}{{end}}{{end}}{{end}}", want: "would run about 8004002000 times"},
		{name: "range over a big number", body: "{{range 100000000}}{{end}}", want: "would run about 100000000 times"},
		{name: "wide printf", body: `{{printf "%0999999d" 1}}`, want: "a printf width over 1000"},
		{name: "printf width from an argument", body: `{{printf "%0*d" 999999 1}}`, want: "a printf width over 1000"},
		{name: "megabytes of output", body: `{{range .Findings}}{{printf "%0999d" 1}}{{end}}`, want: "the output is over 1048576 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := ParseSources(map[string]Source{Body: {Text: tc.body, File: ".github/remedy/body.md"}})
			if err == nil {
				_, _, _, err = set.Render(manyFindings(2000))
			} else if !tc.parseErr {
				t.Fatalf("parse: %v", err)
			}
			if err == nil {
				t.Fatal("rendered; want an error over budget")
			}
			if !errors.Is(err, errOverBudget) {
				t.Errorf("error %q is not a budget error", err)
			}
			for _, w := range []string{"body template (.github/remedy/body.md): ", tc.want} {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want one containing %q", err, w)
				}
			}
		})
	}
}

// TestBudgetKeepsRealTemplates: the embedded templates and a repository
// template of the usual shapes render with a large report.
func TestBudgetKeepsRealTemplates(t *testing.T) {
	set, err := ParseSources(map[string]Source{Body: {File: "body.md", Text: `{{range .Controls}}{{.ID}}: {{range .Refs}}{{.}} {{end}}
{{end}}{{range $i, $f := .Findings}}{{if $i}}, {{end}}{{with $f}}{{code (printf "%s:%d" .File .Line)}}{{end}}{{end}}`}})
	if err != nil {
		t.Fatal(err)
	}
	if _, body, _, err := set.Render(manyFindings(5000)); err != nil || !strings.Contains(body, "`a.yaml:4999`") {
		t.Fatalf("render: %v (body %d bytes)", err, len(body))
	}
	def, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := def.Render(manyFindings(5000)); err != nil {
		t.Fatal(err)
	}
}

// FuzzTemplate parses and runs any template text: never a panic, never
// past the budget (the test's memory and time are the check).
func FuzzTemplate(f *testing.F) {
	for _, seed := range []string{
		"{{range .Findings}}{{.File}}{{end}}",
		"{{with .Controls}}{{range .}}{{.ID}}{{end}}{{end}}",
		`{{define "x"}}{{.}}{{end}}{{template "x" .Repo}}`,
		`{{printf "%5d|%-3s" 1 "a"}}`,
		"{{range 3}}{{.}}{{end}}",
		"{{$x := 1}}{{$x = 2}}",
		"{{range .Findings}}{{range .Refs}}{{end}}{{end}}",
	} {
		f.Add(seed)
	}
	data := manyFindings(100)
	f.Fuzz(func(t *testing.T, text string) {
		set, err := ParseSources(map[string]Source{Body: {Text: text, File: "body.md"}})
		if err != nil {
			return
		}
		_, body, _, err := set.Render(data)
		if err == nil && len(body) > MaxOutput+1 {
			t.Fatalf("body is %d bytes, over %d", len(body), MaxOutput)
		}
	})
}

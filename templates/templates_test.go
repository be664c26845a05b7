package templates

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/internal/quote"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func sampleData() Data {
	findings := []Finding{
		{Control: "privileged", Severity: "high", Resource: "Deployment shop/web, container web", File: "apps/web/deployment.yaml", Line: 21, Refs: []string{"CIS 5.2.2", "PSS baseline"}},
		{Control: "run-as-non-root", Severity: "medium", Resource: "Deployment shop/web, container web", File: "apps/web/deployment.yaml", Line: 18, Refs: []string{"CIS 5.2.7", "PSS restricted"}},
		{Control: "run-as-non-root", Severity: "medium", Resource: "StatefulSet shop/db, container db", File: "apps/db/statefulset.yaml", Line: 30, Refs: []string{"CIS 5.2.7", "PSS restricted"}},
	}
	return Data{
		Repo: "acme/shop", RepoURL: "https://github.com/acme/shop", Base: "main", Branch: "remedy/security-fixes",
		Controls: []Control{
			{ID: "privileged", Title: "Container runs privileged", Severity: "high", Why: "A privileged container is root on the node.", Refs: []string{"CIS 5.2.2"}, Count: 1},
			{ID: "run-as-non-root", Title: "Container may run as root", Severity: "medium", Why: "Root in a container is one bug from root on the node.", Refs: []string{"CIS 5.2.7"}, Count: 2},
		},
		Findings: findings, Table: findings,
		Resources: []string{"Deployment shop/web", "StatefulSet shop/db"},
		Files:     []string{"apps/db/statefulset.yaml", "apps/web/deployment.yaml"},
		Declined:  1,
	}
}

func TestRenderGolden(t *testing.T) {
	set, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	title, body, commit, err := set.Render(sampleData())
	if err != nil {
		t.Fatal(err)
	}
	got := "TITLE: " + title + "\n\nBODY:\n" + body + "\nCOMMIT:\n" + commit
	golden := filepath.Join("testdata", "default.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./templates -update)", err)
	}
	if got != string(want) {
		t.Errorf("rendered texts differ from %s (go test ./templates -update to accept):\n%s", golden, got)
	}
}

func TestTitle(t *testing.T) {
	set, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		controls  []string
		resources []string
		want      string
	}{
		{"one control, one resource", []string{"privileged"}, []string{"Deployment shop/web"}, "fix(security): privileged in Deployment shop/web"},
		{"two controls", []string{"privileged", "run-as-non-root"}, []string{"Deployment shop/web", "Job x"}, "fix(security): privileged and run-as-non-root in 2 resources"},
		{"many controls", []string{"a", "b", "c", "d"}, []string{"Job x"}, "fix(security): a, b and 2 more in Job x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Data{Resources: tt.resources}
			for _, id := range tt.controls {
				d.Controls = append(d.Controls, Control{ID: id})
			}
			got, _, _, err := set.Render(d)
			if err != nil || got != tt.want {
				t.Errorf("title %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	set, err := Parse(map[string]string{Title: "chore: {{len .Findings}} fixes\n\n", Commit: "{{.Title}} [skip ci]"})
	if err != nil {
		t.Fatal(err)
	}
	title, body, commit, err := set.Render(sampleData())
	if err != nil {
		t.Fatal(err)
	}
	if title != "chore: 3 fixes" || commit != "chore: 3 fixes [skip ci]\n" || !strings.Contains(body, "| `privileged` | high |") {
		t.Errorf("overridden render: %q / %q / default body %v", title, commit, strings.Contains(body, "privileged"))
	}

	bad := []struct {
		name      string
		overrides map[string]string
		want      string
	}{
		{"syntax error", map[string]string{Body: "{{.Findings"}, "body template"},
		{"unknown template", map[string]string{"footer": "x"}, `"footer"`},
	}
	for _, b := range bad {
		if _, err := Parse(b.overrides); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("%s: %v, want an error naming %s", b.name, err, b.want)
		}
	}
	set, err = Parse(map[string]string{Title: "{{.NoSuchField}}"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := set.Render(sampleData()); err == nil || !strings.Contains(err.Error(), "title template") {
		t.Errorf("unknown field: %v", err)
	}
	set, _ = Parse(map[string]string{Title: "  \n"})
	if _, _, _, err := set.Render(sampleData()); err == nil {
		t.Error("an empty title rendered")
	}
}

func TestMarkdownHelpers(t *testing.T) {
	tests := []struct{ got, want string }{
		{code("a.yaml:3"), "`a.yaml:3`"},
		{code("we`ird"), "``we`ird``"},
		{code("`x"), "`` `x ``"},
		{cell("a|b\nc"), "`a\\|b c`"},
		{quote.URLPath("apps/a b/x).yaml"), "apps/a%20b/x%29.yaml"},
		{plain("@org/team"), "@\u200dorg/team"},
		{plural.Count(1, "file"), "1 file"},
		{plural.Count(0, "file"), "0 files"},
		{list([]string{"a"}, 2), "a"},
		{list([]string{"a", "b"}, 2), "a and b"},
		{list([]string{"a", "b", "c"}, 2), "a, b and 1 more"},
		{list([]string{"a", "b", "c"}, 0), "a, b and c"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: %q, want %q", i, tt.got, tt.want)
		}
	}
}

// TestRenderRiskGolden renders a body with fixes grouped by risk and the
// image checks of --resolve-images (testdata/risk.golden).
func TestRenderRiskGolden(t *testing.T) {
	set, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := sampleData()
	d.Risks = []RiskGroup{
		{Level: "none", Controls: []RiskControl{{ID: "run-as-non-root", Count: 1, Verified: true}}},
		{Level: "review", Controls: []RiskControl{
			{ID: "privileged", Count: 1, Breaks: "The container loses access to host devices.", Check: "Check it is not a node agent."},
			{ID: "run-as-non-root", Count: 1, Breaks: "The kubelet refuses a root image.", Check: "Check the image's USER."},
		}},
	}
	d.Images = []ImageCheck{{
		Resource: "Deployment shop/web, container web", Image: "ghcr.io/acme/web:1.4", Digest: "sha256:abc",
		Verified:   []string{"run-as-non-root: the image runs as uid 1000"},
		Unverified: []string{"read-only-root-filesystem: emptyDir mounted at /tmp (empty at start); not checked: writes the image does not declare"},
	}}
	d.Unchecked = 1
	_, body, _, err := set.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "risk.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./templates -update)", err)
	}
	if body != string(want) {
		t.Errorf("body differs from %s (go test ./templates -update to accept):\n%s", golden, body)
	}
}

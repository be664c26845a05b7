package templates

import (
	"strings"
	"testing"
)

func TestDashboardOverride(t *testing.T) {
	set, err := ParseSources(map[string]Source{Dashboard: {Text: "Ours: {{len .Open}} open, {{range .Declined}}[ ] #{{.Number}} {{.Marker}}{{end}}", File: "docs/dashboard.md"}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := set.RenderDashboard(DashboardData{Open: []DashboardPR{{Number: 1}}, Declined: []DashboardPR{{Number: 4, Marker: DeclinedMarker(4)}}})
	if err != nil || body != "Ours: 1 open, [ ] #4 <!-- remedy:declined 4 -->\n" {
		t.Errorf("%q, %v", body, err)
	}
	// A broken override names its file.
	if _, err := ParseSources(map[string]Source{Dashboard: {Text: "{{.Nope", File: "docs/dashboard.md"}}); err == nil || !strings.Contains(err.Error(), "dashboard template (docs/dashboard.md)") {
		t.Errorf("broken override: %v", err)
	}
	// A field the data lacks is an error when it runs, not an empty text.
	set, _ = ParseSources(map[string]Source{Dashboard: {Text: "{{.Nope}}"}})
	if _, err := set.RenderDashboard(DashboardData{}); err == nil {
		t.Error("a missing field rendered")
	}
	if d, err := Default(Dashboard); err != nil || !strings.Contains(d, "Declined fixes") {
		t.Errorf("Default(dashboard): %v", err)
	}
}

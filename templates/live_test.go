package templates

import (
	"strings"
	"testing"
)

// The body names the live objects of a cluster sweep, and says nothing of a
// cluster otherwise.
func TestBodyNamesLiveObjects(t *testing.T) {
	set, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := Data{Repo: "acme/shop", Base: "main", Branch: "remedy/security-fixes",
		Controls: []Control{{ID: "privileged", Severity: "high"}},
		Findings: []Finding{{Control: "privileged", Severity: "high", Resource: "Deployment shop/web", File: "web.yaml", Line: 3}}}
	d.Table = d.Findings
	_, plain, _, err := set.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, "live object") {
		t.Errorf("body without live objects mentions them:\n%s", plain)
	}
	d.Live = []string{"Deployment shop/web", "Deployment shop/api"}
	_, live, _, err := set.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	want := "These files deploy 2 live objects that fail the same controls in the cluster today: `Deployment shop/web`, `Deployment shop/api`."
	if !strings.Contains(live, want) {
		t.Errorf("body:\n%s\nwant it to hold:\n%s", live, want)
	}
	if strings.Replace(live, "\n\n"+want+" Once this is merged and synced, they pass.", "", 1) != plain {
		t.Errorf("the live objects' paragraph is not the only difference:\n%s", live)
	}
}

// A cluster sweep's title and body name the cluster, so its pull request is
// told apart from the repository sweep's.
func TestLiveTitleAndBodyNameTheCluster(t *testing.T) {
	set, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := Data{Repo: "acme/shop", Base: "main", Branch: "remedy/live/prod/security-fixes",
		Controls:  []Control{{ID: "privileged", Severity: "high"}},
		Findings:  []Finding{{Control: "privileged", Severity: "high", Resource: "Deployment shop/web", File: "web.yaml", Line: 3}},
		Resources: []string{"Deployment shop/web"}, Live: []string{"Deployment shop/web"}, Cluster: "prod"}
	d.Table = d.Findings
	title, body, _, err := set.Render(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := "fix(security): privileged in Deployment shop/web (live in prod)"; title != want {
		t.Errorf("title %q, want %q", title, want)
	}
	if want := "fail the same controls in cluster `prod` today"; !strings.Contains(body, want) {
		t.Errorf("body:\n%s\nwant it to hold %q", body, want)
	}
}

package config

import (
	"os"
	"path/filepath"
	"testing"
)

// Issue 17 §1: a control ID of controls.enable or controls.disable that
// the catalog does not know is an error naming the file and line.
func TestCheckControlIDs(t *testing.T) {
	known := []string{"privileged", "liveness-probe", "read-only-root-filesystem"}
	tests := []struct {
		name, yaml, want string
	}{
		{"known", "controls:\n  enable: [privileged]\n  disable: [liveness-probe]\n", ""},
		{"enable typo", "controls: {enable: [privlieged]}\n", `.remedy.yaml:1: controls.enable: unknown control "privlieged" (remedy controls lists them); did you mean "privileged"?`},
		{"disable typo", "severity: low\ncontrols:\n  disable:\n  - liveness-probe\n  - livenes-probe\n", `.remedy.yaml:5: controls.disable: unknown control "livenes-probe" (remedy controls lists them); did you mean "liveness-probe"?`},
		{"nothing close", "controls: {disable: [zzz]}\n", `.remedy.yaml:1: controls.disable: unknown control "zzz" (remedy controls lists them)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckControlIDs(FileName, []byte(tt.yaml), known)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// Issue 17 §1: .remedy.yml is read; both names in one folder is an error.
func TestReadNamedAltName(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, AltFileName), "severity: high\n")
	c, err := Load(dir)
	if err != nil || c.Severity != "high" {
		t.Fatalf("Load = %+v, %v; want severity high from %s", c, err, AltFileName)
	}
	write(t, filepath.Join(dir, FileName), "severity: low\n")
	if _, err := Load(dir); err == nil {
		t.Fatal("both names present: want an error")
	}
}

// Issue 17 §1: the config is found from the scanned path upward, stopping
// at top.
func TestDiscover(t *testing.T) {
	top := t.TempDir()
	apps := filepath.Join(top, "examples", "shop", "apps")
	if err := os.MkdirAll(apps, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(apps, "web.yaml"), "kind: Pod\n")
	if got := Discover(apps, top); got != "" {
		t.Errorf("no config: got %q", got)
	}
	write(t, filepath.Join(top, FileName), "")
	if got := Discover(apps, top); got != top {
		t.Errorf("got %q, want the top's", got)
	}
	shop := filepath.Join(top, "examples", "shop")
	write(t, filepath.Join(shop, AltFileName), "")
	for _, p := range []string{apps, filepath.Join(apps, "web.yaml"), shop} {
		if got := Discover(p, top); got != shop {
			t.Errorf("Discover(%s) = %q, want %s", p, got, shop)
		}
	}
	if got := Discover(top, apps); got != "" {
		t.Errorf("above top: got %q", got)
	}
}

func TestRebase(t *testing.T) {
	c := &Config{Exclude: []string{"./tmp/**"}, Helm: Helm{ValuesFiles: []string{"values-prod.yaml", "env/prod.yaml"}, Releases: []Release{{Chart: "charts/web"}}}}
	c.Rebase("examples/shop")
	if c.Exclude[0] != "examples/shop/tmp/**" || c.Helm.ValuesFiles[0] != "values-prod.yaml" ||
		c.Helm.ValuesFiles[1] != "examples/shop/env/prod.yaml" || c.Helm.Releases[0].Chart != "examples/shop/charts/web" {
		t.Errorf("rebased: %+v", c)
	}
	if !c.Excluded("examples/shop/tmp/x.yaml") || c.Excluded("tmp/x.yaml") {
		t.Error("exclude does not follow the rebase")
	}
}

func write(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Default resources are Kubernetes quantities (resource.ParseQuantity), so
// a fix never writes one the API server refuses.
func TestDefaultResourcesAreQuantities(t *testing.T) {
	_, err := Parse(FileName, []byte("defaults:\n  resources:\n    limits:\n      cpu: 500m\n      memory: 256MB\n"))
	if err == nil || err.Error() != `.remedy.yaml:5: defaults.resources.limits.memory "256MB": not a Kubernetes quantity (e.g. 500m, 256Mi)` {
		t.Errorf("got %v", err)
	}
	if _, err := Parse(FileName, []byte("defaults: {resources: {limits: {cpu: 500m, memory: 256Mi}, requests: {cpu: \"0.1\"}}}\n")); err != nil {
		t.Error(err)
	}
}

func TestLoadKnown(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, AltFileName), "controls:\n  disable: [livenes-probe]\n")
	_, err := LoadKnown(dir, []string{"liveness-probe"})
	if err == nil || err.Error() != `.remedy.yml:2: controls.disable: unknown control "livenes-probe" (remedy controls lists them); did you mean "liveness-probe"?` {
		t.Errorf("got %v", err)
	}
}

func TestAccept(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"controls:\n  accept:\n  - control: liveness-probe\n    reason: batch jobs, SEC-12\n    until: 2027-01-31\n", ""},
		{"controls:\n  accept:\n  - control: liveness-probe\n    until: 2027-01-31\n", ".remedy.yaml:3: controls.accept liveness-probe: give the reason the risk is accepted"},
		{"controls:\n  accept:\n  - {control: liveness-probe, reason: x}\n  - {control: liveness-probe, reason: x, until: 31.01.2027}\n", `.remedy.yaml:4: controls.accept liveness-probe: until "31.01.2027": want a date, YYYY-MM-DD`},
	}
	for _, tt := range tests {
		_, err := Parse(FileName, []byte(tt.yaml))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.yaml, got, tt.want)
		}
	}
	err := CheckControlIDs(FileName, []byte("controls:\n  accept:\n  - {control: livenes-probe, reason: x}\n"), []string{"liveness-probe"})
	if err == nil || err.Error() != `.remedy.yaml:3: controls.accept: unknown control "livenes-probe" (remedy controls lists them); did you mean "liveness-probe"?` {
		t.Errorf("got %v", err)
	}
}

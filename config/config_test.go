package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/repofs/repofstest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Config
	}{
		{name: "empty file", in: "", want: &Config{}},
		{name: "comments only", in: "# nothing configured yet\n", want: &Config{}},
		{
			name: "every key",
			in: `controls:
  disable: [image-pull-policy]
  enable: [privileged, host-network]
exclude:
  - "**/testdata/**"
  - ./legacy/
severity: high
defaults:
  resources:
    limits: {cpu: 500m, memory: 256Mi}
    requests: {cpu: 100m, memory: 128Mi}
group: per-control
labels: [security]
reviewers: [alice]
assignees: [bob]
prConcurrentLimit: 3
prHourlyLimit: 2
templates:
  title: .github/remedy/title.tmpl
  body: .github/remedy/body.tmpl
  commit: .github/remedy/commit.tmpl
helm:
  valuesFiles: [values-prod.yaml]
  releases:
  - name: web
    namespace: shop
    chart: charts/web
    valuesFiles: [charts/web/values-prod.yaml]
`,
			want: &Config{
				Controls: Controls{Disable: []string{"image-pull-policy"}, Enable: []string{"privileged", "host-network"}},
				Exclude:  []string{"**/testdata/**", "./legacy/"},
				Severity: "high",
				Defaults: Defaults{Resources: Resources{
					Limits:   map[string]string{"cpu": "500m", "memory": "256Mi"},
					Requests: map[string]string{"cpu": "100m", "memory": "128Mi"},
				}},
				Group:             "per-control",
				Labels:            []string{"security"},
				Reviewers:         []string{"alice"},
				Assignees:         []string{"bob"},
				PRConcurrentLimit: 3,
				PRHourlyLimit:     2,
				Templates:         Templates{Title: ".github/remedy/title.tmpl", Body: ".github/remedy/body.tmpl", Commit: ".github/remedy/commit.tmpl"},
				Helm: Helm{
					ValuesFiles: []string{"values-prod.yaml"},
					Releases:    []Release{{Name: "web", Namespace: "shop", Chart: "charts/web", ValuesFiles: []string{"charts/web/values-prod.yaml"}}},
				},
			},
		},
		{name: "null sections", in: "controls:\ndefaults:\n", want: &Config{}},
		{name: "severity in any case", in: "severity: Critical\n", want: &Config{Severity: "Critical"}},
		{name: "per-repo group", in: "group: per-repo\n", want: &Config{Group: "per-repo"}},
		{name: "pss version", in: "pss:\n  version: v1.30\n", want: &Config{PSS: PSS{Version: "v1.30"}}},
		{name: "pss latest", in: "pss: {version: latest}\n", want: &Config{PSS: PSS{Version: "latest"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(FileName, []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // the whole error: file, line and message
	}{
		{
			name: "unknown top-level key",
			in:   "severity: high\nexlcude: [a]\n",
			want: `.remedy.yaml:2: unknown key "exlcude" (known keys of the config: controls, exclude, severity, defaults, group, labels, reviewers, assignees, prConcurrentLimit, prHourlyLimit, templates, helm, images, pss, dashboard)`,
		},
		{
			name: "unknown nested key in a flow mapping",
			in:   "severity: high\n\ncontrols: {disbale: [privileged]}\n",
			want: `.remedy.yaml:3: unknown key "controls.disbale" (known keys of controls: disable, enable, accept)`,
		},
		{
			name: "unknown key deep inside",
			in:   "defaults:\n  resources:\n    limit:\n      cpu: 1\n",
			want: `.remedy.yaml:3: unknown key "defaults.resources.limit" (known keys of defaults.resources: limits, requests)`,
		},
		{
			name: "unknown key in a list item",
			in:   "helm:\n  releases:\n  - name: web\n    chrt: charts/web\n",
			want: `.remedy.yaml:4: unknown key "helm.releases.chrt" (known keys of helm.releases: name, namespace, chart, valuesFiles)`,
		},
		{
			name: "section that is not a mapping",
			in:   "controls: [privileged]\n",
			want: `.remedy.yaml:1: controls must be a mapping`,
		},
		{
			name: "config that is not a mapping",
			in:   "- privileged\n",
			want: `.remedy.yaml:1: the config must be a mapping`,
		},
		{
			name: "pss version newer than remedy knows",
			in:   "severity: high\npss:\n  version: v1.99\n",
			want: `.remedy.yaml:3: pss.version "v1.99": remedy knows the Pod Security Standards up to v1.37`,
		},
		{
			name: "pss version not a version",
			in:   "pss: {version: 1.30}\n",
			want: `.remedy.yaml:1: pss.version "1.30": want latest or v1.N, e.g. v1.37`,
		},
		{
			name: "bad severity",
			in:   "exclude: []\nseverity: severe\n",
			want: `.remedy.yaml:2: severity "severe": want low, medium, high or critical`,
		},
		{
			name: "bad group",
			in:   "group: per-file\n",
			want: `.remedy.yaml:1: group "per-file": want repo, per-control or risk`,
		},
		{
			name: "typo under images",
			in:   "images:\n  resolved: true\n",
			want: `.remedy.yaml:2: unknown key "images.resolved" (known keys of images: resolve)`,
		},
		{
			name: "bad exclude glob",
			in:   "exclude: ['apps/[a-']\n",
			want: `.remedy.yaml:1: exclude: invalid glob "apps/[a-"`,
		},
		{
			name: "bad default resource",
			in:   "defaults:\n  resources:\n    limits: {gpu: 1}\n",
			want: `.remedy.yaml:1: defaults.resources.limits.gpu: want cpu, memory or ephemeral-storage`,
		},
		{
			name: "wrong type",
			in:   "labels: [a]\nprHourlyLimit: many\n",
			want: `.remedy.yaml:2: cannot unmarshal !!str ` + "`many`" + ` into int`,
		},
		{
			// yaml.v3 names the line before the one where the unclosed
			// sequence starts; close enough for a config file.
			name: "invalid YAML",
			in:   "severity: high\ncontrols:\n  disable: [a\n",
			want: `.remedy.yaml:2: invalid YAML: did not find expected ',' or ']'`,
		},
		{
			name: "tab indentation",
			in:   "severity: high\ncontrols:\n\tdisable: [a]\n",
			want: `.remedy.yaml:3: invalid YAML: found character that cannot start any token`,
		},
		{
			name: "duplicate key",
			in:   "severity: high\nseverity: low\n",
			want: `.remedy.yaml:2: mapping key "severity" already defined at line 1`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(FileName, []byte(tc.in))
			if err == nil {
				t.Fatalf("no error, want %s", tc.want)
			}
			var ce *Error
			if !errors.As(err, &ce) {
				t.Errorf("error %T is not a *config.Error", err)
			}
			if err.Error() != tc.want {
				t.Errorf("error = %s\nwant    %s", err, tc.want)
			}
		})
	}
}

func TestControlEnabled(t *testing.T) {
	tests := []struct {
		name string
		c    Controls
		want map[string]bool
	}{
		{name: "all by default", want: map[string]bool{"privileged": true, "host-pid": true}},
		{name: "disable", c: Controls{Disable: []string{"privileged"}}, want: map[string]bool{"privileged": false, "host-pid": true}},
		{name: "enable is an allowlist", c: Controls{Enable: []string{"privileged"}}, want: map[string]bool{"privileged": true, "host-pid": false}},
		{
			name: "disable wins over enable",
			c:    Controls{Enable: []string{"privileged", "host-pid"}, Disable: []string{"privileged"}},
			want: map[string]bool{"privileged": false, "host-pid": true, "host-ipc": false},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &Config{Controls: tc.c}
			for id, want := range tc.want {
				if got := c.ControlEnabled(id); got != want {
					t.Errorf("ControlEnabled(%q) = %v, want %v", id, got, want)
				}
			}
		})
	}
}

func TestExcluded(t *testing.T) {
	tests := []struct {
		glob string
		want map[string]bool
	}{
		{"legacy", map[string]bool{"legacy/a.yaml": true, "legacy/b/c.yaml": true, "legacy.yaml": false, "apps/legacy/a.yaml": false}},
		{"legacy/", map[string]bool{"legacy/a.yaml": true, "legacy/b/c.yaml": true, "legacyx/a.yaml": false}},
		{"./legacy", map[string]bool{"legacy/a.yaml": true}},
		{"*.json", map[string]bool{"a.json": true, "apps/a.json": false, "a.yaml": false}},
		{"**/*.json", map[string]bool{"a.json": true, "apps/b/a.json": true, "a.yaml": false}},
		{"**/testdata/**", map[string]bool{"testdata/a.yaml": true, "pkg/testdata/x/a.yaml": true, "pkg/testdatax/a.yaml": false}},
		{"apps/*/secret.yaml", map[string]bool{"apps/web/secret.yaml": true, "apps/web/x/secret.yaml": false}},
		{"charts/{web,api}/**", map[string]bool{"charts/web/values.yaml": true, "charts/api/t/x.yaml": true, "charts/db/values.yaml": false}},
	}
	for _, tc := range tests {
		c := &Config{Exclude: []string{tc.glob}}
		for rel, want := range tc.want {
			if got := c.Excluded(rel); got != want {
				t.Errorf("exclude %q: Excluded(%q) = %v, want %v", tc.glob, rel, got, want)
			}
		}
	}
	if (&Config{}).Excluded("a.yaml") {
		t.Error("no exclude globs excluded a.yaml")
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(dir)
	if err != nil || !reflect.DeepEqual(c, &Config{}) {
		t.Errorf("Load without a config file = %+v, %v; want the zero Config", c, err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("severity: high\nbogus: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || err.Error() != `.remedy.yaml:2: unknown key "bogus" (known keys of the config: controls, exclude, severity, defaults, group, labels, reviewers, assignees, prConcurrentLimit, prHourlyLimit, templates, helm, images, pss, dashboard)` {
		t.Errorf("Load with an unknown key: %v", err)
	}
}

func TestPSSMinor(t *testing.T) {
	for in, want := range map[string]int{"": LatestPSSMinor, "latest": LatestPSSMinor, "v1.0": 0, "v1.25": 25, "v1.37": 37} {
		if got := (&Config{PSS: PSS{Version: in}}).PSSMinor(); got != want {
			t.Errorf("PSSMinor(%q) = %d, want %d", in, got, want)
		}
	}
	for _, bad := range []string{"v1.38", "v2.0", "1.30", "v1.030", "v1.", "v1.-1", "Latest"} {
		if _, err := ParsePSSVersion(bad); err == nil {
			t.Errorf("ParsePSSVersion(%q) accepted it", bad)
		}
	}
}

// A hostile .remedy.yaml: a FIFO must not hang the load, /dev/zero must
// not fill memory, and a file outside the repository is not loaded.
func TestLoadHostile(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(t *testing.T, repo string)
		want string
	}{
		{"fifo", func(t *testing.T, repo string) { repofstest.FIFO(t, repo, FileName) }, "read .remedy.yaml: not a regular file (named pipe (FIFO))"},
		{"dev zero", func(t *testing.T, repo string) { repofstest.Symlink(t, repo, FileName, repofstest.Zero) }, "read .remedy.yaml: leads outside the repository"},
		{"outside", func(t *testing.T, repo string) {
			repofstest.Symlink(t, repo, FileName, repofstest.Secret(t, repo))
		}, "read .remedy.yaml: leads outside the repository"},
		{"folder", func(t *testing.T, repo string) { repofstest.WriteFile(t, repo, FileName+"/x", "") }, "read .remedy.yaml: not a regular file (folder)"},
		{"too big", func(t *testing.T, repo string) {
			repofstest.WriteFile(t, repo, FileName, "# "+strings.Repeat("x", MaxFileSize))
		}, "over the 1048576-byte limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := filepath.Join(t.TempDir(), "repo")
			if err := os.Mkdir(repo, 0o755); err != nil {
				t.Fatal(err)
			}
			tc.make(t, repo)
			_, err := Load(repo)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load error %v; want %q", err, tc.want)
			}
		})
	}
	// A link inside the repository is fine.
	repo := t.TempDir()
	repofstest.WriteFile(t, repo, "conf/remedy.yaml", "severity: high\n")
	repofstest.Symlink(t, repo, FileName, "conf/remedy.yaml")
	if c, err := Load(repo); err != nil || c.Severity != "high" {
		t.Errorf("in-repository link: %+v, %v", c, err)
	}
}

func TestDashboardKey(t *testing.T) {
	for _, tc := range []struct {
		yaml string
		want *bool
		err  bool
	}{
		{"dashboard: true\n", ptr(true), false},
		{"dashboard: false\n", ptr(false), false},
		{"group: repo\n", nil, false},
		{"dashboard: maybe\n", nil, true},
		{"dashbord: true\n", nil, true},
		{"templates: {dashboard: docs/dashboard.md}\n", nil, false},
	} {
		c, err := Parse(".remedy.yaml", []byte(tc.yaml))
		if (err != nil) != tc.err {
			t.Errorf("%q: error %v", tc.yaml, err)
			continue
		}
		if err != nil {
			continue
		}
		if (c.Dashboard == nil) != (tc.want == nil) || (c.Dashboard != nil && *c.Dashboard != *tc.want) {
			t.Errorf("%q: dashboard %v", tc.yaml, c.Dashboard)
		}
	}
}

func ptr[T any](v T) *T { return &v }

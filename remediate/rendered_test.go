package remediate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/render"
)

// writeTree writes files (path → content) below a new temporary folder.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// renderedRun is one load, scan and fix of a tree as deployed.
type renderedRun struct {
	in    *scanner.Inputs
	rep   *scanner.Report
	fixes []FileFix
}

func fixDeployed(t testing.TB, dir string, cfg *config.Config, opts Options, only ...string) renderedRun {
	t.Helper()
	if cfg == nil {
		cfg = &config.Config{}
	}
	in := render.Load(dir, []string{dir}, render.Options{Helm: cfg.Helm, LoadOptions: scanner.LoadOptions{Exclude: cfg.Excluded}})
	scan := scanner.Options{Config: cfg, Only: only}
	rep := scanner.ScanInputs(in, scan)
	scan.Only = nil
	return renderedRun{in: in, rep: rep, fixes: FixReport(in, rep, opts, scanner.Options{Config: cfg})}
}

// golden renders a run's fix: the unified diff of every changed file, then
// the outcome of every fixable finding of rendered output.
func (r renderedRun) golden(t testing.TB) string {
	t.Helper()
	var b bytes.Buffer
	for _, fx := range r.fixes {
		if err := UnifiedDiff(&b, fx.File.Path, fx.Before, fx.After); err != nil {
			t.Fatal(err)
		}
	}
	b.WriteString("# outcomes\n")
	var lines []string
	for _, fx := range r.fixes {
		for _, o := range fx.Outcomes {
			// Report-only findings are left out; findings of fixable
			// controls the scan already knew it could not fix stay, with why.
			if !o.Finding.IsRendered() || !o.Finding.Fixable && o.Finding.NotFixable == "" && o.Status == StatusNotFixable {
				continue
			}
			line := fmt.Sprintf("%s %s %s:%d %s/%s", o.Status, o.Finding.Control, o.Finding.File, o.Finding.Line, o.Finding.Kind, o.Finding.Name)
			if o.Finding.Container != "" {
				line += " [" + o.Finding.Container + "]"
			}
			if o.Reason != "" {
				line += ": " + o.Reason
			}
			lines = append(lines, line)
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// applyAndRescan writes the fixes to disk, loads and scans the tree again
// as deployed, and checks that no finding fixed is still reported.
func (r renderedRun) applyAndRescan(t testing.TB, dir string, cfg *config.Config) *scanner.Report {
	t.Helper()
	fixed := map[string]scanner.Finding{}
	for _, fx := range r.fixes {
		for _, o := range fx.Outcomes {
			if o.Status == StatusFixed {
				fixed[o.Finding.Fingerprint()] = o.Finding
			}
		}
		if !fx.Changed() {
			continue
		}
		if fx.File.Abs == "" {
			t.Fatalf("%s: changed but has no path on disk", fx.File.Path)
		}
		if err := os.WriteFile(fx.File.Abs, fx.After, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if cfg == nil {
		cfg = &config.Config{}
	}
	in := render.Load(dir, []string{dir}, render.Options{Helm: cfg.Helm, LoadOptions: scanner.LoadOptions{Exclude: cfg.Excluded}})
	if len(in.Errors) > 0 {
		t.Errorf("after the fix: %v", in.Errors)
	}
	rep := scanner.ScanInputs(in, scanner.Options{Config: cfg})
	// A control all of whose findings were fixed must be clean.
	clean := map[string]bool{}
	for _, fx := range r.fixes {
		for _, o := range fx.Outcomes {
			if _, ok := clean[o.Finding.Control]; !ok {
				clean[o.Finding.Control] = true
			}
			if o.Status != StatusFixed {
				clean[o.Finding.Control] = false
			}
		}
	}
	for _, f := range rep.Findings {
		if _, ok := fixed[f.Fingerprint()]; ok {
			t.Errorf("fixed but still reported after a rebuild: %s %s:%d", f.Control, f.File, f.Line)
		} else if clean[f.Control] && !f.Suppressed {
			t.Errorf("%s was fixed everywhere, but the rebuild reports %s:%d", f.Control, f.File, f.Line)
		}
	}
	return rep
}

// checkRenderedGolden compares got with testdata/rendered/<name>.golden.
func checkRenderedGolden(t *testing.T, name, got string) {
	t.Helper()
	dir := filepath.Join("testdata", "rendered")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join(dir, name+".golden"), []byte(got))
}

const kBase = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27 # pinned
        securityContext:
          allowPrivilegeEscalation: false
`

// TestFixKustomizeWhereWritten covers each rule of where a fix of a
// Kustomize build lands.
func TestFixKustomizeWhereWritten(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		cfg   *config.Config
		only  []string
	}{
		{
			name: "shared-base",
			// Three overlays use the base; the field is missing everywhere:
			// one edit, in the base.
			files: map[string]string{
				"base/kustomization.yaml": "resources:\n- deployment.yaml\n",
				"base/deployment.yaml":    kBase,
				"dev/kustomization.yaml":  "resources:\n- ../base\nnamePrefix: dev-\n",
				"stg/kustomization.yaml":  "resources:\n- ../base\nnamespace: staging\n",
				"prod/kustomization.yaml": "resources:\n- ../base\nnamespace: prod\nnameSuffix: -v2\n",
			},
			only: []string{"image-pull-policy", "read-only-root-filesystem"},
		},
		{
			name: "overlay-patch-override",
			// The overlay's patch sets the bad value: the fix edits the
			// patch, and the base (which sets nothing) stays as it is.
			files: map[string]string{
				"base/kustomization.yaml": "resources:\n- deployment.yaml\n",
				"base/deployment.yaml":    kBase,
				"prod/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: pull.yaml\n",
				"prod/pull.yaml":          "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        imagePullPolicy: IfNotPresent # cache\n        securityContext:\n          allowPrivilegeEscalation: true\n",
			},
			only: []string{"image-pull-policy", "no-privilege-escalation"},
		},
		{
			name: "inline-json6902",
			// A JSON 6902 patch inline in the kustomization sets privileged:
			// the value is replaced inside the block scalar, nothing else moves.
			files: map[string]string{
				"base/kustomization.yaml": "resources:\n- deployment.yaml\n",
				"base/deployment.yaml":    kBase,
				"prod/kustomization.yaml": "resources:\n- ../base\npatches:\n- target:\n    kind: Deployment\n    name: web\n  patch: |-\n    - op: add\n      path: /spec/template/spec/containers/0/securityContext/privileged\n      value: true   # needs the GPU\n    - op: add\n      path: /spec/template/spec/hostPID\n      value: true\n",
			},
			only: []string{"privileged", "host-pid"},
		},
		{
			name: "json-op-owns-the-mapping",
			// A JSON op replaces the container's securityContext whole, so a
			// field added in the base would be lost: the fix goes into the
			// op's value instead.
			files: map[string]string{
				"base/kustomization.yaml": "resources:\n- deployment.yaml\n",
				"base/deployment.yaml":    kBase,
				"prod/kustomization.yaml": "resources:\n- ../base\npatchesJson6902:\n- target: {group: apps, version: v1, kind: Deployment, name: web}\n  path: sc.yaml\n",
				"prod/sc.yaml":            "- op: replace\n  path: /spec/template/spec/containers/0/securityContext\n  value:\n    runAsUser: 1000\n",
			},
			only: []string{"no-privilege-escalation", "read-only-root-filesystem"},
		},
		{
			name: "component-and-smp-inline",
			// A component's inline strategic-merge patch turns on hostNetwork;
			// the fix flips it there. A container the component's patch
			// merely touches still gets its missing field in the base.
			files: map[string]string{
				"base/kustomization.yaml": "resources:\n- deployment.yaml\n",
				"base/deployment.yaml":    kBase,
				"net/kustomization.yaml":  "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          hostNetwork: true\n          containers:\n          - name: web\n            env:\n            - name: MODE\n              value: host\n",
				"prod/kustomization.yaml": "resources:\n- ../base\ncomponents:\n- ../net\n",
			},
			only: []string{"host-network", "read-only-root-filesystem"},
		},
		{
			name: "shared-base-excluded-overlay",
			// legacy is excluded by config, so it must not change: the base
			// it shares with prod is left alone and the fix is refused, saying
			// why; prod's own patch is still fixed.
			files: map[string]string{
				"base/kustomization.yaml":   "resources:\n- deployment.yaml\n",
				"base/deployment.yaml":      kBase,
				"prod/kustomization.yaml":   "resources:\n- ../base\npatches:\n- path: host.yaml\n",
				"prod/host.yaml":            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      hostPID: true\n",
				"legacy/kustomization.yaml": "resources:\n- ../base\n",
			},
			cfg:  &config.Config{Exclude: []string{"legacy/**"}},
			only: []string{"image-pull-policy", "host-pid"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			run := fixDeployed(t, dir, tc.cfg, Options{}, tc.only...)
			checkRenderedGolden(t, "kustomize-"+tc.name, run.golden(t))
			run.applyAndRescan(t, dir, tc.cfg)
		})
	}
}

const hChart = "apiVersion: v2\nname: web\nversion: 1.0.0\n"

const hDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      hostNetwork: {{ .Values.hostNetwork }}
      {{- if .Values.seccomp.enabled }}
      securityContext:
        seccompProfile:
          type: RuntimeDefault
      {{- end }}
      containers:
      - name: web
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        imagePullPolicy: {{ .Values.image.pullPolicy }}
        {{- with .Values.securityContext }}
        securityContext:
          {{- toYaml . | nindent 10 }}
        {{- end }}
      - name: sidecar
        image: busybox:1.36
        imagePullPolicy: Always
        securityContext:
          privileged: true
          {{- toYaml .Values.sidecar.securityContext | nindent 10 }}
`

const hValues = `image:
  repository: nginx
  tag: "1.27"
  pullPolicy: IfNotPresent # mirror
hostNetwork: true
seccomp:
  enabled: false  # opt in
# set container security context
securityContext: {}
sidecar:
  securityContext:
    runAsUser: 1000
`

// TestFixHelmWhereWritten covers each rule of where a fix of a Helm
// render lands: values.yaml, never a template.
func TestFixHelmWhereWritten(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		cfg   *config.Config
		only  []string
	}{
		{
			name: "values",
			// A leaf written as it is, a boolean, a switch, mappings passed
			// through toYaml (empty and block), and a value hard-coded in
			// the template, which is left alone.
			files: map[string]string{"web/Chart.yaml": hChart, "web/values.yaml": hValues, "web/templates/deployment.yaml": hDeployment},
			only:  []string{"image-pull-policy", "host-network", "seccomp-profile", "read-only-root-filesystem", "no-privilege-escalation", "privileged"},
		},
		{
			name: "shared-value",
			// image.pullPolicy also names the pods' annotation: changing it
			// would change more than the fix, so it is refused.
			files: map[string]string{
				"web/Chart.yaml":  hChart,
				"web/values.yaml": hValues,
				"web/templates/deployment.yaml": strings.Replace(hDeployment, "    spec:\n      hostNetwork",
					"    metadata:\n      annotations:\n        pull: {{ .Values.image.pullPolicy }}\n    spec:\n      hostNetwork", 1),
			},
			only: []string{"image-pull-policy"},
		},
		{
			name: "release-values-file",
			// The release's own values file sets the value: it is edited
			// there, where it takes effect.
			files: map[string]string{
				"web/Chart.yaml": hChart, "web/values.yaml": hValues, "web/templates/deployment.yaml": hDeployment,
				"env/prod.yaml": "image:\n  pullPolicy: Never\nsecurityContext:\n  runAsUser: 1000\n",
			},
			cfg: &config.Config{Helm: config.Helm{Releases: []config.Release{
				{Name: "prod", Namespace: "shop", Chart: "web", ValuesFiles: []string{"env/prod.yaml"}},
			}}},
			only: []string{"image-pull-policy", "read-only-root-filesystem"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			run := fixDeployed(t, dir, tc.cfg, Options{}, tc.only...)
			if len(run.in.Errors) > 0 {
				t.Fatalf("load errors: %v", run.in.Errors)
			}
			checkRenderedGolden(t, "helm-"+tc.name, run.golden(t))
			run.applyAndRescan(t, dir, tc.cfg)
		})
	}
}

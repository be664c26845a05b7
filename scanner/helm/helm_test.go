package helm

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

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

const chartYAML = "apiVersion: v2\nname: web\nversion: 1.0.0\n"

// deployment is a template with one value of each kind remedy traces.
const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  namespace: {{ .Release.Namespace }}
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
`

const values = `image:
  repository: nginx
  tag: "1.27"
  pullPolicy: IfNotPresent
hostNetwork: true
seccomp:
  enabled: false
# set container security context
securityContext: {}
`

func render(t testing.TB, dir string, rel Release) *scanner.Report {
	t.Helper()
	res, err := Render(filepath.Join(dir, "web"), rel, Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	return scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{res.File}}, scanner.Options{
		Only: []string{"image-pull-policy", "host-network", "seccomp-profile", "read-only-root-filesystem", "privileged"},
	})
}

func where(f scanner.Finding) string {
	c := ""
	if f.Container != "" {
		c = " [" + f.Container + "]"
	}
	return fmt.Sprintf("%s %s:%d %s%s", f.Control, f.File, f.Line, f.Source, c)
}

func TestTraceFindingsToValuesOrTemplate(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"web/Chart.yaml":                chartYAML,
		"web/values.yaml":               values,
		"web/templates/deployment.yaml": deployment,
		"web/templates/NOTES.txt":       "Thanks for installing {{ .Release.Name }}.\n",
		"web/templates/tests/test.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\nspec:\n  hostPID: true\n  containers:\n  - name: t\n    image: busybox\n",
	})
	rep := render(t, dir, Release{Name: "web"})
	var got []string
	for _, f := range rep.Findings {
		got = append(got, where(f))
	}
	want := []string{
		// privileged: true is written in the template itself.
		"privileged web/templates/deployment.yaml:27 template [sidecar]",
		// imagePullPolicy is values' image.pullPolicy, as it is.
		"image-pull-policy web/values.yaml:4 values [web]",
		// hostNetwork renders the boolean hostNetwork.
		"host-network web/values.yaml:5 values",
		// seccomp.enabled switches the missing profile on.
		"seccomp-profile web/values.yaml:7 values [sidecar]",
		"seccomp-profile web/values.yaml:7 values [web]",
		// A missing field of a mapping passed through toYaml: its key there.
		"read-only-root-filesystem web/values.yaml:9 values [web]",
		// The sidecar's securityContext is the template's.
		"read-only-root-filesystem web/templates/deployment.yaml:26 template [sidecar]",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	for _, f := range rep.Findings {
		// fixable says whether remedy can fix the finding where it is
		// written: never in a template.
		if wantFixable := f.Source == scanner.SourceValues; f.Fixable != wantFixable {
			t.Errorf("%s: fixable = %v, want %v", where(f), f.Fixable, wantFixable)
		}
		if len(f.Rendered) != 1 || f.Rendered[0].Tool != scanner.ToolHelm || f.Rendered[0].Release != "web" || f.Rendered[0].Root != "web" {
			t.Errorf("%s: rendered %+v, want the web release of chart web", where(f), f.Rendered)
		}
	}
}

func TestValuesFilesOfTheReleaseWin(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"web/Chart.yaml":                chartYAML,
		"web/values.yaml":               values,
		"web/templates/deployment.yaml": deployment,
		"env/prod.yaml":                 "image:\n  pullPolicy: Never\n",
	})
	rep := render(t, dir, Release{Name: "prod", Namespace: "shop", ValuesFiles: []string{filepath.Join(dir, "env/prod.yaml")}})
	found := false
	for _, f := range rep.Findings {
		if f.Control == "image-pull-policy" && f.Container == "web" {
			found = true
			if f.File != "env/prod.yaml" || f.Line != 2 {
				t.Errorf("image-pull-policy at %s:%d, want env/prod.yaml:2, the value that takes effect", f.File, f.Line)
			}
			if f.Rendered[0].Namespace != "shop" || f.Rendered[0].Name != "prod" {
				t.Errorf("rendered %+v, want release prod in namespace shop", f.Rendered[0])
			}
		}
	}
	if !found {
		t.Error("no image-pull-policy finding for container web")
	}
}

func TestRenderErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{
			name: "missing dependency",
			files: map[string]string{
				"web/Chart.yaml":  chartYAML + "dependencies:\n- name: redis\n  version: 17.x\n  repository: https://charts.bitnami.com/bitnami\n",
				"web/values.yaml": values,
			},
			want: `dependency redis (version "17.x" from https://charts.bitnami.com/bitnami) of web is missing from charts/`,
		},
		{
			name: "template error",
			files: map[string]string{
				"web/Chart.yaml":          chartYAML,
				"web/templates/bad.yaml":  "kind: {{ required \"kind is required\" .Values.kind }}\n",
				"web/templates/good.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
			},
			want: "kind is required",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			_, err := Render(filepath.Join(dir, "web"), Release{Name: "web"}, Options{Root: dir})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSubchartFromChartsFolder(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"web/Chart.yaml":                       chartYAML + "dependencies:\n- name: cache\n  version: 1.0.0\n",
		"web/values.yaml":                      "cache:\n  pullPolicy: Never\n",
		"web/charts/cache/Chart.yaml":          "apiVersion: v2\nname: cache\nversion: 1.0.0\n",
		"web/charts/cache/values.yaml":         "pullPolicy: IfNotPresent\nimage: redis:7\n",
		"web/charts/cache/templates/pod.yaml":  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: cache\nspec:\n  containers:\n  - name: redis\n    image: {{ .Values.image }}\n    imagePullPolicy: {{ .Values.pullPolicy }}\n",
		"other/charts/notasub/Chart.yaml":      "apiVersion: v2\nname: notasub\nversion: 1.0.0\n",
		"other/charts/notasub/templates/x.txt": "",
	})
	var charts []string
	for _, c := range Charts([]string{dir}) {
		rel, _ := filepath.Rel(dir, c)
		charts = append(charts, filepath.ToSlash(rel))
	}
	if want := []string{"other/charts/notasub", "web"}; !slices.Equal(charts, want) {
		t.Errorf("charts %v, want %v (subcharts in a chart's charts/ are rendered through it)", charts, want)
	}
	var got []string
	for _, f := range render(t, dir, Release{Name: "web"}).Findings {
		got = append(got, where(f))
	}
	want := []string{
		"seccomp-profile web/charts/cache/templates/pod.yaml:5 template [redis]",
		"read-only-root-filesystem web/charts/cache/templates/pod.yaml:7 template [redis]",
		// The parent's values override the subchart's.
		"image-pull-policy web/values.yaml:2 values [redis]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestValuesOutsideTheRepository renders a release with inline values (an
// Argo CD Application's, a HelmRelease's spec.values) between the values
// files: the fields they set are traced to no values file and refused as
// fix targets, while a values file after them is traced as any other.
func TestValuesOutsideTheRepository(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"web/Chart.yaml":                chartYAML,
		"web/values.yaml":               values,
		"web/templates/deployment.yaml": deployment,
		"env/prod.yaml":                 "image:\n  tag: \"1.28\"\n",
		"env/late.yaml":                 "seccomp:\n  enabled: false\n",
	})
	const from = "the inline values of Application argocd/web"
	inline := map[string]any{"image": map[string]any{"pullPolicy": "IfNotPresent"}, "hostNetwork": true}
	rel := Release{Name: "web", ValuesFiles: []string{filepath.Join(dir, "env/prod.yaml")}, Values: []Values{
		{Values: inline, From: from},
		{File: filepath.Join(dir, "env/late.yaml")},
	}}
	res, err := Render(filepath.Join(dir, "web"), rel, Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	if inline["image"].(map[string]any)["pullPolicy"] != "IfNotPresent" || len(inline) != 2 {
		t.Errorf("the caller's values changed: %v", inline)
	}
	rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{res.File}}, scanner.Options{
		Only: []string{"image-pull-policy", "host-network", "seccomp-profile", "read-only-root-filesystem"},
	})
	tests := []struct {
		control, container string
		where              string // file:line
		traceErr           string // "" when Trace finds a values file
	}{
		// Set inline: at the object in its template, not at values.yaml's
		// image.pullPolicy (line 4) or hostNetwork (line 5), which the
		// inline values override.
		{"image-pull-policy", "web", "web/templates/deployment.yaml:3", "set by " + from + " (image.pullPolicy), not in this repository: fix it there"},
		{"host-network", "", "web/templates/deployment.yaml:3", "set by " + from + " (hostNetwork), not in this repository: fix it there"},
		// A values file after the inline values is the repository's.
		{"seccomp-profile", "web", "env/late.yaml:2", ""},
		// A new key of a mapping only the repository sets.
		{"read-only-root-filesystem", "web", "web/values.yaml:9", ""},
	}
	for _, tt := range tests {
		var f *scanner.Finding
		for i := range rep.Findings {
			if rep.Findings[i].Control == tt.control && rep.Findings[i].Container == tt.container {
				f = &rep.Findings[i]
			}
		}
		if f == nil {
			t.Errorf("no %s finding [%s]", tt.control, tt.container)
			continue
		}
		if got := fmt.Sprintf("%s:%d", f.File, f.Line); got != tt.where {
			t.Errorf("%s at %s, want %s", tt.control, got, tt.where)
		}
		ws, err := res.File.Rendered.Map.(*sourceMap).Trace(f.Resource, f.FieldPath.Pointer())
		switch {
		case tt.traceErr == "" && err != nil:
			t.Errorf("Trace(%s): %v", tt.control, err)
		case tt.traceErr == "" && (len(ws) == 0 || ws[0].File.Path+":"+fmt.Sprint(ws[0].Line) != tt.where):
			t.Errorf("Trace(%s) = %+v, want %s", tt.control, ws, tt.where)
		case tt.traceErr != "" && (err == nil || err.Error() != tt.traceErr):
			t.Errorf("Trace(%s) = %v, %v; want the error %q", tt.control, ws, err, tt.traceErr)
		}
	}
	// The render for verification keeps the inline values.
	again, err := res.File.Rendered.Map.(*sourceMap).Rerender(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(again.Bytes, []byte("imagePullPolicy: IfNotPresent")) || !bytes.Contains(again.Bytes, []byte("hostNetwork: true")) ||
		!bytes.Contains(again.Bytes, []byte(`image: "nginx:1.28"`)) {
		t.Errorf("re-render lost values:\n%s", again.Bytes)
	}
}

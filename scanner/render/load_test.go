package render

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/internal/testfiles"
	"github.com/remedy-bot/remedy/scanner"
)

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
`

// files returns the names of the loaded files, rendered ones included.
func files(in *scanner.Inputs) []string {
	var out []string
	for _, f := range in.Files {
		out = append(out, f.Path)
	}
	return out
}

func TestLoadScansWhatIsDeployedOnce(t *testing.T) {
	dir := testfiles.WriteTree(t, map[string]string{
		"base/kustomization.yaml": "resources:\n- deployment.yaml\n",
		"base/deployment.yaml":    deployment,
		"dev/kustomization.yaml":  "resources:\n- ../base\npatches:\n- path: patch.yaml\n",
		// A patch is not a whole object: scanned on its own it would fail
		// every control.
		"dev/patch.yaml":                 "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
		"prod/kustomization.yaml":        "resources:\n- ../base\n",
		"plain/job.yaml":                 "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: once\nspec:\n  template:\n    spec:\n      containers:\n      - name: x\n        image: busybox:1.36\n",
		"chart/Chart.yaml":               "apiVersion: v2\nname: chart\nversion: 1.0.0\n",
		"chart/values.yaml":              "policy: IfNotPresent\n",
		"chart/templates/pod.yaml":       "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: p\n    image: busybox:1.36\n    imagePullPolicy: {{ .Values.policy }}\n",
		"chart/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: static\n",
	})
	in := Load(dir, []string{dir}, Options{})
	if len(in.Errors) > 0 {
		t.Fatalf("errors: %v", in.Errors)
	}
	want := []string{"plain/job.yaml", "chart (helm template chart)", "dev (kustomize build)", "prod (kustomize build)"}
	if got := files(in); !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	for _, s := range in.Skipped {
		if strings.HasPrefix(s.File, "chart/") {
			t.Errorf("skipped %s (%s): a rendered chart's templates are not skipped, they are rendered", s.File, s.Reason)
		}
	}
	rep := scanner.ScanInputs(in, scanner.Options{Only: []string{"image-pull-policy"}})
	var got []string
	for _, f := range rep.Findings {
		got = append(got, f.File)
	}
	// The base once (for both overlays), the chart's values, the plain Job.
	if want := []string{"base/deployment.yaml", "chart/values.yaml", "plain/job.yaml"}; !slices.Equal(got, want) {
		t.Errorf("findings in %v, want %v", got, want)
	}
}

func TestLoadReportsABrokenBuildAndScansTheRest(t *testing.T) {
	dir := testfiles.WriteTree(t, map[string]string{
		"bad/kustomization.yaml":  "resources:\n- missing.yaml\n",
		"good/kustomization.yaml": "resources:\n- deployment.yaml\n",
		"good/deployment.yaml":    deployment,
		"chart/Chart.yaml":        "apiVersion: v2\nname: chart\nversion: 1.0.0\ndependencies:\n- name: redis\n  version: 1.0.0\n",
	})
	in := Load(dir, []string{dir}, Options{})
	if len(in.Errors) != 2 {
		t.Fatalf("errors %v, want the broken kustomization and the chart's missing dependency", in.Errors)
	}
	if in.Errors[0].File != "bad/kustomization.yaml" || !strings.Contains(in.Errors[0].Message, "missing.yaml") {
		t.Errorf("error %v, want bad/kustomization.yaml naming missing.yaml", in.Errors[0])
	}
	if in.Errors[1].File != "chart/Chart.yaml" || !strings.Contains(in.Errors[1].Message, "dependency redis") {
		t.Errorf("error %v, want chart/Chart.yaml naming dependency redis", in.Errors[1])
	}
	if !slices.Contains(files(in), "good (kustomize build)") {
		t.Errorf("files %v: the good root was not built", files(in))
	}
}

func TestReleasesFromConfig(t *testing.T) {
	dir := testfiles.WriteTree(t, map[string]string{
		"charts/web/Chart.yaml":        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
		"charts/web/values.yaml":       "a: 1\n",
		"charts/web/values-prod.yaml":  "a: 2\n",
		"charts/api/Chart.yaml":        "apiVersion: v2\nname: api\nversion: 1.0.0\n",
		"charts/api/values-prod.yaml":  "a: 3\n",
		"charts/other/Chart.yaml":      "apiVersion: v2\nname: other\nversion: 1.0.0\n",
		"environments/prod/web.yaml":   "a: 4\n",
		"environments/staging/web.yml": "a: 5\n",
	})
	cfg := config.Helm{
		ValuesFiles: []string{"values-prod.yaml"},
		Releases: []config.Release{
			{Name: "web-prod", Namespace: "prod", Chart: "charts/web", ValuesFiles: []string{"environments/prod/web.yaml"}},
			{Name: "web-staging", Namespace: "staging", Chart: "charts/web/", ValuesFiles: []string{"../../environments/staging/web.yml"}},
		},
	}
	for _, tc := range []struct {
		chart string
		want  []string
	}{
		{"charts/web", []string{"web-prod prod [environments/prod/web.yaml]", "web-staging staging [environments/staging/web.yml]"}},
		{"charts/api", []string{"api  [charts/api/values-prod.yaml]"}},
		{"charts/other", []string{"other  []"}},
	} {
		rels, err := releasesOf(dir, dir, filepath.Join(dir, filepath.FromSlash(tc.chart)), cfg)
		if err != nil {
			t.Fatalf("%s: %v", tc.chart, err)
		}
		var got []string
		for _, r := range rels {
			var vf []string
			for _, v := range r.ValuesFiles {
				rel, _ := filepath.Rel(dir, v)
				vf = append(vf, filepath.ToSlash(rel))
			}
			got = append(got, r.Name+" "+r.Namespace+" ["+strings.Join(vf, " ")+"]")
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: releases %v, want %v", tc.chart, got, tc.want)
		}
	}
	_, err := releasesOf(dir, dir, filepath.Join(dir, "charts", "web"), config.Helm{Releases: []config.Release{{Name: "x", Chart: "charts/web", ValuesFiles: []string{"nope.yaml"}}}})
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("error %v, want one naming nope.yaml", err)
	}
}

func TestPlainLoadsAsWritten(t *testing.T) {
	dir := testfiles.WriteTree(t, map[string]string{
		"kustomization.yaml": "resources:\n- deployment.yaml\n",
		"deployment.yaml":    deployment,
	})
	in := Load(dir, []string{dir}, Options{Plain: true})
	if got, want := files(in), []string{"deployment.yaml", "kustomization.yaml"}; !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
}

// BenchmarkLoadDeployedCorpus loads and scans the whole real-world corpus
// as deployed: plain files, Kustomize builds and Helm renders, the way
// `remedy scan` does over a repository.
func BenchmarkLoadDeployedCorpus(b *testing.B) {
	root := testfiles.Shared(b, "fixtures", "manifests")
	b.ReportAllocs()
	for b.Loop() {
		in := Load(root, []string{root}, Options{})
		if len(in.Files) == 0 {
			b.Fatal("no files loaded")
		}
		scanner.ScanInputs(in, scanner.Options{})
	}
}

package kustomize

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/testfiles"
	"github.com/remedy-bot/remedy/scanner"
)

// scanRoots builds every root below dir and scans the outputs together.
func scanRoots(t testing.TB, dir string, only ...string) (*scanner.Report, []*Result) {
	t.Helper()
	var files []*scanner.SourceFile
	var results []*Result
	for _, root := range Roots([]string{dir}) {
		res, err := Build(root, Options{Root: dir})
		if err != nil {
			t.Fatalf("build %s: %v", root, err)
		}
		results = append(results, res)
		files = append(files, res.File)
	}
	return scanner.ScanInputs(&scanner.Inputs{Files: files}, scanner.Options{Only: only}), results
}

// where renders a finding as "control file:line source [roots]".
func where(f scanner.Finding) string {
	var roots []string
	for _, r := range f.Rendered {
		roots = append(roots, r.Root)
	}
	return fmt.Sprintf("%s %s:%d %s [%s]", f.Control, f.File, f.Line, f.Source, strings.Join(roots, " "))
}

const baseDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext:
          readOnlyRootFilesystem: true
`

const baseKustomization = `resources:
- deployment.yaml
`

func TestTraceFindingsToTheirSource(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		only  []string
		want  []string
	}{
		{
			name: "missing field in a base used by two overlays is reported once, at the base",
			files: map[string]string{
				"base/kustomization.yaml":   baseKustomization,
				"base/deployment.yaml":      baseDeployment,
				"dev/kustomization.yaml":    "resources:\n- ../base\nnamePrefix: dev-\n",
				"prod/kustomization.yaml":   "resources:\n- ../base\nnamespace: prod\n",
				"unused/kustomization.yaml": "resources: []\n",
			},
			only: []string{"image-pull-policy"},
			want: []string{"image-pull-policy base/deployment.yaml:9 resource [dev prod]"},
		},
		{
			name: "value set by an overlay's strategic-merge patch file",
			files: map[string]string{
				"base/kustomization.yaml": baseKustomization,
				"base/deployment.yaml":    baseDeployment,
				"prod/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: patch.yaml\n",
				"prod/patch.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        imagePullPolicy: IfNotPresent
        securityContext:
          readOnlyRootFilesystem: false
`,
			},
			only: []string{"image-pull-policy", "read-only-root-filesystem"},
			want: []string{
				"image-pull-policy prod/patch.yaml:10 patch [prod]",
				"read-only-root-filesystem prod/patch.yaml:12 patch [prod]",
			},
		},
		{
			name: "patchesStrategicMerge, inline and from a file",
			files: map[string]string{
				"base/kustomization.yaml": baseKustomization,
				"base/deployment.yaml":    baseDeployment,
				"prod/kustomization.yaml": `resources:
- ../base
patchesStrategicMerge:
- host.yaml
- |-
  apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
  spec:
    template:
      spec:
        hostPID: true
`,
				"prod/host.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      hostNetwork: true\n",
			},
			only: []string{"host-network", "host-pid"},
			want: []string{
				"host-network prod/host.yaml:8 patch [prod]",
				"host-pid prod/kustomization.yaml:13 patch [prod]",
			},
		},
		{
			name: "JSON 6902 patches: patchesJson6902 file and inline patches with a target",
			files: map[string]string{
				"base/kustomization.yaml": baseKustomization,
				"base/deployment.yaml":    baseDeployment,
				"prod/kustomization.yaml": `resources:
- ../base
patchesJson6902:
- target: {group: apps, version: v1, kind: Deployment, name: web}
  path: ops.yaml
patches:
- target:
    kind: Deployment
  patch: |-
    - op: add
      path: /spec/template/spec/containers/0/securityContext/privileged
      value: true
`,
				"prod/ops.yaml": "- op: add\n  path: /spec/template/spec/hostIPC\n  value: true\n",
			},
			only: []string{"host-ipc", "privileged"},
			want: []string{
				"privileged prod/kustomization.yaml:12 patch [prod]",
				"host-ipc prod/ops.yaml:3 patch [prod]",
			},
		},
		{
			name: "a component's patch, and a resource the component adds",
			files: map[string]string{
				"base/kustomization.yaml": baseKustomization,
				"base/deployment.yaml":    baseDeployment,
				"debug/kustomization.yaml": `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
resources:
- tools.yaml
patches:
- patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      template:
        spec:
          containers:
          - name: web
            securityContext:
              allowPrivilegeEscalation: true
`,
				"debug/tools.yaml":        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: tools\nspec:\n  hostPID: true\n  containers:\n  - name: sh\n    image: busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
				"prod/kustomization.yaml": "resources:\n- ../base\ncomponents:\n- ../debug\n",
			},
			only: []string{"no-privilege-escalation", "host-pid"},
			want: []string{
				"no-privilege-escalation debug/kustomization.yaml:17 patch [prod]",
				"host-pid debug/tools.yaml:6 resource [prod]",
				"no-privilege-escalation debug/tools.yaml:8 resource [prod]",
			},
		},
		{
			name: "images: a new tag is traced to the images entry; a digest makes image-pull-policy pass",
			files: map[string]string{
				"base/kustomization.yaml": baseKustomization,
				"base/deployment.yaml":    strings.Replace(baseDeployment, "nginx:1.27", "nginx", 1),
				"dev/kustomization.yaml":  "resources:\n- ../base\nimages:\n- name: nginx\n  newTag: latest\n",
				"prod/kustomization.yaml": "resources:\n- ../base\nimages:\n- name: nginx\n  digest: sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac\n",
			},
			only: []string{"image-tag", "image-pull-policy"},
			want: []string{"image-tag dev/kustomization.yaml:4 kustomization [dev]"},
		},
		{
			name: "namespace: set by the overlay's kustomization",
			files: map[string]string{
				"base/kustomization.yaml": baseKustomization,
				"base/deployment.yaml":    baseDeployment,
				"prod/kustomization.yaml": "resources:\n- ../base\nnamespace: default\nnameSuffix: -v2\n",
			},
			only: []string{"default-namespace"},
			want: []string{"default-namespace prod/kustomization.yaml:3 kustomization [prod]"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := testfiles.WriteTree(t, tc.files)
			rep, _ := scanRoots(t, dir, tc.only...)
			var got []string
			for _, f := range rep.Findings {
				got = append(got, where(f))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestFindingsNameTheObjectAsWrittenAndAsDeployed(t *testing.T) {
	dir := testfiles.WriteTree(t, map[string]string{
		"base/kustomization.yaml": baseKustomization,
		"base/deployment.yaml":    baseDeployment,
		"prod/kustomization.yaml": "resources:\n- ../base\nnamespace: shop\nnamePrefix: prod-\nnameSuffix: -v2\n",
	})
	rep, _ := scanRoots(t, dir, "image-pull-policy")
	if len(rep.Findings) != 1 {
		t.Fatalf("got %d findings, want 1", len(rep.Findings))
	}
	f := rep.Findings[0]
	if f.Kind != "Deployment" || f.Namespace != "" || f.Name != "web" {
		t.Errorf("object %s/%s/%s, want Deployment//web as written in base/deployment.yaml", f.Kind, f.Namespace, f.Name)
	}
	want := scanner.RenderedBy{Tool: scanner.ToolKustomize, Root: "prod", Namespace: "shop", Name: "prod-web-v2"}
	if len(f.Rendered) != 1 || f.Rendered[0] != want {
		t.Errorf("rendered %+v, want %+v", f.Rendered, want)
	}
}

func TestIgnoreDirectivesInSourcesApply(t *testing.T) {
	dir := testfiles.WriteTree(t, map[string]string{
		"base/kustomization.yaml": baseKustomization,
		"base/deployment.yaml":    strings.Replace(baseDeployment, "      - name: web\n", "      # remedy:ignore image-pull-policy the registry is a local mirror\n      - name: web\n", 1),
		"prod/kustomization.yaml": "resources:\n- ../base\n",
	})
	rep, _ := scanRoots(t, dir, "image-pull-policy")
	if len(rep.Findings) != 1 || !rep.Findings[0].Suppressed || rep.Findings[0].Reason != "the registry is a local mirror" {
		t.Errorf("findings %+v, want one suppressed with the directive's reason", rep.Findings)
	}
}

func TestBuildReportsWhatItCannotDo(t *testing.T) {
	for _, tc := range []struct {
		name    string
		files   map[string]string
		wantErr string
		skipped string
	}{
		{
			name: "remote base is skipped with its URL; the rest is built",
			files: map[string]string{
				"base/kustomization.yaml": baseKustomization,
				"base/deployment.yaml":    baseDeployment,
				"prod/kustomization.yaml": "resources:\n- ../base\n- https://github.com/acme/platform//monitoring?ref=v1.2.0\n",
			},
			skipped: "remote base https://github.com/acme/platform//monitoring?ref=v1.2.0 is not fetched (line 3)",
		},
		{
			name: "missing resource file",
			files: map[string]string{
				"prod/kustomization.yaml": "resources:\n- deployment.yaml\n",
			},
			wantErr: "kustomize build prod:",
		},
		{
			name: "base outside the repository",
			files: map[string]string{
				"prod/kustomization.yaml": "resources:\n- ../../../../../../../../etc\n",
			},
			wantErr: "kustomize build prod:",
		},
		{
			name: "exec plugin",
			files: map[string]string{
				"prod/kustomization.yaml": "generators:\n- gen.yaml\n",
				"prod/gen.yaml":           "apiVersion: acme.io/v1\nkind: Generate\nmetadata:\n  name: g\n  annotations:\n    config.kubernetes.io/function: |\n      exec:\n        path: ./gen.sh\n",
			},
			wantErr: "kustomize build prod:",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := testfiles.WriteTree(t, tc.files)
			res, err := Build(filepath.Join(dir, "prod"), Options{Root: dir})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, tc.skipped) || res.Skipped[0].File != "prod/kustomization.yaml" {
				t.Errorf("skipped %+v, want prod/kustomization.yaml: %q", res.Skipped, tc.skipped)
			}
		})
	}
}

func TestRootsLeaveOutBasesAndComponents(t *testing.T) {
	dir := testfiles.WriteTree(t, map[string]string{
		"base/kustomization.yaml":      baseKustomization,
		"base/deployment.yaml":         baseDeployment,
		"comp/kustomization.yaml":      "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
		"dev/kustomization.yml":        "resources:\n- ../base\ncomponents:\n- ../comp\n",
		"prod/Kustomization":           "resources:\n- ../base\n",
		"vendor/x/kustomization.yaml":  "resources: []\n",
		"standalone/kustomization.yml": "resources: []\n",
	})
	var got []string
	for _, r := range Roots([]string{dir}) {
		rel, _ := filepath.Rel(dir, r)
		got = append(got, filepath.ToSlash(rel))
	}
	want := []string{"dev", "prod", "standalone"}
	if !slices.Equal(got, want) {
		t.Errorf("roots %v, want %v", got, want)
	}
}

func TestConsumedFilesAndOutputHaveNoMarkers(t *testing.T) {
	dir := testfiles.WriteTree(t, map[string]string{
		"base/kustomization.yaml": baseKustomization,
		"base/deployment.yaml":    baseDeployment,
		"base/unused.yaml":        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
		"prod/kustomization.yaml": "resources:\n- ../base\npatches:\n- path: p.yaml\n",
		"prod/p.yaml":             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n",
	})
	res, err := Build(filepath.Join(dir, "prod"), Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Consumed {
		rel, _ := filepath.Rel(dir, p)
		got = append(got, filepath.ToSlash(rel))
	}
	want := []string{"base/deployment.yaml", "base/kustomization.yaml", "prod/kustomization.yaml", "prod/p.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("consumed %v, want %v", got, want)
	}
	out := string(res.File.Bytes)
	if strings.Contains(out, "remedy") || strings.Contains(out, originAnnotation) {
		t.Errorf("output carries remedy's markers:\n%s", out)
	}
	if !strings.Contains(out, "replicas: 2") {
		t.Errorf("output lacks the patch:\n%s", out)
	}
}

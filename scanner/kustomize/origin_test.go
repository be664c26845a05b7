package kustomize

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/testfiles"
	"github.com/remedy-bot/remedy/scanner"
)

// TestOriginMarkersTraceAsKustomizeOrigins builds every root twice, with
// remedy's origin markers and with kustomize's origin annotations, and
// wants the same output, byte for byte, and the same findings at the same
// lines of the same sources.
func TestOriginMarkersTraceAsKustomizeOrigins(t *testing.T) {
	type tree struct{ root, dir string }
	trees := []tree{}
	for _, files := range []map[string]string{
		{
			"base/kustomization.yaml": baseKustomization,
			"base/deployment.yaml":    baseDeployment,
			"base/more.yaml":          "# two objects, one annotated\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: web\n  annotations:\n    team: \"a\"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  labels: {app: web2}\n  name: web2\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n",
			"dev/kustomization.yaml":  "resources:\n- ../base\n- ../base/more.yaml\nnamePrefix: dev-\nnameSuffix: -x\n",
			"prod/kustomization.yaml": "resources:\n- ../base\nnamespace: prod\ncommonAnnotations:\n  owner: me\npatches:\n- path: p.yaml\n- target: {kind: Deployment}\n  patch: |-\n    - op: add\n      path: /metadata/annotations/patched\n      value: \"yes\"\n",
			"prod/p.yaml":             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        securityContext:\n          privileged: true\n",
		},
		{
			// Comments where the marker goes, a component, a generator
			// (which makes the build ask kustomize for origins).
			"app/kustomization.yaml":  "resources:\n- web.yaml\ncomponents:\n- ../comp\n",
			"app/web.yaml":            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  # the name\n  name: web\n  annotations:\n    # why\n    a: b\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx\n",
			"comp/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources:\n- extra.yaml\npatches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          hostNetwork: true\n",
			"comp/extra.yaml":         "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n",
			"gen/kustomization.yaml":  "resources:\n- ../app\nconfigMapGenerator:\n- name: c\n  literals: [a=b]\n",
		},
	} {
		dir := testfiles.WriteTree(t, files)
		// Every kustomization, bases too, but components.
		for name, content := range files {
			if filepath.Base(name) == "kustomization.yaml" && !strings.Contains(content, "kind: Component") {
				trees = append(trees, tree{filepath.Join(dir, filepath.Dir(name)), dir})
			}
		}
	}
	corpus := filepath.Join(testfiles.ModuleRoot(t), "..", "shared", "fixtures", "manifests")
	if _, err := os.Stat(corpus); err == nil && !testing.Short() {
		for _, r := range Roots([]string{corpus}) {
			trees = append(trees, tree{r, corpus})
		}
	}
	marked := 0
	for _, tr := range trees {
		withMarkers, err1 := Build(tr.root, Options{Root: tr.dir})
		withOrigins, err2 := Build(tr.root, Options{Root: tr.dir, kustomizeOrigins: true})
		if (err1 == nil) != (err2 == nil) {
			t.Errorf("%s: errors differ: %v, %v", tr.root, err1, err2)
			continue
		}
		if err1 != nil {
			continue
		}
		if got, want := string(withMarkers.File.Bytes), string(withOrigins.File.Bytes); got != want {
			t.Errorf("%s: output with markers\n%s\nwant, with kustomize's origins,\n%s", tr.root, got, want)
		}
		got, want := traced(withMarkers), traced(withOrigins)
		if !slices.Equal(got, want) {
			t.Errorf("%s: findings with markers\n%v\nwant, with kustomize's origins,\n%v", tr.root, got, want)
		}
		b, err := newBuilder(tr.root, Options{Root: tr.dir})
		if err != nil {
			t.Fatal(err)
		}
		if b.visit(b.dir, 0) == nil {
			if _, _, ok := b.markOrigins(); ok {
				marked++
			}
		}
	}
	if marked == 0 {
		t.Error("no build used origin markers")
	}
}

// traced lists the findings of a build with where they are traced to.
func traced(res *Result) []string {
	rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{res.File}}, scanner.Options{})
	var out []string
	for _, f := range rep.Findings {
		out = append(out, where(f)+" "+f.Path+" "+f.Kind+"/"+f.Name)
	}
	return out
}

func TestMarkFile(t *testing.T) {
	const key = originMarkerPrefix + "0"
	for _, tc := range []struct {
		name, in, want string
		ok             bool
	}{
		{
			name: "annotations added before the first metadata key",
			in:   "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
			want: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations:\n    " + key + ": \"\"\n  name: a\n",
			ok:   true,
		},
		{
			name: "into existing annotations, every document, at its indentation",
			in:   "kind: A\nmetadata:\n    annotations:\n        x: y\n    name: a\n---\n# c\nkind: B\nmetadata:\n  name: b\n",
			want: "kind: A\nmetadata:\n    annotations:\n        " + key + ": \"\"\n        x: y\n    name: a\n---\n# c\nkind: B\nmetadata:\n  annotations:\n    " + key + ": \"\"\n  name: b\n",
			ok:   true,
		},
		{name: "flow metadata", in: "kind: A\nmetadata: {name: a}\n"},
		{name: "flow annotations", in: "kind: A\nmetadata:\n  annotations: {x: y}\n  name: a\n"},
		{name: "empty annotations", in: "kind: A\nmetadata:\n  annotations:\n  name: a\n"},
		{name: "a list", in: "kind: List\nmetadata:\n  name: a\nitems: []\n"},
		{name: "an alias", in: "kind: A\nmetadata: &m\n  name: a\nspec:\n  m: *m\n"},
		{name: "no kind", in: "metadata:\n  name: a\n"},
		{name: "CRLF", in: "kind: A\r\nmetadata:\r\n  name: a\r\n"},
		{name: "JSON", in: `{"kind": "A", "metadata": {"name": "a"}}`},
		{name: "key not first on its line", in: "kind: A\nmetadata:\n  ? name\n  : a\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, errs := scanner.ParseFile("f.yaml", []byte(tc.in))
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			got, ok := markFile(f, lineStarts(f.Bytes), key)
			if ok != tc.ok || string(got) != tc.want {
				t.Errorf("markFile = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
			if ok {
				if _, errs := scanner.ParseFile("f.yaml", got); len(errs) > 0 {
					t.Errorf("marked file does not parse: %v", errs)
				}
			}
		})
	}
}

func TestReplacesAnnotations(t *testing.T) {
	for _, tc := range []struct {
		p    patchEntry
		want bool
	}{
		{patchEntry{json: true, text: `[{"op": "add", "path": "/metadata/annotations/a", "value": "b"}]`}, false},
		{patchEntry{json: true, text: `[{"op": "add", "path": "/metadata/annotations", "value": {}}]`}, true},
		{patchEntry{json: true, text: "- op: remove\n  path: /metadata/annotations\n"}, true},
		{patchEntry{json: true, text: "- op: replace\n  path: /metadata\n  value: {name: a}\n"}, true},
		{patchEntry{json: true, text: "- op: replace\n  path: /spec/replicas\n  value: 2\n"}, false},
		{patchEntry{text: "metadata:\n  annotations:\n    $patch: replace\n"}, true},
		{patchEntry{text: "spec:\n  template:\n    spec:\n      containers:\n      - name: a\n        $patch: delete\n"}, false},
	} {
		if got := replacesAnnotations(&tc.p); got != tc.want {
			t.Errorf("replacesAnnotations(%q) = %v, want %v", tc.p.text, got, tc.want)
		}
	}
}

func TestMentions(t *testing.T) {
	for _, tc := range []struct {
		text string
		want int
	}{
		{"resources:\n- web.yaml\n", 1},
		{"resources:\n- ../base/web.yaml\n- new-web.yaml\n- web.yaml.bak\n", 1},
		{"configMapGenerator:\n- name: c\n  files:\n  - conf=web.yaml\n", 1},
		{"resources: [web.yaml, \"web.yaml\"]", 2},
		{"web.yaml", 1},
	} {
		if got := mentions([]byte(tc.text), []byte("web.yaml")); got != tc.want {
			t.Errorf("mentions(%q) = %d, want %d", tc.text, got, tc.want)
		}
	}
}

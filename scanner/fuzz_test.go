package scanner

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/remedy-bot/remedy/internal/testfiles"
)

// fuzzSeeds are the shapes of the corpus in miniature: multi-document files,
// licence headers, CRLF, a byte order mark, lists, JSON, anchors and merge
// keys, templates, and broken YAML.
var fuzzSeeds = []string{
	configMapA + "---\n" + configMapB,
	"# Copyright 2024\n\n--- \n" + configMapA + "--- # next\n" + configMapB + "...\n",
	"\xef\xbb\xbfapiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: web\r\nspec:\r\n  containers:\r\n  - name: web\r\n    image: nginx:1.27\r\n",
	`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web # remedy:ignore image-tag,privileged reviewed
  namespace: default
spec:
  template:
    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/web: unconfined
    spec:
      hostNetwork: true
      securityContext: &sc
        runAsUser: 0
      containers:
      - name: web
        image: nginx
        securityContext:
          <<: *sc
          privileged: true
          capabilities: {add: [NET_ADMIN], drop: [ALL]}
        env:
        - {name: DB_PASSWORD, value: hunter2}
        ports:
        - {containerPort: 80, hostPort: 80}
      volumes:
      - name: root
        hostPath: {path: /}
`,
	"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: a}\n  spec: {containers: [{name: a, image: x}]}\n",
	"apiVersion: apps/v1\nkind: DaemonSetList\nitems:\n- metadata: {name: a}\n  spec: {template: {spec: {containers: [{name: a}]}}}\n",
	`{"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "busybox"}]}}}}}}`,
	"apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules:\n- apiGroups: ['*']\n  resources: [secrets, pods]\n  verbs: [get, create]\n",
	"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
	"a: 1\n  b: [\n---\nkind: x\nkind: y\n",
	"a: &a [*a]\n",
	"%YAML 1.1\n---\na: b\n",
	"a: 1\rb: 2\r",
	"apiVersion: v1\u2028kind: Pod\u2029metadata: {name: p}\nspec: {containers: [{name: a}]}\n",
}

// FuzzParseFile checks that no input makes the loader or a control panic,
// and that every error names a line of the file.
func FuzzParseFile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	// A few real files, when the shared corpus is there.
	if dir := filepath.Join(testfiles.ModuleRoot(f), "..", "shared", "fixtures", "manifests"); dirExists(dir) {
		for _, name := range []string{
			"microservices-demo/release/kubernetes-manifests.yaml",
			"podinfo/deploy/bases/backend/deployment.yaml",
			"istio-samples/samples/security/spire/clusterspiffeid.yaml",
		} {
			if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, content []byte) {
		file, errs := ParseFile("fuzz.yaml", content)
		lines := lineCount(content)
		for _, e := range errs {
			if e.File != "fuzz.yaml" || e.Line < 1 || e.Line > lines {
				t.Errorf("error %q: want file fuzz.yaml and a line within 1..%d", e.Error(), lines)
			}
		}
		at := 0
		for _, d := range file.Docs {
			if d.Start < at || d.End < d.Start || d.End > len(content) {
				t.Fatalf("document %d spans [%d, %d) after %d in %d bytes", d.Index, d.Start, d.End, at, len(content))
			}
			at = d.End
			for _, r := range d.Resources() {
				if l := r.Node.YNode().Line; l < d.StartLine || l > lines {
					t.Errorf("%s at line %d: want a line of its document, %d..%d", r.ID(), l, d.StartLine, lines)
				}
			}
		}
		rep := ScanInputs(&Inputs{Files: []*SourceFile{file}}, Options{})
		for _, f := range rep.Findings {
			if f.Line < 1 || f.Line > lines {
				t.Errorf("finding %s at line %d: want a line within 1..%d", f.Control, f.Line, lines)
			}
		}
	})
}

func dirExists(dir string) bool {
	info, err := os.Stat(dir)
	return err == nil && info.IsDir()
}

package kustomize

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/openapi"

	"github.com/remedy-bot/remedy/internal/testfiles"
	"github.com/remedy-bot/remedy/scanner"
)

// itemSchema is a custom OpenAPI schema (a kustomization's `openapi:
// {path: ...}`) giving MyKind's spec.items a strategic-merge key, so that
// a patch of one item merges into the list instead of replacing it.
const itemSchema = `{
  "definitions": {
    "v1alpha1.MyKind": {
      "type": "object",
      "properties": {
        "apiVersion": {"type": "string"},
        "kind": {"type": "string"},
        "metadata": {"type": "object"},
        "spec": {
          "type": "object",
          "properties": {
            "items": {
              "type": "array",
              "items": {"$ref": "#/definitions/v1alpha1.Item"},
              "x-kubernetes-patch-merge-key": "name",
              "x-kubernetes-patch-strategy": "merge"
            }
          }
        }
      },
      "x-kubernetes-group-version-kind": [{"group": "example.com", "kind": "MyKind", "version": "v1alpha1"}]
    },
    "v1alpha1.Item": {
      "type": "object",
      "properties": {"name": {"type": "string"}, "value": {"type": "string"}}
    }
  }
}
`

const myKind = `apiVersion: example.com/v1alpha1
kind: MyKind
metadata:
  name: thing
spec:
  items:
  - name: a
    value: "1"
  - name: b
    value: "2"
`

const myKindPatch = `apiVersion: example.com/v1alpha1
kind: MyKind
metadata:
  name: thing
spec:
  items:
  - name: a
    value: patched
`

// concurrentTree is a repository of kustomization roots that read
// kustomize's process-wide OpenAPI schema (strategic merges, namespaced
// kinds) and, in `schema/`, set it.
func concurrentTree(t *testing.T) string {
	t.Helper()
	files := map[string]string{
		"base/deployment.yaml":        baseDeployment,
		"base/kustomization.yaml":     baseKustomization,
		"schema/thing.yaml":           myKind,
		"schema/patch.yaml":           myKindPatch,
		"schema/schema.json":          itemSchema,
		"schema/kustomization.yaml":   "openapi:\n  path: schema.json\nresources:\n- thing.yaml\npatches:\n- path: patch.yaml\n",
		"noschema/thing.yaml":         myKind,
		"noschema/patch.yaml":         myKindPatch,
		"noschema/kustomization.yaml": "resources:\n- thing.yaml\npatches:\n- path: patch.yaml\n",
	}
	for _, name := range []string{"a", "b", "c", "d"} {
		files["overlay-"+name+"/kustomization.yaml"] = "namespace: ns-" + name + "\nnamePrefix: " + name + "-\nresources:\n- ../base\n- role.yaml\n" +
			"patches:\n- patch: |-\n    apiVersion: apps/v1\n    kind: Deployment\n    metadata:\n      name: web\n    spec:\n      template:\n        spec:\n          containers:\n          - name: web\n            securityContext:\n              privileged: true\n" +
			"images:\n- name: nginx\n  newTag: \"1.28\"\n"
		files["overlay-"+name+"/role.yaml"] = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n---\napiVersion: example.com/v1alpha1\nkind: Unknown\nmetadata:\n  name: custom\n"
	}
	return testfiles.WriteTree(t, files)
}

// TestConcurrentBuilds builds roots in parallel, a root that sets a custom
// OpenAPI schema among them, and wants each output byte for byte what the
// root builds on its own: builds that share kustomize's schema do not race
// on it (run with -race), and a custom schema neither leaks into the other
// builds nor is lost to them. The parallel builds share resolved paths and
// parsed sources, as those of one scan do.
func TestConcurrentBuilds(t *testing.T) {
	dir := concurrentTree(t)
	roots := Roots([]string{dir})
	// And the real-world corpus's roots, when it is there.
	corpus := filepath.Join(testfiles.ModuleRoot(t), "..", "shared", "fixtures", "manifests")
	if _, err := os.Stat(corpus); err == nil && !testing.Short() {
		roots = append(roots, Roots([]string{corpus})...)
	}
	rootOf := func(r string) string {
		if strings.HasPrefix(r, dir) {
			return dir
		}
		return corpus
	}
	// One at a time: what each root builds to, or the error it fails with.
	want := map[string]string{}
	for _, r := range roots {
		want[r] = buildOutput(r, rootOf(r), Options{})
	}
	// The custom schema made the difference it should.
	if got := want[filepath.Join(dir, "schema")]; !strings.Contains(got, "name: b") {
		t.Fatalf("with the custom schema the patch should merge into the list, got\n%s", got)
	}
	if got := want[filepath.Join(dir, "noschema")]; strings.Contains(got, "name: b") {
		t.Fatalf("without the custom schema the patch should replace the list, got\n%s", got)
	}
	// All at once, each root several times, in different orders, starting
	// with kustomize's schema unparsed, as the first builds of a process do.
	openapi.ResetOpenAPI()
	shared := Options{RealPaths: &scanner.RealPaths{}, Sources: &Sources{}}
	const rounds = 3
	got := make([][]string, rounds)
	var wg sync.WaitGroup
	for round := range rounds {
		got[round] = make([]string, len(roots))
		for i := range roots {
			wg.Go(func() {
				j := (i + round*7) % len(roots)
				got[round][j] = buildOutput(roots[j], rootOf(roots[j]), shared)
			})
		}
	}
	wg.Wait()
	for round := range rounds {
		for i, r := range roots {
			if got[round][i] != want[r] {
				t.Errorf("round %d, %s: built in parallel\n%s\nwant, as built alone,\n%s", round, r, got[round][i], want[r])
			}
		}
	}
}

// buildOutput is a root's build output, or its error; opts gives what the
// build shares with others.
func buildOutput(dir, root string, opts Options) string {
	opts.Root = root
	res, err := Build(dir, opts)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(res.File.Bytes)
}

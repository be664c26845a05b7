package hcledit

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2/hclwrite"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestEdit applies operations to real-shaped regions and compares with
// golden files (testdata/<name>.golden holds the input, the operations and
// the output): 4-space files stay 4-space, fmt-clean files stay clean.
func TestEdit(t *testing.T) {
	pod4 := "resource \"kubernetes_pod_v1\" \"p\" {\n    metadata {\n        name = \"p\"\n    }\n    spec {\n        container {\n            name  = \"c\"\n            image = \"nginx:1.27\" # pinned\n            security_context {}\n        }\n    }\n}\n"
	dep := "resource \"kubernetes_deployment\" \"d\" {\n  spec {\n    template {\n      spec {\n        container {\n          name = \"c\"\n          security_context {\n            privileged = true\n            capabilities {\n              add = [\n                \"NET_ADMIN\",\n                \"SYS_ADMIN\",\n              ]\n            }\n          }\n          resources {\n            limits = {\n              cpu = \"1\"\n            }\n          }\n        }\n      }\n    }\n  }\n}\n"
	manifest := "resource \"kubernetes_manifest\" \"m\" {\n  manifest = {\n    apiVersion = \"v1\"\n    kind       = \"Pod\"\n    spec = {\n      hostNetwork = true\n      containers = [\n        {\n          name  = \"c\"\n          image = \"nginx\"\n        },\n      ]\n    }\n  }\n}\n"
	for _, tc := range []struct {
		name string
		src  string
		ops  []Op
	}{
		{"four-space-empty-block", pod4, []Op{
			{Op: "add", Path: "/spec/containers/0/securityContext/readOnlyRootFilesystem", Value: true},
			{Op: "add", Path: "/spec/containers/0/imagePullPolicy", Value: "Always"},
			{Op: "add", Path: "/spec/securityContext", Value: map[string]any{"seccompProfile": map[string]any{"type": "RuntimeDefault"}, "runAsNonRoot": true}},
		}},
		{"replace-remove-merge", dep, []Op{
			{Op: "replace", Path: "/spec/template/spec/containers/0/securityContext/privileged", Value: false},
			{Op: "remove", Path: "/spec/template/spec/containers/0/securityContext/capabilities/add/1"},
			{Op: "add", Path: "/spec/template/spec/containers/0/securityContext/capabilities/drop", Value: []any{"ALL"}},
			{Op: "add", Path: "/spec/template/spec/containers/0/resources/limits/memory", Value: "512Mi"},
			{Op: "add", Path: "/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation", Value: false},
		}},
		{"manifest", manifest, []Op{
			{Op: "replace", Path: "/spec/hostNetwork", Value: false},
			{Op: "add", Path: "/spec/containers/0/securityContext", Value: map[string]any{"runAsNonRoot": true}},
		}},
		{"tfvars", "# prod\nprivileged = true\ncaps       = [\"NET_ADMIN\", \"SYS_TIME\"]\n", []Op{
			{Op: "replace", Path: "/privileged", Value: false},
			{Op: "remove", Path: "/caps/0"},
			{Op: "add", Path: "/pull_policy", Value: "Always"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Edit([]byte(tc.src), tc.ops)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Equal(hclwrite.Format([]byte(tc.src)), []byte(tc.src)) && !bytes.Equal(hclwrite.Format(out), out) {
				t.Errorf("no longer fmt-clean:\n%s", out)
			}
			var b strings.Builder
			b.WriteString("# input\n" + tc.src + "# ops\n")
			for _, op := range tc.ops {
				b.WriteString(op.Op + " " + op.Path + "\n")
			}
			b.WriteString("# output\n" + string(out))
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				_ = os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if string(want) != b.String() {
				t.Errorf("got:\n%s\nwant:\n%s", b.String(), want)
			}
		})
	}
}

// TestEditRefuses: what cannot be edited safely is refused, not guessed.
func TestEditRefuses(t *testing.T) {
	for _, tc := range []struct{ src, path string }{
		{"resource \"kubernetes_pod\" \"p\" {\n  spec {\n    dynamic \"container\" {\n      for_each = var.c\n      content {}\n    }\n  }\n}\n", "/spec/containers/0/image"},
		{"resource \"kubernetes_pod\" \"p\" {\n  spec { host_pid = true }\n}\n", "/spec/hostNetwork"},
		{"x = [\n  \"a\", # keep\n  \"b\",\n]\n", "/x/0"},
	} {
		if out, err := Edit([]byte(tc.src), []Op{{Op: "add", Path: tc.path, Value: false}}); err == nil {
			t.Errorf("%s: edited:\n%s", tc.path, out)
		}
	}
}

// FuzzEdit: arbitrary regions and paths never panic, and an accepted edit
// parses.
func FuzzEdit(f *testing.F) {
	f.Add("resource \"kubernetes_pod\" \"p\" {\n  spec {\n    container {\n      name = \"c\"\n    }\n  }\n}\n", "/spec/containers/0/securityContext/privileged")
	f.Add("a = 1\nb = { c = [1, 2] }\n", "/b/c/1")
	f.Add("resource \"kubernetes_manifest\" \"m\" {\n  manifest = { spec = {} }\n}\n", "/spec/x")
	f.Fuzz(func(t *testing.T, src, path string) {
		for _, op := range []string{"add", "replace", "remove"} {
			out, err := Edit([]byte(src), []Op{{Op: op, Path: path, Value: map[string]any{"runAsNonRoot": true}}})
			if err == nil {
				if _, perr := parse(out); perr != nil {
					t.Fatalf("accepted edit does not parse: %v\n%s", perr, out)
				}
			}
		}
	})
}

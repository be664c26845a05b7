package scanner

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/internal/testfiles"
)

// objectsOf renders the resources of f as "Kind/name:line", line being the
// file line of the object's first key.
func objectsOf(f *SourceFile) []string {
	var out []string
	for _, d := range f.Docs {
		for _, r := range d.Resources() {
			out = append(out, fmt.Sprintf("%s:%d", r.ID(), r.Node.YNode().Line))
		}
	}
	return out
}

// errorsOf renders errors as "line: message".
func errorsOf(errs []FileError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, fmt.Sprintf("%d: %s", e.Line, e.Message))
	}
	return out
}

func startLines(f *SourceFile) []int {
	var out []int
	for _, d := range f.Docs {
		out = append(out, d.StartLine)
	}
	return out
}

const (
	configMapA = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"
	configMapB = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"
)

// billionLaughs is the classic alias bomb: nine levels of nine aliases
// stand for 9^9 nodes.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\ndata:\n")
	b.WriteString(`  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
	for c := 'b'; c <= 'i'; c++ {
		prev := string(c - 1)
		fmt.Fprintf(&b, "  %c: &%c [%s]\n", c, c, strings.TrimSuffix(strings.Repeat("*"+prev+",", 9), ","))
	}
	return b.String()
}

// nestedMappings returns a document nested depth mappings deep.
func nestedMappings(depth int) string {
	var b strings.Builder
	for i := range depth {
		b.WriteString(strings.Repeat(" ", i) + "a:\n")
	}
	return b.String()
}

func TestParseFile(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		docs    []int // StartLine of each document
		objects []string
		errors  []string
	}{
		{
			name:    "one document",
			in:      configMapA,
			docs:    []int{1},
			objects: []string{"ConfigMap/a:1"},
		},
		{
			name:    "two documents",
			in:      configMapA + "---\n" + configMapB,
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:6"},
		},
		{
			name:    "separator with a trailing space",
			in:      configMapA + "--- \n" + configMapB,
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:6"},
		},
		{
			name:    "separator with a trailing tab",
			in:      configMapA + "---\t\n" + configMapB,
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:6"},
		},
		{
			name:    "separator with a comment",
			in:      configMapA + "--- # the second one\n" + configMapB,
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:6"},
		},
		{
			name:    "content on the separator line",
			in:      configMapA + "--- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n",
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:5"},
		},
		{
			name:    "not separators: dashes in a comment, a block scalar, a key",
			in:      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n# ---\ndata:\n  x: |\n    ---\n    y\n---x: 1\n",
			docs:    []int{1},
			objects: []string{"ConfigMap/a:1"},
		},
		{
			name:    "leading separator",
			in:      "---\n" + configMapA + "---\n" + configMapB,
			docs:    []int{1, 6},
			objects: []string{"ConfigMap/a:2", "ConfigMap/b:7"},
		},
		{
			name: "licence header as a comment-only first document",
			in: "# Copyright 2024 Example Authors\n#\n# Licensed under the Apache License, Version 2.0\n\n---\n" +
				configMapA + "---\n" + configMapB,
			docs:    []int{1, 5, 10},
			objects: []string{"ConfigMap/a:6", "ConfigMap/b:11"},
		},
		{
			name:    "empty documents between separators",
			in:      configMapA + "---\n---\n\n---\n" + configMapB + "---\n",
			docs:    []int{1, 5, 6, 8, 13},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:9"},
		},
		{
			name:    "CRLF line endings",
			in:      strings.ReplaceAll(configMapA+"---\n"+configMapB, "\n", "\r\n"),
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:6"},
		},
		{
			name:    "CRLF with a broken second document",
			in:      strings.ReplaceAll(configMapA+"---\napiVersion: v1\nkind: ConfigMap\n  metadata: {}\n", "\n", "\r\n"),
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1"},
			errors:  []string{"8: invalid YAML: mapping values are not allowed in this context"},
		},
		{
			name: "line separator inside a value does not shift lines",
			in: configMapA + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n" +
				"  annotations: {note: \"a\u2028b\u2029c\"}\n  name: b\n  name: c\n",
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1"},
			errors:  []string{`11: duplicate key "name" (first at line 10)`},
		},
		{
			name: "line separators only YAML counts, then an error",
			in:   configMapA + "---\nnote: \"a\u2028b\u2028c\"\nkind: [\n",
			docs: []int{1, 5},
			objects: []string{
				"ConfigMap/a:1",
			},
			errors: []string{"7: invalid YAML: did not find expected node content"},
		},
		{
			name:   "old Mac line breaks count as one line",
			in:     "a: 1\rb: 1\rb: 2\r",
			docs:   []int{1},
			errors: []string{`1: duplicate key "b" (first at line 1)`},
		},
		{
			name:    "UTF-8 byte order mark",
			in:      "\xef\xbb\xbf" + configMapA + "---\n" + configMapB,
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:6"},
		},
		{
			name:    "no final newline",
			in:      configMapA + "---\n" + strings.TrimSuffix(configMapB, "\n"),
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:6"},
		},
		{
			name:    "separator as the last line without a newline",
			in:      configMapA + "---",
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1"},
		},
		{
			name: "empty file",
			in:   "",
			docs: []int{1},
		},
		{
			name:    "document end marker then a bare document",
			in:      configMapA + "...\n" + configMapB,
			docs:    []int{1, 6},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:6"},
		},
		{
			name:    "document end marker before a separator",
			in:      configMapA + "...\n---\n" + configMapB,
			docs:    []int{1, 6},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:7"},
		},
		{
			name:    "YAML directive stays with its document",
			in:      "%YAML 1.1\n---\n" + configMapA,
			docs:    []int{1},
			objects: []string{"ConfigMap/a:3"},
		},
		{
			name: "List with items",
			in: "apiVersion: v1\nkind: List\nitems:\n" +
				"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n" +
				"- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: s\n    namespace: prod\n" +
				"- just a string\n",
			docs:    []int{1},
			objects: []string{"ConfigMap/a:4", "Secret/prod/s:8"},
		},
		{
			name: "typed list whose items have no apiVersion or kind",
			in: "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n" +
				"- metadata:\n    name: web\n  spec: {}\n" +
				"- kind: Deployment\n  apiVersion: apps/v1\n  metadata:\n    name: api\n",
			docs:    []int{1},
			objects: []string{"Deployment/web:4", "Deployment/api:7"},
		},
		{
			name: "empty List",
			in:   "apiVersion: v1\nkind: List\nitems: []\n",
			docs: []int{1},
		},
		{
			name: "GitHub workflow is not Kubernetes",
			in:   "name: CI\non:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n    - uses: actions/checkout@v4\n",
			docs: []int{1},
		},
		{
			name: "Helm values file is not Kubernetes",
			in:   "replicaCount: 2\nimage:\n  repository: nginx\n  tag: \"1.27\"\nkind: ingress\n",
			docs: []int{1},
		},
		{
			name: "top-level sequence and scalar documents",
			in:   "- a\n- b\n---\njust text\n",
			docs: []int{1, 3},
		},
		{
			name:    "JSON manifest",
			in:      `{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}`,
			docs:    []int{1},
			objects: []string{"Pod/web:1"},
		},
		{
			name:    "JSON manifest indented with tabs",
			in:      "{\n\t\"apiVersion\": \"v1\",\n\t\"kind\": \"Service\",\n\t\"metadata\": {\n\t\t\"name\": \"web\"\n\t}\n}\n",
			docs:    []int{1},
			objects: []string{"Service/web:1"},
		},
		{
			name:    "broken document among good ones",
			in:      configMapA + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\n data: {}\n---\n" + configMapB,
			docs:    []int{1, 5, 11},
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:12"},
			errors:  []string{"10: invalid YAML: did not find expected key"},
		},
		{
			name: "bad indentation deep in a document",
			in: configMapA + "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  template:\n    spec:\n" +
				"      containers:\n      - name: web\n        image: nginx\n       ports: []\n",
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1"},
			errors:  []string{"16: invalid YAML: did not find expected key"},
		},
		{
			name:    "unterminated flow sequence at the end of the file",
			in:      configMapA + "---\nkind: ConfigMap\ndata: [\n",
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1"},
			errors:  []string{"7: invalid YAML: did not find expected node content"},
		},
		{
			name:    "tab indentation",
			in:      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: a\n",
			docs:    []int{1},
			errors:  []string{"4: invalid YAML: found character that cannot start any token"},
			objects: nil,
		},
		{
			name:   "unknown anchor",
			in:     configMapA + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: *missing\n",
			docs:   []int{1, 5},
			errors: []string{"9: invalid YAML: unknown anchor 'missing' referenced"},
			objects: []string{
				"ConfigMap/a:1",
			},
		},
		{
			name:    "duplicate key",
			in:      configMapA + "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  name: c\n",
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1"},
			errors:  []string{`10: duplicate key "name" (first at line 9)`},
		},
		{
			name: "duplicate key in a large mapping",
			in: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n" +
				func() string {
					var b strings.Builder
					for i := range 20 {
						fmt.Fprintf(&b, "  k%d: v\n", i)
					}
					return b.String() + "  k3: again\n"
				}(),
			docs:   []int{1},
			errors: []string{`26: duplicate key "k3" (first at line 9)`},
		},
		{
			name:    "repeated merge keys are not duplicates",
			in:      "base: &base {x: 1}\nmore: &more {y: 2}\nobj:\n  <<: *base\n  <<: *more\n",
			docs:    []int{1},
			objects: nil,
		},
		{
			name:    "anchors and merge keys",
			in:      "apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: a\n---\n" + "common: &c {apiVersion: v1, kind: Secret}\n<<: *c\nmetadata: {name: s}\n",
			docs:    []int{1, 5},
			objects: []string{"ConfigMap/a:1", "Secret/s:6"},
		},
		{
			name:   "alias bomb",
			in:     billionLaughs(),
			docs:   []int{1},
			errors: []string{"12: aliases expand to more than 1000000 nodes (a YAML alias bomb?)"},
		},
		{
			name:   "alias inside the node it names",
			in:     "apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  name: a\n  self: *m\n",
			docs:   []int{1},
			errors: []string{"5: alias *m refers to a node that contains it"},
		},
		{
			name:   "merge of the mapping that holds the merge",
			in:     "apiVersion: v1\nkind: ConfigMap\nmetadata: &m\n  <<: *m\n",
			docs:   []int{1},
			errors: []string{"4: alias *m refers to a node that contains it"},
		},
		{
			name:   "100,000 nested flow sequences",
			in:     configMapA + "---\n" + strings.Repeat("[", 100_000),
			docs:   []int{1, 5},
			errors: []string{"6: invalid YAML: exceeded max depth of 10000"},
			objects: []string{
				"ConfigMap/a:1",
			},
		},
		{
			name:   "nesting deeper than remedy walks",
			in:     nestedMappings(600),
			docs:   []int{1},
			errors: []string{"512: nesting deeper than 512 levels"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, errs := ParseFile("test.yaml", []byte(tc.in))
			if got := startLines(f); !slices.Equal(got, tc.docs) {
				t.Errorf("document start lines = %v, want %v", got, tc.docs)
			}
			if got := objectsOf(f); !slices.Equal(got, tc.objects) {
				t.Errorf("objects = %q, want %q", got, tc.objects)
			}
			if got := errorsOf(errs); !slices.Equal(got, tc.errors) {
				t.Errorf("errors = %q, want %q", got, tc.errors)
			}
			for _, e := range errs {
				if e.File != "test.yaml" {
					t.Errorf("error names file %q, want test.yaml", e.File)
				}
			}
			assertDocumentsTile(t, f)
		})
	}
}

// assertDocumentsTile checks that the documents of f cover its bytes in
// order without gaps, after any byte order mark, and that each document's
// StartLine is the file line of its first byte.
func assertDocumentsTile(t *testing.T, f *SourceFile) {
	t.Helper()
	at := 0
	if strings.HasPrefix(string(f.Bytes), "\xef\xbb\xbf") {
		at = 3
	}
	for i, d := range f.Docs {
		if d.Index != i || d.File != f {
			t.Errorf("document %d: Index %d, File %p, want %d, %p", i, d.Index, d.File, i, f)
		}
		if d.Start != at || d.End < d.Start {
			t.Fatalf("document %d spans [%d, %d), want it to start at %d", i, d.Start, d.End, at)
		}
		if want := strings.Count(string(f.Bytes[:d.Start]), "\n") + 1; d.StartLine != want {
			t.Errorf("document %d: StartLine %d, want %d", i, d.StartLine, want)
		}
		at = d.End
	}
	if at != len(f.Bytes) {
		t.Errorf("documents end at %d, file at %d", at, len(f.Bytes))
	}
}

func TestIsMarker(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{"---", true},
		{"--- ", true},
		{"---\t# c", true},
		{"---\r", true},
		{"--- {a: 1}", true},
		{"----", false},
		{"---x", false},
		{" ---", false},
		{"--", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := isMarker([]byte(tc.line), "---"); got != tc.want {
			t.Errorf("isMarker(%q) = %v, want %v", tc.line, got, tc.want)
		}
	}
}

func TestParseFileKeepsValuesExact(t *testing.T) {
	// CRLF and BOM must not leak into values: a name "a\r" would never
	// match the cluster's object.
	in := "\xef\xbb\xbfapiVersion: v1\r\nkind: ConfigMap\r\nmetadata:\r\n  name: a\r\n  namespace: prod\r\n"
	f, errs := ParseFile("crlf.yaml", []byte(in))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rs := f.Docs[0].Resources()
	if len(rs) != 1 {
		t.Fatalf("got %d resources, want 1", len(rs))
	}
	if r := rs[0]; r.APIVersion != "v1" || r.Kind != "ConfigMap" || r.Namespace != "prod" || r.Name != "a" {
		t.Errorf("resource = %q %q %q %q, want v1 ConfigMap prod a", r.APIVersion, r.Kind, r.Namespace, r.Name)
	}
	if string(f.Bytes) != in {
		t.Error("SourceFile.Bytes differ from the input")
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot create symlinks here: %v", err)
	}
}

func TestLoad(t *testing.T) {
	const template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  labels: {{- include \"labels\" . | nindent 4 }}\n"
	tests := []struct {
		name  string
		files map[string]string
		// setup runs after the files are written, with the root.
		setup   func(t *testing.T, root string)
		opts    LoadOptions
		paths   []string // relative to the root; default: the root itself
		files2  []string // want: loaded files
		skipped []string // want: "file: reason"
		errors  []string // want: "file:line: message"
	}{
		{
			name: "paths relative to the root with slashes, in order",
			files: map[string]string{
				"b.yaml": configMapB, "a/x.yml": configMapA, "a/b/c.json": `{"kind": "x"}`,
				"README.md": "# not yaml", "a/notes.txt": "x",
			},
			files2: []string{"a/b/c.json", "a/x.yml", "b.yaml"},
		},
		{
			name: "upper-case extensions are manifests",
			files: map[string]string{
				"A.YAML": configMapA,
			},
			files2: []string{"A.YAML"},
		},
		{
			name: ".git, vendor and node_modules are not walked",
			files: map[string]string{
				".git/config.yaml": configMapA, "vendor/m/x.yaml": configMapA,
				"web/node_modules/p/x.yaml": configMapA, "app/vendored.yaml": configMapA,
			},
			files2: []string{"app/vendored.yaml"},
		},
		{
			name:    "file over the size limit",
			files:   map[string]string{"big.yaml": configMapA, "small.yaml": "a: 1\n"},
			opts:    LoadOptions{MaxFileSize: 10},
			files2:  []string{"small.yaml"},
			skipped: []string{"big.yaml: file is 51 bytes, over the 10-byte limit (--max-file-size; serve: limits.maxFileSize)"},
		},
		{
			name:    "binary file",
			files:   map[string]string{"blob.yaml": "apiVersion: v1\x00\x01\x02", "ok.yaml": configMapA},
			files2:  []string{"ok.yaml"},
			skipped: []string{"blob.yaml: binary file"},
		},
		{
			name:  "symlinks: inside the root followed, outside skipped, broken reported",
			files: map[string]string{"real/cm.yaml": configMapA},
			setup: func(t *testing.T, root string) {
				outside := testfiles.WriteTree(t, map[string]string{"secret.yaml": configMapB})
				symlink(t, filepath.Join(outside, "secret.yaml"), filepath.Join(root, "escape.yaml"))
				symlink(t, filepath.Join("real", "cm.yaml"), filepath.Join(root, "inside.yaml"))
				symlink(t, "missing.yaml", filepath.Join(root, "broken.yaml"))
				symlink(t, "real", filepath.Join(root, "dir.yaml"))
			},
			files2: []string{"inside.yaml", "real/cm.yaml"},
			skipped: []string{
				"dir.yaml: not a regular file (folder)",
				"escape.yaml: symlink points outside the scanned root",
			},
			errors: []string{"broken.yaml: broken symlink: no such file or directory"},
		},
		{
			name: "Helm chart templates skipped, other files with {{ scanned when they parse",
			files: map[string]string{
				"chart/Chart.yaml":             "apiVersion: v2\nname: web\nversion: 1.0.0\n",
				"chart/values.yaml":            "replicaCount: 1\n",
				"chart/templates/cm.yaml":      template,
				"chart/templates/sub/cm.yaml":  template,
				"chart/templates/plain.yaml":   configMapA,
				"alerts.yaml":                  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rules\ndata:\n  rule: 'value is {{ $value }}'\n",
				"jinja.yaml":                   template,
				"notachart/templates/cm.yaml":  template,
				"notachart/templates/ok.yaml":  "a: '{{ x }}'\n",
				"notachart/templates/bad.yaml": "a: [\n",
			},
			files2: []string{"alerts.yaml", "chart/Chart.yaml", "chart/templates/plain.yaml", "chart/values.yaml", "notachart/templates/bad.yaml", "notachart/templates/ok.yaml"},
			skipped: []string{
				"chart/templates/cm.yaml: Helm template ({{ }}): render it with `helm template … | remedy scan -`",
				"chart/templates/sub/cm.yaml: Helm template ({{ }}): render it with `helm template … | remedy scan -`",
				"jinja.yaml: Go/Helm template ({{ }}) that is not YAML until rendered",
				"notachart/templates/cm.yaml: Go/Helm template ({{ }}) that is not YAML until rendered",
			},
			errors: []string{"notachart/templates/bad.yaml:1: invalid YAML: did not find expected node content"},
		},
		{
			name: "exclude globs from config",
			files: map[string]string{
				"apps/web.yaml": configMapA, "apps/test/fixture.yaml": configMapA,
				"infra/x.yaml": configMapA, "infra/y.json": "{}", "root.yaml": configMapA,
			},
			opts:   LoadOptions{Exclude: mustConfig(t, "exclude: ['**/test/**', 'infra/*.yaml', root.yaml]\n").Excluded},
			files2: []string{"apps/web.yaml", "infra/y.json"},
			skipped: []string{
				"apps/test/fixture.yaml: excluded by config",
				"infra/x.yaml: excluded by config",
				"root.yaml: excluded by config",
			},
		},
		{
			name:   "files named on the command line",
			files:  map[string]string{"a/x.yaml": configMapA, "a/y.txt": configMapB, "b.yaml": configMapB},
			paths:  []string{"a/x.yaml", "a/y.txt", "./a/x.yaml", "a"},
			files2: []string{"a/x.yaml", "a/y.txt"},
		},
		{
			name:   "missing path",
			files:  map[string]string{"a.yaml": configMapA},
			paths:  []string{"a.yaml", "nope"},
			files2: []string{"a.yaml"},
			errors: []string{"nope: no such file or directory"},
		},
		{
			name:   "broken YAML keeps the file and its good documents",
			files:  map[string]string{"multi.yaml": configMapA + "---\nkind: [\n---\n" + configMapB},
			files2: []string{"multi.yaml"},
			errors: []string{"multi.yaml:6: invalid YAML: did not find expected node content"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := testfiles.WriteTree(t, tc.files)
			if tc.setup != nil {
				tc.setup(t, root)
			}
			paths := []string{root}
			if tc.paths != nil {
				paths = nil
				for _, p := range tc.paths {
					paths = append(paths, filepath.Join(root, p))
				}
			}
			in := Load(root, paths, tc.opts)
			var files, skipped, errs []string
			for _, f := range in.Files {
				files = append(files, f.Path)
				if f.Abs == "" || !filepath.IsAbs(f.Abs) {
					t.Errorf("%s: Abs = %q, want an absolute path", f.Path, f.Abs)
				}
			}
			for _, s := range in.Skipped {
				skipped = append(skipped, s.File+": "+s.Reason)
			}
			for _, e := range in.Errors {
				errs = append(errs, e.Error())
			}
			if !slices.Equal(files, tc.files2) {
				t.Errorf("files = %q, want %q", files, tc.files2)
			}
			if !slices.Equal(skipped, tc.skipped) {
				t.Errorf("skipped = %q, want %q", skipped, tc.skipped)
			}
			if !slices.Equal(errs, tc.errors) {
				t.Errorf("errors = %q, want %q", errs, tc.errors)
			}
		})
	}
}

func TestLoadSymlinkedFileKeepsItsContent(t *testing.T) {
	root := testfiles.WriteTree(t, map[string]string{"real/cm.yaml": configMapA})
	symlink(t, filepath.Join("real", "cm.yaml"), filepath.Join(root, "link.yaml"))
	in := Load(root, []string{root}, LoadOptions{})
	for _, f := range in.Files {
		if got := objectsOf(f); !slices.Equal(got, []string{"ConfigMap/a:1"}) {
			t.Errorf("%s: objects = %q, want [ConfigMap/a:1]", f.Path, got)
		}
	}
	if len(in.Files) != 2 {
		t.Errorf("loaded %d files, want 2", len(in.Files))
	}
}

func TestLoadKeepsFileMode(t *testing.T) {
	root := testfiles.WriteTree(t, map[string]string{"cm.yaml": configMapA})
	p := filepath.Join(root, "cm.yaml")
	if err := os.Chmod(p, 0o600); err != nil {
		t.Fatal(err)
	}
	in := Load(root, []string{root}, LoadOptions{})
	if len(in.Files) != 1 || in.Files[0].Mode != 0o600 {
		t.Fatalf("files = %v, want cm.yaml with mode 0600", in.Files)
	}
	if string(in.Files[0].Bytes) != configMapA {
		t.Errorf("Bytes = %q, want the file's content", in.Files[0].Bytes)
	}
}

func TestLoadStdin(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		opts    LoadOptions
		objects []string
		skipped []string
		errors  []string
	}{
		{
			name:    "manifests",
			in:      configMapA + "---\n" + configMapB,
			objects: []string{"ConfigMap/a:1", "ConfigMap/b:6"},
		},
		{
			name:    "broken document",
			in:      configMapA + "---\na: [\n",
			objects: []string{"ConfigMap/a:1"},
			errors:  []string{"<stdin>:6: invalid YAML: did not find expected node content"},
		},
		{
			name:   "over the limit",
			in:     configMapA,
			opts:   LoadOptions{MaxFileSize: 8},
			errors: []string{"<stdin>: input is over the 8-byte limit (--max-file-size; serve: limits.maxFileSize)"},
		},
		{
			name:    "binary",
			in:      "\x00\x01",
			skipped: []string{"<stdin>: binary file"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Stdin = strings.NewReader(tc.in)
			in := Load(".", []string{"-"}, tc.opts)
			var objects, skipped, errs []string
			for _, f := range in.Files {
				if f.Path != StdinName || f.Abs != "" {
					t.Errorf("file Path %q Abs %q, want %q and none", f.Path, f.Abs, StdinName)
				}
				objects = append(objects, objectsOf(f)...)
			}
			for _, s := range in.Skipped {
				skipped = append(skipped, s.File+": "+s.Reason)
			}
			for _, e := range in.Errors {
				errs = append(errs, e.Error())
			}
			if !slices.Equal(objects, tc.objects) {
				t.Errorf("objects = %q, want %q", objects, tc.objects)
			}
			if !slices.Equal(skipped, tc.skipped) {
				t.Errorf("skipped = %q, want %q", skipped, tc.skipped)
			}
			if !slices.Equal(errs, tc.errors) {
				t.Errorf("errors = %q, want %q", errs, tc.errors)
			}
		})
	}
}

func mustConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse(config.FileName, []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParseIgnores(t *testing.T) {
	in := "a: 1 # remedy:ignore privileged runs the node agent\n" +
		"# remedy:ignore host-network,host-pid   needs the host's network   \n" +
		"#remedy:ignore image-tag\n" +
		"b: 2 # not remedy: ignore x\r\n" +
		"c: '# remedy:ignore' \r\n" +
		"  # remedy:ignore run-as-non-root legacy image\r\n"
	got := parseIgnores([]byte(in))
	want := map[int]Ignore{
		1: {Line: 1, Controls: []string{"privileged"}, Reason: "runs the node agent"},
		2: {Line: 2, Controls: []string{"host-network", "host-pid"}, Reason: "needs the host's network"},
		3: {Line: 3, Controls: []string{"image-tag"}},
		6: {Line: 6, Controls: []string{"run-as-non-root"}, Reason: "legacy image"},
	}
	if len(got) != len(want) {
		t.Errorf("got %d directives, want %d: %v", len(got), len(want), got)
	}
	for line, w := range want {
		g, ok := got[line]
		if !ok || g.Line != w.Line || !slices.Equal(g.Controls, w.Controls) || g.Reason != w.Reason {
			t.Errorf("line %d: got %+v, want %+v", line, g, w)
		}
	}
}

package helm

import (
	"encoding/json"
	"math"
	"path/filepath"
	"reflect"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"

	"github.com/remedy-bot/remedy/scanner"
)

// FuzzRenderAndTrace renders a chart whose values and one template are
// fuzzed and traces every finding: a hostile chart must give an error or
// findings, never a panic.
func FuzzRenderAndTrace(f *testing.F) {
	f.Add(values, deployment)
	f.Add("a: [1, {b: c}]\nsecurityContext: {x: 1}\n", "kind: Pod\napiVersion: v1\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: x:1\n    securityContext: {{ toYaml .Values.securityContext | nindent 6 }}\n")
	f.Add("on: yes\n", "{{ range $k, $v := .Values }}{{ $k }}: {{ $v }}\n{{ end }}")
	f.Fuzz(func(t *testing.T, vals, tmpl string) {
		dir := writeTree(t, map[string]string{
			"web/Chart.yaml":           chartYAML,
			"web/values.yaml":          vals,
			"web/templates/fuzz.yaml":  tmpl,
			"web/templates/fixed.yaml": deployment,
		})
		rels := []Release{{Name: "web"}}
		// The same values, inline: set outside the repository, over it.
		if inline, err := chartutil.ReadValues([]byte(vals)); err == nil {
			rels = append(rels, Release{Name: "web", Values: []Values{{Values: inline, From: "the inline values"}}})
		}
		for _, rel := range rels {
			res, err := Render(filepath.Join(dir, "web"), rel, Options{Root: dir})
			if err != nil {
				continue
			}
			rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{res.File}}, scanner.Options{})
			for _, fd := range rep.Findings {
				if fd.Resource != nil {
					_, _ = res.File.Rendered.Map.(*sourceMap).Trace(fd.Resource, fd.FieldPath.Pointer())
				}
			}
		}
	})
}

// FuzzWireValues: values sent to the render child come back as they
// were, Go types included.
func FuzzWireValues(f *testing.F) {
	f.Add("a: 1\nb: [x, 2.5, true, null]\nc: {d: {e: \"\"}}\n")
	f.Add("big: 1000000\nneg: -3\nexp: 1e400\n")
	f.Fuzz(func(t *testing.T, text string) {
		vals, err := chartutil.ReadValues([]byte(text))
		if err != nil {
			return
		}
		in := map[string]any(vals)
		in["int"], in["i64"], in["u32"], in["inf"] = 7, int64(-9), uint32(4), math.Inf(-1)
		w, err := toWire(in, 0)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		var back wireValue
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := fromWireMap(&back); !reflect.DeepEqual(got, in) {
			t.Errorf("round trip of %q:\n got %#v\nwant %#v", text, got, in)
		}
	})
}

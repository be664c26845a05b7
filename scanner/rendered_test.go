package scanner

import (
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// lineMapFake places every field of a rendered object at the same line of
// its base file as in the rendered text, shifted by delta: enough to check
// how scanner uses a SourceMap without a real build.
type lineMapFake struct {
	file  string
	delta int
}

func (m lineMapFake) Object(r *Resource) ObjectSource {
	return ObjectSource{File: m.file, Kind: r.Kind, Name: "web", MetadataLine: 1 + m.delta}
}

func (m lineMapFake) Field(_ *Resource, _ Path, n *yaml.Node) Location {
	return Location{File: m.file, Line: n.Line + m.delta, Column: n.Column, Source: SourceResource}
}

const renderedDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: prod-web
  namespace: prod
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx
        securityContext:
          readOnlyRootFilesystem: false
`

func renderedFile(t *testing.T, root string, base *SourceFile) *SourceFile {
	t.Helper()
	f, errs := ParseFile(root+" (kustomize build)", []byte(renderedDeployment))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	f.Rendered = &Rendered{Tool: ToolKustomize, Root: root, Sources: map[string]*SourceFile{base.Path: base},
		Map: lineMapFake{file: base.Path, delta: 2}}
	return f
}

func TestRenderedFindingsPointAtTheSourceAndMerge(t *testing.T) {
	base, _ := ParseFile("base/web.yaml", []byte("# header\n# remedy:ignore privileged\n"+renderedDeployment))
	in := &Inputs{Files: []*SourceFile{renderedFile(t, "overlays/prod", base), renderedFile(t, "overlays/dev", base)}}
	rep := ScanInputs(in, Options{Only: []string{"read-only-root-filesystem", IgnoreWithoutReasonID}})
	if len(rep.Findings) != 2 {
		t.Fatalf("got %d findings, want the rendered one and the reasonless ignore, once each: %+v", len(rep.Findings), rep.Findings)
	}
	ig, ro := rep.Findings[0], rep.Findings[1]
	if ig.Control != IgnoreWithoutReasonID || ig.File != "base/web.yaml" || ig.Line != 2 {
		t.Errorf("ignore finding = %s %s:%d, want ignore-without-reason base/web.yaml:2", ig.Control, ig.File, ig.Line)
	}
	if ro.File != "base/web.yaml" || ro.Line != 15 || ro.Name != "web" || ro.Namespace != "" || ro.Source != SourceResource {
		t.Errorf("finding at %s:%d %s/%s (%s), want base/web.yaml:15 web, as written", ro.File, ro.Line, ro.Namespace, ro.Name, ro.Source)
	}
	want := []RenderedBy{
		{Tool: ToolKustomize, Root: "overlays/dev", Namespace: "prod", Name: "prod-web"},
		{Tool: ToolKustomize, Root: "overlays/prod", Namespace: "prod", Name: "prod-web"},
	}
	if len(ro.Rendered) != 2 || ro.Rendered[0] != want[0] || ro.Rendered[1] != want[1] {
		t.Errorf("rendered = %+v, want %+v", ro.Rendered, want)
	}
}

func TestRenderedFindingsAreSuppressedInTheSource(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		suppressed   bool
	}{
		{"no directive", "# a\n", false},
		// The fake puts `metadata:` at the line after the header.
		{"above metadata", "# remedy:ignore read-only-root-filesystem writes its cache\n", true},
		{"other control", "# remedy:ignore privileged fine\n", false},
		{"no reason", "# remedy:ignore read-only-root-filesystem\n", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _ := ParseFile("base/web.yaml", []byte(tc.header+renderedDeployment))
			f := renderedFile(t, "overlays/prod", base)
			f.Rendered.Map = lineMapFake{file: base.Path, delta: 1}
			rep := ScanInputs(&Inputs{Files: []*SourceFile{f}}, Options{Only: []string{"read-only-root-filesystem"}})
			if len(rep.Findings) != 1 {
				t.Fatalf("got %d findings", len(rep.Findings))
			}
			if got := rep.Findings[0].Suppressed; got != tc.suppressed {
				t.Errorf("suppressed = %v, want %v", got, tc.suppressed)
			}
		})
	}
}

package scanner

import (
	"fmt"
	"slices"
	"testing"

	"github.com/remedy-bot/remedy/config"
)

// testCatalog holds two stand-in controls, so these tests of the scan
// engine do not move when the real catalog does:
//   - "image-ref" reports each container at its `image:` key,
//   - "pod-wide" reports each pod spec at its `spec:` key,
//
// plus the engine's own ignore-without-reason.
func testCatalog() *Catalog {
	return NewCatalog([]*Control{
		{
			ID: "image-ref", Title: "image reference", Severity: SeverityMedium,
			Check: func(r *Resource, _ *CheckContext) []Hit {
				ps := PodSpecOf(r)
				if ps == nil {
					return nil
				}
				var out []Hit
				for _, c := range ps.Containers {
					k, _ := FieldPair(c.Node, "image")
					out = append(out, Hit{Node: k, Path: c.Path.Key("image"), Container: c.Name})
				}
				return out
			},
		},
		{
			ID: "pod-wide", Title: "pod-wide", Severity: SeverityHigh,
			Check: func(r *Resource, _ *CheckContext) []Hit {
				if ps := PodSpecOf(r); ps != nil {
					return []Hit{{Node: ps.KeyNode, Path: ps.Path}}
				}
				return nil
			},
		},
		{ID: IgnoreWithoutReasonID, Title: "ignore without reason", Severity: SeverityLow},
	})
}

// findingLine renders a finding as "control:line" plus " suppressed: reason".
func findingLine(f Finding) string {
	s := fmt.Sprintf("%s:%d", f.Control, f.Line)
	if f.Suppressed {
		s += " suppressed: " + f.Reason
	}
	return s
}

// scanTestCatalog scans manifest, as pod.yaml, with testCatalog and opts,
// and renders the findings with findingLine.
func scanTestCatalog(t *testing.T, manifest string, opts Options) []string {
	t.Helper()
	f, errs := ParseFile("pod.yaml", []byte(manifest))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	opts.Catalog = testCatalog()
	var got []string
	for _, f := range ScanInputs(&Inputs{Files: []*SourceFile{f}}, opts).Findings {
		got = append(got, findingLine(f))
	}
	return got
}

func TestScanSuppression(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     []string
	}{
		{
			name: "no directives",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx
`,
			want: []string{"pod-wide:5", "image-ref:8"},
		},
		{
			name: "on the field line",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx # remedy:ignore image-ref pinned by the platform team
`,
			want: []string{"pod-wide:5", "image-ref:8 suppressed: pinned by the platform team"},
		},
		{
			name: "on the line above the field",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    # remedy:ignore image-ref pinned by the platform team
    image: nginx
`,
			want: []string{"pod-wide:5", "image-ref:9 suppressed: pinned by the platform team"},
		},
		{
			name: "two lines above the field is too far",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  # remedy:ignore image-ref pinned by the platform team
  - name: web
    image: nginx
`,
			want: []string{"pod-wide:5", "image-ref:9"},
		},
		{
			name: "on the metadata line covers the whole object",
			manifest: `apiVersion: v1
kind: Pod
metadata: # remedy:ignore image-ref,pod-wide a lab pod
  name: web
spec:
  containers:
  - name: web
    image: nginx
  - name: sidecar
    image: envoy
`,
			want: []string{
				"pod-wide:5 suppressed: a lab pod",
				"image-ref:8 suppressed: a lab pod",
				"image-ref:10 suppressed: a lab pod",
			},
		},
		{
			name: "above the metadata line",
			manifest: `apiVersion: v1
kind: Pod
# remedy:ignore pod-wide reviewed in SEC-12
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx
`,
			want: []string{"pod-wide:6 suppressed: reviewed in SEC-12", "image-ref:9"},
		},
		{
			name: "multiple IDs on one directive",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec: # remedy:ignore image-ref,pod-wide,not-a-control legacy
  containers:
  - name: web
    image: nginx
`,
			want: []string{"pod-wide:5 suppressed: legacy", "image-ref:8"},
		},
		{
			name: "another control's ID does not suppress",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx # remedy:ignore pod-wide wrong line and wrong control
`,
			want: []string{"pod-wide:5", "image-ref:8"},
		},
		{
			name: "ignore without a reason suppresses nothing and is reported",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx # remedy:ignore image-ref
`,
			want: []string{"pod-wide:5", "ignore-without-reason:8", "image-ref:8"},
		},
		{
			name: "directives apply per document, by file line",
			manifest: `apiVersion: v1
kind: Pod
metadata: # remedy:ignore pod-wide first pod only
  name: a
spec:
  containers: []
---
apiVersion: v1
kind: Pod
metadata:
  name: b
spec:
  containers: []
`,
			want: []string{"pod-wide:5 suppressed: first pod only", "pod-wide:12"},
		},
		{
			name: "List items: the item's own metadata line",
			manifest: `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: # remedy:ignore pod-wide a lab pod
    name: a
  spec:
    containers: []
- apiVersion: v1
  kind: Pod
  metadata:
    name: b
  spec:
    containers: []
`,
			want: []string{"pod-wide:8 suppressed: a lab pod", "pod-wide:14"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := scanTestCatalog(t, tc.manifest, Options{})
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings = %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestScanOptions(t *testing.T) {
	const manifest = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx # remedy:ignore image-ref
`
	tests := []struct {
		name string
		cfg  string
		only []string
		want []string
	}{
		{name: "defaults", want: []string{"pod-wide:5", "ignore-without-reason:8", "image-ref:8"}},
		{name: "disable", cfg: "controls: {disable: [pod-wide, ignore-without-reason]}", want: []string{"image-ref:8"}},
		{name: "enable is an allowlist", cfg: "controls: {enable: [pod-wide]}", want: []string{"pod-wide:5"}},
		{name: "severity floor", cfg: "severity: medium", want: []string{"pod-wide:5", "image-ref:8"}},
		{name: "severity floor high", cfg: "severity: HIGH", want: []string{"pod-wide:5"}},
		{name: "only", only: []string{"image-ref"}, want: []string{"image-ref:8"}},
		{name: "only and disable", cfg: "controls: {disable: [image-ref]}", only: []string{"image-ref"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := scanTestCatalog(t, manifest, Options{Config: mustConfig(t, tc.cfg), Only: tc.only})
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestScanFindingFields(t *testing.T) {
	const manifest = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx
`
	f, errs := ParseFile("deploy/web.yaml", []byte(manifest))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	in := &Inputs{
		Files:   []*SourceFile{f},
		Errors:  []FileError{{File: "x.yaml", Line: 3, Message: "boom"}},
		Skipped: []Skipped{{File: "t.yaml", Reason: "binary file"}},
	}
	rep := ScanInputs(in, Options{Catalog: testCatalog(), Only: []string{"image-ref"}})
	if len(rep.Findings) != 1 {
		t.Fatalf("findings = %v, want one", rep.Findings)
	}
	got := rep.Findings[0]
	want := Finding{
		Control: "image-ref", Severity: SeverityMedium, File: "deploy/web.yaml", Line: 11, Column: 9,
		Kind: "Deployment", Namespace: "shop", Name: "web", Container: "app",
		Path: "spec.template.spec.containers[0].image", Message: "image reference",
	}
	got.Resource, got.FieldPath = nil, nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("finding = %+v\nwant      %+v", got, want)
	}
	if len(rep.Errors) != 1 || len(rep.Skipped) != 1 {
		t.Errorf("report errors %v, skipped %v: want the inputs' own", rep.Errors, rep.Skipped)
	}
}

// A nil config and catalog mean defaults; this must not panic.
func TestScanDefaults(t *testing.T) {
	f, _ := ParseFile("pod.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx:1.27\n"))
	rep := ScanInputs(&Inputs{Files: []*SourceFile{f}}, Options{Config: &config.Config{}})
	if len(rep.Findings) == 0 {
		t.Error("the default catalog found nothing wrong with a bare pod")
	}
}

package scanner

import (
	"testing"

	"github.com/remedy-bot/remedy/imageinfo"
)

func TestFixableControlsHaveRisks(t *testing.T) {
	for _, c := range DefaultCatalog().Controls() {
		if !c.Fixable {
			if c.Risk != nil {
				t.Errorf("%s: report-only control has a risk", c.ID)
			}
			continue
		}
		if c.Risk == nil || c.Risk.Breaks == "" || c.Risk.Check == "" {
			t.Errorf("%s: fixable control without a documented risk", c.ID)
		}
	}
	for id := range risks {
		if c := DefaultCatalog().Get(id); c == nil || !c.Fixable {
			t.Errorf("risk for %s, which is not a fixable control", id)
		}
	}
}

// TestImageTagFixableWithResolution: image-tag is fixable exactly when
// --resolve-images read the digest; a failed lookup says why.
func TestImageTagFixableWithResolution(t *testing.T) {
	manifest := `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: ok
    image: reg.example/app:latest
  - name: down
    image: reg.example/gone
  - name: other
    image: reg.example/other
`
	images := imageinfo.NewSet(
		imageinfo.Info{Ref: "reg.example/app:latest", Digest: "sha256:" + sixtyFour},
		imageinfo.Info{Ref: "reg.example/gone", Note: "image reg.example/gone: registry unreachable"},
	)
	tests := []struct {
		name   string
		images ImageLookup
		want   map[string]string // container -> NotFixable
		notes  map[string]string
	}{
		{"offline", nil, map[string]string{"ok": imageTagNotFixable, "down": imageTagNotFixable, "other": imageTagNotFixable}, nil},
		{"resolved", images, map[string]string{"ok": "", "down": "image reg.example/gone: registry unreachable", "other": imageTagNotFixable},
			map[string]string{"down": "image reg.example/gone: registry unreachable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, errs := ParseFile("pod.yaml", []byte(manifest))
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			rep := ScanInputs(&Inputs{Files: []*SourceFile{f}}, Options{Only: []string{"image-tag"}, Images: tc.images})
			if len(rep.Findings) != 3 {
				t.Fatalf("%d findings, want 3", len(rep.Findings))
			}
			for _, f := range rep.Findings {
				if f.NotFixable != tc.want[f.Container] || f.Fixable != (tc.want[f.Container] == "") {
					t.Errorf("%s: fixable %v NotFixable %q, want %q", f.Container, f.Fixable, f.NotFixable, tc.want[f.Container])
				}
				if f.Note != tc.notes[f.Container] {
					t.Errorf("%s: note %q, want %q", f.Container, f.Note, tc.notes[f.Container])
				}
			}
		})
	}
}

const sixtyFour = "4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac"

func TestImageRefs(t *testing.T) {
	f, _ := ParseFile("pods.yaml", []byte(imagesPod))
	got := ImageRefs(&Inputs{Files: []*SourceFile{f}})
	if len(got) != 5 || got[0] != "nginx:1.27" || got[2] != "nginx" {
		t.Fatalf("ImageRefs = %v", got)
	}
}

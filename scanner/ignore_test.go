package scanner

import (
	"strings"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/config"
)

// Issue 17 §1: an ignore comment naming a control that does not exist is
// an error naming the file and line, not a directive that silently
// suppresses nothing.
func TestIgnoreUnknownControlIsAnError(t *testing.T) {
	manifest := `apiVersion: v1
kind: Pod
metadata:
  name: web
spec: # remedy:ignore pod-wide,image-rf legacy
  containers:
  - name: web
    image: nginx # remedy:ignore image-ref until=2027-13-01 pinned
`
	f, errs := ParseFile("pod.yaml", []byte(manifest))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	rep := ScanInputs(&Inputs{Files: []*SourceFile{f}}, Options{Catalog: testCatalog()})
	var got []string
	for _, e := range rep.Errors {
		got = append(got, e.Error())
	}
	want := []string{
		`pod.yaml:5: remedy:ignore: unknown control "image-rf" (remedy controls lists them); did you mean "image-ref"?`,
		`pod.yaml:8: remedy:ignore: until=2027-13-01: want a date, YYYY-MM-DD`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// Accepted risk expires: until=YYYY-MM-DD suppresses through that day and
// not after; the finding says until when, and that it expired.
func TestIgnoreUntilExpires(t *testing.T) {
	manifest := `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: web
    image: nginx # remedy:ignore image-ref until=2027-01-31 pinned by the platform team
`
	tests := []struct {
		today          string
		wantSuppressed bool
	}{
		{"2027-01-01", true},
		{"2027-01-31", true},
		{"2027-02-01", false},
	}
	for _, tt := range tests {
		t.Run(tt.today, func(t *testing.T) {
			now, _ := time.Parse(time.DateOnly, tt.today)
			now = now.Add(23 * time.Hour)
			f, _ := ParseFile("pod.yaml", []byte(manifest))
			rep := ScanInputs(&Inputs{Files: []*SourceFile{f}}, Options{Catalog: testCatalog(), Now: func() time.Time { return now }})
			var img *Finding
			for i := range rep.Findings {
				if rep.Findings[i].Control == "image-ref" {
					img = &rep.Findings[i]
				}
			}
			if img == nil {
				t.Fatal("no image-ref finding")
			}
			if img.Suppressed != tt.wantSuppressed || img.Expired == tt.wantSuppressed {
				t.Errorf("suppressed %v expired %v, want suppressed %v", img.Suppressed, img.Expired, tt.wantSuppressed)
			}
			if img.Until != "2027-01-31" || img.Reason != "pinned by the platform team" {
				t.Errorf("until %q reason %q", img.Until, img.Reason)
			}
			if len(rep.Errors) > 0 {
				t.Errorf("errors %v", rep.Errors)
			}
		})
	}
}

// controls.accept of the config is an accepted risk for a whole control,
// expiring as an ignore comment does; an ignore comment wins over it.
func TestConfigAcceptExpires(t *testing.T) {
	manifest := `apiVersion: v1
kind: Pod
metadata:
  name: web
spec: # remedy:ignore pod-wide reviewed in SEC-12
  containers:
  - name: web
    image: nginx
`
	cfg := &config.Config{Controls: config.Controls{Accept: []config.Accepted{
		{Control: "image-ref", Reason: "mirrored images", Until: "2027-01-31"},
		{Control: "pod-wide", Reason: "config reason", Until: "2020-01-01"},
	}}}
	for _, tt := range []struct {
		today string
		want  []string
	}{
		{"2027-01-31", []string{"pod-wide:5 suppressed: reviewed in SEC-12", "image-ref:8 suppressed: mirrored images"}},
		{"2027-02-01", []string{"pod-wide:5 suppressed: reviewed in SEC-12", "image-ref:8"}},
	} {
		now, _ := time.Parse(time.DateOnly, tt.today)
		got := scanTestCatalog(t, manifest, Options{Config: cfg, Now: func() time.Time { return now }})
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s: got %q, want %q", tt.today, got, tt.want)
		}
	}
}

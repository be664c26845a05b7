package kustomize

import (
	"path/filepath"
	"testing"
)

// TestSourcesParseOncePerContent: a source is parsed once for every build
// that reads the same bytes under the same name, and again for other
// bytes (an edit being verified) or another name (another scan root).
func TestSourcesParseOncePerContent(t *testing.T) {
	abs := filepath.Join(t.TempDir(), "deployment.yaml")
	before := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n")
	edited := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {a: b}\n")
	var s Sources
	first, err := s.parse("base/deployment.yaml", abs, before)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := s.parse("base/deployment.yaml", abs, append([]byte(nil), before...)); again != first {
		t.Error("the same bytes were parsed again")
	}
	now, err := s.parse("base/deployment.yaml", abs, edited)
	if err != nil || now == first || string(now.Bytes) != string(edited) || len(now.Docs) != 1 || now.Docs[0].Node == nil {
		t.Errorf("edited bytes: %v, got the earlier parse: %v", err, now == first)
	}
	if other, _ := s.parse("deployment.yaml", abs, edited); other == now || other.Path != "deployment.yaml" {
		t.Error("another name got the parse of the first")
	}
	if _, err := s.parse("bad.yaml", abs+".bad", []byte("a: [\n")); err == nil {
		t.Error("a source that does not parse was accepted")
	}
	var none *Sources
	if f, err := none.parse("base/deployment.yaml", abs, before); err != nil || f == first {
		t.Errorf("without Sources: %v, shared %v", err, f == first)
	}
}

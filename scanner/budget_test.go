package scanner

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/testfiles"
)

// deploymentWith is a Deployment named name with n containers, one of
// them privileged.
func deploymentWith(name string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\nspec:\n  template:\n    spec:\n      containers:\n", name)
	for i := range n {
		fmt.Fprintf(&b, "      - name: c%d\n        image: nginx:1.27\n        securityContext:\n          privileged: true\n", i)
	}
	return b.String()
}

// TestLoadBudgets: within the file-size limit, a file can still hold
// 28,606 Deployments or one pod of 5,000 containers (issue 18). Past a
// budget the input is an error naming it, and the rest is scanned.
func TestLoadBudgets(t *testing.T) {
	manyDocs := strings.Repeat("---\nkind: ConfigMap\n", DefaultMaxDocuments+1)
	dir := testfiles.WriteTree(t, map[string]string{
		"many-docs.yaml": manyDocs,
		"wide-pod.yaml":  deploymentWith("small", 1) + "---\n" + deploymentWith("wide", DefaultMaxContainers+1),
		"ok.yaml":        deploymentWith("ok", 2),
	})
	in := Load(dir, []string{dir}, LoadOptions{})
	var files []string
	for _, f := range in.Files {
		files = append(files, f.Path)
	}
	if want := []string{"ok.yaml", "wide-pod.yaml"}; !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	wantErrs := []string{
		"many-docs.yaml:0: file holds 10001 YAML documents, over the 10000-document budget (--max-documents; serve: limits.maxDocuments): not scanned",
		"wide-pod.yaml:21: Deployment/wide has 501 containers, over the 500-container budget (--max-containers; serve: limits.maxContainers): not scanned",
	}
	var errs []string
	for _, e := range in.Errors {
		errs = append(errs, fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message))
	}
	if !slices.Equal(errs, wantErrs) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(errs, "\n"), strings.Join(wantErrs, "\n"))
	}
	// The rest of the file with the wide pod is scanned.
	rep := ScanInputs(in, Options{Only: []string{"privileged"}})
	var objects []string
	for _, f := range rep.Findings {
		objects = append(objects, f.File+" "+f.Name)
	}
	objects = slices.Compact(objects)
	if want := []string{"ok.yaml ok", "wide-pod.yaml small"}; !slices.Equal(objects, want) {
		t.Errorf("findings on %v, want %v", objects, want)
	}
}

// TestObjectBudgetOfARun: the files that take a run past its object
// budget are errors; those before are scanned.
func TestObjectBudgetOfARun(t *testing.T) {
	dir := testfiles.WriteTree(t, map[string]string{
		"a.yaml": deploymentWith("a", 1) + "---\n" + deploymentWith("b", 1),
		"b.yaml": deploymentWith("c", 1) + "---\n" + deploymentWith("d", 1),
		"c.yaml": deploymentWith("e", 1),
	})
	in := Load(dir, []string{dir}, LoadOptions{Budgets: Budgets{MaxObjects: 3, MaxContainers: 1, MaxDocuments: 2}})
	var files []string
	for _, f := range in.Files {
		files = append(files, f.Path)
	}
	if want := []string{"a.yaml", "c.yaml"}; !slices.Equal(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
	if len(in.Errors) != 1 || in.Errors[0].File != "b.yaml" || !strings.Contains(in.Errors[0].Message, "past its 3-object budget (--max-objects; serve: limits.maxObjects)") {
		t.Errorf("errors %v, want one of b.yaml over the 3-object budget", in.Errors)
	}
}

// BenchmarkLoadWidePod loads one Deployment at the container budget.
func BenchmarkLoadWidePod(b *testing.B) {
	dir := testfiles.WriteTree(b, map[string]string{"wide.yaml": deploymentWith("wide", DefaultMaxContainers)})
	for b.Loop() {
		if in := Load(dir, []string{dir}, LoadOptions{}); len(in.Errors) > 0 {
			b.Fatal(in.Errors)
		}
	}
}

// TestApplyBudgetsToBuildOutputs: a build's output, parsed whole, is held
// to the document budget too.
func TestApplyBudgetsToBuildOutputs(t *testing.T) {
	f, errs := ParseFile("overlay (kustomize build)", []byte(strings.Repeat("---\nkind: ConfigMap\n", 4)))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	in := &Inputs{Files: []*SourceFile{f}}
	in.ApplyBudgets(Budgets{MaxDocuments: 3})
	if len(in.Files) != 0 || len(in.Errors) != 1 || !strings.Contains(in.Errors[0].Error(), "overlay (kustomize build): file holds 4 YAML documents, over the 3-document budget") {
		t.Errorf("files %d, errors %v", len(in.Files), in.Errors)
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/testfiles"
)

// TestScanBudgets: a hostile chart and a pod too wide are errors naming
// them, within budgets set by flags; the rest of the repository is still
// scanned and reported.
func TestScanBudgets(t *testing.T) {
	wide := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: wide\nspec:\n  containers:\n" + strings.Repeat("  - name: c\n    image: nginx\n", 6)
	dir := testfiles.WriteTree(t, map[string]string{
		"chart/Chart.yaml":          "apiVersion: v2\nname: chart\nversion: 1.0.0\n",
		"chart/templates/loop.yaml": "data: {{ range until 100000000 }}x{{ end }}\n",
		"wide.yaml":                 wide,
		"pod.yaml":                  "apiVersion: v1\nkind: Pod\nmetadata:\n  name: priv\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    securityContext:\n      privileged: true\n",
	})
	r := runCLI(t, "", "scan", dir, "-o", "json", "--control", "privileged",
		"--max-containers", "5", "--helm-max-memory", fmt.Sprint(64<<20), "--helm-render-timeout", "20s")
	if r.code != exitError {
		t.Errorf("exit %d, want %d (errors)\nstderr: %s", r.code, exitError, r.stderr)
	}
	var out struct {
		Findings []struct{ File, Name string }
		Errors   []struct {
			File    string
			Line    int
			Message string
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(out.Findings) != 1 || out.Findings[0].Name != "priv" {
		t.Errorf("findings %+v, want the privileged pod's", out.Findings)
	}
	want := map[string]string{
		"chart/Chart.yaml": "helm template chart: over budget: the render used more than 64 MiB of memory",
		"wide.yaml":        "Pod/wide has 6 containers, over the 5-container budget (--max-containers; serve: limits.maxContainers)",
	}
	for _, e := range out.Errors {
		if w, ok := want[e.File]; ok && strings.Contains(e.Message, w) {
			delete(want, e.File)
		}
	}
	if len(want) > 0 {
		t.Errorf("errors %+v lack %v", out.Errors, want)
	}
}

func TestBudgetFlagsMustBePositive(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("kind: ConfigMap\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, flag := range []string{"--max-documents", "--max-containers", "--max-objects", "--helm-max-output", "--helm-max-memory"} {
		if r := runCLI(t, "", "scan", dir, flag, "0"); r.code != exitError || !strings.Contains(r.stderr, flag+": want a positive value") {
			t.Errorf("%s 0: exit %d, stderr %q", flag, r.code, r.stderr)
		}
	}
}

package remediate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

// TestFixGolden runs the whole pipeline (parse, scan, plan, edit, verify,
// rescan) over testdata/fix/*.yaml. NAME.golden holds the unified diff
// followed by every finding's outcome.
func TestFixGolden(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/fix/*.yaml")
	if len(inputs) == 0 {
		t.Fatal("no inputs")
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			file, errs := scanner.ParseFile(filepath.Base(in), src)
			if len(errs) > 0 {
				t.Fatal(errs[0])
			}
			inputs := &scanner.Inputs{Files: []*scanner.SourceFile{file}}
			rep := scanner.ScanInputs(inputs, scanner.Options{})
			fx := FixFile(file, rep.Findings, Options{}, scanner.Options{})
			var sb strings.Builder
			if err := UnifiedDiff(&sb, file.Path, fx.Before, fx.After); err != nil {
				t.Fatal(err)
			}
			sb.WriteString("\noutcomes:\n")
			for _, oc := range fx.Outcomes {
				fmt.Fprintf(&sb, "%d %s %s %s", oc.Finding.Line, oc.Finding.Control, oc.Finding.Name, oc.Status)
				if oc.Reason != "" {
					fmt.Fprintf(&sb, ": %s", oc.Reason)
				}
				sb.WriteString("\n")
			}
			sb.WriteString("\npatches:\n")
			for _, r := range fx.Remediations {
				fmt.Fprintf(&sb, "%s:\n", r.Resource.ID())
				for _, op := range r.Patch {
					fmt.Fprintf(&sb, "  %s\n", op)
				}
			}
			checkGolden(t, strings.TrimSuffix(in, ".yaml")+".golden", []byte(sb.String()))
			if fx.Changed() {
				var ops []Op
				for _, r := range fx.Remediations {
					ops = append(ops, r.Patch...)
				}
				checkEditInvariants(t, fx.Before, fx.After, ops)
			}
		})
	}
}

// TestFixOneCapabilityControl fixes dangerous-capabilities alone: removing
// SYS_ADMIN moves CHOWN up the list, and its restricted-capabilities
// finding, unchanged but at a new index, must not count as a new finding.
func TestFixOneCapabilityControl(t *testing.T) {
	src := []byte(`apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:1.27
    securityContext:
      capabilities:
        add: [SYS_ADMIN, CHOWN, cap_kill]
`)
	file, errs := scanner.ParseFile("pod.yaml", src)
	if len(errs) > 0 {
		t.Fatal(errs[0])
	}
	only := scanner.Options{Only: []string{"dangerous-capabilities"}}
	rep := scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{file}}, only)
	fx := FixFile(file, rep.Findings, Options{}, only)
	for _, oc := range fx.Outcomes {
		if oc.Status != StatusFixed {
			t.Errorf("%s %s: %s %s", oc.Finding.Control, oc.Finding.Path, oc.Status, oc.Reason)
		}
	}
	if want := "add: [CHOWN, KILL]"; !strings.Contains(string(fx.After), want) {
		t.Errorf("after the fix:\n%s\nwant it to contain %q", fx.After, want)
	}
}

package terraform_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/terraform"
)

func fixtures(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "fixtures", "terraform")
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("terraform fixtures not found at %s: %v", dir, err)
	}
	return dir
}

func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scan loads the modules below dir and scans them.
func scan(t testing.TB, dir string) (*scanner.Report, []*terraform.Result) {
	t.Helper()
	results, errs, skipped := terraform.LoadAll([]string{dir}, terraform.Options{Root: dir})
	in := &scanner.Inputs{Root: dir, Errors: errs, Skipped: skipped}
	for _, r := range results {
		if r.File != nil {
			in.Files = append(in.Files, r.File)
		}
	}
	return scanner.ScanInputs(in, scanner.Options{}), results
}

// TestFixturesScan reads the provider's own examples: the one file that
// does not parse is reported with its line and the rest is scanned; no
// finding points into a data source; every finding carries the resource
// address and sourceKind terraform.
func TestFixturesScan(t *testing.T) {
	dir := fixtures(t)
	rep, results := scan(t, dir)
	if len(rep.Errors) != 1 || rep.Errors[0].File != "examples/data-sources/service_v1/example_2.tf" || rep.Errors[0].Line != 1 {
		t.Errorf("errors = %v, want the one file that does not parse", rep.Errors)
	}
	objects := 0
	for _, r := range results {
		objects += r.Resources
	}
	if objects < 100 || len(rep.Findings) < 500 {
		t.Errorf("%d objects, %d findings: the fixtures declare more", objects, len(rep.Findings))
	}
	// Line ranges of data blocks, by file.
	dataLines := map[string][][2]int{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".tf") {
			return err
		}
		b, _ := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		body, ferr := terraform.Parse(rel, b)
		if ferr != nil {
			return nil
		}
		for _, blk := range body.Blocks {
			if blk.Type == "data" {
				dataLines[filepath.ToSlash(rel)] = append(dataLines[filepath.ToSlash(rel)], [2]int{blk.TypeRange.Start.Line, blk.CloseBraceRange.End.Line})
			}
		}
		return nil
	})
	for _, f := range rep.Findings {
		if f.Source != terraform.Tool || f.Address == "" || !strings.HasSuffix(f.File, ".tf") {
			t.Errorf("%s:%d %s: source %q address %q", f.File, f.Line, f.Control, f.Source, f.Address)
		}
		for _, r := range dataLines[f.File] {
			if f.Line >= r[0] && f.Line <= r[1] {
				t.Errorf("%s:%d %s: a finding in a data source", f.File, f.Line, f.Control)
			}
		}
	}
}

const deployment = `resource "kubernetes_deployment_v1" "web" {
  metadata {
    name      = "web"
    namespace = "shop"
  }
  spec {
    template {
      metadata {}
      spec {
        automount_service_account_token = false
        security_context {
          run_as_non_root = true
          run_as_user     = "1000"
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }
        container {
          name              = "web"
          image             = "nginx:1.27"
          image_pull_policy = %s
          security_context {
            allow_privilege_escalation = false
            read_only_root_filesystem  = true
            privileged                 = true # remedy:ignore privileged needs the host's devices (SHOP-7)
            capabilities {
              drop = ["ALL"]
            }
          }
        }
        %s
      }
    }
  }
}
`

func findingsOf(rep *scanner.Report, control string) []scanner.Finding {
	var out []scanner.Finding
	for _, f := range rep.Findings {
		if f.Control == control {
			out = append(out, f)
		}
	}
	return out
}

// TestPlaces covers where findings point: the attribute, the .tfvars line
// Terraform takes (the last of terraform.tfvars and *.auto.tfvars), the
// block a missing field belongs in; computed values are not fixable;
// ignore directives work in both comment styles.
func TestPlaces(t *testing.T) {
	for _, tc := range []struct {
		name, expr, extra string
		files             map[string]string
		control           string
		file              string
		line              int
		notFixable        string
		suppressed        bool
	}{
		{name: "literal", expr: `"IfNotPresent"`, control: "image-pull-policy", file: "main.tf", line: 21},
		{name: "tfvars order", expr: "var.policy", control: "image-pull-policy", file: "b.auto.tfvars", line: 1,
			files: map[string]string{
				"vars.tf":          "variable \"policy\" {\n  default = \"Never\"\n}\n",
				"terraform.tfvars": "policy = \"IfNotPresent\"\n",
				"b.auto.tfvars":    "policy = \"Never\"\n",
				"a.auto.tfvars":    "policy = \"IfNotPresent\"\n",
			}},
		{name: "default", expr: "var.policy", control: "image-pull-policy", file: "vars.tf", line: 2,
			files: map[string]string{"vars.tf": "variable \"policy\" {\n  default = \"Never\"\n}\n"}},
		{name: "computed", expr: `"${var.a}${var.b}"`, control: "image-pull-policy", file: "main.tf", line: 21,
			notFixable: terraform.NotFixableComputed,
			files:      map[string]string{"vars.tf": "variable \"a\" {\n  default = \"Never\"\n}\nvariable \"b\" {\n  default = \"\"\n}\n"}},
		{name: "suppressed on the line", expr: `"Always"`, control: "privileged", file: "main.tf", line: 25, suppressed: true},
		{name: "dynamic block", expr: `"Always"`, control: "resource-limits", file: "main.tf", line: 18,
			extra: "dynamic \"init_container\" {\n          for_each = var.inits\n          content {}\n        }"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"main.tf": strings.Replace(strings.Replace(deployment, "%s", tc.expr, 1), "%s", tc.extra, 1)}
			for k, v := range tc.files {
				files[k] = v
			}
			rep, _ := scan(t, writeTree(t, files))
			if len(rep.Errors) > 0 {
				t.Fatal(rep.Errors)
			}
			fs := findingsOf(rep, tc.control)
			if len(fs) != 1 {
				t.Fatalf("%s findings: %+v", tc.control, fs)
			}
			f := fs[0]
			if f.File != tc.file || f.Line != tc.line {
				t.Errorf("at %s:%d, want %s:%d", f.File, f.Line, tc.file, tc.line)
			}
			if !strings.HasPrefix(f.NotFixable, tc.notFixable) || (tc.notFixable == "") != f.Fixable && f.Control != "resource-limits" {
				t.Errorf("fixable %v (%q), want not fixable %q", f.Fixable, f.NotFixable, tc.notFixable)
			}
			if f.Suppressed != tc.suppressed {
				t.Errorf("suppressed %v", f.Suppressed)
			}
			if f.Address != "kubernetes_deployment_v1.web" || f.Kind != "Deployment" || f.Namespace != "shop" {
				t.Errorf("object %s %s/%s %s", f.Address, f.Kind, f.Namespace, f.Name)
			}
		})
	}
}

// TestIgnoreAboveResource: a `//` directive above the resource block
// covers the whole object; run_as_user written as a string is a number.
func TestIgnoreAboveResource(t *testing.T) {
	src := "// remedy:ignore image-pull-policy pinned by digest upstream\n" + strings.Replace(strings.Replace(deployment, "%s", `"IfNotPresent"`, 1), "%s", "", 1)
	rep, results := scan(t, writeTree(t, map[string]string{"main.tf": src}))
	fs := findingsOf(rep, "image-pull-policy")
	if len(fs) != 1 || !fs[0].Suppressed || fs[0].Reason != "pinned by digest upstream" {
		t.Errorf("findings %+v", fs)
	}
	if len(findingsOf(rep, "run-as-non-root")) != 0 {
		t.Error("run_as_non_root = true is not read")
	}
	out := string(results[0].File.Bytes)
	if !strings.Contains(out, "runAsUser: 1000\n") {
		t.Errorf("runAsUser is not a number:\n%s", out)
	}
}

// TestManifestFromYAMLFile: a kubernetes_manifest of yamldecode(file())
// is the YAML file, scanned as itself: no object here.
func TestManifestFromYAMLFile(t *testing.T) {
	rep, results := scan(t, writeTree(t, map[string]string{"main.tf": `resource "kubernetes_manifest" "x" {
  manifest = yamldecode(file("${path.module}/deploy.yaml"))
}
`}))
	if len(rep.Findings) != 0 || results[0].File != nil {
		t.Errorf("findings %v", rep.Findings)
	}
}

// TestLargeFileSkipped: .tf files over the size limit are listed as
// skipped, as a large manifest is, not as errors.
func TestLargeFileSkipped(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"big.tf":  "# " + strings.Repeat("x", 200) + "\n",
		"main.tf": strings.Replace(strings.Replace(deployment, "%s", `"Never"`, 1), "%s", "", 1),
	})
	results, errs, skipped := terraform.LoadAll([]string{dir}, terraform.Options{Root: dir, MaxFileSize: 150})
	if len(errs) != 0 {
		t.Errorf("errors %v", errs)
	}
	if len(skipped) != 2 || !strings.Contains(skipped[0].Reason, "--max-file-size") || len(results) != 1 || results[0].File != nil {
		t.Errorf("skipped %v, results %d", skipped, len(results))
	}
}

// BenchmarkScanFixtures loads and scans the provider's fixtures.
func BenchmarkScanFixtures(b *testing.B) {
	dir := fixtures(b)
	for b.Loop() {
		scan(b, dir)
	}
}

package terraform_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/terraform"
)

// FuzzLoad reads arbitrary bytes as a module's main.tf and terraform.tfvars:
// never a panic, and any object produced scans.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(deployment), []byte("policy = \"Never\"\n"))
	f.Add([]byte("resource \"kubernetes_manifest\" \"m\" {\n  manifest = {\n    apiVersion = \"v1\"\n    kind = \"Pod\"\n    metadata = { name = \"p\" }\n    spec = { containers = [{ name = \"c\", image = var.i }] }\n  }\n}\n"), []byte("i = \"x\"\n"))
	f.Add([]byte("locals {\n  a = local.b\n  b = local.a\n}\nresource \"kubernetes_pod\" \"p\" {\n  spec {\n    host_pid = local.a\n    dynamic \"container\" {\n      for_each = {}\n      content {}\n    }\n  }\n}\n"), []byte(""))
	dir := f.TempDir()
	for _, n := range []string{"main.tf", "terraform.tfvars"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, tf, tfvars []byte) {
		res := terraform.Load(dir, terraform.Options{Root: dir, Replace: map[string][]byte{"main.tf": tf, "terraform.tfvars": tfvars}})
		if res.File != nil {
			scanner.ScanInputs(&scanner.Inputs{Files: []*scanner.SourceFile{res.File}}, scanner.Options{})
		}
	})
}

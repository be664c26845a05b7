package render

import (
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/terraform"
)

// loadTerraform reads the Terraform modules below dirs: their files that
// do not parse are errors of in, and each root module that declares
// Kubernetes objects is one rendered output.
func loadTerraform(root, top string, dirs []string, opts Options, in *scanner.Inputs) []*scanner.SourceFile {
	var out []*scanner.SourceFile
	results, errs, skipped := terraform.LoadAll(dirs, terraform.Options{
		Root: root, Top: top, MaxFileSize: opts.MaxFileSize, Exclude: opts.Exclude,
	})
	in.Errors = append(in.Errors, errs...)
	in.Skipped = append(in.Skipped, skipped...)
	for _, res := range results {
		if res.File != nil {
			out = append(out, res.File)
		}
	}
	return out
}

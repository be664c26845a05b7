package remediate

import (
	"errors"
	"strings"

	"github.com/remedy-bot/remedy/remediate/hcledit"
)

// isHCL reports whether a source file is Terraform (.tf, .tfvars), which
// hcledit edits; every other source is YAML.
func isHCL(path string) bool {
	return strings.HasSuffix(path, ".tf") || strings.HasSuffix(path, ".tfvars")
}

// editSourceRegion applies ops to a region of a source file with the
// editor of its language.
func editSourceRegion(path string, src []byte, indent int, ops []Op) ([]byte, error) {
	if !isHCL(path) {
		return editRegion(src, indent, ops)
	}
	hops := make([]hcledit.Op, len(ops))
	for i, op := range ops {
		hops[i] = hcledit.Op{Op: op.Op, Path: op.Path, Value: op.Value}
	}
	out, err := hcledit.Edit(src, hops)
	var r *hcledit.RefusedError
	if errors.As(err, &r) {
		return nil, refuse("%s", err.Error())
	}
	return out, err
}

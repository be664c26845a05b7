// Package importer reads the reports of other Kubernetes scanners —
// Kubescape, Polaris, Trivy Operator's ConfigAuditReports and any SARIF log —
// as findings about objects, each mapped to the catalog control that checks
// the same thing where one does (the original rule ID is kept), with the
// fix the tool proposes, if any, as RFC 6902 operations.
//
// An imported finding names an object (kind, namespace, name) and, where the
// report says, a file and line or a field path; Locate finds the object in a
// checkout so the finding, and its fix, land on the line that is written.
package importer

import (
	"fmt"
	"strings"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
	"github.com/remedy-bot/remedy/scanner"
)

// Formats Parse reads.
const (
	FormatKubescape     = "kubescape"
	FormatPolaris       = "polaris"
	FormatTrivyOperator = "trivy-operator"
	FormatSARIF         = "sarif"
)

// Formats lists the formats, for help texts.
func Formats() []string {
	return []string{FormatKubescape, FormatPolaris, FormatTrivyOperator, FormatSARIF}
}

// Op is one RFC 6902 operation; its path is a JSON pointer from the object's root.
type Op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// Finding is one failed check of another scanner.
type Finding struct {
	// Tool is the format it came from; RuleID the tool's own ID of the
	// check (C-0017, runAsRootAllowed, KSV014); Title its name.
	Tool, RuleID, Title string
	// Control is the matching catalog control, or "" when none checks the same thing.
	Control  string
	Severity scanner.Severity
	Message  string

	APIVersion, Kind, Namespace, Name string
	Container                         string
	// File and Line locate it when the report does (SARIF, Kubescape
	// scans of files); File is as the report wrote it.
	File string
	Line int
	// Path is the offending field in remedy's form
	// (spec.template.spec.containers[0].securityContext.privileged), when known.
	Path string
	// Fix is the tool's proposed fix, when it makes one.
	Fix []Op
	// Column is the report's column of Line, when it gives one.
	Column int
	// Suppressed is set when the report marks the finding suppressed
	// (SARIF suppressions, as remedy writes its ignore comments), with
	// Reason its justification.
	Suppressed bool
	Reason     string
}

// ID names the object for humans: Kind/namespace/name.
func (f Finding) ID() string {
	if f.Namespace == "" {
		return f.Kind + "/" + f.Name
	}
	return f.Kind + "/" + f.Namespace + "/" + f.Name
}

// Parse reads a report of format.
func Parse(format string, b []byte) ([]Finding, error) {
	var (
		out []Finding
		err error
	)
	switch format {
	case FormatKubescape:
		out, err = parseKubescape(b)
	case FormatPolaris:
		out, err = parsePolaris(b)
	case FormatTrivyOperator:
		out, err = parseTrivy(b)
	case FormatSARIF:
		out, err = parseSARIF(b)
	default:
		return nil, fmt.Errorf("format %q: want one of %s", format, strings.Join(Formats(), ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("read %s report: %w", format, err)
	}
	return out, nil
}

// pointer turns a field path written with dots and [N] indices
// (spec.containers[0].image) into a JSON pointer (/spec/containers/0/image).
func pointer(path string) string {
	segs := splitPath(path)
	tokens := make([]string, len(segs))
	for i, seg := range segs {
		tokens[i] = strings.Trim(seg, "[]")
	}
	return jsonpointer.Join(tokens)
}

// splitPath splits spec.containers[0].image into spec, containers, [0], image.
func splitPath(path string) scanner.Path {
	var out scanner.Path
	for _, part := range strings.Split(strings.TrimPrefix(path, "."), ".") {
		for part != "" {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				out = append(out, part)
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part[i:], ']')
			if j < 0 {
				out = append(out, part[i:])
				break
			}
			out = append(out, part[i:i+j+1])
			part = part[i+j+1:]
		}
	}
	return out
}

// SplitPath is splitPath for callers: a dotted field path as scanner.Path.
func SplitPath(path string) scanner.Path { return splitPath(path) }

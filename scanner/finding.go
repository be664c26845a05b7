package scanner

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// Severity ranks how bad a failing control is.
type Severity int

// Severities, lowest first, so they compare with < and >.
const (
	SeverityLow Severity = iota + 1
	SeverityMedium
	SeverityHigh
	SeverityCritical
)

var severityNames = [...]string{SeverityLow: "low", SeverityMedium: "medium", SeverityHigh: "high", SeverityCritical: "critical"}

func (s Severity) String() string {
	if s < SeverityLow || s > SeverityCritical {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity reads low, medium, high or critical (any case).
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if n != "" && strings.EqualFold(n, s) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want low, medium, high or critical)", s)
}

// MarshalText writes the severity's name.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity's name, and "unknown", what MarshalText
// writes for the zero Severity, back as zero: stored JSON (the service's
// postures) must read back whatever was written. Configuration parses with
// ParseSeverity, which refuses "unknown".
func (s *Severity) UnmarshalText(b []byte) error {
	if string(b) == Severity(0).String() {
		*s = 0
		return nil
	}
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one failing control on one object, located in its source file.
// Its JSON form is a public contract (see README): keep the field set stable.
type Finding struct {
	Control    string   `json:"control"`
	Severity   Severity `json:"severity"`
	File       string   `json:"file"`
	Line       int      `json:"line"`
	Column     int      `json:"column"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace"`
	Name       string   `json:"name"`
	Container  string   `json:"container"`
	Path       string   `json:"path"`
	Message    string   `json:"message"`
	Fixable    bool     `json:"fixable"`
	Suppressed bool     `json:"suppressed"`
	Reason     string   `json:"reason"`
	// Source says what kind of text File is for a finding of rendered
	// output (Kustomize, Helm): one of the Source* kinds; omitted for
	// manifests scanned as written.
	Source string `json:"sourceKind,omitempty"`
	// Rendered lists the builds that deploy the object, with its namespace
	// and name as deployed; omitted for manifests scanned as written.
	Rendered []RenderedBy `json:"rendered,omitempty"`
	// Note says why --resolve-images could not check the fix against the
	// container's image (registry unreachable, 401, missing image,
	// timeout); omitted otherwise.
	Note string `json:"note,omitempty"`
	// Address is the Terraform resource address of the object
	// (kubernetes_deployment_v1.web); omitted for other sources.
	Address string `json:"address,omitempty"`
	// Until is the last day (YYYY-MM-DD) of the `until=` of the ignore
	// directive that matches the finding: it suppresses the finding until
	// then, and Expired says that day has passed (the finding is active
	// again). Omitted for a directive without an end.
	Until   string `json:"until,omitempty"`
	Expired bool   `json:"expired,omitempty"`

	// Resource is the object the finding is about; FieldPath is Path in
	// structured form. Neither is serialised.
	Resource  *Resource `json:"-"`
	FieldPath Path      `json:"-"`
	// NotFixable says why a finding of a fixable control cannot be fixed.
	NotFixable string `json:"-"`
	// PSSLevel is the Pod Security Standards level that forbids what the
	// finding reports ("baseline", "restricted"), "" for a control that
	// serves no PSS check or a policy version without it.
	PSSLevel string `json:"-"`
}

// Fingerprint identifies a finding independently of line numbers, so it is
// stable across commits that move the object around in its file. It is used
// for SARIF partialFingerprints and for the fix PR's record of proposals.
func (f Finding) Fingerprint() string {
	h := sha256.New()
	for _, s := range []string{f.Control, f.File, f.Kind, f.Namespace, f.Name, f.Container, f.Path} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// CompareFindings orders findings by file, position, control, then path.
func CompareFindings(a, b Finding) int {
	return cmp.Or(
		cmp.Compare(a.File, b.File),
		cmp.Compare(a.Line, b.Line),
		cmp.Compare(a.Column, b.Column),
		cmp.Compare(a.Control, b.Control),
		cmp.Compare(a.Path, b.Path),
	)
}

// FileError is an input that could not be read or parsed.
type FileError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (e FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Message)
}

// Skipped is an input that was deliberately not scanned.
type Skipped struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

// Report is the result of a scan. Its JSON form is the `--format json` output.
type Report struct {
	Findings []Finding   `json:"findings"`
	Errors   []FileError `json:"errors"`
	Skipped  []Skipped   `json:"skipped"`
}

// MarshalJSON keeps empty lists as [] rather than null, which is friendlier
// to jq and to other tools' parsers.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	p := plain(r)
	if p.Findings == nil {
		p.Findings = []Finding{}
	}
	if p.Errors == nil {
		p.Errors = []FileError{}
	}
	if p.Skipped == nil {
		p.Skipped = []Skipped{}
	}
	return json.Marshal(p)
}

package sourcemap

import (
	"encoding/json"

	"github.com/remedy-bot/remedy/scanner"
)

// Report is the JSON report of remedy scan --cluster: the scan report's
// fields, each finding with its "source" object, and a top-level "drift"
// list. Lists are [] when empty, never null.
type Report struct {
	Scan    *scanner.Report
	Mapping *Mapping
}

// clusterFinding adds the source object to a finding. Its Source field
// is shallower than the embedded Finding's fields, so it is the one
// encoding/json writes under "source".
type clusterFinding struct {
	scanner.Finding
	Source *Source `json:"source,omitempty"`
}

// MarshalJSON writes the report.
func (r Report) MarshalJSON() ([]byte, error) {
	out := struct {
		Findings []clusterFinding    `json:"findings"`
		Errors   []scanner.FileError `json:"errors"`
		Skipped  []scanner.Skipped   `json:"skipped"`
		Drift    []Drift             `json:"drift"`
	}{Findings: []clusterFinding{}, Errors: []scanner.FileError{}, Skipped: []scanner.Skipped{}, Drift: []Drift{}}
	if r.Scan != nil {
		for i, f := range r.Scan.Findings {
			cf := clusterFinding{Finding: f}
			if r.Mapping != nil && i < len(r.Mapping.Findings) {
				s := r.Mapping.Findings[i]
				cf.Source = &s
			}
			out.Findings = append(out.Findings, cf)
		}
		out.Errors = append(out.Errors, r.Scan.Errors...)
		out.Skipped = append(out.Skipped, r.Scan.Skipped...)
	}
	if r.Mapping != nil {
		out.Drift = append(out.Drift, r.Mapping.Drift...)
	}
	return json.Marshal(out)
}

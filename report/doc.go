// Package report renders the result of a scan for people and for tools: a
// table for terminals, the Report JSON for scripts, SARIF 2.1.0 for code
// scanning dashboards, and the control catalog itself. It only formats; it
// decides nothing about exit codes or which findings matter.
package report

import "github.com/remedy-bot/remedy/scanner"

// objectName names a finding's object as Kind/namespace/name, or "-" for a
// finding about the file itself (an ignore directive without a reason).
func objectName(f scanner.Finding) string {
	switch {
	case f.Kind == "":
		return "-"
	case f.Namespace == "":
		return f.Kind + "/" + f.Name
	default:
		return f.Kind + "/" + f.Namespace + "/" + f.Name
	}
}

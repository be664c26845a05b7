package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/remedy-bot/remedy/gitops"
)

// writeDashboardSummary prints what became of the dashboard issue, when
// the repository has one: "dashboard updated #12: …".
func writeDashboardSummary(w io.Writer, res gitops.RunResult) {
	d := res.Dashboard
	if d.Action == gitops.DashboardNone {
		return
	}
	line := "dashboard " + string(d.Action)
	if d.Issue != nil {
		line += fmt.Sprintf(" #%d", d.Issue.Number)
		if d.Issue.URL != "" {
			line += " " + d.Issue.URL
		}
	}
	if len(d.Restored) > 0 {
		refs := make([]string, len(d.Restored))
		for i, n := range d.Restored {
			refs[i] = fmt.Sprintf("#%d", n)
		}
		line += "; fixes brought back from " + strings.Join(refs, ", ")
	}
	fmt.Fprintln(w, line)
}

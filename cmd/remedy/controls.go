package main

import (
	"github.com/spf13/cobra"

	"github.com/remedy-bot/remedy/report"
	"github.com/remedy-bot/remedy/scanner"
)

func newControlsCommand(inv *invocation) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "controls",
		Short: "List the security controls remedy checks",
		Long: `List every control of the catalog: its ID, severity, whether remedy can fix
it, the benchmark lines it serves (CIS Kubernetes Benchmark, Pod Security
Standards) and its title.

Control IDs are stable: they are what you write in "# remedy:ignore <id>
<reason>" comments, in the controls.disable and controls.enable lists of
.remedy.yaml, and in "remedy scan --control". The json format adds why each
control matters and how to fix a failure; markdown prints the README's table.`,
		Example: `  remedy controls
  remedy controls -o json | jq -r '.[] | select(.fixable) | .id'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return report.WriteControls(inv.stdout, scanner.DefaultCatalog(), format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "o", report.FormatTable, "output format: table, json or markdown")
	return cmd
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/cluster"
	"github.com/remedy-bot/remedy/scanner/importer"
)

// importOptions are the flags of remedy import.
type importOptions struct {
	from    string
	source  string
	fix     bool
	dryRun  bool
	format  string
	failOn  scanner.Severity
	cluster clusterFlags
}

func newImportCommand(inv *invocation) *cobra.Command {
	opts := &importOptions{failOn: scanner.SeverityLow}
	cmd := &cobra.Command{
		Use:   "import --from FORMAT [FILE]",
		Short: "Read another scanner's findings, mapped to remedy's controls",
		Long: `Read the report of another Kubernetes scanner and print its findings as remedy
findings: each failed check mapped to the catalog control that checks the same
thing where one does ("control"), the tool's own rule ID kept ("original"),
unmatched checks kept under "<tool>:<rule ID>".

Formats (--from):
  kubescape       kubescape scan --format json
  polaris         polaris audit --format json
  trivy-operator  Trivy Operator's ConfigAuditReports: kubectl get
                  configauditreports -A -o yaml, or --cluster to read them
                  from the cluster (findings on ReplicaSets and Jobs move to
                  their Deployment or CronJob)
  sarif           any SARIF 2.1.0 log

FILE is the report ("-" or nothing: stdin). With --source DIR each finding is
placed on the file and line of its object in the manifests under DIR, and
with --fix the fixes the tool proposes (Kubescape's fixPaths, an RFC 6902
patch in a SARIF result's properties.patch, Polaris mutations) are applied
there by remedy's structure-preserving editor, which verifies every edit and
refuses what it cannot make exactly; --dry-run prints them as a patch.

Exit status: 0 when no finding is at or above --fail-on, 1 when one is, 2 when
the report cannot be read.`,
		Example: `  kubescape scan deploy/ --format json --output ks.json
  remedy import --from kubescape ks.json --source deploy/ --fix --dry-run

  remedy import --from trivy-operator --cluster -A -o json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.cluster.check(cmd.Flags()); err != nil {
				return err
			}
			return interruptible(cmd.Context(), inv, func(ctx context.Context) error { return opts.run(ctx, inv, args) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.from, "from", "", "report format: "+strings.Join(importer.Formats(), ", ")+" (required)")
	f.StringVar(&opts.source, "source", "", "folder of the manifests the report is about: place findings there")
	f.BoolVar(&opts.fix, "fix", false, "with --source: apply the fixes the report proposes, in place")
	f.BoolVar(&opts.dryRun, "dry-run", false, "with --fix: write nothing, print the fixes as a unified diff")
	f.StringVarP(&opts.format, "format", "o", formatTable, "output format: table or json")
	f.Var(severityFlag{&opts.failOn}, "fail-on", "exit 1 when a finding is at least this severe: low, medium, high or critical")
	opts.cluster.register(f)
	for _, n := range []string{"sources", "argocd-namespace"} {
		_ = f.MarkHidden(n)
	}
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// importedFinding is one finding of remedy import's JSON output: a remedy
// finding plus the tool's own rule and its proposed fix.
type importedFinding struct {
	scanner.Finding
	Original struct {
		Tool  string `json:"tool"`
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"original"`
	// Located is false when the object was not found under --source.
	Located  bool          `json:"located"`
	Fix      []importer.Op `json:"fix,omitempty"`
	Outcome  string        `json:"outcome,omitempty"` // with --fix: fixed, not-fixable
	NotFound string        `json:"notFound,omitempty"`
}

func (o *importOptions) run(ctx context.Context, inv *invocation, args []string) error {
	if o.format != formatTable && o.format != formatJSON {
		return fmt.Errorf("--format %q: want table or json", o.format)
	}
	if o.fix && o.source == "" {
		return fmt.Errorf("--fix needs --source: the manifests to fix")
	}
	if o.dryRun && !o.fix {
		return fmt.Errorf("--dry-run goes with --fix")
	}
	if o.cluster.enabled && (o.from != importer.FormatTrivyOperator || len(args) > 0) {
		return fmt.Errorf("--cluster reads Trivy Operator's reports from the cluster: use it with --from trivy-operator and no FILE")
	}
	var (
		found []importer.Finding
		err   error
	)
	if o.cluster.enabled {
		found, err = o.fromCluster(ctx)
	} else {
		found, err = o.fromFile(inv, args)
	}
	if err != nil {
		return err
	}

	rep := &scanner.Report{}
	var located []importer.Located
	if o.source != "" {
		in := scanner.Load(o.source, []string{o.source}, scanner.LoadOptions{})
		rep.Errors, rep.Skipped = in.Errors, in.Skipped
		located = importer.Locate(in, found)
		if o.fix {
			var diff bytes.Buffer
			outcomes, err := applyImportedFixes(inv.writes, in, located, o.dryRun, &diff)
			if err != nil {
				return err
			}
			for i := range located {
				if reason, ok := outcomes[i]; ok && reason != "" {
					located[i].NotFixable = reason
				}
			}
			if o.dryRun {
				if _, err := inv.stdout.Write(diff.Bytes()); err != nil {
					return err
				}
			}
		}
	} else {
		for _, f := range found {
			located = append(located, importer.Located{Finding: f, Line: f.Line, Column: f.Column})
		}
	}

	out := make([]importedFinding, len(located))
	for i, l := range located {
		out[i] = toImported(l, o.source != "", o.fix)
	}
	slices.SortStableFunc(out, func(a, b importedFinding) int { return scanner.CompareFindings(a.Finding, b.Finding) })
	if !o.dryRun {
		var buf bytes.Buffer
		if o.format == formatJSON {
			err = writeImportJSON(&buf, out, rep)
		} else {
			err = writeImportTable(&buf, out, rep)
		}
		if err != nil {
			return err
		}
		if _, err := inv.stdout.Write(buf.Bytes()); err != nil {
			return err
		}
	}
	if len(rep.Errors) > 0 {
		return exitStatus(exitError)
	}
	for _, f := range out {
		if f.Severity >= o.failOn && f.Outcome != "fixed" && !f.Suppressed {
			return exitStatus(exitFindings)
		}
	}
	return nil
}

func (o *importOptions) fromFile(inv *invocation, args []string) ([]importer.Finding, error) {
	var (
		b   []byte
		err error
	)
	if len(args) == 0 || args[0] == "-" {
		b, err = io.ReadAll(inv.stdin)
	} else {
		b, err = os.ReadFile(args[0])
	}
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	return importer.Parse(o.from, b)
}

func (o *importOptions) fromCluster(ctx context.Context) ([]importer.Finding, error) {
	g, _, ns, err := cluster.Connect(cluster.KubeconfigOptions{Path: o.cluster.kubeconfig, Context: o.cluster.context},
		o.cluster.namespace, o.cluster.allNamespaces)
	if err != nil {
		return nil, err
	}
	return importer.TrivyFromCluster(ctx, g, ns)
}

func toImported(l importer.Located, withSource, fixing bool) importedFinding {
	f := importedFinding{Finding: scanner.Finding{
		Control: l.Control, Severity: l.Severity, File: l.File, Line: l.Line, Column: l.Column,
		Kind: l.Kind, Namespace: l.Namespace, Name: l.Name, Container: l.Container, Path: l.Path,
		Message: l.Message, Fixable: len(l.Ops) > 0 || !withSource && len(l.Fix) > 0,
		Suppressed: l.Suppressed, Reason: l.Reason,
	}, Fix: l.Fix, NotFound: l.NotFound, Located: l.Resource != nil}
	if f.Control == "" {
		f.Control = l.Tool + ":" + l.RuleID
	}
	if f.Severity == 0 {
		f.Severity = scanner.SeverityLow
	}
	f.Original.Tool, f.Original.ID, f.Original.Title = l.Tool, l.RuleID, l.Title
	if fixing && len(l.Fix) > 0 {
		f.Outcome = "fixed"
		if l.NotFixable != "" || len(l.Ops) == 0 {
			f.Outcome = "not-fixable: " + cmpOr(l.NotFixable, l.NotFound)
			f.Fixable = false
		}
	}
	return f
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// applyImportedFixes applies each located finding's operations to its
// document with remediate.EditDocument, which verifies every edit. A
// document whose fixes do not apply together gets them one by one, so one
// refused fix does not block the others. It returns, by index into located,
// the reason a fix was refused ("" when applied), and writes the files, or
// with dryRun a unified diff to diff.
func applyImportedFixes(writes *writeGate, in *scanner.Inputs, located []importer.Located, dryRun bool, diff io.Writer) (map[int]string, error) {
	outcomes := map[int]string{}
	byDoc := map[*scanner.Document][]int{}
	for i, l := range located {
		if l.Resource != nil && len(l.Ops) > 0 {
			byDoc[l.Resource.Doc] = append(byDoc[l.Resource.Doc], i)
		}
	}
	for _, file := range in.Files {
		after := slices.Clone(file.Bytes)
		changed := false
		// Last document first, so earlier offsets stay valid.
		for d := len(file.Docs) - 1; d >= 0; d-- {
			doc := file.Docs[d]
			idx := byDoc[doc]
			if len(idx) == 0 {
				continue
			}
			if file.Encoding != "" {
				for _, i := range idx {
					outcomes[i] = remediate.EncodingRefusal(file.Encoding)
				}
				continue
			}
			src := doc.Bytes()
			ops := func(ii []int) []remediate.Op {
				var out []remediate.Op
				for _, i := range ii {
					for _, op := range located[i].Ops {
						out = append(out, remediate.Op{Op: op.Op, Path: op.Path, Value: op.Value})
					}
				}
				return out
			}
			edited, err := remediate.EditDocument(src, ops(idx))
			if err != nil {
				edited = src
				for _, i := range idx {
					e, err := remediate.EditDocument(edited, ops([]int{i}))
					if err != nil {
						outcomes[i] = err.Error()
						continue
					}
					edited, outcomes[i] = e, ""
				}
			} else {
				for _, i := range idx {
					outcomes[i] = ""
				}
			}
			if !bytes.Equal(edited, src) {
				after = slices.Concat(after[:doc.Start], edited, after[doc.End:])
				changed = true
			}
		}
		if !changed {
			continue
		}
		if dryRun {
			if err := remediate.UnifiedDiff(diff, file.Path, file.Bytes, after); err != nil {
				return nil, err
			}
			continue
		}
		if err := writes.do(func() error {
			return replaceFile(filepath.Join(in.Root, filepath.FromSlash(file.Path)), file.Bytes, after, file.Mode)
		}); err != nil {
			return nil, fmt.Errorf("write %s: %w", file.Path, err)
		}
	}
	return outcomes, nil
}

func writeImportJSON(w io.Writer, fs []importedFinding, rep *scanner.Report) error {
	out := struct {
		Findings []importedFinding   `json:"findings"`
		Errors   []scanner.FileError `json:"errors"`
		Skipped  []scanner.Skipped   `json:"skipped"`
	}{Findings: fs, Errors: rep.Errors, Skipped: rep.Skipped}
	if out.Findings == nil {
		out.Findings = []importedFinding{}
	}
	if out.Errors == nil {
		out.Errors = []scanner.FileError{}
	}
	if out.Skipped == nil {
		out.Skipped = []scanner.Skipped{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func writeImportTable(w io.Writer, fs []importedFinding, rep *scanner.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEVERITY\tCONTROL\tORIGINAL\tOBJECT\tWHERE\tMESSAGE")
	for _, f := range fs {
		obj := f.Kind + "/" + f.Name
		if f.Namespace != "" {
			obj = f.Kind + "/" + f.Namespace + "/" + f.Name
		}
		where := "-"
		if f.File != "" {
			where = fmt.Sprintf("%s:%d", f.File, f.Line)
		}
		msg := f.Message
		if f.Outcome != "" {
			msg += " [" + f.Outcome + "]"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\n", f.Severity, f.Control, f.Original.Tool, f.Original.ID, obj, where, msg)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(w, "error: %s\n", e.Error())
	}
	_, err := fmt.Fprintf(w, "\n%d findings imported\n", len(fs))
	return err
}

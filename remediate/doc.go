// Package remediate fixes findings: the edits step of remedy's pipeline
// (bytes → findings → edits → commit → pull request). It decides with
// parsed objects and acts on bytes: a fix is an RFC 6902 patch, and the
// patch is spliced into the file's original bytes, so that every
// comment, quote, indentation and line ending outside the edited lines
// stays as it was.
//
// Data enters as a scanner.Report with the scanner.Inputs it was made of
// (FixReport, FixReportContext) or as one file's findings (FixFile).
// For each finding the fix of its control (fixers, plan.go) emits
// operations against the resource's JSON form (patchBuilder), so that
// later fixes see earlier ones. The operations are then written:
//
//   - into the file itself by the YAML splice editor (editor.go, block.go,
//     batch.go; one splice applier, splice.go), or, for Terraform, by
//     remediate/hcledit;
//   - for rendered output (Kustomize, Helm, Terraform), at the source that
//     writes the field (source.go): the base resource, the overlay patch,
//     the line of values.yaml, found through the build's source map.
//
// Every edit is verified before it is kept: the edited bytes must parse,
// must equal the original object with the patch applied, and a rescan
// (for rendered output, a rebuild of every output that reads the edited
// sources) must show the targeted findings gone and no new one. An edit
// that fails is refused, never half applied: the finding is reported
// "not fixable here" with the reason.
//
// Data leaves as FileFix values: each file's bytes before and after, the
// Remediations (the patch per resource, which --dry-run shows and a pull
// request body explains) and every finding's Outcome. UnifiedDiff renders
// a change; gitops commits it. Nothing here writes to disk or knows git.
package remediate

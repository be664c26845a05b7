// Package scanner turns a repository's Kubernetes manifests into
// findings: the first step of remedy's pipeline (bytes → findings → edits
// → commit → pull request).
//
// Data enters as bytes. Load (load.go) walks the scan root, passing over
// the folders every walk of a repository skips (SkipsFolder), and parses
// each YAML or JSON file byte for byte into a SourceFile: its documents, their
// resources (Resource, a kyaml node that keeps every line and column),
// its `# remedy:ignore` comments, and the files that could not be read
// (FileError) or were left out (Skipped). Inputs that are built rather
// than written come from the packages below this one and arrive as the
// same SourceFile with Rendered set: scanner/kustomize and scanner/helm
// build and render, scanner/terraform reads modules, scanner/cluster reads
// a live cluster, and scanner/render puts a repository together as
// deployed. Their SourceMap places each rendered field back at the line
// that wrote it.
//
// Data leaves as a Report. ScanInputs runs every enabled control of the
// Catalog over every resource, applies the suppressions (ignore comments,
// .remedy.yaml's disable and accept) and returns the Findings, each with
// its file, line, JSON path (Path) and a stable Fingerprint. remediate
// reads findings and the resources they point at; report, review and the
// service only render them. Nothing here edits a file.
//
// The control catalog is data plus one small Check function per control
// (Control, catalog.go), grouped by family in controls_*.go and mirroring
// ../shared/controls.md: to add a control, write its constructor in its
// family's file, list it in DefaultCatalog (catalog.go) and give it a
// risk (risk.go) when it is fixable, with a test over a real manifest;
// its fix, if any, is remediate's. Shared
// vocabulary lives here so that every package speaks it: Path and
// ParseImage, the PodSpec and Container views of a workload, the budgets
// that bound a hostile input (budget.go), and the build folders
// (BuildDirs) every builder resolves the same way.
package scanner

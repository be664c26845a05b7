// Package sourcemap finds, for each live object of a cluster scan, the git
// repository, revision and file that deploy it, so a finding in the cluster
// can be fixed where it is written, and tells apart what git says from what
// someone changed in the cluster by hand (drift).
//
// Who deploys an object is read from the marks GitOps tools leave on it:
//
//   - Argo CD: the annotation argocd.argoproj.io/tracking-id
//     (<app>:<group>/<kind>:<namespace>/<name>, the app written <ns>_<app>
//     when it lives outside Argo CD's namespace), or the label
//     app.kubernetes.io/instance, naming an Application whose spec.source or
//     spec.sources[] give repoURL, path and targetRevision.
//   - Flux: the labels kustomize.toolkit.fluxcd.io/name and /namespace,
//     naming a Kustomization (path, sourceRef) whose GitRepository gives url
//     and ref; or helm.toolkit.fluxcd.io/name and /namespace, naming a
//     HelmRelease whose chart comes from a GitRepository.
//
// The repository is cloned at that revision (with the forge's token when its
// host is the forge's, anonymously otherwise; an SSH URL over HTTPS, as
// remedy holds no SSH key), the source path is loaded as Argo CD and Flux
// would (a kustomization is built, a plain folder read, a chart rendered),
// and the object is found there by group, kind, namespace and name. An
// object no tool claims has no source: it was applied by hand and must be
// fixed there.
//
// A chart is rendered with the values its tool gives it, in the tool's
// order: values.yaml, the values files, then the inline values (Argo CD's
// helm.valuesObject or helm.values, then helm.parameters as --set; Flux's
// spec.values). A values file $<ref>/<path> of a multi-source Application
// is in the repository of the source with that ref: a path of this
// checkout when that is this repository at this revision, else read from
// its own checkout. Inline values and another repository's files are read,
// never fixed: a field they set is refused as a fix, to be made where they
// are set. What remedy does not read (a HelmRelease's valuesFrom, as remedy
// reads no Secret and no ConfigMap; helm.fileParameters; a values file URL)
// is named on the Origin and in the Source's note: the render may differ.
//
// Data enters as a cluster snapshot and its live report (Mapper.Map),
// with a Getter to read the deployers' objects and a Cloner to check out
// their repositories; it leaves as a Mapping: each live finding Placed at
// its source file and line (or with no source), and the Drift between the
// live object and its source. LoadTree/LoadTreeWith give the scanned tree
// of one source path (a Tree), which gitops/clustersweep fixes.
package sourcemap

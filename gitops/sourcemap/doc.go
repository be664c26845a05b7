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
// host is the forge's, anonymously otherwise), the source path is loaded as
// Argo CD and Flux would (a kustomization is built, a plain folder read), and
// the object is found there by group, kind, namespace and name. An object no
// tool claims has no source: it was applied by hand and must be fixed there.
package sourcemap

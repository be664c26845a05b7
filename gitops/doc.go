// Package gitops turns file fixes into fix pull requests, the way Renovate
// and Dependabot do: one bot branch per group of fixes, rebuilt on the base
// branch, and a pull request life cycle that holds no state of its own.
//
// The life cycle (Converge) reads everything it needs from the forge and the
// repository at every run: the pull requests of the bot branches, with the
// finding fingerprints recorded in a hidden marker of each body, and the
// branch heads. A run that finds nothing new to propose writes nothing.
//
// The forge is a seam declared here (forge.go: Host, Forge and the words
// they share); one driver package per forge implements it (gitops/forge/github,
// gitea, gitlab), and nothing outside the drivers knows a forge
// API. Git traffic (clone, push) goes through go-git with the token passed
// per operation, so no remote URL or config file ever holds it.
//
// Data enters as a repository to remedy (owner/name on a Host): the
// skeleton of checkout.go opens it (OpenRepository), clones its base with
// its .remedy.yaml (CloneBase), scans it (Checkout.Scan, or a caller's own
// load into a Scan) and hands the fixes of the scan (NewFixes, computed by
// remediate) with the Settings of .remedy.yaml to Converge (Remedy). A
// caller that has fixes of its own (the service's ignore task) calls
// Converge directly. Data leaves as commits pushed to bot branches, pull
// requests opened, edited or closed on the forge, and a RunResult for the
// caller: per branch what was done (Result), the counts, and Posture.
//
// Each branch converges in three steps (branch.go): its facts are read
// (pull requests, remote head, the commit remedy would push), a pure
// function decides (planBranch), and the plan is applied.
package gitops

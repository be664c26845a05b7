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
// they share); one driver package per forge implements it (gitops/forge/
// github, gitea, gitlab), and nothing outside the drivers knows a forge API. Git traffic
// (clone, push) goes through go-git with the token passed per operation, so
// no remote URL or config file ever holds it.
package gitops

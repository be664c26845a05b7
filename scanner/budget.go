package scanner

// Budgets of a load: a repository is written by people who do not run
// remedy, and within the file-size limit a file can still hold enough
// objects to take gigabytes (28,606 Deployments in 4.9 MB) or quadratic
// time (one Pod with 5,000 containers). Past a budget, the input is an
// error naming it, and the rest is scanned.
const (
	// DefaultMaxDocuments bounds the YAML documents of one file (or one
	// rendered chart or kustomization).
	DefaultMaxDocuments = 10_000
	// DefaultMaxContainers bounds the containers (with init and ephemeral
	// containers) of one pod template: Kubernetes itself has no limit,
	// but no real pod has more than a few dozen.
	DefaultMaxContainers = 500
	// DefaultMaxObjects bounds the objects of one run, all files together.
	DefaultMaxObjects = 200_000
)

package render

import (
	"fmt"

	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/helm"
)

// Budgets are every budget of one load as deployed (README "Budgets"):
// the operator's (remedy scan's flags, remedy serve's limits:), never a
// repository's. Zero fields take the defaults. They are one value so that
// every path that loads a repository (gitops.Checkout, the cluster
// sweep's source trees, the review of a pull request) passes all of them.
type Budgets struct {
	// MaxFileSize bounds each file read, in bytes.
	MaxFileSize int64
	// Load bounds documents per file, containers per pod and objects per
	// run.
	Load scanner.Budgets
	// Helm bounds each chart render (time, output, memory).
	Helm helm.Budget
}

// Options is o (a repository's exclusions and Helm releases) with the
// budgets of b.
func (b Budgets) Options(o Options) Options {
	o.MaxFileSize, o.Budgets, o.HelmBudget = b.MaxFileSize, b.Load, b.Helm
	return o
}

// WithDefaults fills the zero fields of b.
func (b Budgets) WithDefaults() Budgets {
	if b.MaxFileSize <= 0 {
		b.MaxFileSize = scanner.DefaultMaxFileSize
	}
	b.Load = b.Load.WithDefaults()
	b.Helm = b.Helm.WithDefaults()
	return b
}

// String names the budgets, defaults filled, for the record of a run
// (gitops.InputsHash): a run under other budgets may find other things.
func (b Budgets) String() string {
	d := b.WithDefaults()
	return fmt.Sprintf("file %d B, %d documents, %d containers, %d objects, helm %s %d B %d B",
		d.MaxFileSize, d.Load.MaxDocuments, d.Load.MaxContainers, d.Load.MaxObjects, d.Helm.Timeout, d.Helm.MaxOutput, d.Helm.MaxMemory)
}

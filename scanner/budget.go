package scanner

import (
	"fmt"

	"github.com/remedy-bot/remedy/internal/parallel"
)

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
	// Measured: 10,000 Deployments failing about 20 controls each take
	// `remedy scan -o json` 10 s and 0.6 GB; 50,000 are a large fleet's
	// repository, and about 3 GB.
	DefaultMaxObjects = 50_000
)

// Budgets bound a load; zero fields take the defaults.
type Budgets struct {
	// MaxDocuments bounds the documents of one file: a file with more is
	// an error, and not scanned.
	MaxDocuments int
	// MaxContainers bounds the containers of one pod template: an object
	// with more is an error at its containers line, and its document is
	// not scanned; the rest of the file is.
	MaxContainers int
	// MaxObjects bounds the objects of one run: the files past it are
	// errors, and not scanned.
	MaxObjects int
}

// WithDefaults fills the zero fields of b.
func (b Budgets) WithDefaults() Budgets {
	if b.MaxDocuments <= 0 {
		b.MaxDocuments = DefaultMaxDocuments
	}
	if b.MaxContainers <= 0 {
		b.MaxContainers = DefaultMaxContainers
	}
	if b.MaxObjects <= 0 {
		b.MaxObjects = DefaultMaxObjects
	}
	return b
}

// tooManyDocuments says why a file of n documents is refused; "" when it
// is within budget.
func (b Budgets) tooManyDocuments(n int) string {
	if n <= b.MaxDocuments {
		return ""
	}
	return fmt.Sprintf("file holds %d YAML documents, over the %d-document budget (--max-documents; serve: limits.maxDocuments): not scanned", n, b.MaxDocuments)
}

// ApplyBudgets refuses what is over the budgets: each file of more than
// MaxDocuments documents, each pod template with more than MaxContainers
// containers (its document is left out), then every file past MaxObjects
// objects, in order. Each refusal is an error of in naming the file (and line). It is
// idempotent: scanner.Load calls it, and a loader that adds rendered
// files calls it again.
func (in *Inputs) ApplyBudgets(b Budgets) {
	b = b.WithDefaults()
	// Each document's objects are counted and its pod templates'
	// containers checked on every core first; the files are then taken
	// in order.
	type docBudget struct {
		objects int
		over    *FileError
	}
	perFile := make([][]docBudget, len(in.Files))
	parallel.ForEach(len(in.Files), func(i int) {
		f := in.Files[i]
		if b.tooManyDocuments(len(f.Docs)) != "" {
			return
		}
		perFile[i] = make([]docBudget, len(f.Docs))
		for j, d := range f.Docs {
			rs := d.Resources()
			perFile[i][j] = docBudget{objects: len(rs), over: overContainers(f.Path, rs, b.MaxContainers)}
		}
	})
	objects := 0
	kept := in.Files[:0]
	for i, f := range in.Files {
		// Files read by Load were counted before parsing; this is for
		// the outputs of builds (Kustomize), parsed whole.
		if msg := b.tooManyDocuments(len(f.Docs)); msg != "" {
			in.Errors = append(in.Errors, FileError{File: f.Path, Message: msg})
			continue
		}
		n := 0
		for j, d := range f.Docs {
			if e := perFile[i][j].over; e != nil {
				in.Errors = append(in.Errors, *e)
				d.Node = nil
				continue
			}
			n += perFile[i][j].objects
		}
		if objects+n > b.MaxObjects {
			in.Errors = append(in.Errors, FileError{File: f.Path, Message: fmt.Sprintf(
				"%d objects here would take the run past its %d-object budget (--max-objects; serve: limits.maxObjects): not scanned", n, b.MaxObjects)})
			continue
		}
		objects += n
		kept = append(kept, f)
	}
	clear(in.Files[len(kept):])
	in.Files = kept
}

// overContainers is the error of a document of file holding a pod
// template with more than max containers, or nil; rs are its objects.
func overContainers(file string, rs []*Resource, max int) *FileError {
	for _, r := range rs {
		ps := PodSpecOf(r)
		if ps == nil || len(ps.Containers) <= max {
			continue
		}
		line := ps.Containers[0].Node.Line
		if k, _ := FieldPair(ps.Node, ps.Containers[0].Field); k != nil {
			line = k.Line
		}
		return &FileError{File: file, Line: line, Message: fmt.Sprintf(
			"%s has %d containers, over the %d-container budget (--max-containers; serve: limits.maxContainers): not scanned", r.ID(), len(ps.Containers), max)}
	}
	return nil
}

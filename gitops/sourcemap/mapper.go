package sourcemap

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"slices"
	"strings"

	"github.com/remedy-bot/remedy/internal/oneline"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/cluster"
	"github.com/remedy-bot/remedy/scanner/render"
)

// Source is where a live object, or one of its findings, is written in git.
// Its JSON form is the "source" of a finding in remedy scan --cluster.
type Source struct {
	Repo     string `json:"repo,omitempty"`
	Revision string `json:"revision,omitempty"`
	// Path is the folder the GitOps tool deploys; File the file within the
	// repository, and Line its line.
	Path string `json:"path,omitempty"`
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Deployer names the GitOps object: "Application argocd/shop".
	Deployer string `json:"deployer,omitempty"`
	// Error says why the source is not known; ErrNoDeployer's text for an
	// object no GitOps tool deploys.
	Error string `json:"error,omitempty"`
	// Note says what the source may not tell: values the release takes
	// from elsewhere, which remedy does not read.
	Note string `json:"note,omitempty"`
}

// Drift is a checked field whose live value differs from what git renders:
// somebody changed the object in the cluster (kubectl edit, a mutating
// webhook) and the next sync would undo it, or it is not synced.
type Drift struct {
	Control   string `json:"control"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Path      string `json:"path"`
	// Live and Source are the values (null when the field is unset).
	Live   any    `json:"live"`
	Source any    `json:"source"`
	Repo   string `json:"repo"`
	File   string `json:"file"`
	Line   int    `json:"line"`
}

// Placed is one live object and its source object.
type Placed struct {
	Object *cluster.Object
	Tree   *Tree
	// Resource is the source object; nil when the object has no source.
	Resource *scanner.Resource
	Source   Source
	// LoadErr is set when its source could not be cloned or loaded (as
	// opposed to loaded and not holding the object).
	LoadErr error
}

// Mapping is the result of Map.
type Mapping struct {
	// Objects are the live objects with their sources, by pseudo file.
	Objects map[string]*Placed
	// Findings are the sources of the live report's findings, in its order.
	Findings []Source
	Drift    []Drift
	// Trees are the source trees loaded, in the order first needed.
	Trees []*Tree
}

// Mapper maps live objects to their sources.
type Mapper struct {
	Resolver *Resolver
	Cloner   Cloner
	// Scan are the scan options, the same as the live scan's, so findings
	// and drift compare like with like.
	Scan scanner.Options
	// Budgets bound each source tree's load; zero fields take the
	// defaults.
	Budgets render.Budgets
	Log     *slog.Logger
}

// treeKey is one load of a source: two Applications that render one
// chart with different values are two trees.
func treeKey(o Origin) string {
	o.Sources = nil
	b, _ := json.Marshal(o)
	return string(b)
}

// NoteOf says what origin's render may miss; "" when nothing.
func NoteOf(o Origin) string {
	if len(o.ValuesFrom) == 0 {
		return ""
	}
	return "the release also takes values from " + strings.Join(o.ValuesFrom, ", ") +
		", which remedy does not read: the render may differ from the cluster's"
}

// Map finds the source of every object of snap and of every finding of
// live (snap.Report, or a report of the same objects), and the drift
// between them. Problems with one
// deployer or repository are recorded on its objects; only the end of ctx
// stops the mapping.
func (m *Mapper) Map(ctx context.Context, snap *cluster.Snapshot, live *scanner.Report) (*Mapping, error) {
	log := m.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := &Mapping{Objects: map[string]*Placed{}}
	trees := map[string]*Tree{}
	treeErrs := map[string]error{}
	load := func(o Origin) (*Tree, error) {
		k := treeKey(o)
		if t, ok := trees[k]; ok {
			return t, nil
		}
		if err, ok := treeErrs[k]; ok {
			return nil, err
		}
		dir, err := m.Cloner.Checkout(ctx, o.Repo, o.Revision)
		var t *Tree
		if err == nil {
			t, err = LoadTreeWith(ctx, m.Cloner, dir, o, m.Scan, m.Budgets)
		}
		if err != nil {
			log.Warn("source not loaded", "repo", o.Repo, "revision", o.Revision, "path", o.Path, "error", err)
			treeErrs[k] = err
			return nil, err
		}
		trees[k] = t
		out.Trees = append(out.Trees, t)
		return t, nil
	}

	for _, obj := range snap.Objects {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := &Placed{Object: obj}
		out.Objects[obj.File] = p
		origin, err := m.Resolver.Resolve(ctx, obj)
		if err != nil {
			if !errors.Is(err, ErrNoDeployer) {
				log.Warn("deployer not read", "object", obj.File, "error", err)
			}
			p.Source = Source{Error: oneline.Fold(err.Error()), Deployer: origin.Deployer}
			continue
		}
		p.Source = Source{Repo: origin.Repo, Revision: origin.Revision, Path: origin.Path, Deployer: origin.Deployer, Note: NoteOf(origin)}
		var errs []string
		for _, o := range append([]Origin{origin}, origin.Sources...) {
			t, err := load(o)
			if err != nil {
				errs = append(errs, err.Error())
				p.LoadErr = err
				continue
			}
			if r := t.Find(obj.APIVersion, obj.Kind, obj.Namespace, obj.Name); r != nil {
				p.Tree, p.Resource = t, r
				file, line := ObjectLocation(r)
				p.Source = Source{Repo: o.Repo, Revision: o.Revision, Path: o.Path, File: file, Line: line, Deployer: origin.Deployer, Note: NoteOf(o)}
				p.LoadErr = nil
				break
			}
			errs = append(errs, "not found in "+o.Repo+" "+cmp.Or(o.Path, ".")+" at "+orDefault(o.Revision))
		}
		if p.Resource == nil {
			p.Source.Error = oneline.Fold(strings.Join(errs, "; "))
		}
	}

	out.Findings = make([]Source, len(live.Findings))
	byObject := map[string][]scanner.Finding{}
	for i, f := range live.Findings {
		out.Findings[i] = m.place(out.Objects[f.File], f)
		byObject[f.File] = append(byObject[f.File], f)
	}
	// Every object with a source can drift, whether or not the live one
	// fails. The scan kept only its rendering: parse it again, one at a time.
	for file, p := range out.Objects {
		if p.Resource == nil {
			continue
		}
		lr, err := p.Object.Resource()
		if err != nil {
			log.Warn("live object not read again", "object", file, "error", err)
			continue
		}
		out.Drift = append(out.Drift, drift(p, lr, byObject[file], p.sourceFindings())...)
	}
	slices.SortFunc(out.Drift, func(a, b Drift) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Path, b.Path), cmp.Compare(a.Control, b.Control))
	})
	return out, nil
}

// findingKey matches a live finding with the same finding of the source.
func findingKey(f scanner.Finding) string { return f.Control + "\x00" + f.Container + "\x00" + f.Path }

// sourceFindings are the findings of the source scan on p's source object.
func (p *Placed) sourceFindings() []scanner.Finding {
	var out []scanner.Finding
	for _, sf := range p.Tree.Report.Findings {
		if sameObject(sf.Resource, p.Resource) {
			out = append(out, sf)
		}
	}
	return out
}

// sameObject reports whether a and b are the same object of the same
// document: Document.Resources makes new values at every call.
func sameObject(a, b *scanner.Resource) bool {
	return a != nil && b != nil && a.Doc == b.Doc && slices.Equal(a.Base, b.Base)
}

// place is the source of live finding f of p: where the source has the same
// finding, there; else where the field is, or would be, written.
func (m *Mapper) place(p *Placed, f scanner.Finding) Source {
	if p == nil {
		return Source{}
	}
	s := p.Source
	if p.Resource == nil {
		return s
	}
	for _, sf := range p.sourceFindings() {
		if findingKey(sf) == findingKey(f) {
			s.File, s.Line = sf.File, sf.Line
			return s
		}
	}
	s.File, s.Line = FieldLocation(p.Resource, f.FieldPath)
	return s
}

// drift compares, field by field, what the controls checked on the live
// object lr (its findings live) and on its source (findings src). A field
// drifts when the controls judge the two sides differently and the values
// differ, or when both sides fail but set different values. A field only
// the API server fills in (a default) fails or passes alike on both sides,
// so defaulting is not drift.
func drift(p *Placed, lr *scanner.Resource, live, src []scanner.Finding) []Drift {
	type side struct{ live, src *scanner.Finding }
	sides := map[string]*side{}
	var order []string
	get := func(f *scanner.Finding) *side {
		k := findingKey(*f)
		s := sides[k]
		if s == nil {
			s = &side{}
			sides[k] = s
			order = append(order, k)
		}
		return s
	}
	for i := range live {
		get(&live[i]).live = &live[i]
	}
	for i := range src {
		get(&src[i]).src = &src[i]
	}
	var out []Drift
	for _, k := range order {
		s := sides[k]
		f := s.live
		if f == nil {
			f = s.src
		}
		if f.Path == "" {
			continue // a finding about the whole object: no field to compare
		}
		lv := plain(valueAt(lr.Node.YNode(), f.FieldPath))
		sv := plain(valueAt(p.Resource.Node.YNode(), f.FieldPath))
		if reflect.DeepEqual(lv, sv) {
			continue
		}
		judgedAlike := (s.live == nil) == (s.src == nil)
		if judgedAlike && (lv == nil || sv == nil) {
			continue
		}
		d := Drift{Control: f.Control, Kind: p.Object.Kind, Namespace: p.Object.Namespace, Name: p.Object.Name,
			Path: f.Path, Live: lv, Source: sv, Repo: p.Source.Repo}
		if s.src != nil {
			d.File, d.Line = s.src.File, s.src.Line
		} else {
			d.File, d.Line = FieldLocation(p.Resource, f.FieldPath)
		}
		out = append(out, d)
	}
	return out
}

package scanner

import (
	"sort"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Control is one entry of the catalog (../shared/controls.md): data about
// the rule plus one small check function.
type Control struct {
	ID       string
	Title    string
	Severity Severity
	// Refs name the benchmark lines the control serves ("CIS 5.2.6", "PSS restricted").
	Refs []string
	// PSS is the Pod Security Standards check the control implements, nil
	// for none. Its level and version are what the reference judges.
	PSS *PSSRule
	// Fixable is true when remedy can edit the source to pass the control.
	Fixable bool
	// Why explains the risk; HowToFix what to change. Both are shown to humans.
	Why      string
	HowToFix string
	// Risk is what the fix can break at run time (fixable controls only).
	Risk *Risk
	// Check returns every place the resource fails the control.
	Check func(r *Resource, cc *CheckContext) []Hit
}

// CheckContext is what a check may know beyond the resource itself.
type CheckContext struct {
	// ResourceDefaults are the repo config's default resources, by
	// "limits"/"requests" then "cpu"/"memory"; fixes may only write these.
	ResourceDefaults map[string]map[string]string
	// PSSMinor is the Pod Security Standards policy version (v1.PSSMinor)
	// the controls follow: exemptions and allowed lists differ by version.
	PSSMinor int
	// Images is what --resolve-images read from the registries; nil when
	// images were not resolved.
	Images ImageLookup
}

// Hit is one failing place. Node locates it: the offending field's key, or,
// when the field is missing, the object that should hold it.
type Hit struct {
	Node      *yaml.Node
	Path      Path
	Container string
	Message   string
	// NotFixable, when set, says why this hit cannot be fixed automatically
	// even though the control is fixable.
	NotFixable string
	// PSSLevel, when set, overrides the level of the control's PSS rule for
	// this hit: an Unconfined seccomp profile fails baseline, a profile
	// missing only restricted.
	PSSLevel string
}

// Catalog is the set of controls, by ID.
type Catalog struct {
	controls []*Control
	byID     map[string]*Control
}

// NewCatalog builds a catalog from controls.
func NewCatalog(controls []*Control) *Catalog {
	c := &Catalog{controls: controls, byID: make(map[string]*Control, len(controls))}
	for _, ctl := range controls {
		c.byID[ctl.ID] = ctl
	}
	return c
}

// Controls returns the controls sorted by ID.
func (c *Catalog) Controls() []*Control {
	out := append([]*Control(nil), c.controls...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Get returns a control by ID, or nil.
func (c *Catalog) Get(id string) *Control { return c.byID[id] }

// IDs returns the control IDs, sorted.
func (c *Catalog) IDs() []string {
	out := make([]string, 0, len(c.controls))
	for _, ctl := range c.Controls() {
		out = append(out, ctl.ID)
	}
	return out
}

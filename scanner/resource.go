package scanner

import (
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Resource is one Kubernetes object: a document, or an item of a List.
type Resource struct {
	Doc *Document
	// Node is the object's mapping node.
	Node *yaml.RNode
	// Base is the object's path within its document: empty, or items[N].
	Base Path

	APIVersion, Kind, Namespace, Name string

	// podSpec is PodSpecOf's answer, worked out once: every control of a
	// workload asks for it.
	podSpec     *PodSpec
	podSpecOnce sync.Once
}

// File is the object's file path relative to the scan root.
func (r *Resource) File() string { return r.Doc.File.Path }

// ID names the object for humans: Kind/namespace/name.
func (r *Resource) ID() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Kind + "/" + r.Namespace + "/" + r.Name
}

// Resources returns the Kubernetes objects of a document. A document that
// has no apiVersion and kind is not Kubernetes (a CI workflow, a Helm values
// file) and yields nothing. `kind: List` (and typed lists such as
// DeploymentList) yield their items.
func (d *Document) Resources() []*Resource {
	if d.Node == nil || d.Node.YNode().Kind != yaml.MappingNode {
		return nil
	}
	r := newResource(d, d.Node, nil, "", "")
	if r == nil {
		return nil
	}
	if !strings.HasSuffix(r.Kind, "List") {
		return []*Resource{r}
	}
	items := Field(d.Node.YNode(), "items")
	if items == nil || items.Kind != yaml.SequenceNode {
		return []*Resource{r}
	}
	// The API server writes a typed list's items without apiVersion and
	// kind (`kubectl get deployments -o yaml` fills them in; a raw API
	// response does not): they are the list's, minus "List".
	var itemAPIVersion, itemKind string
	if r.Kind != "List" {
		itemAPIVersion, itemKind = r.APIVersion, strings.TrimSuffix(r.Kind, "List")
	}
	var out []*Resource
	for i, it := range items.Content {
		it = Resolve(it)
		if it.Kind != yaml.MappingNode {
			continue
		}
		if item := newResource(d, yaml.NewRNode(it), Path{"items"}.Index(i), itemAPIVersion, itemKind); item != nil {
			out = append(out, item)
		}
	}
	return out
}

// newResource reads the object at n, or returns nil when it has no
// apiVersion or kind and no defaults for them are given.
func newResource(d *Document, n *yaml.RNode, base Path, defaultAPIVersion, defaultKind string) *Resource {
	y := n.YNode()
	apiVersion, kind := ScalarValue(Field(y, "apiVersion")), ScalarValue(Field(y, "kind"))
	if apiVersion == "" {
		apiVersion = defaultAPIVersion
	}
	if kind == "" {
		kind = defaultKind
	}
	if apiVersion == "" || kind == "" {
		return nil
	}
	meta := Field(y, "metadata")
	return &Resource{
		Doc: d, Node: n, Base: base,
		APIVersion: apiVersion, Kind: kind,
		Namespace: ScalarValue(Field(meta, "namespace")),
		Name:      ScalarValue(Field(meta, "name")),
	}
}

// Resolve follows an alias to the node it names.
func Resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 8; i++ {
		n = n.Alias
	}
	return n
}

// Field returns the value of key in mapping m (following aliases and `<<`
// merge keys, as Kubernetes' YAML decoder does), or nil.
func Field(m *yaml.Node, key string) *yaml.Node {
	_, v := FieldPair(m, key)
	return v
}

// FieldPair returns the key and value nodes of key in mapping m, or nils.
// A key written in m itself wins over one merged in with `<<`.
func FieldPair(m *yaml.Node, key string) (k, v *yaml.Node) {
	return lookupField(m, key, 0)
}

// maxLookupMergeDepth bounds how many `<<` merges deep a lookup follows, so a
// hostile chain of merges cannot recurse without end.
const maxLookupMergeDepth = 16

func lookupField(m *yaml.Node, key string, depth int) (k, v *yaml.Node) {
	m = Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > maxLookupMergeDepth {
		return nil, nil
	}
	var merged *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		switch m.Content[i].Value {
		case key:
			return m.Content[i], Resolve(m.Content[i+1])
		case "<<":
			merged = m.Content[i+1]
		}
	}
	if merged = Resolve(merged); merged != nil {
		switch merged.Kind {
		case yaml.MappingNode:
			return lookupField(merged, key, depth+1)
		case yaml.SequenceNode:
			for _, s := range merged.Content {
				if k, v := lookupField(s, key, depth+1); k != nil {
					return k, v
				}
			}
		}
	}
	return nil, nil
}

// ScalarValue returns a scalar's value, or "" for anything else.
func ScalarValue(n *yaml.Node) string {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}

// IsTrue reports whether n is the boolean true. Kubernetes decodes YAML with
// YAML 1.1-ish rules only for true/false, so "yes" and quoted "true" are not true.
func IsTrue(n *yaml.Node) bool {
	n = Resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!bool" && strings.EqualFold(n.Value, "true")
}

// IsFalse reports whether n is the boolean false.
func IsFalse(n *yaml.Node) bool {
	n = Resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.Tag == "!!bool" && strings.EqualFold(n.Value, "false")
}

// Items returns a sequence's items (aliases resolved), or nil.
func Items(n *yaml.Node) []*yaml.Node {
	n = Resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	out := make([]*yaml.Node, len(n.Content))
	for i, c := range n.Content {
		out[i] = Resolve(c)
	}
	return out
}

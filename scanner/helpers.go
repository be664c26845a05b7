package scanner

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// forEachContainer runs check over every container of the resource's pod
// template and collects its hits. Resources without a pod template pass.
func forEachContainer(r *Resource, check func(ps *PodSpec, c Container) []Hit) []Hit {
	ps := PodSpecOf(r)
	if ps == nil {
		return nil
	}
	var out []Hit
	for _, c := range ps.Containers {
		out = append(out, check(ps, c)...)
	}
	return out
}

// withPodSpec runs check over the resource's pod template, if it has one.
func withPodSpec(r *Resource, check func(ps *PodSpec) []Hit) []Hit {
	if ps := PodSpecOf(r); ps != nil {
		return check(ps)
	}
	return nil
}

// lookup follows a path of keys below n and returns the last key node and
// its value, or nils when any step is missing.
func lookup(n *yaml.Node, keys ...string) (key, value *yaml.Node) {
	value = n
	for _, k := range keys {
		key, value = FieldPair(value, k)
		if value == nil {
			return nil, nil
		}
	}
	return key, value
}

// securityContextField returns the key and value of a securityContext field
// of a container or pod spec.
func securityContextField(n *yaml.Node, keys ...string) (key, value *yaml.Node) {
	return lookup(n, append([]string{"securityContext"}, keys...)...)
}

// fieldPath returns base extended by keys.
func fieldPath(base Path, keys ...string) Path {
	for _, k := range keys {
		base = base.Key(k)
	}
	return base
}

// isSet reports whether a field holds a value. Kubernetes decodes `key:` and
// `key: null` as an unset field, so neither overrides a pod-level default.
func isSet(v *yaml.Node) bool {
	v = Resolve(v)
	return v != nil && (v.Kind != yaml.ScalarNode || v.Tag != "!!null")
}

// hitAt reports a container's field: at its key when present, else at the
// container item itself (the `- name:` line).
func hitAt(c Container, key *yaml.Node, path Path, msg string) Hit {
	node := key
	if node == nil {
		node = c.Node
	}
	return Hit{Node: node, Path: path, Container: c.Name, Message: msg}
}

// podHitAt reports a pod-level field: at its key when present, else at the
// pod spec's `spec:` key.
func podHitAt(ps *PodSpec, key *yaml.Node, path Path, msg string) Hit {
	node := key
	if node == nil {
		node = ps.KeyNode
	}
	return Hit{Node: node, Path: path, Message: msg}
}

// securityContextOwner is an object that holds a securityContext: the pod
// spec, or one of its containers.
type securityContextOwner struct {
	Node *yaml.Node
	Path Path
	// Container is the container's name, "" for the pod spec.
	Container string
}

// String names the owner in messages: pod, or container "web".
func (o securityContextOwner) String() string {
	if o.Container == "" {
		return "pod"
	}
	return fmt.Sprintf("container %q", o.Container)
}

// hit reports a field of the owner's securityContext at its key.
func (o securityContextOwner) hit(key *yaml.Node, msg string, keys ...string) Hit {
	return Hit{Node: key, Path: fieldPath(o.Path, append([]string{"securityContext"}, keys...)...), Container: o.Container, Message: msg}
}

// securityContextOwners returns the pod spec, then every container: the
// places a setting allowed at both levels can be made.
func securityContextOwners(ps *PodSpec) []securityContextOwner {
	out := []securityContextOwner{{Node: ps.Node, Path: ps.Path}}
	for _, c := range ps.Containers {
		out = append(out, securityContextOwner{Node: c.Node, Path: c.Path, Container: c.Name})
	}
	return out
}

// forEachSecurityContext runs check over the pod spec and every container
// of the resource's pod template.
func forEachSecurityContext(r *Resource, check func(o securityContextOwner) []Hit) []Hit {
	return withPodSpec(r, func(ps *PodSpec) []Hit {
		var out []Hit
		for _, o := range securityContextOwners(ps) {
			out = append(out, check(o)...)
		}
		return out
	})
}

// effectiveSecurityField returns a container's securityContext field when
// the container sets it, else the pod's: "settings specified in Container
// override settings made in the PodSecurityContext" (core/v1 API docs).
func effectiveSecurityField(ps *PodSpec, c Container, keys ...string) (key, value *yaml.Node, fromPod bool) {
	if key, value := securityContextField(c.Node, keys...); isSet(value) {
		return key, value, false
	}
	key, value = securityContextField(ps.Node, keys...)
	return key, value, true
}

// mappingEntry is one key of a mapping and its (alias-resolved) value.
type mappingEntry struct{ Key, Value *yaml.Node }

// maxFieldsMergeDepth bounds how deep fields follows `<<` merges, so a
// hostile chain cannot recurse without end; FieldPair stops at the same depth.
const maxFieldsMergeDepth = 16

// fields returns every key of mapping m with its value, in order: m's own
// keys, then keys merged in by `<<` that m does not override. This is the
// set of keys FieldPair can find.
func fields(m *yaml.Node) []mappingEntry {
	return mergedFields(m, map[string]bool{}, 0)
}

func mergedFields(m *yaml.Node, seen map[string]bool, depth int) []mappingEntry {
	m = Resolve(m)
	if m == nil || m.Kind != yaml.MappingNode || depth > maxFieldsMergeDepth {
		return nil
	}
	var out []mappingEntry
	var merged *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Value == "<<" {
			// As in FieldPair, the last merge key of a mapping is the one used.
			merged = Resolve(m.Content[i+1])
			continue
		}
		if !seen[k.Value] {
			seen[k.Value] = true
			out = append(out, mappingEntry{Key: k, Value: Resolve(m.Content[i+1])})
		}
	}
	if merged == nil {
		return out
	}
	sources := []*yaml.Node{merged}
	if merged.Kind == yaml.SequenceNode {
		sources = merged.Content
	}
	for _, s := range sources {
		out = append(out, mergedFields(s, seen, depth+1)...)
	}
	return out
}

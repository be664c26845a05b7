package kustomize

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Why not resmap's AsYaml: `kustomize build` prints each object through
// five conversions (kyaml node → YAML text → map → JSON → yaml.v2 value →
// YAML text), a third of a build's time on the corpus. The bytes are the
// output remedy scans and traces, so they must stay exactly kustomize's.
// jsonValue goes from the node straight to the yaml.v2 value those steps
// arrive at, and only the last step is run; a node it is not sure of (an
// alias, a custom tag, a timestamp, a duplicate key, invalid UTF-8) takes
// kustomize's own path. TestResourceYAMLIsKustomizes compares both on every
// object of the corpus and on the edge cases of each step.

// asYAML is resmap's AsYaml: the objects of m, each as kustomize prints
// it, separated by "---".
func asYAML(m resmap.ResMap) ([]byte, error) {
	var buf bytes.Buffer
	for i, res := range m.Resources() {
		out, err := resourceYAML(res)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(out)
	}
	return buf.Bytes(), nil
}

// resourceYAML is res.AsYAML().
func resourceYAML(res *resource.Resource) ([]byte, error) {
	if out, ok, err := shortYAML(res.YNode()); ok {
		return out, err
	}
	return res.AsYAML()
}

// shortYAML is an object (a mapping) as kustomize prints it, the short
// way; ok is false where jsonValue is not sure, or n is no mapping.
func shortYAML(n *yaml.Node) (out []byte, ok bool, err error) {
	v, ok := jsonValue(n, false)
	m, isMap := v.(map[any]any)
	if !ok || !isMap {
		return nil, false, nil
	}
	out, err = yamlv2.Marshal(m)
	return out, true, err
}

// jsonValue is the value yaml.v2 reads back from the JSON of n as
// kyaml's MarshalJSON writes it: mappings as map[any]any with string keys,
// sequences as []any, and scalars as string, bool, int, float64 or nil.
// ok is false where that is not certain; the caller then takes the long
// way. flow says whether n is inside a flow collection.
func jsonValue(n *yaml.Node, flow bool) (v any, ok bool) {
	if n == nil || n.Anchor != "" {
		return nil, false
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) != 1 {
			return nil, false
		}
		return jsonValue(n.Content[0], flow)
	case yaml.MappingNode:
		if n.ShortTag() != yaml.NodeTagMap {
			return nil, false
		}
		flow = flow || n.Style&yaml.FlowStyle != 0
		m := make(map[any]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			// A merge key (<<) has its own tag and is left out here.
			if k.Kind != yaml.ScalarNode || k.Anchor != "" || k.ShortTag() != yaml.NodeTagString || !utf8.ValidString(k.Value) {
				return nil, false
			}
			if _, dup := m[k.Value]; dup {
				return nil, false
			}
			val, ok := jsonValue(n.Content[i+1], flow)
			if !ok {
				return nil, false
			}
			m[k.Value] = val
		}
		return m, true
	case yaml.SequenceNode:
		if n.ShortTag() != yaml.NodeTagSeq {
			return nil, false
		}
		flow = flow || n.Style&yaml.FlowStyle != 0
		s := make([]any, len(n.Content))
		for i, c := range n.Content {
			val, ok := jsonValue(c, flow)
			if !ok {
				return nil, false
			}
			s[i] = val
		}
		return s, true
	case yaml.ScalarNode:
		// In a flow collection YAML's emitter quotes an empty scalar, so a
		// null written as nothing ({a: }) comes back as "".
		if flow && n.Value == "" {
			return nil, false
		}
		return scalarJSONValue(n)
	}
	return nil, false
}

// scalarJSONValue is jsonValue of a scalar.
func scalarJSONValue(n *yaml.Node) (any, bool) {
	switch n.ShortTag() {
	case yaml.NodeTagString:
		// encoding/json replaces invalid UTF-8.
		return n.Value, utf8.ValidString(n.Value)
	case yaml.NodeTagNull:
		return nil, true
	case yaml.NodeTagBool, yaml.NodeTagInt, yaml.NodeTagFloat:
	default:
		return nil, false
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, false
	}
	switch x := v.(type) {
	case bool, int:
		// JSON's true/false and digits; yaml.v2 reads them back as such.
		return x, true
	case float64:
		// JSON prints 1.0 as 1 and 1e21 as 1e+21, which yaml.v2 reads as
		// an int and a float: ask both (NaN and infinities are no JSON).
		j, err := json.Marshal(x)
		if err != nil {
			return nil, false
		}
		var back any
		if err := yamlv2.Unmarshal(j, &back); err != nil {
			return nil, false
		}
		return back, true
	}
	return nil, false
}

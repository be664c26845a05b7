package sourcemap

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/scanner"
)

// valueAt returns the node at path below n, or nil when a step is missing.
func valueAt(n *yaml.Node, path scanner.Path) *yaml.Node {
	for _, seg := range path {
		if i, ok := scanner.IsIndex(seg); ok {
			items := scanner.Items(n)
			if i < 0 || i >= len(items) {
				return nil
			}
			n = items[i]
			continue
		}
		if n = scanner.Field(n, seg); n == nil {
			return nil
		}
	}
	return n
}

// deepest returns the key node of the last step of path found below n (the
// item itself for a sequence index), or nil when even the first is missing.
func deepest(n *yaml.Node, path scanner.Path) *yaml.Node {
	var last *yaml.Node
	for _, seg := range path {
		if i, ok := scanner.IsIndex(seg); ok {
			items := scanner.Items(n)
			if i < 0 || i >= len(items) {
				return last
			}
			n, last = items[i], items[i]
			continue
		}
		k, v := scanner.FieldPair(n, seg)
		if k == nil {
			return last
		}
		n, last = v, k
	}
	return last
}

// plain decodes a node into a JSON-like value for comparison and output;
// nil for a missing node or null.
func plain(n *yaml.Node) any {
	if n == nil {
		return nil
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return n.Value
	}
	return normalize(v)
}

// normalize turns yaml's map[string]any/[]any/ints into the shapes
// encoding/json produces, so values compare and print alike.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = normalize(x)
		}
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			if s, ok := k.(string); ok {
				m[s] = normalize(x)
			}
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = normalize(x)
		}
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	}
	return v
}

package remediate

import (
	"strings"
)

// coalesce folds an add into an earlier add or replace that created its
// parent, so a container that lacks a securityContext gets one new mapping
// holding every field rather than a mapping and then fields added to it.
// The result is an equivalent patch: applied to the same object it gives
// the same result, which EditDocument verifies anyway.
func coalesce(ops []Op) []Op {
	out := make([]Op, 0, len(ops))
	for _, op := range ops {
		if op.Op == "add" && mergeInto(out, op) {
			continue
		}
		out = append(out, Op{Op: op.Op, Path: op.Path, Value: clone(op.Value)})
	}
	return out
}

// mergeInto places op inside the value of the latest earlier operation that
// created one of its ancestors, when nothing after that operation touched
// the ancestor's subtree.
func mergeInto(out []Op, op Op) bool {
	for j := len(out) - 1; j >= 0; j-- {
		prev := out[j]
		if prev.Op == "remove" || !strings.HasPrefix(op.Path, prev.Path+"/") {
			if strings.HasPrefix(prev.Path+"/", op.Path+"/") {
				return false
			}
			continue
		}
		for _, later := range out[j+1:] {
			if strings.HasPrefix(later.Path, prev.Path+"/") {
				return false
			}
		}
		rest, err := splitPointer(op.Path[len(prev.Path):])
		if err != nil {
			return false
		}
		return setNested(&out[j].Value, rest, clone(op.Value))
	}
	return false
}

// setNested sets or appends v at the token path inside *root.
func setNested(root *any, tokens []string, v any) bool {
	cur := *root
	for i, tok := range tokens {
		last := i == len(tokens)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if _, exists := c[tok]; exists {
					return false
				}
				c[tok] = v
				return true
			}
			cur = c[tok]
		case []any:
			if !last || tok != "-" {
				return false
			}
			// The slice header lives in its parent; rebuild through the path.
			return appendAt(root, tokens[:i], v)
		default:
			return false
		}
	}
	return false
}

func appendAt(root *any, parentTokens []string, v any) bool {
	if len(parentTokens) == 0 {
		s, ok := (*root).([]any)
		if !ok {
			return false
		}
		*root = append(s, v)
		return true
	}
	cur := *root
	for _, tok := range parentTokens[:len(parentTokens)-1] {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		cur = m[tok]
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return false
	}
	last := parentTokens[len(parentTokens)-1]
	s, ok := m[last].([]any)
	if !ok {
		return false
	}
	m[last] = append(s, v)
	return true
}

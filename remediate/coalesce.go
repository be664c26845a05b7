package remediate

import ()

// coalesce folds an add into an earlier add or replace that created its
// parent, so a container that lacks a securityContext gets one new mapping
// holding every field rather than a mapping and then fields added to it.
// The result is an equivalent patch: applied to the same object it gives
// the same result, which EditDocument verifies anyway.
func coalesce(ops []Op) []Op {
	out := make([]Op, 0, len(ops))
	idx := opIndex{exact: map[string]int{}, creator: map[string]int{}, below: map[string]int{}}
	for _, op := range ops {
		if op.Op == "add" && mergeInto(out, &idx, op) {
			continue
		}
		idx.add(len(out), op)
		out = append(out, Op{Op: op.Op, Path: op.Path, Value: clone(op.Value)})
	}
	return out
}

// opIndex answers, for the operations kept so far, the questions mergeInto
// asks, without going through them all for every operation (a Deployment
// with thousands of containers has tens of thousands of operations). Each
// map holds the latest position of an operation: at a path (exact), not a
// removal at a path (creator), strictly below a path (below).
type opIndex struct {
	exact, creator, below map[string]int
}

func (x *opIndex) add(i int, op Op) {
	x.exact[op.Path] = i
	if op.Op != "remove" {
		x.creator[op.Path] = i
	}
	for _, anc := range ancestors(op.Path) {
		x.below[anc] = i
	}
}

// latest returns the latest position m holds for path, or -1.
func latest(m map[string]int, path string) int {
	if i, ok := m[path]; ok {
		return i
	}
	return -1
}

// ancestors returns the pointers p is strictly below: "/a/b" is below
// "/a" and "" (the root).
func ancestors(p string) []string {
	var out []string
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			out = append(out, p[:i])
		}
	}
	return out
}

// mergeInto places op inside the value of the latest earlier operation that
// created one of its ancestors, when nothing after that operation touched
// the ancestor's subtree, and no operation at or below op's path came
// after it.
func mergeInto(out []Op, idx *opIndex, op Op) bool {
	at := max(latest(idx.exact, op.Path), latest(idx.below, op.Path))
	j := -1
	for _, anc := range ancestors(op.Path) {
		j = max(j, latest(idx.creator, anc))
	}
	if j < 0 || j < at {
		return false
	}
	prev := out[j]
	if latest(idx.below, prev.Path) > j {
		return false
	}
	rest, err := opTokens(op.Path[len(prev.Path):])
	if err != nil {
		return false
	}
	return setNested(&out[j].Value, rest, clone(op.Value))
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

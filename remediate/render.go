package remediate

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// style is how a document lays out its block collections; new lines copy it.
type style struct {
	step      int // spaces per nesting level of mappings
	seqIndent int // spaces between a key and its sequence's dashes (0: indentless)
	newline   string
}

// renderScalar writes a scalar value as YAML: booleans and numbers bare,
// strings plain unless YAML would read them as something else.
func renderScalar(v any, flow bool) (string, error) {
	switch x := v.(type) {
	case nil:
		return "null", nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case int:
		return strconv.Itoa(x), nil
	case json.Number:
		return x.String(), nil
	case string:
		return renderString(x, flow), nil
	}
	return "", fmt.Errorf("cannot render %T as a scalar", v)
}

// renderString quotes s only when a plain scalar would not read back as the
// same string (true, 1, null, ": ", leading indicators, flow punctuation).
func renderString(s string, flow bool) string {
	if s == "" || strings.ContainsAny(s, "\n\r\t\"'\\") || plainReadsAsOther(s) ||
		strings.ContainsAny(s[:1], "!&*-?{}[],#|>@`%") || strings.Contains(s, ": ") ||
		strings.Contains(s, " #") || strings.HasSuffix(s, ":") || strings.TrimSpace(s) != s ||
		(flow && strings.ContainsAny(s, ",[]{}")) {
		b, _ := json.Marshal(s)
		return string(b)
	}
	return s
}

// plainReadsAsOther reports whether YAML resolves the plain scalar s to a
// non-string (bool, int, float, null). The answers for the strings a fix
// writes again and again (field names, enum values) are kept.
func plainReadsAsOther(s string) bool {
	if v, ok := plainCache.Load(s); ok {
		return v.(bool)
	}
	other := parsesAsOther(s)
	if len(s) <= 64 && plainCacheSize.Add(1) <= 4096 {
		plainCache.Store(s, other)
	}
	return other
}

var (
	plainCache     sync.Map // string -> bool
	plainCacheSize atomic.Int64
)

func parsesAsOther(s string) bool {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) != 1 {
		return true
	}
	c := n.Content[0]
	return c.Kind != yaml.ScalarNode || c.Tag != "!!str" || c.Value != s
}

// renderFlow writes any value in flow style: {a: 1, b: [x, y]}.
func renderFlow(v any) (string, error) {
	switch x := v.(type) {
	case map[string]any:
		parts := make([]string, 0, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			val, err := renderFlow(x[k])
			if err != nil {
				return "", err
			}
			parts = append(parts, renderString(k, true)+": "+val)
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, it := range x {
			val, err := renderFlow(it)
			if err != nil {
				return "", err
			}
			parts = append(parts, val)
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	}
	return renderScalar(v, true)
}

// renderEntry writes `key: value` as block lines indented by col spaces,
// each line ending with the document's line break.
func (s style) renderEntry(col int, key string, v any) (string, error) {
	var b strings.Builder
	if err := s.writeEntry(&b, col, renderString(key, false), v); err != nil {
		return "", err
	}
	return b.String(), nil
}

func (s style) writeEntry(b *strings.Builder, col int, key string, v any) error {
	pad := strings.Repeat(" ", col)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(pad + key + ": {}" + s.newline)
			return nil
		}
		b.WriteString(pad + key + ":" + s.newline)
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if err := s.writeEntry(b, col+s.step, renderString(k, false), x[k]); err != nil {
				return err
			}
		}
		return nil
	case []any:
		if len(x) == 0 {
			b.WriteString(pad + key + ": []" + s.newline)
			return nil
		}
		b.WriteString(pad + key + ":" + s.newline)
		for _, it := range x {
			if err := s.writeItem(b, col+s.seqIndent, it); err != nil {
				return err
			}
		}
		return nil
	}
	val, err := renderScalar(v, false)
	if err != nil {
		return err
	}
	b.WriteString(pad + key + ": " + val + s.newline)
	return nil
}

// writeItem writes one block sequence item whose dash is at column col.
func (s style) writeItem(b *strings.Builder, col int, v any) error {
	pad := strings.Repeat(" ", col)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			b.WriteString(pad + "- {}" + s.newline)
			return nil
		}
		// The first key sits on the dash line; the others align with it.
		var inner strings.Builder
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if err := s.writeEntry(&inner, col+2, renderString(k, false), x[k]); err != nil {
				return err
			}
		}
		b.WriteString(pad + "- " + strings.TrimPrefix(inner.String(), pad+"  "))
		return nil
	case []any:
		val, err := renderFlow(x)
		if err != nil {
			return err
		}
		b.WriteString(pad + "- " + val + s.newline)
		return nil
	}
	val, err := renderScalar(v, false)
	if err != nil {
		return err
	}
	b.WriteString(pad + "- " + val + s.newline)
	return nil
}

// detectStyle reads the indentation habits of a parsed document.
func detectStyle(root *yaml.Node, src []byte) style {
	steps, seqs := map[int]int{}, map[int]int{}
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				switch {
				case v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Line > k.Line:
					steps[v.Content[0].Column-k.Column]++
				case v.Kind == yaml.SequenceNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && v.Line > k.Line:
					// A sequence node's column is its first dash.
					seqs[v.Column-k.Column]++
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(root)
	st := style{step: mostCommon(steps, 2), newline: newline(src)}
	st.seqIndent = mostCommon(seqs, 0)
	if st.seqIndent < 0 {
		st.seqIndent = 0
	}
	if st.step <= 0 {
		st.step = 2
	}
	return st
}

func mostCommon(counts map[int]int, def int) int {
	best, bestN := def, 0
	for v, n := range counts {
		if n > bestN || (n == bestN && v < best) {
			best, bestN = v, n
		}
	}
	return best
}

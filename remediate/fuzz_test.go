package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
)

// candidateOps derives operations of each kind the editor supports from a
// parsed document: add a key to its first mapping, replace its first scalar,
// append to its first sequence, remove its last key.
func candidateOps(src []byte) []Op {
	var n yaml.Node
	if yaml.Unmarshal(src, &n) != nil || len(n.Content) == 0 {
		return nil
	}
	var ops []Op
	var walk func(n *yaml.Node, path string, depth int)
	walk = func(n *yaml.Node, path string, depth int) {
		if depth > 20 || len(ops) > 12 {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			ops = append(ops, Op{Op: "add", Path: path + "/remedyAdded", Value: map[string]any{"readOnlyRootFilesystem": true, "drop": []any{"ALL"}}})
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := jsonpointer.Escape(n.Content[i].Value)
				if i+2 >= len(n.Content) {
					ops = append(ops, Op{Op: "remove", Path: path + "/" + k})
				}
				walk(n.Content[i+1], path+"/"+k, depth+1)
			}
		case yaml.SequenceNode:
			ops = append(ops, Op{Op: "add", Path: path + "/-", Value: "ALL"})
			for i, c := range n.Content {
				walk(c, path+"/"+itoa(i), depth+1)
			}
		case yaml.ScalarNode:
			if path != "" {
				ops = append(ops, Op{Op: "replace", Path: path, Value: false})
			}
		}
	}
	walk(n.Content[0], "", 0)
	return ops
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// FuzzEditDocument: for any input and any operation, the editor either
// refuses (or errors) or returns bytes that parse, equal the patched object
// (EditDocument verifies that itself), keep every byte before and after the
// edited region, and change at most the one line a replace or a flow edit
// rewrites.
func FuzzEditDocument(f *testing.F) {
	for _, s := range []string{
		"spec:\n  containers:\n  - name: a\n    image: a:1\n",
		"a: {b: 1, c: [x, y]}\n",
		"a:\r\n  - x\r\n  - y\r\n",
		"# c\nk: v # t\n\n",
		"a:\n  b: |\n    t\n\n  c: 1",
		"x: &a {b: 1}\ny: *a\n",
		"a:\n    - b: 1\n      c: 2\n    - d\n",
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, src []byte, pick uint8) {
		if len(src) > 1<<12 {
			return
		}
		ops := candidateOps(src)
		if len(ops) == 0 {
			return
		}
		op := ops[int(pick)%len(ops)]
		out, err := EditDocument(src, []Op{op})
		if err != nil {
			var r *RefusedError
			_ = errors.As(err, &r)
			return
		}
		var n yaml.Node
		if err := yaml.Unmarshal(out, &n); err != nil {
			t.Fatalf("edited bytes do not parse: %v\n%q", err, out)
		}
		p := commonPrefix(src, out)
		s := commonSuffix(src[p:], out[p:])
		changed := src[p : len(src)-s]
		if op.Op != "remove" && bytes.Count(changed, []byte("\n")) > 1 {
			t.Fatalf("%s changed %d original lines:\n%q\n->\n%q", op, bytes.Count(changed, []byte("\n")), src, out)
		}
	})
}

func commonPrefix(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

func commonSuffix(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[len(a)-1-i] == b[len(b)-1-i] {
		i++
	}
	return i
}

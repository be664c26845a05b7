package remediate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
	"github.com/remedy-bot/remedy/scanner"
)

// applyBoth applies ops to src together (applyAll) and one by one (Apply).
// When applyAll succeeds, one by one must succeed too with the same bytes:
// EditDocument returns applyAll's bytes and only falls back on its errors.
// It reports whether applyAll succeeded.
func applyBoth(t *testing.T, name string, src []byte, ops []Op) bool {
	t.Helper()
	batched, err := newDocEditor(src)
	if err != nil {
		return false
	}
	if err := batched.applyAll(ops); err != nil {
		return false
	}
	one, _ := newDocEditor(src)
	for _, op := range ops {
		if err := one.Apply(op); err != nil {
			t.Errorf("%s: applied together, but one by one %s fails: %v\nops: %v\nsrc:\n%s", name, op, err, ops, src)
			return true
		}
	}
	if string(batched.src) != string(one.src) {
		t.Errorf("%s: applied together and one by one differ\nops: %v\nsrc:\n%s\ntogether:\n%s\none by one:\n%s", name, ops, src, batched.src, one.src)
	}
	return true
}

// TestBatchedEditMatchesOneByOne compares the two ways of applying
// operations on the edit goldens, on the fixes of the real-world corpus,
// and on mixes of every kind of operation over the corpus's documents.
func TestBatchedEditMatchesOneByOne(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/edit/*.yaml")
	for _, in := range inputs {
		src, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(strings.TrimSuffix(in, ".yaml") + ".ops.json")
		if err != nil {
			t.Fatal(err)
		}
		var ops []Op
		if err := json.Unmarshal(raw, &ops); err != nil {
			t.Fatal(err)
		}
		f, errs := scanner.ParseFile("in.yaml", src)
		if len(errs) > 0 {
			applyBoth(t, in, src, ops)
			continue
		}
		for _, d := range f.Docs {
			for n := 1; n <= len(ops); n++ {
				applyBoth(t, in, d.Bytes(), ops[:n])
			}
		}
	}

	root := filepath.Join("..", "..", "shared", "fixtures", "manifests")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("real-world corpus not found at %s: %v", root, err)
	}
	in := scanner.Load(root, []string{root}, scanner.LoadOptions{})
	rep := scanner.ScanInputs(in, scanner.Options{})
	byFile := map[string][]scanner.Finding{}
	for _, f := range rep.Findings {
		if !f.IsRendered() && !f.Suppressed && f.Fixable {
			byFile[f.File] = append(byFile[f.File], f)
		}
	}
	together, total := map[bool]int{}, map[bool]int{}
	mix := false
	try := func(name string, src []byte, ops []Op) {
		total[mix]++
		if applyBoth(t, name, src, ops) {
			together[mix]++
		}
	}
	for i, file := range in.Files {
		builders := map[*scanner.Resource]*patchBuilder{}
		byDoc := map[*scanner.Document][]Op{}
		for _, f := range byFile[file.Path] {
			if ops, err := planFinding(builders, fixers(), f, corpusDefaults); err == nil {
				byDoc[f.Resource.Doc] = append(byDoc[f.Resource.Doc], ops...)
			}
		}
		for _, d := range file.Docs {
			if ops := byDoc[d]; len(ops) > 0 {
				try(file.Path, d.Bytes(), coalesce(ops))
				try(file.Path+" (uncoalesced)", d.Bytes(), ops)
			}
			// A sample of the documents keeps the test quick; every
			// document passes too (drop the sampling to check).
			if d.Node == nil || testing.Short() || i%8 != 0 {
				continue
			}
			// Mixes: every candidate operation, in windows, forwards and back.
			mix = true
			cands := append(candidateOps(d.Bytes()), richOps(d.Bytes())...)
			for _, w := range []int{2, 3, 5} {
				for i := 0; i+w <= len(cands); i++ {
					try(file.Path+" (mix)", d.Bytes(), cands[i:i+w])
					rev := make([]Op, w)
					for j := range rev {
						rev[j] = cands[i+w-1-j]
					}
					try(file.Path+" (mix, reversed)", d.Bytes(), rev)
				}
			}
			mix = false
		}
	}
	t.Logf("fixes: %d of %d operation lists applied together; mixes: %d of %d", together[false], total[false], together[true], total[true])
}

// FuzzBatchedEdit: for any input and any list of operations, applying them
// together either fails (EditDocument then applies them one by one) or
// gives exactly the bytes of applying them one by one.
func FuzzBatchedEdit(f *testing.F) {
	for _, s := range []string{
		"spec:\n  containers:\n  - name: a\n    image: a:1\n",
		"spec:\n  containers:\n  - name: a\n  hostPID: true\n",
		"a: {b: 1, c: [x, y]}\n",
		"a:\r\n  - x\r\n  - y\r\n",
		"# c\nk: v # t\n\n",
		"a:\n  b: |\n    t\n\n  c: 1",
		"a:\n    - b: 1\n      c: 2\n    - d\n",
		"a:\n  b:\n      c: 1\n    # c\nd: 2\n",
		"a:\n- b: 1\n  c:\n  - x\n# c\n",
	} {
		f.Add([]byte(s), []byte{0, 1, 2, 3})
	}
	f.Fuzz(func(t *testing.T, src []byte, picks []byte) {
		if len(src) > 1<<12 || len(picks) > 8 {
			return
		}
		cands := richOps(src)
		if len(cands) == 0 || len(picks) == 0 {
			return
		}
		ops := make([]Op, len(picks))
		for i, p := range picks {
			ops[i] = cands[int(p)%len(cands)]
		}
		applyBoth(t, "fuzz", src, ops)
	})
}

// richValues are values of every shape the renderer writes.
var richValues = []any{
	true, "s", "multi\nline", "- x", map[string]any{}, []any{},
	map[string]any{"a": []any{"x"}, "b": map[string]any{"c": 1.0}},
	[]any{map[string]any{"a": 1.0, "b": "c"}}, []any{[]any{"x"}},
}

// richOps derives operations of every kind at every place of a parsed
// document: adds of new and existing keys with values of every shape,
// appends, replacements and removals of every entry and item.
func richOps(src []byte) []Op {
	var n yaml.Node
	if yaml.Unmarshal(src, &n) != nil || len(n.Content) == 0 {
		return nil
	}
	var ops []Op
	vi := 0
	next := func() any { vi++; return richValues[vi%len(richValues)] }
	var walk func(n *yaml.Node, path string, depth int)
	walk = func(n *yaml.Node, path string, depth int) {
		if depth > 20 || len(ops) > 64 {
			return
		}
		switch n.Kind {
		case yaml.MappingNode:
			ops = append(ops, Op{Op: "add", Path: path + "/remedyAdded", Value: next()}, Op{Op: "add", Path: path + "/b", Value: next()})
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := path + "/" + jsonpointer.Escape(n.Content[i].Value)
				ops = append(ops, Op{Op: "remove", Path: k}, Op{Op: "add", Path: k, Value: next()})
				walk(n.Content[i+1], k, depth+1)
			}
		case yaml.SequenceNode:
			ops = append(ops, Op{Op: "add", Path: path + "/-", Value: next()})
			for i, c := range n.Content {
				ops = append(ops, Op{Op: "remove", Path: path + "/" + itoa(i)})
				walk(c, path+"/"+itoa(i), depth+1)
			}
		case yaml.ScalarNode:
			if path != "" {
				ops = append(ops, Op{Op: "replace", Path: path, Value: next()})
			}
		}
	}
	walk(n.Content[0], "", 0)
	return ops
}

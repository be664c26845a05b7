package importer

import (
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
	"github.com/remedy-bot/remedy/scanner"
)

// Located is an imported finding placed in loaded manifests.
type Located struct {
	Finding
	// Resource is the object in the manifests; nil when not found, and
	// NotFound says why.
	Resource *scanner.Resource
	NotFound string
	// Line and Column point at the offending field, or the nearest object
	// above it that is written.
	Line, Column int
	// Ops is Fix made relative to the document's root, with the mappings a
	// path goes through created where missing; nil without a fix, and
	// NotFixable says why a fix could not be made into one.
	Ops        []Op
	NotFixable string
}

// Locate places each finding in the manifests of in: by file and line
// when the report gives them, else by kind, namespace and name (an object
// written without a namespace matches when it is the only one of its kind
// and name, as Argo CD and Flux set it at deploy time).
func Locate(in *scanner.Inputs, findings []Finding) []Located {
	type key struct{ kind, namespace, name string }
	byKey := map[key][]*scanner.Resource{}
	byFile := map[string]*scanner.SourceFile{}
	for _, f := range in.Files {
		byFile[f.Path] = f
		for _, d := range f.Docs {
			for _, r := range d.Resources() {
				k := key{r.Kind, r.Namespace, r.Name}
				byKey[k] = append(byKey[k], r)
			}
		}
	}
	out := make([]Located, len(findings))
	for i, f := range findings {
		l := Located{Finding: f}
		switch {
		case f.File != "" && f.Line > 0:
			l.Resource = atLine(fileFor(byFile, f.File), f.Line)
			if l.Resource == nil {
				l.NotFound = fmt.Sprintf("no object at %s:%d", f.File, f.Line)
			}
		case f.Kind != "" && f.Name != "":
			rs := byKey[key{f.Kind, f.Namespace, f.Name}]
			if len(rs) == 0 {
				rs = byKey[key{f.Kind, "", f.Name}]
			}
			if len(rs) == 1 || len(rs) > 1 && f.Namespace != "" {
				l.Resource = rs[0]
			} else {
				l.NotFound = fmt.Sprintf("%s is not in the manifests", f.ID())
			}
		default:
			l.NotFound = "the report names no object and no file"
		}
		if r := l.Resource; r != nil {
			l.Kind, l.Name, l.APIVersion = r.Kind, r.Name, r.APIVersion
			if r.Namespace != "" {
				l.Namespace = r.Namespace
			}
			l.File = r.File()
			l.place(r)
			if len(f.Fix) > 0 {
				l.Ops, l.NotFixable = documentOps(r, f.Fix)
			}
		}
		out[i] = l
	}
	return out
}

// fileFor finds the file a report names, which may be relative to another
// folder than the scan root: the longest path suffix match wins.
func fileFor(byFile map[string]*scanner.SourceFile, name string) *scanner.SourceFile {
	name = path.Clean(strings.TrimPrefix(name, "/"))
	if f := byFile[name]; f != nil {
		return f
	}
	var best *scanner.SourceFile
	for p, f := range byFile {
		if strings.HasSuffix(name, "/"+p) || strings.HasSuffix(p, "/"+name) {
			if best == nil || len(p) > len(best.Path) {
				best = f
			}
		}
	}
	return best
}

// atLine returns the object whose document holds line of f.
func atLine(f *scanner.SourceFile, line int) *scanner.Resource {
	if f == nil {
		return nil
	}
	for i, d := range f.Docs {
		end := int(^uint(0) >> 1)
		if i+1 < len(f.Docs) {
			end = f.Docs[i+1].StartLine
		}
		if line < d.StartLine || line >= end {
			continue
		}
		rs := d.Resources()
		for j := len(rs) - 1; j >= 0; j-- { // items of a List: the last one starting at or above line
			if rs[j].Node.YNode().Line <= line {
				return rs[j]
			}
		}
		if len(rs) > 0 {
			return rs[0]
		}
	}
	return nil
}

// place sets the line and column from the field path, and the container
// from a containers[N] step of it.
func (l *Located) place(r *scanner.Resource) {
	n := r.Node.YNode()
	l.Line, l.Column = n.Line, n.Column
	if k, _ := scanner.FieldPair(n, "metadata"); k != nil {
		l.Line, l.Column = k.Line, k.Column
	}
	if l.Path == "" {
		return
	}
	cur := n
	for _, seg := range splitPath(l.Path) {
		if i, ok := scanner.IsIndex(seg); ok {
			items := scanner.Items(cur)
			if i >= len(items) {
				return
			}
			cur = items[i]
			if name := scanner.ScalarValue(scanner.Field(cur, "name")); name != "" && l.Container == "" {
				l.Container = name
			}
			l.Line, l.Column = cur.Line, cur.Column
			continue
		}
		k, v := scanner.FieldPair(cur, seg)
		if k == nil {
			return
		}
		l.Line, l.Column = k.Line, k.Column
		cur = v
	}
}

// documentOps rewrites a fix against object r into operations against r's
// document: pointers gain r's place in the document (a List's items/N), and
// an add through mappings that do not exist yet becomes one add of the
// nested value at the first missing step, as RFC 6902 requires a parent.
func documentOps(r *scanner.Resource, fix []Op) ([]Op, string) {
	base := r.Base.Pointer()
	var out []Op
	for _, op := range fix {
		// The whole document ("") is no field to fix.
		segs, err := jsonpointer.Split(op.Path)
		if err != nil || len(segs) == 0 {
			return nil, fmt.Sprintf("fix path %q is not a JSON pointer", op.Path)
		}
		switch op.Op {
		case "add", "replace":
		case "remove":
			out = append(out, Op{Op: "remove", Path: base + op.Path})
			continue
		default:
			return nil, fmt.Sprintf("fix operation %q is not supported (add, replace, remove)", op.Op)
		}
		cur := r.Node.YNode()
		for i, seg := range segs {
			last := i == len(segs)-1
			if cur.Kind == yaml.SequenceNode {
				items := scanner.Items(cur)
				var idx int
				if _, err := fmt.Sscan(seg, &idx); err != nil || idx < 0 || idx >= len(items) {
					return nil, fmt.Sprintf("fix path %s: no item %s", op.Path, seg)
				}
				if last {
					out = append(out, Op{Op: "replace", Path: base + op.Path, Value: op.Value})
					break
				}
				cur = items[idx]
				continue
			}
			v := scanner.Field(cur, seg)
			if v == nil {
				// The first missing step: add the rest as one nested value.
				value := op.Value
				for j := len(segs) - 1; j > i; j-- {
					value = map[string]any{segs[j]: value}
				}
				out = append(out, Op{Op: "add", Path: base + jsonpointer.Join(segs[:i+1]), Value: value})
				break
			}
			if last {
				out = append(out, Op{Op: "replace", Path: base + op.Path, Value: op.Value})
				break
			}
			if v.Kind != yaml.MappingNode && v.Kind != yaml.SequenceNode {
				return nil, fmt.Sprintf("fix path %s goes through the scalar at %s", op.Path, seg)
			}
			cur = v
		}
	}
	return out, ""
}

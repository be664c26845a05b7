package terraform

import (
	"strconv"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/scanner"
)

// object is one resource block mapped to a Kubernetes object.
type object struct {
	node    *yaml.Node
	res     *resourceBlock
	address string
	// fields are where each field of the object is written, by JSON
	// pointer; a field not listed is written where its nearest listed
	// ancestor is.
	fields     map[string]*origin
	start, end int
}

// builder maps one resource block.
type builder struct {
	sc     *scope
	res    *resourceBlock
	fields map[string]*origin
}

// buildObject maps a resource block, or returns nil when it declares no
// object remedy can read (a kubernetes_manifest whose manifest is computed
// or read from a YAML file, which is scanned as that file).
func (sc *scope) buildObject(rb *resourceBlock) *object {
	b := &builder{sc: sc, res: rb, fields: map[string]*origin{}}
	root := &yaml.Node{Kind: yaml.MappingNode}
	if rb.typ == ManifestType {
		a := rb.block.Body.Attributes["manifest"]
		if a == nil {
			return nil
		}
		n := b.expr(a.Expr, nil, a.NameRange)
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		root = n
	} else {
		apiVersion, kind, _ := KindOf(rb.typ)
		addScalar(root, "apiVersion", apiVersion, "!!str")
		addScalar(root, "kind", kind, "!!str")
		b.body(rb.block.Body, nil, root)
	}
	kind := scanner.ScalarValue(scanner.Field(root, "kind"))
	if kind == "" || scanner.ScalarValue(scanner.Field(root, "apiVersion")) == "" || len(kind) > 4 && kind[len(kind)-4:] == "List" {
		return nil
	}
	// The provider sends namespace "default" when metadata sets none.
	if meta := scanner.Field(root, "metadata"); meta != nil && meta.Kind == yaml.MappingNode && !clusterScoped[kind] && rb.typ != ManifestType {
		if scanner.Field(meta, "namespace") == nil {
			addScalar(meta, "namespace", "default", "!!str")
		}
	}
	line, col := rangeOf(rb.block.TypeRange)
	b.fields[""] = &origin{kind: originBlock, file: rb.file, line: line, col: col}
	start, end := region(rb.file.src.Bytes, rb.block)
	return &object{node: root, res: rb, address: sc.prefix + rb.typ + "." + rb.name, fields: b.fields, start: start, end: end}
}

func addScalar(m *yaml.Node, k, v, tag string) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k, Tag: "!!str"}, &yaml.Node{Kind: yaml.ScalarNode, Value: v, Tag: tag})
}

// item is an attribute or block of a body, for walking both in source order.
type item struct {
	attr  *hclsyntax.Attribute
	block *hclsyntax.Block
}

func itemsInOrder(b *hclsyntax.Body) []item {
	var out []item
	attrs := attrsInOrder(b)
	i, j := 0, 0
	for i < len(attrs) || j < len(b.Blocks) {
		if j >= len(b.Blocks) || i < len(attrs) && attrs[i].SrcRange.Start.Byte < b.Blocks[j].TypeRange.Start.Byte {
			out = append(out, item{attr: attrs[i]})
			i++
			continue
		}
		out = append(out, item{block: b.Blocks[j]})
		j++
	}
	return out
}

// body maps a provider block's body into mapping m at path p.
func (b *builder) body(body *hclsyntax.Body, p scanner.Path, m *yaml.Node) {
	lists := map[string]*yaml.Node{}
	for _, it := range itemsInOrder(body) {
		if a := it.attr; a != nil {
			if tfOnly[a.Name] {
				continue
			}
			key := AttrName(a.Name)
			v := b.expr(a.Expr, p.Key(key), a.NameRange)
			if v == nil {
				continue
			}
			if intFields[key] && v.Kind == yaml.ScalarNode && v.Tag == "!!str" {
				if _, err := strconv.Atoi(v.Value); err == nil {
					v.Tag = "!!int"
				}
			}
			setKey(m, key, v)
			continue
		}
		blk := it.block
		line, col := rangeOf(blk.TypeRange)
		if blk.Type == "dynamic" {
			if len(blk.Labels) == 1 {
				key, _ := K8sName(blk.Labels[0])
				b.fields[p.Key(key).Pointer()] = &origin{kind: originComputed, file: b.res.file, line: line, col: col, why: "a dynamic block"}
			}
			continue
		}
		if tfOnly[blk.Type] {
			continue
		}
		key, list := K8sName(blk.Type)
		if list {
			seq := lists[key]
			if seq == nil {
				seq = &yaml.Node{Kind: yaml.SequenceNode}
				lists[key] = seq
				setKey(m, key, seq)
			}
			ip := p.Key(key).Index(len(seq.Content))
			child := &yaml.Node{Kind: yaml.MappingNode}
			b.fields[ip.Pointer()] = &origin{kind: originBlock, file: b.res.file, line: line, col: col}
			b.body(blk.Body, ip, child)
			seq.Content = append(seq.Content, child)
			continue
		}
		child := scanner.Field(m, key)
		if child == nil || child.Kind != yaml.MappingNode {
			child = &yaml.Node{Kind: yaml.MappingNode}
			setKey(m, key, child)
		}
		kp := p.Key(key)
		if b.fields[kp.Pointer()] == nil {
			b.fields[kp.Pointer()] = &origin{kind: originBlock, file: b.res.file, line: line, col: col}
		}
		b.body(blk.Body, kp, child)
	}
}

func setKey(m *yaml.Node, k string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k, Tag: "!!str"}, v)
}

// expr maps an expression at path p, whose key is written at name. Object
// and tuple literals are walked item by item, so each item has its own
// place; anything else is resolved as a whole. It returns nil for a value
// that is not known.
func (b *builder) expr(e hclsyntax.Expression, p scanner.Path, name hcl.Range) *yaml.Node {
	e = Unwrap(e)
	line, col := rangeOf(name)
	here := &origin{kind: originHere, file: b.res.file, line: line, col: col}
	switch x := e.(type) {
	case *hclsyntax.ObjectConsExpr:
		m := &yaml.Node{Kind: yaml.MappingNode}
		keys := make([]string, len(x.Items))
		for i, it := range x.Items {
			kv, failed := safeValue(it.KeyExpr, nil)
			if failed || !kv.IsKnown() || kv.IsNull() || kv.Type() != cty.String {
				break
			}
			keys[i] = kv.AsString()
		}
		ok := true
		for _, k := range keys {
			ok = ok && k != ""
		}
		if !ok {
			break
		}
		b.fields[p.Pointer()] = here
		for i, it := range x.Items {
			if v := b.expr(it.ValueExpr, p.Key(keys[i]), it.KeyExpr.Range()); v != nil {
				setKey(m, keys[i], v)
			}
		}
		return m
	case *hclsyntax.TupleConsExpr:
		s := &yaml.Node{Kind: yaml.SequenceNode}
		b.fields[p.Pointer()] = here
		for i, it := range x.Exprs {
			v := b.expr(it, p.Index(i), it.Range())
			if v == nil {
				b.fields[p.Pointer()] = &origin{kind: originComputed, file: b.res.file, line: line, col: col, why: "an item of the list is computed"}
				return nil
			}
			s.Content = append(s.Content, v)
		}
		return s
	}
	v, o := b.sc.resolve(e, 0)
	if o.kind == originHere {
		o = *here
	} else if o.kind == originComputed {
		o.file, o.line, o.col = b.res.file, line, col
	}
	b.fields[p.Pointer()] = &o
	return ctyNode(v)
}

// ctyNode converts a known value to a YAML node; nil for null or unknown.
func ctyNode(v cty.Value) *yaml.Node {
	if v.IsNull() || !v.IsWhollyKnown() {
		return nil
	}
	v, _ = v.Unmark()
	t := v.Type()
	switch {
	case t == cty.String:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v.AsString(), Tag: "!!str"}
	case t == cty.Bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatBool(v.True()), Tag: "!!bool"}
	case t == cty.Number:
		bf := v.AsBigFloat()
		if bf.IsInt() {
			i, _ := bf.Int(nil)
			return &yaml.Node{Kind: yaml.ScalarNode, Value: i.String(), Tag: "!!int"}
		}
		f, _ := bf.Float64()
		return &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(f, 'g', -1, 64), Tag: "!!float"}
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		s := &yaml.Node{Kind: yaml.SequenceNode}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if n := ctyNode(e); n != nil {
				s.Content = append(s.Content, n)
			}
		}
		return s
	case t.IsMapType() || t.IsObjectType():
		m := &yaml.Node{Kind: yaml.MappingNode}
		for it := v.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if n := ctyNode(e); n != nil {
				setKey(m, k.AsString(), n)
			}
		}
		return m
	}
	return nil
}

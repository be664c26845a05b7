// Package hcledit splices RFC 6902 operations into Terraform files: the
// HCL counterpart of remediate's YAML editor. An operation on a Kubernetes
// object declared by a `kubernetes_*` resource is located through the
// provider's mapping (scanner/terraform): `/spec/template/spec/containers/0/
// securityContext/runAsNonRoot` is the `run_as_non_root` argument of the
// `security_context` block of the first `container` block. An operation on
// any other region (a .tfvars file, a variable's default, a module call, a
// local) names an attribute and a path in its value.
//
// Every byte outside the edited statements stays. New lines take the
// indentation of their block's existing lines (a 4-space file stays
// 4-space), and the attributes around an edit are aligned on `=` as
// `terraform fmt` aligns them; nothing else is reformatted.
package hcledit

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
	"github.com/remedy-bot/remedy/scanner/terraform"
)

// Op is one RFC 6902 operation: add, replace or remove.
type Op struct {
	Op    string
	Path  string
	Value any
}

// RefusedError says why an edit cannot be made safely.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return e.Reason }

func refuse(format string, args ...any) error {
	return &RefusedError{Reason: fmt.Sprintf(format, args...)}
}

// Edit applies ops, in order, to src: a resource block, another block
// (variable, module, locals), or a whole file of attributes (.tfvars). A
// region that was `terraform fmt`-clean stays clean.
func Edit(src []byte, ops []Op) ([]byte, error) {
	if bytes.Contains(src, []byte("\r")) {
		return nil, refuse("the file breaks lines with carriage returns")
	}
	clean := formatted(src)
	cur := src
	for _, op := range ops {
		next, err := apply(cur, op)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", op.Op, op.Path, err)
		}
		cur = next
	}
	if _, err := parse(cur); err != nil {
		return nil, fmt.Errorf("the edit does not parse: %w", err)
	}
	if clean && !formatted(cur) {
		return nil, refuse("the edit would leave the file unlike `terraform fmt` output")
	}
	return cur, nil
}

// formatted reports whether b is what `terraform fmt` writes.
func formatted(b []byte) bool { return bytes.Equal(hclwrite.Format(b), b) }

func parse(src []byte) (body *hclsyntax.Body, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the HCL parser failed: %v", r)
		}
	}()
	f, diags := hclsyntax.ParseConfig(src, "edit.tf", hcl.InitialPos)
	if diags.HasErrors() {
		return nil, errors.New(diags.Error())
	}
	return f.Body.(*hclsyntax.Body), nil
}

// editor is one operation being applied to src.
type editor struct {
	src  []byte
	unit string // one level of indentation, as the file writes it
	// touched are the byte offsets (in the output) of lines an edit wrote,
	// whose attribute runs are aligned again.
	out     []byte
	touched []int
}

func apply(src []byte, op Op) ([]byte, error) {
	body, err := parse(src)
	if err != nil {
		return nil, err
	}
	e := &editor{src: src, unit: indentUnit(src)}
	tokens, err := jsonpointer.Split(op.Path)
	if err != nil {
		return nil, err
	}
	if len(tokens) == 0 {
		return nil, refuse("the operation replaces the whole object")
	}
	if len(body.Blocks) == 1 && len(body.Attributes) == 0 {
		blk := body.Blocks[0]
		if blk.Type == "resource" && len(blk.Labels) == 2 && blk.Labels[0] == terraform.ManifestType {
			a := blk.Body.Attributes["manifest"]
			if a == nil {
				return nil, refuse("the resource has no manifest")
			}
			obj, ok := hclsyntax.Expression(terraform.Unwrap(a.Expr)).(*hclsyntax.ObjectConsExpr)
			if !ok {
				return nil, refuse("the manifest is not written as an object")
			}
			err = e.object(obj, tokens, op)
		} else if blk.Type == "resource" && len(blk.Labels) == 2 && terraform.IsMapped(blk.Labels[0]) {
			err = e.resource(blk, tokens, op)
		} else {
			err = e.plain(blk.Body, blk, tokens, op)
		}
	} else {
		err = e.plain(body, nil, tokens, op)
	}
	if err != nil {
		return nil, err
	}
	return align(e.out, e.touched), nil
}

// resource walks the provider's blocks of a resource to the field.
func (e *editor) resource(blk *hclsyntax.Block, tokens []string, op Op) error {
	cur := blk
	for i := 0; i < len(tokens); i++ {
		tok := tokens[i]
		if a := findAttr(cur.Body, tok); a != nil {
			return e.attribute(a, tokens[i+1:], op)
		}
		if dyn := findDynamic(cur.Body, tok); dyn {
			return refuse("%s is written with a dynamic block: fix by hand", tok)
		}
		blocks, list := findBlocks(cur.Body, tok)
		if list {
			if i+1 >= len(tokens) {
				return refuse("the operation replaces the whole list %s", tok)
			}
			idx := tokens[i+1]
			if idx == "-" {
				if op.Op != "add" {
					return refuse("%s on a list's end", op.Op)
				}
				name, _ := terraform.TFName(tok)
				return e.insertBlocks(cur, []string{name}, []any{op.Value})
			}
			n, err := strconv.Atoi(idx)
			if err != nil || n < 0 || n >= len(blocks) {
				return refuse("%s has no item %s", tok, idx)
			}
			if i+2 == len(tokens) {
				if op.Op == "remove" {
					return e.removeRange(blocks[n].TypeRange.Start.Byte, blocks[n].CloseBraceRange.End.Byte)
				}
				return refuse("the operation replaces a whole %s block", blocks[n].Type)
			}
			cur = blocks[n]
			i++
			continue
		}
		if len(blocks) > 0 {
			if i+1 == len(tokens) {
				if op.Op == "remove" {
					return e.removeRange(blocks[0].TypeRange.Start.Byte, blocks[0].CloseBraceRange.End.Byte)
				}
				if m, ok := op.Value.(map[string]any); ok {
					// Replacing a block with a mapping: set its keys.
					keys := slices.Sorted(maps.Keys(m))
					if len(keys) == 1 {
						return e.resource(blocks[0], []string{keys[0]}, Op{Op: "add", Path: "/" + keys[0], Value: m[keys[0]]})
					}
				}
				return refuse("the operation replaces the whole %s block", blocks[0].Type)
			}
			cur = blocks[0]
			continue
		}
		// Missing: add it, with the rest of the path as nested mappings.
		if op.Op == "remove" {
			return refuse("%s is not written", tok)
		}
		v := op.Value
		rest := tokens[i+1:]
		if len(rest) > 0 && rest[len(rest)-1] == "-" {
			v = []any{v}
			rest = rest[:len(rest)-1]
		}
		for j := len(rest) - 1; j >= 0; j-- {
			if _, err := strconv.Atoi(rest[j]); err == nil {
				return refuse("%s is not written and its path has list indices", tok)
			}
			v = map[string]any{rest[j]: v}
		}
		return e.insertFields(cur, tok, v)
	}
	return refuse("nothing to edit")
}

// plain edits an attribute of a body: a .tfvars file, or a variable,
// module or locals block.
func (e *editor) plain(body *hclsyntax.Body, blk *hclsyntax.Block, tokens []string, op Op) error {
	if a := body.Attributes[tokens[0]]; a != nil {
		return e.attribute(a, tokens[1:], op)
	}
	if op.Op == "remove" {
		return refuse("%s is not written", tokens[0])
	}
	v := op.Value
	for j := len(tokens) - 1; j >= 1; j-- {
		v = map[string]any{tokens[j]: v}
	}
	line := tokens[0] + " = " + render(v, "", e.unit, false)
	if blk == nil {
		// A file of attributes: a new line at its end.
		out := append([]byte{}, e.src...)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			out = append(out, '\n')
		}
		e.touched = append(e.touched, len(out))
		e.out = append(out, []byte(indentLines(line, "")+"\n")...)
		return nil
	}
	return e.insertLines(blk, []string{line}, false)
}

// attribute edits the value of an attribute at path rest inside it.
func (e *editor) attribute(a *hclsyntax.Attribute, rest []string, op Op) error {
	r := a.Expr.Range()
	lineStart := lineStartOf(e.src, a.SrcRange.Start.Byte)
	indent := leading(e.src[lineStart:])
	multi := bytes.Contains(e.src[r.Start.Byte:r.End.Byte], []byte("\n"))
	if len(rest) == 0 {
		switch op.Op {
		case "remove":
			return e.removeRange(a.SrcRange.Start.Byte, a.SrcRange.End.Byte)
		case "add", "replace":
			return e.replaceExpr(r, render(op.Value, indent, e.unit, multi))
		}
		return refuse("unknown operation %s", op.Op)
	}
	if hasComment(e.src[r.Start.Byte:r.End.Byte]) {
		return refuse("the value of %s holds comments; a rewrite would lose them", a.Name)
	}
	v, diags := a.Expr.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return refuse("the value of %s is not a literal", a.Name)
	}
	val, err := applyValue(fromCty(v), rest, op)
	if err != nil {
		return err
	}
	return e.replaceExpr(r, render(val, indent, e.unit, multi))
}

// object edits a kubernetes_manifest's object literal.
func (e *editor) object(obj *hclsyntax.ObjectConsExpr, tokens []string, op Op) error {
	var cur hclsyntax.Expression = obj
	for i, tok := range tokens {
		switch c := cur.(type) {
		case *hclsyntax.ObjectConsExpr:
			var found hclsyntax.Expression
			var item *hclsyntax.ObjectConsItem
			for j := range c.Items {
				k, d := c.Items[j].KeyExpr.Value(nil)
				if !d.HasErrors() && k.Type() == cty.String && k.AsString() == tok {
					found, item = terraform.Unwrap(c.Items[j].ValueExpr), &c.Items[j]
				}
			}
			if found == nil {
				if op.Op == "remove" {
					return refuse("%s is not written", tok)
				}
				v := op.Value
				rest := tokens[i+1:]
				if len(rest) > 0 && rest[len(rest)-1] == "-" {
					v, rest = []any{v}, rest[:len(rest)-1]
				}
				for j := len(rest) - 1; j >= 0; j-- {
					v = map[string]any{rest[j]: v}
				}
				return e.insertInObject(c, tok, v)
			}
			if i+1 == len(tokens) {
				if op.Op == "remove" {
					return e.removeRange(item.KeyExpr.Range().Start.Byte, item.ValueExpr.Range().End.Byte)
				}
				ind := leading(e.src[lineStartOf(e.src, item.KeyExpr.Range().Start.Byte):])
				r := found.Range()
				return e.replaceExpr(r, render(op.Value, ind, e.unit, bytes.Contains(e.src[r.Start.Byte:r.End.Byte], []byte("\n"))))
			}
			cur = found
		case *hclsyntax.TupleConsExpr:
			n, err := strconv.Atoi(tok)
			if err != nil || n >= len(c.Exprs) {
				return e.literal(cur, tokens[i:], op)
			}
			cur = terraform.Unwrap(c.Exprs[n])
		default:
			return e.literal(cur, tokens[i:], op)
		}
	}
	return refuse("nothing to edit")
}

// literal rewrites a literal expression with op applied at rest.
func (e *editor) literal(x hclsyntax.Expression, rest []string, op Op) error {
	r := x.Range()
	if hasComment(e.src[r.Start.Byte:r.End.Byte]) {
		return refuse("the value holds comments; a rewrite would lose them")
	}
	v, diags := x.Value(nil)
	if diags.HasErrors() || !v.IsWhollyKnown() {
		return refuse("the value is not a literal")
	}
	val, err := applyValue(fromCty(v), rest, op)
	if err != nil {
		return err
	}
	ind := leading(e.src[lineStartOf(e.src, r.Start.Byte):])
	return e.replaceExpr(r, render(val, ind, e.unit, bytes.Contains(e.src[r.Start.Byte:r.End.Byte], []byte("\n"))))
}

func (e *editor) replaceExpr(r hcl.Range, text string) error {
	out := append(append(append([]byte{}, e.src[:r.Start.Byte]...), text...), e.src[r.End.Byte:]...)
	e.out = out
	e.touched = append(e.touched, lineStartOf(out, r.Start.Byte))
	return nil
}

// removeRange deletes the statement at [start,end) with its whole lines
// when it is alone on them.
func (e *editor) removeRange(start, end int) error {
	ls := lineStartOf(e.src, start)
	le := end
	for le < len(e.src) && (e.src[le] == ' ' || e.src[le] == '\t') {
		le++
	}
	alone := len(bytes.TrimSpace(e.src[ls:start])) == 0
	switch {
	case alone && (le == len(e.src) || e.src[le] == '\n'):
		start = ls
		if le < len(e.src) {
			le++
		}
		end = le
	case alone && (bytes.HasPrefix(e.src[le:], []byte("#")) || bytes.HasPrefix(e.src[le:], []byte("//"))):
		// A trailing comment stays, on a line of its own.
		end = le
	}
	out := append(append([]byte{}, e.src[:start]...), e.src[end:]...)
	e.out = out
	if start > 0 {
		e.touched = append(e.touched, lineStartOf(out, start-1))
	}
	if start < len(out) {
		e.touched = append(e.touched, start)
	}
	return nil
}

// insertFields adds field k8s with value v to a provider block.
func (e *editor) insertFields(blk *hclsyntax.Block, k8s string, v any) error {
	tf, list := terraform.TFName(k8s)
	if items, ok := v.([]any); ok && list {
		return e.insertBlocks(blk, []string{tf}, items)
	}
	if m, ok := v.(map[string]any); ok && !terraform.IsMapAttribute(tf) {
		return e.insertLines(blk, []string{blockText(tf, m, e.unit)}, true)
	}
	return e.insertLines(blk, []string{tf + " = " + render(v, "", e.unit, false)}, false)
}

// insertBlocks adds one block named name per item (a mapping).
func (e *editor) insertBlocks(blk *hclsyntax.Block, name []string, items []any) error {
	var texts []string
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return refuse("a %s block from a value that is not a mapping", name[0])
		}
		texts = append(texts, blockText(name[0], m, e.unit))
	}
	return e.insertLines(blk, texts, true)
}

// blockText renders a provider block from a Kubernetes mapping, without
// indentation: its nested lines carry one unit per level.
func blockText(name string, m map[string]any, unit string) string {
	var attrs, blocks []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		tf, list := terraform.TFName(k)
		v := m[k]
		if items, ok := v.([]any); ok && list && allMaps(items) {
			for _, it := range items {
				blocks = append(blocks, blockText(tf, it.(map[string]any), unit))
			}
			continue
		}
		if mm, ok := v.(map[string]any); ok && !terraform.IsMapAttribute(tf) {
			blocks = append(blocks, blockText(tf, mm, unit))
			continue
		}
		attrs = append(attrs, tf+" = "+render(v, "", unit, false))
	}
	var b strings.Builder
	b.WriteString(name + " {\n")
	lines := alignLines(attrs)
	for _, l := range lines {
		b.WriteString(indentLines(l, unit) + "\n")
	}
	for i, bl := range blocks {
		if i > 0 || len(lines) > 0 {
			b.WriteString("\n")
		}
		b.WriteString(indentLines(bl, unit) + "\n")
	}
	b.WriteString("}")
	return b.String()
}

func allMaps(items []any) bool {
	for _, it := range items {
		if _, ok := it.(map[string]any); !ok {
			return false
		}
	}
	return len(items) > 0
}

// insertLines adds statements to a block: an attribute after the block's
// last attribute (or first in it), a block at its end.
func (e *editor) insertLines(blk *hclsyntax.Block, texts []string, isBlock bool) error {
	open, closeB := blk.OpenBraceRange, blk.CloseBraceRange
	blockIndent := leading(e.src[lineStartOf(e.src, blk.TypeRange.Start.Byte):])
	if open.Start.Line == closeB.Start.Line {
		if len(bytes.TrimSpace(e.src[open.End.Byte:closeB.Start.Byte])) > 0 {
			return refuse("the %s block is written on one line", blk.Type)
		}
		child := blockIndent + e.unit
		var b strings.Builder
		b.WriteString("{\n")
		for i, t := range texts {
			if i > 0 && isBlock {
				b.WriteString("\n")
			}
			b.WriteString(indentLines(t, child) + "\n")
		}
		b.WriteString(blockIndent + "}")
		out := append(append(append([]byte{}, e.src[:open.Start.Byte]...), b.String()...), e.src[closeB.End.Byte:]...)
		e.out = out
		e.touched = append(e.touched, lineStartOf(out, open.Start.Byte)+0, nextLine(out, open.Start.Byte))
		return nil
	}
	child := blockIndent + e.unit
	if items := itemStarts(blk.Body); len(items) > 0 {
		child = leading(e.src[lineStartOf(e.src, items[0]):])
	}
	var at int
	var text strings.Builder
	if !isBlock {
		attrs := attrEnds(blk.Body)
		if len(attrs) > 0 {
			at = nextLine(e.src, attrs[len(attrs)-1])
		} else {
			at = nextLine(e.src, open.End.Byte-1)
		}
		for _, t := range texts {
			text.WriteString(indentLines(t, child) + "\n")
		}
		if len(attrs) == 0 && len(blk.Body.Blocks) > 0 {
			// The first attribute of a body of blocks: set apart from them.
			text.WriteString("\n")
		}
	} else {
		at = lineStartOf(e.src, closeB.Start.Byte)
		prev := bytes.TrimSpace(lastLine(e.src[:at]))
		for i, t := range texts {
			if i > 0 || !(len(prev) > 0 && prev[len(prev)-1] == '{') && len(prev) > 0 {
				text.WriteString("\n")
			}
			text.WriteString(indentLines(t, child) + "\n")
		}
	}
	out := append(append(append([]byte{}, e.src[:at]...), text.String()...), e.src[at:]...)
	e.out = out
	e.touched = append(e.touched, at)
	if at > 0 {
		e.touched = append(e.touched, lineStartOf(out, at-1))
	}
	return nil
}

// insertInObject adds key = value to an object literal (kubernetes_manifest).
func (e *editor) insertInObject(c *hclsyntax.ObjectConsExpr, key string, v any) error {
	r := c.SrcRange
	openLine, closeLine := r.Start.Line, r.End.Line
	ind := leading(e.src[lineStartOf(e.src, r.Start.Byte):])
	k := key
	if !hclsyntax.ValidIdentifier(k) {
		k = strconv.Quote(k)
	}
	if openLine == closeLine {
		if len(c.Items) > 0 {
			return refuse("the object is written on one line")
		}
		text := "{\n" + indentLines(k+" = "+render(v, "", e.unit, false), ind+e.unit) + "\n" + ind + "}"
		return e.replaceExpr(r, text)
	}
	child := ind + e.unit
	at := lineStartOf(e.src, r.End.Byte-1)
	if len(c.Items) > 0 {
		last := c.Items[len(c.Items)-1].ValueExpr.Range().End.Byte
		child = leading(e.src[lineStartOf(e.src, c.Items[0].KeyExpr.Range().Start.Byte):])
		at = nextLine(e.src, last)
	}
	line := indentLines(k+" = "+render(v, "", e.unit, false), child) + "\n"
	out := append(append(append([]byte{}, e.src[:at]...), line...), e.src[at:]...)
	e.out = out
	e.touched = append(e.touched, at)
	if at > 0 {
		e.touched = append(e.touched, lineStartOf(out, at-1))
	}
	return nil
}

// findAttr returns the attribute of a provider body that sets Kubernetes
// field k8s.
func findAttr(b *hclsyntax.Body, k8s string) *hclsyntax.Attribute {
	for name, a := range b.Attributes {
		if terraform.AttrName(name) == k8s {
			return a
		}
	}
	return nil
}

// findBlocks returns the blocks of a provider body that write field k8s,
// and whether they are the items of a list.
func findBlocks(b *hclsyntax.Body, k8s string) ([]*hclsyntax.Block, bool) {
	var out []*hclsyntax.Block
	list := false
	for _, blk := range b.Blocks {
		if n, l := terraform.K8sName(blk.Type); n == k8s {
			out, list = append(out, blk), l
		}
	}
	if len(out) == 0 {
		if _, l := terraform.TFName(k8s); l {
			list = true
		}
	}
	return out, list
}

func findDynamic(b *hclsyntax.Body, k8s string) bool {
	for _, blk := range b.Blocks {
		if blk.Type == "dynamic" && len(blk.Labels) == 1 {
			if n, _ := terraform.K8sName(blk.Labels[0]); n == k8s {
				return true
			}
		}
	}
	return false
}

func itemStarts(b *hclsyntax.Body) []int {
	var out []int
	for _, a := range b.Attributes {
		out = append(out, a.SrcRange.Start.Byte)
	}
	for _, blk := range b.Blocks {
		out = append(out, blk.TypeRange.Start.Byte)
	}
	sort.Ints(out)
	return out
}

func attrEnds(b *hclsyntax.Body) []int {
	var out []int
	for _, a := range b.Attributes {
		out = append(out, a.SrcRange.End.Byte)
	}
	sort.Ints(out)
	return out
}

// hasComment reports whether HCL text holds a comment.
func hasComment(b []byte) bool {
	toks, _ := hclsyntax.LexExpression(b, "", hcl.InitialPos)
	for _, t := range toks {
		if t.Type == hclsyntax.TokenComment {
			return true
		}
	}
	return false
}

// fromCty converts a literal value to the JSON-like values of a patch.
func fromCty(v cty.Value) any {
	if v.IsNull() {
		return nil
	}
	t := v.Type()
	switch {
	case t == cty.String:
		return v.AsString()
	case t == cty.Bool:
		return v.True()
	case t == cty.Number:
		f, _ := v.AsBigFloat().Float64()
		return f
	case t.IsListType() || t.IsTupleType() || t.IsSetType():
		var out []any
		for it := v.ElementIterator(); it.Next(); {
			_, x := it.Element()
			out = append(out, fromCty(x))
		}
		if out == nil {
			out = []any{}
		}
		return out
	case t.IsMapType() || t.IsObjectType():
		out := map[string]any{}
		for it := v.ElementIterator(); it.Next(); {
			k, x := it.Element()
			out[k.AsString()] = fromCty(x)
		}
		return out
	}
	return nil
}

// applyValue applies op at path rest inside value v.
func applyValue(v any, rest []string, op Op) (any, error) {
	if len(rest) == 0 {
		if op.Op == "remove" {
			return nil, refuse("remove of a whole value")
		}
		return op.Value, nil
	}
	tok := rest[0]
	switch c := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(c)+1)
		for k, x := range c {
			out[k] = x
		}
		if len(rest) == 1 {
			if op.Op == "remove" {
				delete(out, tok)
			} else {
				out[tok] = op.Value
			}
			return out, nil
		}
		child, ok := c[tok]
		if !ok {
			if op.Op == "remove" {
				return nil, refuse("%s is not there", tok)
			}
			child = map[string]any{}
		}
		nv, err := applyValue(child, rest[1:], op)
		if err != nil {
			return nil, err
		}
		out[tok] = nv
		return out, nil
	case []any:
		out := append([]any{}, c...)
		if tok == "-" && len(rest) == 1 && op.Op == "add" {
			return append(out, op.Value), nil
		}
		i, err := strconv.Atoi(tok)
		if err != nil || i < 0 || i > len(c) || i == len(c) && op.Op != "add" {
			return nil, refuse("no item %s", tok)
		}
		if len(rest) == 1 {
			switch op.Op {
			case "remove":
				return append(out[:i], out[i+1:]...), nil
			case "add":
				return append(out[:i], append([]any{op.Value}, out[i:]...)...), nil
			default:
				out[i] = op.Value
				return out, nil
			}
		}
		nv, err := applyValue(c[i], rest[1:], op)
		if err != nil {
			return nil, err
		}
		out[i] = nv
		return out, nil
	case nil:
		if op.Op == "remove" {
			return nil, refuse("%s is not there", tok)
		}
		return applyValue(map[string]any{}, rest, op)
	}
	return nil, refuse("%s is inside a value that is not a list or an object", tok)
}

// render writes a value as HCL. indent is the indentation of the line the
// value starts on; multi keeps a list that was written one item per line so.
func render(v any, indent, unit string, multi bool) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return string(hclwrite.TokensForValue(cty.StringVal(x)).Bytes())
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		scalar := true
		for _, it := range x {
			switch it.(type) {
			case map[string]any, []any:
				scalar = false
			}
		}
		if scalar && !multi {
			parts := make([]string, len(x))
			for i, it := range x {
				parts[i] = render(it, indent, unit, false)
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
		var b strings.Builder
		b.WriteString("[\n")
		for _, it := range x {
			b.WriteString(indent + unit + render(it, indent+unit, unit, false) + ",\n")
		}
		b.WriteString(indent + "]")
		return b.String()
	case map[string]any:
		if len(x) == 0 {
			return "{}"
		}
		var lines []string
		for _, k := range slices.Sorted(maps.Keys(x)) {
			key := k
			if !hclsyntax.ValidIdentifier(k) {
				key = strconv.Quote(k)
			}
			lines = append(lines, key+" = "+render(x[k], indent+unit, unit, false))
		}
		var b strings.Builder
		b.WriteString("{\n")
		for _, l := range alignLines(lines) {
			b.WriteString(indent + unit + l + "\n")
		}
		b.WriteString(indent + "}")
		return b.String()
	}
	return fmt.Sprint(v)
}

// indentLines prefixes every non-empty line of s with indent.
func indentLines(s, indent string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = indent + l
		}
	}
	return strings.Join(lines, "\n")
}

// alignLines aligns single-line `name = value` statements on `=`, as
// terraform fmt does; multi-line ones break the run.
func alignLines(lines []string) []string {
	out := append([]string{}, lines...)
	start := 0
	flush := func(end int) {
		w := 0
		for _, l := range out[start:end] {
			w = max(w, len(strings.SplitN(l, " = ", 2)[0]))
		}
		for i := start; i < end; i++ {
			p := strings.SplitN(out[i], " = ", 2)
			out[i] = p[0] + strings.Repeat(" ", w-len(p[0])) + " = " + p[1]
		}
	}
	for i, l := range out {
		if strings.Contains(l, "\n") {
			flush(i)
			start = i + 1
		}
	}
	flush(len(out))
	return out
}

var attrLineRE = regexp.MustCompile(`^([ \t]*)("[^"]*"|[A-Za-z_][A-Za-z0-9_-]*)([ \t]*)=[ \t]*(.*)$`)

// align aligns on `=` the runs of single-line attributes that hold a
// touched line, as terraform fmt does: a run is consecutive lines at one
// indentation whose value ends on the same line.
func align(src []byte, touched []int) []byte {
	lines := bytes.SplitAfter(src, []byte("\n"))
	offs := make([]int, len(lines))
	o := 0
	for i, l := range lines {
		offs[i] = o
		o += len(l)
	}
	inRun := func(i int, indent string) bool {
		m := attrLineRE.FindSubmatch(bytes.TrimRight(lines[i], "\n"))
		if m == nil || string(m[1]) != indent {
			return false
		}
		v := bytes.TrimSpace(m[4])
		if len(v) == 0 {
			return false
		}
		if c := bytes.Index(v, []byte(" #")); c >= 0 {
			v = bytes.TrimSpace(v[:c])
		}
		if c := bytes.Index(v, []byte(" //")); c >= 0 {
			v = bytes.TrimSpace(v[:c])
		}
		last := v[len(v)-1]
		return last != '{' && last != '[' && last != '(' && !bytes.HasPrefix(v, []byte("<<"))
	}
	done := map[int]bool{}
	for _, t := range touched {
		i := sort.SearchInts(offs, t+1) - 1
		if i < 0 || i >= len(lines) || done[i] {
			continue
		}
		m := attrLineRE.FindSubmatch(bytes.TrimRight(lines[i], "\n"))
		if m == nil {
			continue
		}
		indent := string(m[1])
		if !inRun(i, indent) {
			continue
		}
		a, b := i, i
		for a > 0 && inRun(a-1, indent) {
			a--
		}
		for b+1 < len(lines) && inRun(b+1, indent) {
			b++
		}
		w := 0
		for j := a; j <= b; j++ {
			m := attrLineRE.FindSubmatch(bytes.TrimRight(lines[j], "\n"))
			w = max(w, len(m[2]))
		}
		for j := a; j <= b; j++ {
			done[j] = true
			nl := bytes.HasSuffix(lines[j], []byte("\n"))
			m := attrLineRE.FindSubmatch(bytes.TrimRight(lines[j], "\n"))
			s := string(m[1]) + string(m[2]) + strings.Repeat(" ", w-len(m[2])) + " = " + string(m[4])
			if nl {
				s += "\n"
			}
			lines[j] = []byte(s)
		}
	}
	return bytes.Join(lines, nil)
}

func lineStartOf(b []byte, off int) int {
	off = min(off, len(b))
	for off > 0 && b[off-1] != '\n' {
		off--
	}
	return off
}

// nextLine is the offset of the line after the one holding off.
func nextLine(b []byte, off int) int {
	i := bytes.IndexByte(b[min(off, len(b)):], '\n')
	if i < 0 {
		return len(b)
	}
	return off + i + 1
}

func lastLine(b []byte) []byte {
	b = bytes.TrimRight(b, "\n")
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

func leading(b []byte) string {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return string(b[:i])
}

// indentUnit is the file's indentation step: the smallest indentation of
// a line that has one; two spaces when none has.
func indentUnit(src []byte) string {
	best := ""
	for _, l := range bytes.Split(src, []byte("\n")) {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		ind := leading(l)
		if ind != "" && (best == "" || len(ind) < len(best)) {
			best = ind
		}
	}
	if best == "" {
		return "  "
	}
	return best
}

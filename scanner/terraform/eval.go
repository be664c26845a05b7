package terraform

import (
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// originKind says where a value takes effect from.
type originKind int

const (
	// originHere is a literal written in the resource block itself.
	originHere originKind = iota
	// originBlock is a block of the resource (a field missing from it
	// belongs there).
	originBlock
	// originElsewhere is a literal written in another place that decides
	// the value: a .tfvars line, a variable's default, a module call's
	// argument, a local.
	originElsewhere
	// originComputed is anything Terraform computes: functions, several
	// values, data sources, other resources, dynamic blocks.
	originComputed
)

// origin is where a field's value is written.
type origin struct {
	kind      originKind
	file      *parsedFile
	line, col int
	// at and sub, for originElsewhere: the attribute that holds the value
	// and the path inside its value.
	at  *attrAt
	sub []string
	// why, for originComputed, names what computes it.
	why string
}

// scope is one instance of a module: the root, or a module call's.
type scope struct {
	l      *loader
	m      *module
	parent *scope
	call   *moduleCall
	prefix string // "module.app." for a called module
	depth  int
	busy   map[string]bool
	ctx    *hcl.EvalContext
}

// maxTraceDepth bounds how many var and local hops a value is followed,
// and how deep module calls nest.
const maxTraceDepth = 16

// resolve returns the value of expr in this scope and where it is written.
func (sc *scope) resolve(expr hclsyntax.Expression, depth int) (cty.Value, origin) {
	expr = Unwrap(expr)
	if depth > maxTraceDepth {
		return cty.DynamicVal, origin{kind: originComputed, why: "too many indirections"}
	}
	if t, ok := expr.(*hclsyntax.ScopeTraversalExpr); ok && len(t.Traversal) == 2 {
		if attr, ok := t.Traversal[1].(hcl.TraverseAttr); ok {
			switch t.Traversal.RootName() {
			case "var":
				return sc.varValue(attr.Name, depth+1)
			case "local":
				return sc.localValue(attr.Name, depth+1)
			}
		}
	}
	if len(expr.Variables()) == 0 {
		v, diags := safeValue(expr, nil)
		if diags || !v.IsWhollyKnown() {
			return cty.DynamicVal, origin{kind: originComputed, why: "a function of the configuration"}
		}
		return v, origin{kind: originHere}
	}
	v, _ := safeValue(expr, sc.evalContext(depth))
	var refs []string
	for _, t := range expr.Variables() {
		refs = append(refs, traversalName(t))
	}
	return v, origin{kind: originComputed, why: "computed from " + strings.Join(refs, ", ")}
}

// Unwrap removes parentheses and "${…}" around a single expression: the
// expression a value is, for reading it here and for editing it
// (remediate/hcledit).
func Unwrap(e hclsyntax.Expression) hclsyntax.Expression {
	for {
		switch x := e.(type) {
		case *hclsyntax.ParenthesesExpr:
			e = x.Expression
		case *hclsyntax.TemplateWrapExpr:
			e = x.Wrapped
		default:
			return e
		}
	}
}

// safeValue evaluates an expression; functions are unknown (nil table), so
// a call is an error, not a guess. A panic in the evaluator is an error.
func safeValue(e hclsyntax.Expression, ctx *hcl.EvalContext) (v cty.Value, failed bool) {
	defer func() {
		if r := recover(); r != nil {
			v, failed = cty.DynamicVal, true
		}
	}()
	v, diags := e.Value(ctx)
	return v, diags.HasErrors()
}

func traversalName(t hcl.Traversal) string {
	var b strings.Builder
	b.WriteString(t.RootName())
	for _, s := range t[1:] {
		if a, ok := s.(hcl.TraverseAttr); ok {
			b.WriteString("." + a.Name)
			continue
		}
		break
	}
	return b.String()
}

// varValue is the value of var.name as Terraform decides it: a module
// call's argument; at the root, the last .tfvars file that sets it, else
// its default.
func (sc *scope) varValue(name string, depth int) (cty.Value, origin) {
	if sc.call != nil {
		if a := sc.call.args[name]; a != nil {
			v, o := sc.parent.resolve(a.attr.Expr, depth)
			return v, elsewhere(o, a)
		}
	} else if a := sc.m.tfvars[name]; a != nil {
		v, failed := safeValue(a.attr.Expr, nil)
		if failed {
			return cty.DynamicVal, origin{kind: originComputed, why: "var." + name + " is not a literal in " + a.file.src.Path}
		}
		return v, elsewhere(origin{kind: originHere}, a)
	}
	if a := sc.m.variables[name]; a != nil {
		v, failed := safeValue(a.attr.Expr, nil)
		if failed {
			return cty.DynamicVal, origin{kind: originComputed, why: "the default of var." + name + " is not a literal"}
		}
		return v, elsewhere(origin{kind: originHere}, a)
	}
	return cty.DynamicVal, origin{kind: originComputed, why: "var." + name + " has no value in this repository"}
}

// localValue is the value of local.name, following its expression.
func (sc *scope) localValue(name string, depth int) (cty.Value, origin) {
	a := sc.m.locals[name]
	if a == nil || sc.busy[name] {
		return cty.DynamicVal, origin{kind: originComputed, why: "local." + name + " is not known"}
	}
	if sc.busy == nil {
		sc.busy = map[string]bool{}
	}
	sc.busy[name] = true
	defer delete(sc.busy, name)
	v, o := sc.resolve(a.attr.Expr, depth)
	return v, elsewhere(o, a)
}

// elsewhere turns a literal's origin into the attribute a that writes it.
func elsewhere(o origin, a *attrAt) origin {
	if o.kind != originHere {
		return o
	}
	line, col := rangeOf(a.attr.NameRange)
	return origin{kind: originElsewhere, file: a.file, line: line, col: col, at: a}
}

// evalContext holds the values of variables and locals that are known,
// for expressions that compute from them (their value is then known for
// the scan, but the fix is by hand).
func (sc *scope) evalContext(depth int) *hcl.EvalContext {
	if sc.ctx != nil {
		return sc.ctx
	}
	sc.ctx = &hcl.EvalContext{Variables: map[string]cty.Value{}}
	vars := map[string]cty.Value{}
	for name := range sc.m.declared {
		v, _ := sc.varValue(name, depth+1)
		vars[name] = v
	}
	locals := map[string]cty.Value{}
	for name := range sc.m.locals {
		v, o := sc.localValue(name, depth+1)
		if o.kind == originComputed {
			v = cty.DynamicVal
		}
		locals[name] = v
	}
	sc.ctx.Variables["var"] = cty.ObjectVal(vars)
	sc.ctx.Variables["local"] = cty.ObjectVal(locals)
	return sc.ctx
}

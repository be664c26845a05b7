package templates

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// A repository's own template is a program run by remedy with the data of
// every finding: seven nested ranges took more than 3 GB. What a template
// may do is bounded three ways, each an error naming the template file:
//
//   - At parse: range, with and template calls nest at most MaxNesting
//     deep, and no variable is assigned again (`{{ $x = ... }}`), so that
//     nothing grows from one iteration to the next.
//   - Before executing, with the data: the ranges may run at most
//     MaxIterations times, counted as the product of the lengths of the
//     lists they range over (the longest list of the data when the list
//     is not a named field), and printf widths are at most maxWidth.
//   - While executing: the output is at most MaxOutput bytes (the writer
//     fails past it, and text/template stops at a failed write), and the
//     execution at most Timeout.
const (
	MaxNesting    = 4
	MaxIterations = 1_000_000
	MaxOutput     = 1 << 20
	Timeout       = 5 * time.Second
	// maxWidth bounds a printf width or precision: fmt pads to up to a
	// million bytes per verb.
	maxWidth = 1000
)

// errOverBudget marks the errors of a template over its budget.
var errOverBudget = errors.New("over budget")

// checkTree rejects a template nesting deeper than MaxNesting or
// assigning a variable again.
func checkTree(t *template.Template) error {
	var walk func(n parse.Node, depth int, seen map[string]bool) error
	walk = func(n parse.Node, depth int, seen map[string]bool) error {
		if depth > MaxNesting {
			return fmt.Errorf("%w: range, with and template nest more than %d deep (line %d)", errOverBudget, MaxNesting, lineOf(t, n))
		}
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return nil
			}
			for _, c := range n.Nodes {
				if err := walk(c, depth, seen); err != nil {
					return err
				}
			}
		case *parse.ActionNode:
			if n.Pipe != nil && n.Pipe.IsAssign {
				return fmt.Errorf("%w: a variable is assigned again (line %d); use a new one with :=", errOverBudget, lineOf(t, n))
			}
		case *parse.IfNode:
			return walkBranch(&n.BranchNode, depth, seen, walk)
		case *parse.RangeNode:
			return walkBranch(&n.BranchNode, depth+1, seen, walk)
		case *parse.WithNode:
			return walkBranch(&n.BranchNode, depth+1, seen, walk)
		case *parse.TemplateNode:
			called := t.Lookup(n.Name)
			if called == nil || called.Tree == nil {
				return nil
			}
			if seen[n.Name] {
				return fmt.Errorf("%w: template %q calls itself (line %d)", errOverBudget, n.Name, lineOf(t, n))
			}
			inner := map[string]bool{n.Name: true}
			for k := range seen {
				inner[k] = true
			}
			return walk(called.Tree.Root, depth+1, inner)
		}
		return nil
	}
	for _, tt := range t.Templates() {
		if tt.Tree == nil {
			continue
		}
		if err := walk(tt.Tree.Root, 0, map[string]bool{tt.Name(): true}); err != nil {
			return err
		}
	}
	return nil
}

func walkBranch(b *parse.BranchNode, depth int, seen map[string]bool, walk func(parse.Node, int, map[string]bool) error) error {
	if b.Pipe != nil && b.Pipe.IsAssign {
		return fmt.Errorf("%w: a variable is assigned again; use a new one with :=", errOverBudget)
	}
	if err := walk(b.List, depth, seen); err != nil {
		return err
	}
	if b.ElseList != nil {
		return walk(b.ElseList, depth, seen)
	}
	return nil
}

func lineOf(t *template.Template, n parse.Node) int {
	if t.Tree == nil {
		return 0
	}
	loc, _ := t.ErrorContext(n)
	// loc is "name:line:col".
	parts := strings.Split(loc, ":")
	if len(parts) >= 2 {
		if l, err := strconv.Atoi(parts[len(parts)-2]); err == nil {
			return l
		}
	}
	return 0
}

// listLengths are the lengths of the lists of the data, by field name
// (the longest when several share a name: Refs), and the longest of all.
type listLengths struct {
	byName  map[string]int
	longest int
}

func lengthsOf(d any) listLengths {
	l := listLengths{byName: map[string]int{}}
	var walk func(v reflect.Value, name string)
	walk = func(v reflect.Value, name string) {
		switch v.Kind() {
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i), v.Type().Field(i).Name)
				}
			}
		case reflect.Slice:
			l.byName[name] = max(l.byName[name], v.Len())
			l.longest = max(l.longest, v.Len())
			for i := range v.Len() {
				walk(v.Index(i), "")
			}
		}
	}
	walk(reflect.ValueOf(d), "")
	return l
}

// checkIterations bounds how many times the ranges of t may run over data
// of lengths l, and the printf widths.
func checkIterations(t *template.Template, l listLengths) error {
	var cost func(n parse.Node, mult float64, seen map[string]bool) (float64, error)
	cost = func(n parse.Node, mult float64, seen map[string]bool) (float64, error) {
		var total float64
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return 0, nil
			}
			for _, c := range n.Nodes {
				c, err := cost(c, mult, seen)
				if err != nil {
					return 0, err
				}
				total += c
			}
		case *parse.ActionNode:
			return mult, checkWidths(t, n, n.Pipe)
		case *parse.IfNode:
			return branchCost(t, &n.BranchNode, mult, seen, cost)
		case *parse.WithNode:
			return branchCost(t, &n.BranchNode, mult, seen, cost)
		case *parse.RangeNode:
			return branchCost(t, &n.BranchNode, mult*float64(max(1, rangeLength(n.Pipe, l))), seen, cost)
		case *parse.TemplateNode:
			called := t.Lookup(n.Name)
			if called == nil || called.Tree == nil || seen[n.Name] {
				return mult, nil
			}
			inner := map[string]bool{n.Name: true}
			for k := range seen {
				inner[k] = true
			}
			return cost(called.Tree.Root, mult, inner)
		}
		return total, nil
	}
	c, err := cost(t.Tree.Root, 1, map[string]bool{t.Name(): true})
	if err != nil {
		return err
	}
	if c > MaxIterations {
		return fmt.Errorf("%w: its ranges would run about %.0f times over this data, more than %d", errOverBudget, c, MaxIterations)
	}
	return nil
}

func branchCost(t *template.Template, b *parse.BranchNode, mult float64, seen map[string]bool,
	cost func(parse.Node, float64, map[string]bool) (float64, error)) (float64, error) {
	if err := checkWidths(t, b, b.Pipe); err != nil {
		return 0, err
	}
	c, err := cost(b.List, mult, seen)
	if err != nil {
		return 0, err
	}
	e, err := cost(b.ElseList, mult, seen)
	return mult + c + e, err
}

// rangeLength is the length of the list a range pipeline ranges over:
// the named field's, an integer's value, or the longest list.
func rangeLength(p *parse.PipeNode, l listLengths) int {
	if p == nil || len(p.Cmds) != 1 || len(p.Cmds[0].Args) != 1 {
		return l.longest
	}
	var idents []string
	switch a := p.Cmds[0].Args[0].(type) {
	case *parse.NumberNode:
		if a.IsInt {
			return int(min(a.Int64, 1<<40))
		}
	case *parse.FieldNode:
		idents = a.Ident
	case *parse.VariableNode:
		idents = a.Ident[1:]
	case *parse.ChainNode:
		idents = a.Field
	}
	if len(idents) > 0 {
		if n, ok := l.byName[idents[len(idents)-1]]; ok {
			return n
		}
	}
	return l.longest
}

// checkWidths refuses a printf whose format pads or truncates to more than
// maxWidth bytes.
func checkWidths(t *template.Template, n parse.Node, p *parse.PipeNode) error {
	if p == nil {
		return nil
	}
	var bad error
	for _, cmd := range p.Cmds {
		for i, a := range cmd.Args {
			if id, ok := a.(*parse.IdentifierNode); ok && id.Ident == "printf" && i+1 < len(cmd.Args) {
				if s, ok := cmd.Args[i+1].(*parse.StringNode); ok && wideFormat(s.Text) {
					bad = fmt.Errorf("%w: a printf width over %d (line %d)", errOverBudget, maxWidth, lineOf(t, n))
				} else if !ok {
					bad = fmt.Errorf("%w: printf with a format that is not a literal string (line %d)", errOverBudget, lineOf(t, n))
				}
			}
			if sub, ok := a.(*parse.PipeNode); ok && bad == nil {
				bad = checkWidths(t, n, sub)
			}
		}
	}
	return bad
}

// wideFormat reports whether a format has a width or precision over
// maxWidth, or one taken from an argument (*).
func wideFormat(f string) bool {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		for i++; i < len(f) && strings.IndexByte("+-# 0123456789.*[]", f[i]) >= 0; i++ {
			if f[i] == '*' {
				return true
			}
			if f[i] >= '0' && f[i] <= '9' {
				j := i
				for j < len(f) && f[j] >= '0' && f[j] <= '9' {
					j++
				}
				if n, err := strconv.Atoi(f[i:j]); err != nil || n > maxWidth {
					return true
				}
				i = j - 1
			}
		}
	}
	return false
}

// limitedWriter fails once more than max bytes were written, or after the
// deadline.
type limitedWriter struct {
	b        strings.Builder
	max      int
	deadline time.Time
}

func (w *limitedWriter) Write(p []byte) (int, error) {
	if w.b.Len()+len(p) > w.max {
		return 0, fmt.Errorf("%w: the output is over %d bytes", errOverBudget, w.max)
	}
	if time.Now().After(w.deadline) {
		return 0, fmt.Errorf("%w: the execution took longer than %s", errOverBudget, Timeout)
	}
	return w.b.Write(p)
}

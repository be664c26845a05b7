package terraform

import (
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

// module is one folder of .tf files.
type module struct {
	dir       string // absolute
	files     []*parsedFile
	variables map[string]*attrAt // a variable's `default`, or nil
	declared  map[string]bool
	locals    map[string]*attrAt
	tfvars    map[string]*attrAt // the value that takes effect, by name
	calls     []*moduleCall
	resources []*resourceBlock
}

// attrAt is an attribute and the place it is written: the region of the
// file an edit of it parses (a block, or the whole file) and its path in
// that region's body.
type attrAt struct {
	file       *parsedFile
	attr       *hclsyntax.Attribute
	start, end int
	path       []string
}

// moduleCall is a `module` block with a local source.
type moduleCall struct {
	name  string
	dir   string // absolute; empty when the source is not a local path
	block *hclsyntax.Block
	file  *parsedFile
	args  map[string]*attrAt
}

// resourceBlock is a `resource` block of a mapped type.
type resourceBlock struct {
	typ, name string
	block     *hclsyntax.Block
	file      *parsedFile
}

// region returns the byte range of a block, from the start of its line
// to the end of its closing brace's line.
func region(b []byte, blk *hclsyntax.Block) (start, end int) {
	start = blk.TypeRange.Start.Byte
	for start > 0 && b[start-1] != '\n' {
		start--
	}
	end = blk.CloseBraceRange.End.Byte
	for end < len(b) && b[end] != '\n' {
		end++
	}
	if end < len(b) {
		end++
	}
	return start, end
}

// module reads a folder once.
func (l *loader) module(dir string) *module {
	if m, ok := l.modules[dir]; ok {
		return m
	}
	m := &module{dir: dir, variables: map[string]*attrAt{}, declared: map[string]bool{}, locals: map[string]*attrAt{}, tfvars: map[string]*attrAt{}}
	l.modules[dir] = m
	entries, err := os.ReadDir(dir)
	if err != nil {
		return m
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && (strings.HasSuffix(e.Name(), ".tf")) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		abs := filepath.Join(dir, n)
		if l.opts.Exclude != nil && l.opts.Exclude(l.display(abs)) {
			continue
		}
		pf := l.file(abs)
		if pf == nil {
			continue
		}
		m.files = append(m.files, pf)
		if pf.body != nil {
			l.declare(m, pf)
		}
	}
	return m
}

// declare records the variables, locals, module calls and resources of a file.
func (l *loader) declare(m *module, pf *parsedFile) {
	b := pf.src.Bytes
	for _, blk := range pf.body.Blocks {
		start, end := region(b, blk)
		switch {
		case blk.Type == "variable" && len(blk.Labels) == 1:
			name := blk.Labels[0]
			if m.declared[name] {
				continue
			}
			m.declared[name] = true
			if a := blk.Body.Attributes["default"]; a != nil {
				m.variables[name] = &attrAt{file: pf, attr: a, start: start, end: end, path: []string{"default"}}
			}
		case blk.Type == "locals":
			for name, a := range blk.Body.Attributes {
				if _, dup := m.locals[name]; !dup {
					m.locals[name] = &attrAt{file: pf, attr: a, start: start, end: end, path: []string{name}}
				}
			}
		case blk.Type == "module" && len(blk.Labels) == 1:
			c := &moduleCall{name: blk.Labels[0], block: blk, file: pf, args: map[string]*attrAt{}}
			if src := blk.Body.Attributes["source"]; src != nil {
				if v, d := src.Expr.Value(nil); !d.HasErrors() && v.Type().FriendlyName() == "string" && v.IsKnown() && !v.IsNull() {
					s := v.AsString()
					if strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") {
						c.dir = filepath.Clean(filepath.Join(m.dir, filepath.FromSlash(s)))
					}
				}
			}
			for name, a := range blk.Body.Attributes {
				switch name {
				case "source", "version", "count", "for_each", "providers", "depends_on":
					continue
				}
				c.args[name] = &attrAt{file: pf, attr: a, start: start, end: end, path: []string{name}}
			}
			m.calls = append(m.calls, c)
		case blk.Type == "resource" && len(blk.Labels) == 2 && IsMapped(blk.Labels[0]):
			m.resources = append(m.resources, &resourceBlock{typ: blk.Labels[0], name: blk.Labels[1], block: blk, file: pf})
		}
	}
}

// readTFVars reads the variable files Terraform reads by itself, in its
// order: terraform.tfvars, then *.auto.tfvars in lexical order; a later
// file's value wins. (-var and -var-file are given on a command line remedy
// does not see.) JSON variable files are not read.
func (l *loader) readTFVars(m *module) {
	entries, err := os.ReadDir(m.dir)
	if err != nil {
		return
	}
	var auto []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".auto.tfvars") {
			auto = append(auto, e.Name())
		}
	}
	sort.Strings(auto)
	names := append([]string{"terraform.tfvars"}, auto...)
	for _, n := range names {
		abs := filepath.Join(m.dir, n)
		if _, err := os.Stat(abs); err != nil {
			if _, ok := l.opts.Replace[l.display(abs)]; !ok {
				continue
			}
		}
		pf := l.file(abs)
		if pf == nil || pf.body == nil {
			continue
		}
		m.files = append(m.files, pf)
		for name, a := range pf.body.Attributes {
			m.tfvars[name] = &attrAt{file: pf, attr: a, start: 0, end: len(pf.src.Bytes), path: []string{name}}
		}
	}
}

// attrsInOrder returns a body's attributes in source order.
func attrsInOrder(b *hclsyntax.Body) []*hclsyntax.Attribute {
	out := make([]*hclsyntax.Attribute, 0, len(b.Attributes))
	for _, a := range b.Attributes {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SrcRange.Start.Byte < out[j].SrcRange.Start.Byte })
	return out
}

// rangeOf is a hcl.Range's position for locations.
func rangeOf(r hcl.Range) (line, col int) { return r.Start.Line, r.Start.Column }

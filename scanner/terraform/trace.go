package terraform

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sort"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
	"github.com/remedy-bot/remedy/scanner"
)

// NotFixableComputed is the reason given for a field Terraform computes.
const NotFixableComputed = "computed: fix by hand"

// maxModuleDepth bounds nested module calls.
const maxModuleDepth = 8

// result reads a root module with the modules it calls and renders their
// objects.
func (l *loader) result(dir string) *Result {
	m := l.module(dir)
	l.readTFVars(m)
	root := &scope{l: l, m: m}
	var objs []*object
	read := map[*parsedFile]bool{}
	l.collect(root, &objs, map[string]bool{dir: true}, read)
	res := &Result{Dir: l.display(dir), Resources: len(objs)}
	for f := range read {
		res.Consumed = append(res.Consumed, f.src.Abs)
	}
	sort.Strings(res.Consumed)
	res.Errors = l.errs
	if len(objs) == 0 {
		return res
	}
	var out bytes.Buffer
	for _, o := range objs {
		b, err := yaml.NewRNode(o.node).String()
		if err != nil {
			continue
		}
		out.WriteString("---\n")
		out.WriteString(b)
	}
	name := res.Dir + " (terraform)"
	file, errs := scanner.ParseFile(name, out.Bytes())
	if len(errs) > 0 {
		res.Errors = append(res.Errors, scanner.FileError{File: res.Dir, Message: "terraform: the mapped objects do not parse: " + errs[0].Message})
		return res
	}
	sm := &sourceMap{dir: dir, opts: l.opts, objs: map[*yaml.Node]*object{}}
	i := 0
	for _, d := range file.Docs {
		rs := d.Resources()
		if len(rs) != 1 || i >= len(objs) {
			continue
		}
		sm.objs[rs[0].Node.YNode()] = objs[i]
		i++
	}
	sources := map[string]*scanner.SourceFile{}
	for f := range read {
		sources[f.src.Path] = f.src
	}
	file.Rendered = &scanner.Rendered{Tool: Tool, Root: res.Dir, Sources: sources, Map: sm}
	res.File = file
	return res
}

// collect maps the resources of a module instance and of the modules it
// calls.
func (l *loader) collect(sc *scope, objs *[]*object, seen map[string]bool, read map[*parsedFile]bool) {
	for _, f := range sc.m.files {
		read[f] = true
	}
	for _, rb := range sc.m.resources {
		if o := sc.buildObject(rb); o != nil {
			*objs = append(*objs, o)
		}
	}
	if sc.depth >= maxModuleDepth {
		return
	}
	for _, c := range sc.m.calls {
		if c.dir == "" || seen[c.dir] {
			continue
		}
		child := &scope{l: l, m: l.module(c.dir), parent: sc, call: c, prefix: sc.prefix + "module." + c.name + ".", depth: sc.depth + 1}
		seen[c.dir] = true
		l.collect(child, objs, seen, read)
		delete(seen, c.dir)
	}
}

// sourceMap places the fields of a module's objects in its files.
type sourceMap struct {
	dir  string
	opts Options
	objs map[*yaml.Node]*object
}

var _ scanner.SourceMap = (*sourceMap)(nil)

// Object implements scanner.SourceMap: the resource block.
func (sm *sourceMap) Object(r *scanner.Resource) scanner.ObjectSource {
	if r == nil {
		return scanner.ObjectSource{}
	}
	o := sm.objs[r.Node.YNode()]
	if o == nil {
		return scanner.ObjectSource{}
	}
	line, _ := rangeOf(o.res.block.TypeRange)
	return scanner.ObjectSource{File: o.res.file.src.Path, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, MetadataLine: line, Address: o.address}
}

// nearest returns the origin of the field at path, or of its nearest
// ancestor that has one, and how many segments of path that ancestor has.
func (o *object) nearest(path scanner.Path) (*origin, int) {
	for i := len(path); i >= 0; i-- {
		if or := o.fields[path[:i].Pointer()]; or != nil {
			return or, i
		}
	}
	return nil, 0
}

// Field implements scanner.SourceMap: the attribute that sets the value
// (in the resource, a .tfvars file, a variable's default, a module call,
// a local), or the block that should hold a missing field.
func (sm *sourceMap) Field(r *scanner.Resource, path scanner.Path, _ *yaml.Node) scanner.Location {
	o := sm.objs[r.Node.YNode()]
	if o == nil {
		return scanner.Location{}
	}
	or, _ := o.nearest(path)
	if or == nil || or.file == nil {
		return scanner.Location{}
	}
	loc := scanner.Location{File: or.file.src.Path, Line: or.line, Column: or.col, Source: Tool}
	if or.kind == originComputed {
		loc.NotFixable = NotFixableComputed + " (" + or.why + ")"
	}
	return loc
}

// Trace implements remediate's source tracer. A field written in the
// resource (or missing from it) is edited in the resource block, whose
// region's pointer is the object's own; a value that takes effect from
// elsewhere is edited there, at the attribute's path in that region.
func (sm *sourceMap) Trace(r *scanner.Resource, pointer string) ([]scanner.WrittenAt, error) {
	o := sm.objs[r.Node.YNode()]
	if o == nil {
		return nil, fmt.Errorf("%s was not traced to a source", r.ID())
	}
	tokens, err := jsonpointer.Split(pointer)
	if err != nil {
		return nil, err
	}
	path := scanner.PathOf(tokens)
	or, n := o.nearest(path)
	if or == nil {
		return nil, fmt.Errorf("%s was not traced to a source", r.ID())
	}
	switch or.kind {
	case originComputed:
		return nil, errors.New(NotFixableComputed + " (" + or.why + ")")
	case originElsewhere:
		p := append(append(append([]string{}, or.at.path...), or.sub...), tokens[n:]...)
		return []scanner.WrittenAt{{File: or.at.file.src, Start: or.at.start, End: or.at.end, Pointer: jsonpointer.Join(p), Source: Tool, Line: or.line}}, nil
	}
	return []scanner.WrittenAt{{File: o.res.file.src, Start: o.start, End: o.end, Pointer: pointer, Source: Tool, Line: or.line}}, nil
}

// Rerender implements remediate's source tracer: the module read again
// with some files replaced.
func (sm *sourceMap) Rerender(replace map[string][]byte) (*scanner.SourceFile, error) {
	opts := sm.opts
	opts.Replace = scanner.MergeReplace(opts.Replace, replace)
	res := Load(sm.dir, opts)
	for _, e := range res.Errors {
		if _, edited := replace[e.File]; edited {
			return nil, fmt.Errorf("the edited file does not parse: %s", e.Error())
		}
	}
	if res.File == nil {
		return nil, fmt.Errorf("%s declares no object after the edit", filepath.ToSlash(res.Dir))
	}
	return res.File, nil
}

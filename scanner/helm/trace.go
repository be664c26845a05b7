package helm

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"helm.sh/helm/v3/pkg/chart"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
	"github.com/remedy-bot/remedy/scanner"
)

// markerRE finds markers in rendered text: lower-case letters and digits
// only, so that a marker survives being used in a name, a label or a URL.
var markerRE = regexp.MustCompile(`rmdyq(\d+)z`)

// marker is one values leaf (or mapping) replaced for a marker render.
type marker struct {
	// file is the values file that holds it; nil for the values of a
	// packaged (.tgz) subchart, which has no file to edit, and for values
	// that are not in the repository, which from then names.
	file  *scanner.SourceFile
	from  string
	path  []string
	isMap bool
}

// markers numbers the leaves of one marker render.
type markers struct {
	list []marker
	// numbers and mapKeys say what is marked: a chart whose templates do
	// arithmetic on values, or iterate mappings expecting fields, fails
	// with them and is retried without.
	numbers, mapKeys bool
}

// origin says where marked values are: a values file (the chart's, one of
// the release's), or, with no file, values set outside the repository.
type valuesOrigin struct {
	file *scanner.SourceFile
	from string
}

func (m *markers) add(o valuesOrigin, path []string, isMap bool) string {
	m.list = append(m.list, marker{file: o.file, from: o.from, path: append([]string(nil), path...), isMap: isMap})
	return "rmdyq" + strconv.Itoa(len(m.list)-1) + "z"
}

// mark returns a copy of values v (from o, below prefix) with markers in
// place of non-empty strings and (with numbers) non-zero numbers, and
// (with mapKeys) a marker key in every mapping. Values set outside the
// repository are marked too, as theirs: a field they set is then known to
// be theirs, not hard-coded in a template nor written in a values file
// they override.
func (m *markers) mark(v map[string]any, o valuesOrigin, prefix []string) map[string]any {
	out := make(map[string]any, len(v)+1)
	for k, x := range v {
		out[k] = m.markValue(x, o, append(prefix[:len(prefix):len(prefix)], k))
	}
	if m.mapKeys && len(prefix) > 0 {
		out[m.add(o, prefix, true)] = map[string]any{}
	}
	return out
}

func (m *markers) markValue(x any, o valuesOrigin, p []string) any {
	switch x := x.(type) {
	case map[string]any:
		return m.mark(x, o, p)
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = m.markValue(it, o, append(p[:len(p):len(p)], strconv.Itoa(i)))
		}
		return out
	case string:
		if x == "" {
			return x
		}
		return m.add(o, p, false)
	case float64, float32, int, int64, int32, uint64, uint32:
		if !m.numbers || fmt.Sprint(x) == "0" {
			return x
		}
		return m.add(o, p, false)
	}
	return x
}

// flip is one boolean leaf of a values file, and what flipping it changes
// in the output.
type flip struct {
	file  *scanner.SourceFile
	from  string // for values outside the repository (file nil)
	path  []string
	value bool
	// changed holds "doc|pointer" for every field whose value differs, or
	// that exists only, when the leaf is flipped.
	changed map[string]bool
}

// sourceMap is the scanner.SourceMap of one render.
type sourceMap struct {
	r    *renderer
	docs map[*yaml.Node]*docTrace
	// chartValues is the chart's own values.yaml, preferred for a new key.
	chartValues *scanner.SourceFile
	marks       *markers

	// The booleans, listed once; each is flipped when a field first asks
	// (flipFor), under flipMu.
	flipMu    sync.Mutex
	flipsOnce sync.Once
	leaves    []leaf
	flipped   map[int]*flip
	// normal are the output documents by key, for the flip renders.
	normal map[string]*yaml.Node
}

var _ scanner.SourceMap = (*sourceMap)(nil)

// docTrace is one document of the output.
type docTrace struct {
	key      string // template#index
	template *scanner.SourceFile
	index    int
	// kind and rank say which text of the template wrote the document:
	// the rank-th (from 0) that sets this kind.
	kind string
	rank int
	// pair maps each node of the output to the same node of the marker
	// render; marker is that render's document (nil when the marker render
	// failed or did not produce it).
	pair   map[*yaml.Node]*yaml.Node
	marker *yaml.Node
	obj    scanner.ObjectSource
}

// trace builds the source map of a render: a marker render to trace
// strings, numbers and mappings; boolean flips are computed when first asked.
func (r *renderer) trace(out *scanner.SourceFile, docs []renderedDoc) *sourceMap {
	sm := &sourceMap{r: r, docs: map[*yaml.Node]*docTrace{}, normal: map[string]*yaml.Node{}}
	sm.chartValues = r.sources[filepath.Join(r.dir, "values.yaml")]
	var markedDocs map[string]*yaml.Node
	for _, tier := range []markers{{numbers: true, mapKeys: true}, {mapKeys: true}, {}} {
		m := tier
		rendered, err := r.renderTemplates(mergedUserValues(r.userValues, func(i int, v map[string]any) map[string]any {
			u := r.userValues[i]
			return m.mark(v, valuesOrigin{file: u.file, from: u.from}, nil)
		}), r.markChart(&m))
		if err != nil {
			continue
		}
		sm.marks = &m
		markedDocs = docsByKey(rendered)
		break
	}
	i := 0
	// rank counts, per template and kind, the documents seen so far: the
	// n-th Deployment a template renders is its n-th Deployment text.
	rank := map[string]int{}
	for _, d := range out.Docs {
		if d.Node == nil || i >= len(docs) {
			continue
		}
		rd := docs[i]
		i++
		key := rd.template + "#" + strconv.Itoa(rd.index)
		sm.normal[key] = d.Node.YNode()
		kind := scanner.ScalarValue(scanner.Field(d.Node.YNode(), "kind"))
		t := &docTrace{key: key, index: rd.index, kind: kind, rank: rank[rd.template+"\x00"+kind], pair: map[*yaml.Node]*yaml.Node{}}
		rank[rd.template+"\x00"+kind]++
		if abs := r.templatePath(rd.template); abs != "" {
			t.template = r.sources[abs]
		}
		if m := markedDocs[key]; m != nil && sameKind(m, d.Node.YNode()) {
			t.marker = m
			align(t.pair, d.Node.YNode(), m, 0)
		}
		for _, res := range d.Resources() {
			t.obj = scanner.ObjectSource{Kind: res.Kind, Namespace: res.Namespace, Name: res.Name}
			if t.template != nil {
				t.obj.File = t.template.Path
				t.obj.MetadataLine, _ = t.templateLine([]string{"metadata"})
			}
			sm.docs[res.Node.YNode()] = t
		}
	}
	return sm
}

func sameKind(a, b *yaml.Node) bool {
	return scanner.ScalarValue(scanner.Field(a, "kind")) == scanner.ScalarValue(scanner.Field(b, "kind"))
}

// markChart marks the chart's own values and its subcharts', each with
// its values.yaml.
func (r *renderer) markChart(m *markers) func(ch *chart.Chart) {
	return func(ch *chart.Chart) {
		var walk func(c *chart.Chart)
		walk = func(c *chart.Chart) {
			rel := strings.TrimPrefix(c.ChartFullPath(), ch.Name())
			rel = strings.TrimPrefix(rel, "/")
			f := r.sources[filepath.Join(r.dir, filepath.FromSlash(rel), "values.yaml")]
			c.Values = m.mark(c.Values, valuesOrigin{file: f}, nil)
			for _, sub := range c.Dependencies() {
				walk(sub)
			}
		}
		walk(ch)
	}
}

// docsByKey parses rendered templates into documents keyed template#index.
func docsByKey(rendered map[string]string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for name, text := range rendered {
		f, _ := scanner.ParseFile(name, []byte(text))
		i := 0
		for _, d := range f.Docs {
			if d.Node == nil {
				continue
			}
			out[name+"#"+strconv.Itoa(i)] = d.Node.YNode()
			i++
		}
	}
	return out
}

// align pairs the nodes of two renders of one document: mappings by key,
// sequences by index.
func align(pair map[*yaml.Node]*yaml.Node, n, m *yaml.Node, depth int) {
	if n == nil || m == nil || depth > 256 {
		return
	}
	pair[n] = m
	switch {
	case n.Kind == yaml.MappingNode && m.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			mk, mv := scanner.FieldPair(m, n.Content[i].Value)
			if mk == nil {
				continue
			}
			pair[n.Content[i]] = mk
			align(pair, n.Content[i+1], mv, depth+1)
		}
	case n.Kind == yaml.SequenceNode && m.Kind == yaml.SequenceNode:
		for i := 0; i < len(n.Content) && i < len(m.Content); i++ {
			align(pair, n.Content[i], m.Content[i], depth+1)
		}
	}
}

// markersIn returns the markers a marker-render node holds: in a scalar's
// text, or as a mapping's keys; exact is true when a scalar is one marker
// and nothing else (the template writes the value as it is).
func (sm *sourceMap) markersIn(m *yaml.Node) (ids []int, exact bool) {
	if m == nil || sm.marks == nil {
		return nil, false
	}
	switch m.Kind {
	case yaml.ScalarNode:
		for _, g := range markerRE.FindAllStringSubmatch(m.Value, -1) {
			if id, err := strconv.Atoi(g[1]); err == nil && id < len(sm.marks.list) {
				ids = append(ids, id)
			}
		}
		return ids, len(ids) == 1 && markerRE.FindString(m.Value) == m.Value
	case yaml.MappingNode:
		for i := 0; i+1 < len(m.Content); i += 2 {
			if g := markerRE.FindStringSubmatch(m.Content[i].Value); g != nil && g[0] == m.Content[i].Value {
				if id, err := strconv.Atoi(g[1]); err == nil && id < len(sm.marks.list) && sm.marks.list[id].isMap {
					ids = append(ids, id)
				}
			}
		}
	}
	return ids, false
}

// step is one hop of a path through a rendered object.
type step struct {
	key, value *yaml.Node
	token      string
}

// follow walks tokens (keys, or sequence indexes) from n as far as they go.
func follow(n *yaml.Node, tokens []string) []step {
	var out []step
	for _, tok := range tokens {
		var s step
		s.token = tok
		switch n.Kind {
		case yaml.MappingNode:
			s.key, s.value = scanner.FieldPair(n, tok)
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
				s.value = n.Content[i]
			}
		}
		if s.value == nil {
			break
		}
		out = append(out, s)
		n = s.value
	}
	return out
}

// origin is where a rendered field comes from.
type origin struct {
	// values is the marker of a values leaf or mapping, or nil.
	values *marker
	// exact is true when the field is that value as it is.
	exact bool
	// flip is the boolean that controls the field, or nil.
	flip *flip
	// missing are the keys below a values mapping that a new field needs;
	// mapping is true when the field is that values mapping itself
	// (missing then is empty), which an edit merges into.
	missing []string
	mapping bool
}

// originOf finds where the field at tokens of a document comes from.
func (sm *sourceMap) originOf(t *docTrace, root *yaml.Node, tokens []string) origin {
	chain := follow(root, tokens)
	if len(chain) == len(tokens) && len(chain) > 0 {
		v := chain[len(chain)-1].value
		ids, exact := sm.markersIn(t.pair[v])
		switch {
		case len(ids) > 0 && v.Kind == yaml.ScalarNode:
			return origin{values: &sm.marks.list[ids[0]], exact: exact}
		case len(ids) > 0 && v.Kind == yaml.MappingNode:
			return origin{values: sm.preferChart(ids), mapping: true}
		case v.Kind == yaml.ScalarNode && v.Tag == "!!bool":
			if f := sm.flipFor(t.key, jsonpointer.Join(tokens)); f != nil {
				return origin{flip: f}
			}
		case v.Kind == yaml.ScalarNode && (v.Value == "" || v.Tag == "!!null") && len(chain) >= 2:
			// An empty value (`limits:`) of a values mapping passed
			// through: its key there.
			parent := chain[len(chain)-2].value
			if pids, _ := sm.markersIn(t.pair[parent]); len(pids) > 0 && parent.Kind == yaml.MappingNode {
				return origin{values: sm.preferChart(pids), missing: tokens[len(tokens)-1:], mapping: true}
			}
		}
		return origin{}
	}
	// Missing: a values mapping passed through that would hold it.
	if t.marker != nil {
		mchain := follow(t.marker, tokens)
		for i := len(mchain); i >= 1; i-- {
			if ids, _ := sm.markersIn(mchain[i-1].value); len(ids) > 0 && mchain[i-1].value.Kind == yaml.MappingNode && allKeys(tokens[i:]) {
				return origin{values: sm.preferChart(ids), missing: tokens[i:], mapping: true}
			}
		}
	}
	if f := sm.flipFor(t.key, jsonpointer.Join(tokens)); f != nil {
		return origin{flip: f}
	}
	return origin{}
}

func allKeys(tokens []string) bool {
	for _, t := range tokens {
		if _, err := strconv.Atoi(t); err == nil {
			return false
		}
	}
	return true
}

// preferChart picks, of the values mappings merged into one, the chart's
// own values.yaml: a key added there serves every release.
func (sm *sourceMap) preferChart(ids []int) *marker {
	for _, id := range ids {
		if m := &sm.marks.list[id]; m.file != nil && m.file == sm.chartValues {
			return m
		}
	}
	for _, id := range ids {
		if m := &sm.marks.list[id]; m.file != nil {
			return m
		}
	}
	return &sm.marks.list[ids[0]]
}

// Object implements scanner.SourceMap: a Helm object is written in its
// template.
func (sm *sourceMap) Object(r *scanner.Resource) scanner.ObjectSource {
	if r == nil {
		return scanner.ObjectSource{}
	}
	if t := sm.docs[r.Node.YNode()]; t != nil {
		return t.obj
	}
	return scanner.ObjectSource{}
}

// Field implements scanner.SourceMap: the line of values.yaml that set the
// value or holds the mapping a missing field belongs in, or the boolean
// that switches it; else the template line that hard-codes it.
func (sm *sourceMap) Field(r *scanner.Resource, path scanner.Path, _ *yaml.Node) scanner.Location {
	t := sm.docs[r.Node.YNode()]
	if t == nil {
		return scanner.Location{}
	}
	tokens := path.Tokens()
	o := sm.originOf(t, r.Node.YNode(), tokens)
	switch {
	case o.values != nil && o.values.file == nil && o.values.from != "",
		o.flip != nil && o.flip.file == nil:
		// Set outside the repository: no line of it says so; the
		// object's place in its template stands for it.
		return scanner.Location{}
	case o.values != nil && o.values.file != nil:
		if n := valuesNode(o.values.file, append(o.values.path[:len(o.values.path):len(o.values.path)], o.missing...)); n != nil {
			return scanner.Location{File: o.values.file.Path, Line: n.Line, Column: n.Column, Source: scanner.SourceValues}
		}
		if n := valuesNode(o.values.file, o.values.path); n != nil {
			return scanner.Location{File: o.values.file.Path, Line: n.Line, Column: n.Column, Source: scanner.SourceValues}
		}
	case o.flip != nil:
		if n := valuesNode(o.flip.file, o.flip.path); n != nil {
			return scanner.Location{File: o.flip.file.Path, Line: n.Line, Column: n.Column, Source: scanner.SourceValues}
		}
	}
	if t.template == nil {
		return scanner.Location{}
	}
	// The template: the field, or the deepest object on its way.
	chain := follow(r.Node.YNode(), tokens)
	line, col := t.templateLine(tokens[:len(chain)])
	return scanner.Location{File: t.template.Path, Line: line, Column: col, Source: scanner.SourceTemplate}
}

// valuesNode returns the key node of a values path in a values file (the
// item node for a list item).
func valuesNode(f *scanner.SourceFile, path []string) *yaml.Node {
	var n *yaml.Node
	for _, d := range f.Docs {
		if d.Node != nil {
			n = d.Node.YNode()
			break
		}
	}
	if n == nil {
		return nil
	}
	var key *yaml.Node
	for _, p := range path {
		switch n.Kind {
		case yaml.MappingNode:
			key, n = scanner.FieldPair(n, p)
		case yaml.SequenceNode:
			i, err := strconv.Atoi(p)
			if err != nil || i >= len(n.Content) {
				return nil
			}
			key, n = n.Content[i], n.Content[i]
		default:
			return nil
		}
		if n == nil {
			return nil
		}
	}
	return key
}

// templateLine finds, in the template text of the document, the line of
// the deepest of tokens that can be found in order (each after the one
// before; a list index counts the items of the list): a heuristic, since
// Helm keeps no positions, but templates are mostly YAML with the output's
// keys.
func (t *docTrace) templateLine(tokens []string) (line, col int) {
	lines := bytes.Split(t.template.Bytes, []byte("\n"))
	start, end := t.region(lines)
	line, col = start+1, 1
	pos := start
	for i, tok := range tokens {
		if n, err := strconv.Atoi(tok); err == nil && i > 0 {
			// The n-th item of the list that follows.
			indent, count := -1, 0
			for j := pos; j < end; j++ {
				trimmed := bytes.TrimLeft(lines[j], " \t")
				ind := len(lines[j]) - len(trimmed)
				if !bytes.HasPrefix(trimmed, []byte("- ")) || indent >= 0 && ind != indent {
					continue
				}
				indent = ind
				if count == n {
					line, col, pos = j+1, ind+1, j+1
					break
				}
				count++
			}
			continue
		}
		for j := pos; j < end; j++ {
			trimmed := bytes.TrimLeft(lines[j], " \t")
			trimmed = bytes.TrimPrefix(trimmed, []byte("- "))
			if bytes.HasPrefix(trimmed, []byte(tok+":")) {
				line, col, pos = j+1, len(lines[j])-len(trimmed)+1, j+1
				break
			}
		}
	}
	return line, col
}

// region returns the lines [start, end) of the template text that wrote
// the document: split at `---`, the rank-th part that sets its kind.
func (t *docTrace) region(lines [][]byte) (int, int) {
	type part struct{ start, end int }
	var parts []part
	start := 0
	for i, l := range lines {
		if bytes.HasPrefix(l, []byte("---")) {
			parts = append(parts, part{start, i})
			start = i + 1
		}
	}
	parts = append(parts, part{start, len(lines)})
	n := 0
	for _, p := range parts {
		for _, l := range lines[p.start:p.end] {
			if k, ok := bytes.CutPrefix(l, []byte("kind:")); ok && string(bytes.TrimSpace(k)) == t.kind {
				if n == t.rank {
					return p.start, p.end
				}
				n++
				break
			}
		}
	}
	return 0, len(lines)
}

// maxFlips bounds the extra renders one release may cost to trace its
// booleans: a chart with hundreds of switches is not rendered hundreds of
// times.
const maxFlips = 64

// leaf is a boolean of a values file.
type leaf struct {
	file  *scanner.SourceFile
	from  string // for values outside the repository (file nil)
	user  int    // index in r.userValues, or -1 for the chart's values.yaml
	path  []string
	value bool
	// name is the path, lower-case, for relevance.
	name string
}

// flipFor returns the boolean whose flip changes (or creates) the field at
// pointer of a document, the most specific one (fewest other changes)
// first. Only booleans whose values path shares a word with the field's
// path are tried (`seccomp.enabled` for .../securityContext/
// seccompProfile/type, `hostNetwork` for .../hostNetwork), each rendered
// once, at most maxFlips per release.
func (sm *sourceMap) flipFor(doc, pointer string) *flip {
	sm.flipMu.Lock()
	defer sm.flipMu.Unlock()
	sm.flipsOnce.Do(sm.listLeaves)
	words := relevantWords(pointer)
	var best *flip
	for i, l := range sm.leaves {
		f, done := sm.flipped[i]
		// A boolean flipped for an earlier question is always asked.
		if !done && !relevant(l.name, words) {
			continue
		}
		if !done {
			if len(sm.flipped) >= maxFlips {
				continue
			}
			f = sm.flip(l)
			sm.flipped[i] = f
		}
		if f != nil && f.changed[doc+"|"+pointer] && (best == nil || len(f.changed) < len(best.changed)) {
			best = f
		}
	}
	return best
}

// genericWords are path words too common to say which boolean matters.
var genericWords = map[string]bool{"spec": true, "template": true, "metadata": true, "containers": true,
	"initcontainers": true, "name": true, "type": true, "value": true, "enabled": true, "enable": true}

func relevantWords(pointer string) []string {
	var out []string
	tokens, _ := jsonpointer.Split(pointer) // an invalid pointer has no words
	for _, t := range tokens {
		t = strings.ToLower(t)
		if len(t) < 4 || genericWords[t] {
			continue
		}
		if _, err := strconv.Atoi(t); err == nil {
			continue
		}
		out = append(out, t)
	}
	return out
}

// relevant reports whether a boolean's path (lower-case, dotted) and the
// field's words share one: a word of either contains a word of the other
// (`seccomp.enabled` and seccompprofile).
func relevant(name string, words []string) bool {
	for _, part := range strings.Split(name, ".") {
		if len(part) < 4 || genericWords[part] {
			continue
		}
		for _, w := range words {
			if strings.Contains(w, part) || strings.Contains(part, w) {
				return true
			}
		}
	}
	return false
}

// listLeaves lists the booleans of the values files.
func (sm *sourceMap) listLeaves() {
	r := sm.r
	sm.flipped = map[int]*flip{}
	var walk func(v map[string]any, f *scanner.SourceFile, from string, user int, prefix []string)
	walk = func(v map[string]any, f *scanner.SourceFile, from string, user int, prefix []string) {
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := append(prefix[:len(prefix):len(prefix)], k)
			switch x := v[k].(type) {
			case bool:
				sm.leaves = append(sm.leaves, leaf{file: f, from: from, user: user, path: p, value: x, name: strings.ToLower(strings.Join(p, "."))})
			case map[string]any:
				walk(x, f, from, user, p)
			}
		}
	}
	ch, err := r.load()
	if err != nil {
		return
	}
	if sm.chartValues != nil {
		walk(ch.Values, sm.chartValues, "", -1, nil)
	}
	// The booleans of values set outside the repository are flipped too,
	// to tell a field they switch from one a template hard-codes.
	for i, u := range r.userValues {
		walk(u.vals, u.file, u.from, i, nil)
	}
}

// flip renders the chart with one boolean flipped and records what
// changes; nil when nothing does or the render fails.
func (sm *sourceMap) flip(l leaf) *flip {
	r := sm.r
	vals := mergedUserValues(r.userValues, func(i int, v map[string]any) map[string]any {
		if i == l.user {
			return setPath(v, l.path, !l.value)
		}
		return v
	})
	var mutate func(*chart.Chart)
	if l.user < 0 {
		mutate = func(c *chart.Chart) { c.Values = setPath(c.Values, l.path, !l.value) }
	}
	rendered, err := r.renderTemplates(vals, mutate)
	if err != nil {
		return nil
	}
	f := &flip{file: l.file, from: l.from, path: l.path, value: l.value, changed: map[string]bool{}}
	for key, n := range docsByKey(rendered) {
		diffPaths(f.changed, key, sm.normal[key], n, "")
	}
	if len(f.changed) == 0 {
		return nil
	}
	return f
}

// setPath returns a copy of v with path set to x.
func setPath(v map[string]any, path []string, x any) map[string]any {
	out := make(map[string]any, len(v))
	for k, y := range v {
		out[k] = y
	}
	if len(path) == 1 {
		out[path[0]] = x
		return out
	}
	sub, _ := out[path[0]].(map[string]any)
	out[path[0]] = setPath(sub, path[1:], x)
	return out
}

// diffPaths records in changed every pointer (prefixed by doc) whose value
// differs between a and b, or that exists in b only.
func diffPaths(changed map[string]bool, doc string, a, b *yaml.Node, p string) {
	if b == nil {
		return
	}
	if a == nil {
		changed[doc+"|"+p] = true
		switch b.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(b.Content); i += 2 {
				diffPaths(changed, doc, nil, b.Content[i+1], p+"/"+jsonpointer.Escape(b.Content[i].Value))
			}
		case yaml.SequenceNode:
			for i, c := range b.Content {
				diffPaths(changed, doc, nil, c, p+"/"+strconv.Itoa(i))
			}
		}
		return
	}
	switch {
	case a.Kind == yaml.MappingNode && b.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(b.Content); i += 2 {
			_, av := scanner.FieldPair(a, b.Content[i].Value)
			diffPaths(changed, doc, av, b.Content[i+1], p+"/"+jsonpointer.Escape(b.Content[i].Value))
		}
	case a.Kind == yaml.SequenceNode && b.Kind == yaml.SequenceNode:
		for i, c := range b.Content {
			var ac *yaml.Node
			if i < len(a.Content) {
				ac = a.Content[i]
			}
			diffPaths(changed, doc, ac, c, p+"/"+strconv.Itoa(i))
		}
	case a.Kind == yaml.ScalarNode && b.Kind == yaml.ScalarNode:
		if a.Value != b.Value || a.Tag != b.Tag {
			changed[doc+"|"+p] = true
		}
	default:
		changed[doc+"|"+p] = true
	}
}

// Trace implements remediate's source tracer: a values leaf written as it
// is, a values mapping passed through (a new key there), or a boolean
// switch; anything else is the template's, which remedy never edits.
func (sm *sourceMap) Trace(r *scanner.Resource, pointer string) ([]scanner.WrittenAt, error) {
	t := sm.docs[r.Node.YNode()]
	if t == nil {
		return nil, fmt.Errorf("%s was not traced to a source", r.ID())
	}
	tokens, err := jsonpointer.Split(pointer)
	if err != nil {
		return nil, err
	}
	o := sm.originOf(t, r.Node.YNode(), tokens)
	switch {
	case o.values != nil && o.values.file == nil && o.values.from != "":
		return nil, outside(o.values.from, o.values.path)
	case o.flip != nil && o.flip.file == nil:
		return nil, outside(o.flip.from, o.flip.path)
	case o.values != nil && o.values.file == nil:
		return nil, fmt.Errorf("the value comes from a packaged subchart's values; set it in the chart's values.yaml by hand")
	case o.values != nil && !o.mapping && !o.exact:
		return nil, fmt.Errorf("the template composes the value from %s and more: fix by hand", valuesRef(o.values.file, o.values.path))
	case o.values != nil:
		w := writtenAt(o.values.file, o.values.path, o.missing)
		w.Merge = o.mapping && len(o.missing) == 0
		return []scanner.WrittenAt{w}, nil
	case o.flip != nil:
		w := writtenAt(o.flip.file, o.flip.path, nil)
		if len(follow(r.Node.YNode(), tokens)) != len(tokens) {
			// A switch that adds the missing field: turn it.
			w.Set, w.SetValue = !o.flip.value, true
		}
		return []scanner.WrittenAt{w}, nil
	}
	loc := sm.Field(r, scanner.PathOf(tokens), nil)
	return nil, fmt.Errorf("hard-coded in the template %s:%d; templates are not edited: fix by hand", loc.File, loc.Line)
}

// outside refuses a fix of a field that values set outside the repository
// control: an edit of the repository's values files would not change it.
func outside(from string, path []string) error {
	return fmt.Errorf("set by %s (%s), not in this repository: fix it there", from, strings.Join(path, "."))
}

func valuesRef(f *scanner.SourceFile, path []string) string {
	if n := valuesNode(f, path); n != nil {
		return fmt.Sprintf("%s:%d (%s)", f.Path, n.Line, strings.Join(path, "."))
	}
	return f.Path + " (" + strings.Join(path, ".") + ")"
}

// writtenAt names a values path of a values file as an edit place.
func writtenAt(f *scanner.SourceFile, path, missing []string) scanner.WrittenAt {
	w := scanner.WrittenAt{File: f, Pointer: jsonpointer.Join(path), Missing: missing, Source: scanner.SourceValues}
	for _, d := range f.Docs {
		if d.Node != nil {
			w.Start, w.End = d.Start, d.End
			break
		}
	}
	if n := valuesNode(f, path); n != nil {
		w.Line = n.Line
	}
	return w
}

// Rerender implements remediate's source tracer: the same release
// rendered again with some sources replaced.
func (sm *sourceMap) Rerender(replace map[string][]byte) (*scanner.SourceFile, error) {
	opts := sm.r.opts
	opts.Replace = scanner.MergeReplace(opts.Replace, replace)
	opts.Child = sm.r.child
	res, err := RenderContext(sm.r.context(), sm.r.dir, sm.r.rel, opts)
	if err != nil {
		return nil, err
	}
	return res.File, nil
}

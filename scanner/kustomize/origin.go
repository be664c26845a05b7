package kustomize

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/scanner"
)

// originMarkerPrefix starts the annotation key that marks, in memory, every
// object of a resource file with the file's index in builder.originFiles.
const originMarkerPrefix = "trace.remedy.invalid/origin-"

// Why resource files are marked rather than kustomize asked for origins:
// kustomize's origin annotations (`buildMetadata: [originAnnotations]`)
// turn on its transformer annotations too, which it cannot skip: after
// every transformer it decodes, appends to and re-encodes a list in every
// object's annotations. On a kustomization with components that is most
// of the build (microservices-demo's tests: 70% of krusty's run). A marker
// annotation written into each document of each resource file says the
// same (the file an object came from) for the cost of one insertion.
//
// The marker is inserted as a line of text, so kustomize reads every other
// byte as written; remedy's strip removes it with its patch markers, which
// rebuilds the annotations exactly as removing kustomize's origin
// annotation did. Where that cannot be done safely, the build asks
// kustomize for origins as before (markOrigins says when).

// markOrigins returns the resource files of the build with a marker in
// each document, by absolute path, and the files in marker order; ok is
// false when the build must ask kustomize for origins instead: a
// kustomization generates objects (they have no file, only the
// kustomization that configured them, which only kustomize's origins
// tell), sets build metadata or uses plugin configs, or a patch replaces
// annotations whole (a JSON 6902 op on /metadata/annotations, a
// `$patch: replace`); a resource file is
// also named elsewhere (a generator's source, a patch), holds a List, an
// alias, a '\r' or a document whose metadata is not a plain block
// mapping.
func (b *builder) markOrigins() (marked map[string][]byte, files []string, ok bool) {
	names := map[string]int{}
	for _, k := range b.order {
		for _, p := range k.patches {
			if replacesAnnotations(p) {
				return nil, nil, false
			}
		}
		for _, field := range []string{"buildMetadata", "Generator", "generators", "transformers", "validators", "helm", "openapi", "crds"} {
			if bytes.Contains(k.file.Bytes, []byte(field)) {
				return nil, nil, false
			}
		}
		for _, e := range k.resources {
			if isRemote(e.value) {
				continue
			}
			abs := filepath.Join(k.dir, e.value)
			if b.sb.IsDir(abs) {
				continue
			}
			if real, err := b.sb.real.Eval(abs); err != nil || real != abs {
				return nil, nil, false
			}
			if _, seen := names[abs]; !seen {
				files = append(files, abs)
			}
			names[abs]++
		}
	}
	// A resource file named anywhere but in resources: is read for another
	// purpose too, and must reach it unmarked.
	for abs := range names {
		listed, mentioned := 0, 0
		base := []byte(filepath.Base(abs))
		for _, k := range b.order {
			mentioned += mentions(k.file.Bytes, base)
			for _, e := range k.resources {
				if filepath.Base(e.value) == string(base) {
					listed++
				}
			}
		}
		if mentioned > listed {
			return nil, nil, false
		}
	}
	marked = map[string][]byte{}
	for i, abs := range files {
		f, err := b.source(abs)
		if err != nil {
			return nil, nil, false
		}
		content, ok := markFile(f, b.lineStartsOf(f), originMarkerPrefix+strconv.Itoa(i))
		if !ok {
			return nil, nil, false
		}
		marked[abs] = content
	}
	return marked, files, true
}

// annotationsPointer matches a JSON 6902 path that replaces or removes an
// object's annotations as a whole (or its metadata, or all of it).
var annotationsPointer = regexp.MustCompile(`["':\s](/|/metadata|/metadata/annotations)["'\s,}]`)

// replacesAnnotations reports whether a patch may replace an object's
// annotations as a whole, taking a marker with them: kustomize would then
// say the patch made the object, which a marker cannot.
func replacesAnnotations(p *patchEntry) bool {
	if p.json {
		return annotationsPointer.MatchString(p.text)
	}
	return strings.Contains(p.text, "$patch: replace") || strings.Contains(p.text, "$retainKeys")
}

// markFile returns f's bytes with an annotation key (value "") inserted
// into the metadata of each of its objects, or false when one is not
// written as a plain block mapping it can be inserted into as a line.
func markFile(f *scanner.SourceFile, starts []int, key string) ([]byte, bool) {
	if bytes.IndexByte(f.Bytes, '\r') >= 0 {
		return nil, false
	}
	type insertion struct {
		at   int
		text string
	}
	var ins []insertion
	for _, d := range f.Docs {
		if d.Node == nil {
			continue
		}
		root := d.Node.YNode()
		if root.Kind != yaml.MappingNode || hasAlias(root) {
			return nil, false
		}
		if kind := scanner.ScalarValue(scanner.Field(root, "kind")); kind == "" || strings.HasSuffix(kind, "List") {
			return nil, false
		}
		meta := scanner.Field(root, "metadata")
		if !blockMapping(meta) {
			return nil, false
		}
		var first *yaml.Node
		var text string
		if annos := scanner.Field(meta, "annotations"); annos != nil {
			if !blockMapping(annos) {
				return nil, false
			}
			first = annos.Content[0]
			text = strings.Repeat(" ", first.Column-1) + key + `: ""` + "\n"
		} else {
			first = meta.Content[0]
			indent := strings.Repeat(" ", first.Column-1)
			text = indent + "annotations:\n" + indent + "  " + key + `: ""` + "\n"
		}
		at, ok := lineStartOf(f.Bytes, starts, first)
		if !ok {
			return nil, false
		}
		ins = append(ins, insertion{at, text})
	}
	var out bytes.Buffer
	out.Grow(len(f.Bytes) + len(ins)*(len(key)+32))
	last := 0
	for _, in := range ins {
		out.Write(f.Bytes[last:in.at])
		out.WriteString(in.text)
		last = in.at
	}
	out.Write(f.Bytes[last:])
	return out.Bytes(), true
}

// blockMapping reports whether n is a non-empty block mapping whose keys
// are plain scalars: one a line can be inserted into before its first key.
func blockMapping(n *yaml.Node) bool {
	if n == nil || n.Kind != yaml.MappingNode || n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0 {
		return false
	}
	k := n.Content[0]
	return k.Kind == yaml.ScalarNode && k.Style == 0 && k.Line > 0 && k.Column > 0
}

// lineStartOf returns the offset of the line key starts, when only spaces
// come before the key on it.
func lineStartOf(b []byte, starts []int, key *yaml.Node) (int, bool) {
	if key.Line > len(starts) {
		return 0, false
	}
	at := starts[key.Line-1]
	end := at + key.Column - 1
	if end > len(b) || len(bytes.TrimLeft(b[at:end], " ")) != 0 {
		return 0, false
	}
	return at, true
}

// hasAlias reports whether n holds an alias (or a merge key, `<<`): a
// marker inserted into an anchored mapping would show wherever it is used.
func hasAlias(n *yaml.Node) bool {
	if n.Kind == yaml.AliasNode || n.Anchor != "" || n.Kind == yaml.ScalarNode && n.Value == "<<" {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c) {
			return true
		}
	}
	return false
}

// mentions counts the occurrences of a file name in text that are not
// part of a longer name: "web.yaml" is in "- ../base/web.yaml", not in
// "- new-web.yaml".
func mentions(text, name []byte) int {
	n := 0
	for i := 0; ; {
		j := bytes.Index(text[i:], name)
		if j < 0 {
			return n
		}
		start, end := i+j, i+j+len(name)
		if (start == 0 || bytes.IndexByte([]byte("/ \t\n\"'=,[:"), text[start-1]) >= 0) &&
			(end == len(text) || bytes.IndexByte([]byte(" \t\r\n\"',]#"), text[end]) >= 0) {
			n++
		}
		i = end
	}
}

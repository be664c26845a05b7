package kustomize

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/scanner"
)

// FileNames are the names kustomize recognises for a kustomization file,
// in the order it looks for them.
var fileNames = [...]string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// IsFileName reports whether name is a kustomization file name.
func IsFileName(name string) bool {
	for _, n := range fileNames {
		if name == n {
			return true
		}
	}
	return false
}

// kustomization is one kustomization (or Component) file of a build,
// parsed with its lines.
type kustomization struct {
	// dir is the absolute folder.
	dir  string
	file *scanner.SourceFile
	root *yaml.Node
	// component is true for `kind: Component`.
	component bool

	resources, components []entry
	// namespace is the value node of `namespace:`, or nil.
	namespace *yaml.Node
	images    []image
	// patches are this file's patches in the order kustomize applies
	// them: patchesStrategicMerge, patches, then patchesJson6902.
	patches []*patchEntry
	// generatorKey is the key node of the first generator field, where a
	// generated object is said to be written.
	generatorKey *yaml.Node
}

// entry is an item of a list field of a kustomization.
type entry struct {
	field string
	index int
	value string
	node  *yaml.Node
}

// image is an entry of `images:`.
type image struct {
	node                          *yaml.Node
	name, newName, newTag, digest string
}

// patchEntry is one patch of a kustomization: a file or inline text,
// holding one or more strategic-merge documents or one JSON 6902 op list.
type patchEntry struct {
	owner *kustomization
	field string
	index int
	// path is the patch file's absolute path; empty for an inline patch.
	path string
	// inline is the scalar holding an inline patch.
	inline *yaml.Node
	// text is the patch as kustomize reads it.
	text string
	json bool
	docs []*patchDoc
}

// patchDoc is one document of a patch, with file-absolute lines, and the
// annotation key that marks the objects it was applied to.
type patchDoc struct {
	entry  *patchEntry
	marker string
	src    *sourceDoc
}

// findFile returns the kustomization file of dir, or "" when it has none.
// Like kustomize, it is an error to have more than one.
func findFile(sb *sandbox, dir string) (string, error) {
	var found []string
	for _, n := range fileNames {
		p := filepath.Join(dir, n)
		if sb.Exists(p) && !sb.IsDir(p) {
			found = append(found, p)
		} else if err := sb.refused(p); err != nil {
			return "", err
		}
	}
	switch len(found) {
	case 0:
		return "", nil
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%s holds more than one kustomization file (%s)", dir, strings.Join(baseNames(found), ", "))
}

func baseNames(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = filepath.Base(p)
	}
	return out
}

// readKustomization parses the kustomization file of dir.
func (b *builder) readKustomization(dir string) (*kustomization, error) {
	path, err := findFile(b.sb, dir)
	if err != nil {
		return nil, err
	}
	if path == "" {
		return nil, fmt.Errorf("%s: no kustomization file (kustomization.yaml, kustomization.yml or Kustomization)", b.display(dir))
	}
	f, err := b.source(path)
	if err != nil {
		return nil, err
	}
	k := &kustomization{dir: dir, file: f}
	for _, d := range f.Docs {
		if d.Node != nil {
			k.root = d.Node.YNode()
			break
		}
	}
	if k.root == nil || k.root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: not a kustomization (want a mapping)", f.Path)
	}
	k.component = scanner.ScalarValue(scanner.Field(k.root, "kind")) == "Component"
	k.resources = append(listEntries(k.root, "resources"), listEntries(k.root, "bases")...)
	k.components = listEntries(k.root, "components")
	k.namespace = scanner.Field(k.root, "namespace")
	for _, it := range scanner.Items(scanner.Field(k.root, "images")) {
		k.images = append(k.images, image{
			node:    it,
			name:    scanner.ScalarValue(scanner.Field(it, "name")),
			newName: scanner.ScalarValue(scanner.Field(it, "newName")),
			newTag:  scanner.ScalarValue(scanner.Field(it, "newTag")),
			digest:  scanner.ScalarValue(scanner.Field(it, "digest")),
		})
	}
	for _, g := range []string{"configMapGenerator", "secretGenerator", "generators"} {
		if key, _ := scanner.FieldPair(k.root, g); key != nil {
			k.generatorKey = key
			break
		}
	}
	for _, field := range []string{"patchesStrategicMerge", "patches", "patchesJson6902"} {
		for i, it := range scanner.Items(scanner.Field(k.root, field)) {
			p, err := b.readPatch(k, field, i, it)
			if err != nil {
				return nil, err
			}
			if p != nil {
				k.patches = append(k.patches, p)
			}
		}
	}
	return k, nil
}

func listEntries(m *yaml.Node, field string) []entry {
	var out []entry
	for i, it := range scanner.Items(scanner.Field(m, field)) {
		if v := scanner.ScalarValue(it); v != "" {
			out = append(out, entry{field: field, index: i, value: v, node: it})
		}
	}
	return out
}

// readPatch loads one patch entry. A patch kustomize cannot read is left
// for kustomize to report; remedy then traces nothing to it.
func (b *builder) readPatch(k *kustomization, field string, i int, it *yaml.Node) (*patchEntry, error) {
	p := &patchEntry{owner: k, field: field, index: i}
	var path string
	switch field {
	case "patchesStrategicMerge":
		v := scanner.ScalarValue(it)
		// Like kustomize: a file if there is one by that name, else inline text.
		if cand := filepath.Join(k.dir, v); !strings.Contains(v, "\n") && b.sb.Exists(cand) && !b.sb.IsDir(cand) {
			path = cand
		} else {
			p.inline = it
		}
	default:
		if v := scanner.ScalarValue(scanner.Field(it, "path")); v != "" {
			path = filepath.Join(k.dir, v)
		} else if n := scanner.Field(it, "patch"); n != nil && n.Kind == yaml.ScalarNode {
			p.inline = n
		} else {
			return nil, nil
		}
	}
	var docs []*sourceDoc
	if path != "" {
		f, err := b.source(path)
		if err != nil {
			return nil, nil
		}
		p.path, p.text = path, string(f.Bytes)
		docs = fileDocs(f)
	} else {
		p.text = p.inline.Value
		docs = inlineDocs(k.file, b.lineStartsOf(k.file), p.inline)
	}
	p.json = field == "patchesJson6902"
	if field == "patches" && len(docs) > 0 && docs[0].root.Kind == yaml.SequenceNode {
		p.json = true
	}
	for _, d := range docs {
		if p.json && d.root.Kind != yaml.SequenceNode || !p.json && d.root.Kind != yaml.MappingNode {
			continue
		}
		d.source = scanner.SourcePatch
		d.json = p.json
		p.docs = append(p.docs, &patchDoc{entry: p, src: d})
		if p.json {
			break
		}
	}
	return p, nil
}

// isRemote reports whether an entry of a kustomization names something
// kustomize would fetch rather than read from the repository: a URL of any
// scheme, whatever its case (kustomize lowercases `HTTP://` and GETs it;
// `file:///repo` and `ssh://` it clones with git), a go-getter `git::`
// prefix, an SCP-style `user@host:path`, a github.com (or GitLab,
// Bitbucket) path without a scheme, or a `?ref=`-style query. remedy
// never fetches them: the check is by form, never by trying.
func isRemote(v string) bool {
	l := strings.ToLower(strings.TrimSpace(v))
	l = strings.TrimPrefix(l, "git::")
	if urlScheme.MatchString(l) || scpStyle.MatchString(l) {
		return true
	}
	for _, p := range []string{"http:", "https:", "file:", "ssh:", "git:", "github.com/", "github.com:", "gitlab.com/", "bitbucket.org/"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	for _, q := range []string{"?ref=", "?version=", "?submodules=", "?timeout=", "&ref="} {
		if strings.Contains(l, q) {
			return true
		}
	}
	return false
}

var (
	// urlScheme is RFC 3986's scheme followed by "//".
	urlScheme = regexp.MustCompile(`^[a-z][a-z0-9+.-]*://`)
	// scpStyle is git's `user@host:path`.
	scpStyle = regexp.MustCompile(`^[a-z][a-z0-9-]*@[^/:]+:`)
)

// droppedFields are the list fields of a kustomization whose items name
// whole resources, bases, components or plugin configs: a remote item is
// left out of the build and reported as skipped.
var droppedFields = []string{"resources", "bases", "components", "crds", "configurations", "generators", "transformers", "validators"}

// helmFields are the fields that inflate Helm charts inside a
// kustomization (kustomize's --enable-helm): remedy renders charts on
// their own, not from kustomizations, so these are left out and reported.
var helmFields = []string{"helmCharts", "helmGlobals", "helmChartInflationGenerator"}

// remotePaths returns the values of k's path fields — patch files,
// replacement files, the OpenAPI schema, generator sources — that are
// remote, each with where it is written: a build cannot do without them,
// so they fail it.
func remotePaths(root *yaml.Node) []string {
	var out []string
	check := func(where string, n *yaml.Node) {
		v := scanner.ScalarValue(n)
		if _, after, ok := strings.Cut(v, "="); ok && !isRemote(v) {
			v = after // a generator's "key=path"
		}
		if v != "" && isRemote(v) {
			out = append(out, fmt.Sprintf("%s %s (line %d)", where, v, n.Line))
		}
	}
	for _, it := range scanner.Items(scanner.Field(root, "patchesStrategicMerge")) {
		check("patchesStrategicMerge", it)
	}
	for _, field := range []string{"patches", "patchesJson6902", "replacements"} {
		for i, it := range scanner.Items(scanner.Field(root, field)) {
			if n := scanner.Field(it, "path"); n != nil {
				check(fmt.Sprintf("%s[%d].path", field, i), n)
			}
		}
	}
	if n := scanner.Field(scanner.Field(root, "openapi"), "path"); n != nil {
		check("openapi.path", n)
	}
	for _, field := range []string{"configMapGenerator", "secretGenerator"} {
		for i, it := range scanner.Items(scanner.Field(root, field)) {
			for _, key := range []string{"files", "envs"} {
				for _, f := range scanner.Items(scanner.Field(it, key)) {
					check(fmt.Sprintf("%s[%d].%s", field, i, key), f)
				}
			}
			if n := scanner.Field(it, "env"); n != nil {
				check(fmt.Sprintf("%s[%d].env", field, i), n)
			}
		}
	}
	return out
}

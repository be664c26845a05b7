// Package kustomize builds kustomization roots the way Argo CD and Flux
// deploy them — with sigs.k8s.io/kustomize/api (krusty), in memory, offline
// — and traces every field of the output back to the line that wrote it: a
// base resource, a strategic-merge or JSON 6902 patch (in its own file or
// inline), or a kustomization's `images:` and `namespace:`.
//
// Data enters as folders: Roots finds the roots below the scan folders,
// and Build builds one, reading only the repository's files (or, to
// verify an edit, Options.Replace in their place). It leaves as a Result
// whose File is the output, a scanner.SourceFile with Rendered set that
// scanner scans like any file; its source map places findings for the
// scanner and tells remediate where to edit and how to build again.
//
// How a rendered field is traced:
//
//   - Every document of every resource file gets a marker annotation, in
//     memory, naming its file (origin.go; where that cannot be done safely,
//     the root's kustomization is built with origin annotations,
//     `buildMetadata: [originAnnotations]`, instead), so each object names
//     the resource file it came from; the object as written is the
//     document of that file with the same kind whose name the rendered
//     name contains (prefixes and suffixes are added, never removed).
//   - Every patch document gets a unique marker annotation, in memory: a
//     strategic-merge document carries it in its own metadata, a JSON 6902
//     op list gets one more `add` op. The markers an object carries after
//     the build are exactly the patches kustomize applied to it — whatever
//     selected them (name, target selector, label selector) — and their
//     numbers give the order they were applied in.
//   - The object as written and then each patch applied to it are laid
//     over the rendered object, field by field (list items matched by their
//     merge key, as a strategic merge does); the last one to write a value
//     wrote it, and the first to write a mapping created it.
//
// Builds are confined to the repository: no remote bases (reported as
// skipped), no exec or container plugins, no Helm inflation, no reads
// outside the repository. The markers and the annotations remedy adds are
// removed from the output before it is scanned.
package kustomize

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/jsonpointer"
	"github.com/remedy-bot/remedy/scanner"
)

// markerPrefix starts the annotation keys that mark which patch touched an
// object. The .invalid top-level domain is reserved (RFC 2606), so no real
// annotation can collide with it.
const markerPrefix = "trace.remedy.invalid/patch-"

// originAnnotation is where kustomize writes an object's origin
// (sigs.k8s.io/kustomize/api/internal/utils.OriginAnnotationKey).
const originAnnotation = "config.kubernetes.io/origin"

// maxDepth bounds how deep kustomizations may nest.
const maxDepth = 64

// Options configure a build.
type Options struct {
	// Root is the scan root: source file names are relative to it.
	Root string
	// Top is the folder reads are confined to: the repository. Empty
	// means Root.
	Top string
	// MaxFileSize bounds each file read; 0 means scanner.DefaultMaxFileSize.
	MaxFileSize int64
	// Exclude reports whether a Root-relative path is excluded by config:
	// objects written in excluded files are dropped from the output.
	Exclude func(rel string) bool
	// Replace stands in for files on disk, by Root-relative path: the
	// build of an edit being verified.
	Replace map[string][]byte
	// RealPaths resolves symlinks for the builds of one scan, each path
	// once; nil gives each build its own.
	RealPaths *scanner.RealPaths
	// Sources are the source files the builds of one scan parsed; nil:
	// each build parses its own.
	Sources *Sources

	// kustomizeOrigins asks kustomize where objects come from even where
	// origin markers would say (origin.go): tests compare the two.
	kustomizeOrigins bool
}

// Result is one kustomization root, built.
type Result struct {
	// File is the build's output, with Rendered set: scan it like any file.
	File *scanner.SourceFile
	// Consumed are the absolute paths of every file the build read; they
	// are not scanned on their own.
	Consumed []string
	// Skipped are the remote bases that were not fetched.
	Skipped []scanner.Skipped
}

// builder holds the state of one build.
type builder struct {
	opts    Options
	rootAbs string
	// dir is the kustomization root being built, absolute.
	dir string
	sb  *sandbox
	// files are the sources parsed so far, by absolute path.
	files map[string]*scanner.SourceFile
	kusts map[string]*kustomization
	// order lists the kustomizations as first visited: the root first.
	order []*kustomization
	// patches are every patch document, in the order kustomize applies
	// them; a document's marker is its index here.
	patches  []*patchDoc
	visiting map[string]bool
	remote   map[*kustomization][]entry
	skipped  []scanner.Skipped
	// addedOrigin is true when remedy turned on origin annotations, which
	// it then removes from the output.
	addedOrigin bool
	// originFiles are the resource files whose objects carry an origin
	// marker, in marker order (origin.go); nil when kustomize's origin
	// annotations say where objects come from instead.
	originFiles []string
	// setsSchema is true when a kustomization of the build (or one used
	// for plugin configs) may set kustomize's OpenAPI schema: the build
	// then runs alone (schemaMu).
	setsSchema bool
	// lines and origins are computed once per file, not once per patch
	// or object: a kustomization may hold thousands of inline patches, a
	// resource file thousands of objects.
	lines   map[*scanner.SourceFile][]int
	origins map[*scanner.SourceFile]*originIndex
}

// lineStartsOf returns lineStarts of f's bytes.
func (b *builder) lineStartsOf(f *scanner.SourceFile) []int {
	if s, ok := b.lines[f]; ok {
		return s
	}
	if b.lines == nil {
		b.lines = map[*scanner.SourceFile][]int{}
	}
	s := lineStarts(f.Bytes)
	b.lines[f] = s
	return s
}

// originIndexOf returns the objects of the resource file f, indexed.
func (b *builder) originIndexOf(f *scanner.SourceFile) *originIndex {
	if x := b.origins[f]; x != nil {
		return x
	}
	if b.origins == nil {
		b.origins = map[*scanner.SourceFile]*originIndex{}
	}
	x := &originIndex{byName: map[[2]string][]*scanner.Resource{}}
	for _, d := range f.Docs {
		for _, c := range d.Resources() {
			x.all = append(x.all, c)
			k := [2]string{c.Kind, c.Name}
			x.byName[k] = append(x.byName[k], c)
		}
	}
	b.origins[f] = x
	return x
}

// schemaMu guards the one piece of process-wide state a kustomize build
// writes: kyaml's OpenAPI schema (sigs.k8s.io/kustomize/kyaml/openapi), a
// global that a kustomization's `openapi:` field replaces (krusty.Run and
// every sub-kustomization call openapi.SetSchema) and that every build
// reads (merge keys of strategic-merge patches, which kinds are
// namespaced). The rest of what krusty keeps beside a build is read-only
// after package init (builtin plugin factories, the default field specs,
// behind a sync.Once) or unused here (the Go plugin registry: plugins are
// builtin-only).
//
// So builds whose kustomizations set no schema share the lock and run in
// parallel, reading the builtin schema; a build that sets one holds it
// alone, and puts the builtin schema back afterwards (kyaml keeps a custom
// schema until someone sets another, which would leak it into the next
// build). Flux serialises every build instead (fluxcd/pkg/kustomize);
// TestConcurrentBuilds builds in parallel against serial builds, under
// -race too. It guards the dependency's state, and is the package's only
// mutable global.
var schemaMu sync.RWMutex

// Build renders the kustomization in dir and traces its output. It is safe
// for concurrent use: builds run in parallel, but one whose kustomizations
// set an OpenAPI schema runs alone (schemaMu).
func Build(dir string, opts Options) (res *Result, err error) {
	// One hostile kustomization must not take the whole scan down.
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("kustomize build %s: kustomize failed on this input: %v", dir, r)
		}
	}()
	b, err := newBuilder(dir, opts)
	if err != nil {
		return nil, err
	}
	defer b.sb.Close()
	return b.build()
}

func newBuilder(dir string, opts Options) (*builder, error) {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = scanner.DefaultMaxFileSize
	}
	dirs, err := scanner.ResolveBuildDirs(opts.Root, opts.Top, dir, "kustomization")
	if err != nil {
		return nil, err
	}
	sb, err := newSandbox(dirs.Top, opts.MaxFileSize, dirs.Replacements(opts.Replace), opts.RealPaths)
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", opts.Top, err)
	}
	return &builder{
		opts: opts, rootAbs: dirs.Root, dir: dirs.Dir,
		sb:    sb,
		files: map[string]*scanner.SourceFile{}, kusts: map[string]*kustomization{},
		visiting: map[string]bool{}, remote: map[*kustomization][]entry{},
	}, nil
}

// display names an absolute path for reports: relative to the scan root,
// with '/' separators.
func (b *builder) display(abs string) string { return scanner.DisplayPath(b.rootAbs, abs) }

// source returns the parsed file at an absolute path, read through the
// sandbox (so it counts as consumed) and cached.
func (b *builder) source(abs string) (*scanner.SourceFile, error) {
	if f := b.files[abs]; f != nil {
		return f, nil
	}
	content, err := b.sb.ReadFile(abs)
	if err != nil {
		return nil, err
	}
	f, err := b.opts.Sources.parse(b.display(abs), abs, content)
	if err != nil {
		return nil, err
	}
	b.files[abs] = f
	return f, nil
}

// Sources are the source files parsed by the builds of one scan, by
// absolute path, with the bytes they were parsed from: overlays share
// their bases, whose files each build would parse again, in the scan and
// in the builds that verify its fixes. A build still reads each file and
// takes the parse only when the bytes are the same (an edit being
// verified replaces some); a parsed file is not changed after. The zero
// value is ready; it is safe for concurrent use.
type Sources struct {
	mu sync.Mutex
	m  map[string]*scanner.SourceFile
}

// parse is scanner.ParseFile of a source named name, at abs on disk,
// with its permission bits, remembered in s (nil: not remembered).
func (s *Sources) parse(name, abs string, content []byte) (*scanner.SourceFile, error) {
	if s != nil {
		s.mu.Lock()
		f := s.m[abs]
		s.mu.Unlock()
		if f != nil && f.Path == name && bytes.Equal(f.Bytes, content) {
			return f, nil
		}
	}
	f, errs := scanner.ParseFile(name, content)
	if len(errs) > 0 {
		return nil, errs[0]
	}
	f.Abs = abs
	if info, err := os.Stat(abs); err == nil {
		f.Mode = info.Mode().Perm()
	}
	if s != nil {
		s.mu.Lock()
		if s.m == nil {
			s.m = map[string]*scanner.SourceFile{}
		}
		s.m[abs] = f
		s.mu.Unlock()
	}
	return f, nil
}

// visit reads the kustomization in dir and, depth first, every local base
// and component it names, numbering patches in the order kustomize applies
// them: a base's before the overlay's, components' after the resources'
// and before the kustomization's own.
func (b *builder) visit(dir string, depth int) error {
	if b.kusts[dir] != nil {
		return nil
	}
	if b.visiting[dir] {
		return fmt.Errorf("%s: kustomizations refer to each other in a cycle", b.display(dir))
	}
	if depth > maxDepth {
		return fmt.Errorf("%s: kustomizations nest deeper than %d", b.display(dir), maxDepth)
	}
	b.visiting[dir] = true
	defer delete(b.visiting, dir)
	k, err := b.readKustomization(dir)
	if err != nil {
		return err
	}
	b.kusts[dir] = k
	b.order = append(b.order, k)
	b.setsSchema = b.setsSchema || setsSchemaField(k.file.Bytes)
	if err := b.skipRemote(k); err != nil {
		return err
	}
	for _, e := range append(k.resources, k.components...) {
		if isRemote(e.value) {
			continue
		}
		if p := filepath.Join(dir, e.value); b.sb.IsDir(p) {
			if err := b.visit(p, depth+1); err != nil {
				return err
			}
		}
	}
	// Plugin configs may come from kustomizations too; those are not
	// traced, but must be as local as the rest.
	for _, field := range []string{"generators", "transformers", "validators"} {
		for _, e := range listEntries(k.root, field) {
			if p := filepath.Join(dir, e.value); !isRemote(e.value) && b.sb.IsDir(p) {
				if err := b.vet(p, depth+1, map[string]bool{}); err != nil {
					return err
				}
			}
		}
	}
	for _, p := range k.patches {
		for _, d := range p.docs {
			d.marker = markerPrefix + strconv.Itoa(len(b.patches))
			b.patches = append(b.patches, d)
		}
	}
	return nil
}

// skipRemote records k's remote entries, which rewrite leaves out of the
// build, and its Helm chart fields, likewise; a remote file the build
// cannot do without (a patch, a generator source) fails it. kustomize
// would GET a URL or `git clone` it (submodules and all) into a temporary
// folder: no byte of a build may come from outside the repository.
//
// Why by rewriting rather than by a refusing cloner: krusty's Run makes
// its loader with git.ClonerUsingGitExec and a default http.Client, and
// the loader asks neither the file system nor the caller before using
// them; both live in kustomize's internal packages. So kustomize must
// never see a remote entry: every kustomization of a build is visited
// (vet, for those used as plugin configs) and rewritten before it runs.
func (b *builder) skipRemote(k *kustomization) error {
	if remote := remotePaths(k.root); len(remote) > 0 {
		return fmt.Errorf("%s: remote files are not fetched, remedy builds from the repository only: %s", k.file.Path, strings.Join(remote, ", "))
	}
	for _, field := range droppedFields {
		what := field
		switch field {
		case "resources", "bases":
			what = "base"
		case "components":
			what = "component"
		}
		for _, e := range listEntries(k.root, field) {
			if !isRemote(e.value) {
				continue
			}
			b.remote[k] = append(b.remote[k], e)
			b.skipped = append(b.skipped, scanner.Skipped{File: k.file.Path,
				Reason: fmt.Sprintf("remote %s %s is not fetched (line %d); the build is scanned without it", what, e.value, e.node.Line)})
		}
	}
	for _, field := range helmFields {
		if key, _ := scanner.FieldPair(k.root, field); key != nil {
			b.skipped = append(b.skipped, scanner.Skipped{File: k.file.Path,
				Reason: fmt.Sprintf("%s (line %d): remedy does not render Helm charts inside kustomizations; the build is scanned without them (scan the chart folder to render it)", field, key.Line)})
		}
	}
	return nil
}

// vet checks that the kustomization in dir, used for plugin configs, and
// every local kustomization it uses name nothing remote: they are built
// as written, so a remote entry fails the build instead of being skipped.
func (b *builder) vet(dir string, depth int, seen map[string]bool) error {
	if seen[dir] || depth > maxDepth {
		return nil
	}
	seen[dir] = true
	path, err := findFile(b.sb, dir)
	if err != nil || path == "" {
		return err
	}
	content, err := b.sb.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s: %w", b.display(path), err)
	}
	b.setsSchema = b.setsSchema || setsSchemaField(content)
	var doc yaml.Node
	if yaml.Unmarshal(content, &doc) != nil || len(doc.Content) == 0 {
		return nil // kustomize reports it
	}
	root := doc.Content[0]
	remote := remotePaths(root)
	for _, field := range append(droppedFields, helmFields...) {
		if key, v := scanner.FieldPair(root, field); key != nil && slices.Contains(helmFields, field) {
			remote = append(remote, fmt.Sprintf("%s (line %d)", field, key.Line))
		} else {
			for _, it := range scanner.Items(v) {
				if isRemote(scanner.ScalarValue(it)) {
					remote = append(remote, fmt.Sprintf("%s %s (line %d)", field, scanner.ScalarValue(it), it.Line))
				}
			}
		}
	}
	if len(remote) > 0 {
		return fmt.Errorf("%s: used for plugin configs, names what remedy does not fetch or render: %s", b.display(path), strings.Join(remote, ", "))
	}
	for _, field := range droppedFields {
		for _, e := range listEntries(root, field) {
			if p := filepath.Join(dir, e.value); b.sb.IsDir(p) {
				if err := b.vet(p, depth+1, seen); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// build runs kustomize over the marked tree and traces the output.
func (b *builder) build() (*Result, error) {
	if err := b.visit(b.dir, 0); err != nil {
		return nil, err
	}
	if marked, files, ok := b.markOrigins(); ok && !b.opts.kustomizeOrigins {
		b.originFiles = files
		for abs, content := range marked {
			b.sb.replace[abs] = content
		}
	}
	for i, k := range b.order {
		content, err := b.rewrite(k, i == 0)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.file.Path, err)
		}
		b.sb.replace[k.file.Abs] = content
	}
	opts := krusty.MakeDefaultOptions()
	// The order `kustomize build` prints (legacy: namespaces first) unless
	// the kustomization sets sortOptions.
	opts.Reorder = krusty.ReorderOptionUnspecified
	// Flux builds with no load restrictions; the sandbox still keeps every
	// read inside the repository. Plugins stay builtin-only: no exec or
	// container functions, no Helm inflation.
	opts.LoadRestrictions = types.LoadRestrictionsNone
	opts.PluginConfig = types.DisabledPluginConfig()
	m, err := b.run(opts)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %s", b.display(b.dir), b.trimPaths(err.Error()))
	}
	var objs []renderedObject
	for _, res := range m.Resources() {
		o, keep := b.strip(res)
		if !keep {
			if err := m.Remove(res.CurId()); err != nil {
				return nil, fmt.Errorf("kustomize build %s: %w", b.display(b.dir), err)
			}
			continue
		}
		objs = append(objs, o)
	}
	out, err := asYAML(m)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", b.display(b.dir), err)
	}
	rendered, errs := scanner.ParseFile(b.display(b.dir)+" (kustomize build)", out)
	if len(errs) > 0 {
		return nil, fmt.Errorf("kustomize build %s: the output does not parse: %s", b.display(b.dir), errs[0].Message)
	}
	consumed := b.sb.Read()
	sort.Strings(consumed)
	for _, abs := range consumed {
		if isYAMLName(abs) {
			_, _ = b.source(abs)
		}
	}
	sources := map[string]*scanner.SourceFile{}
	for _, f := range b.files {
		sources[f.Path] = f
	}
	rendered.Rendered = &scanner.Rendered{
		Tool: scanner.ToolKustomize, Root: b.display(b.dir), Sources: sources,
		Map: b.trace(rendered, objs),
	}
	return &Result{File: rendered, Consumed: consumed, Skipped: b.skipped}, nil
}

// run runs kustomize: beside other builds, unless this one sets an
// OpenAPI schema (schemaMu).
func (b *builder) run(opts *krusty.Options) (resmap.ResMap, error) {
	if !b.setsSchema {
		schemaMu.RLock()
		defer schemaMu.RUnlock()
		// kyaml parses its schema on first use, under its lock, but
		// openapi.IsNamespaceScoped reads it without the lock while a
		// parse may be writing it (kustomize#3659): parse it before any
		// build reads it. Later calls return at once.
		openapi.Schema()
		return krusty.MakeKustomizer(opts).Run(b.sb, b.dir)
	}
	schemaMu.Lock()
	defer schemaMu.Unlock()
	// The builtin schema back, for the builds after this one.
	defer openapi.ResetOpenAPI()
	return krusty.MakeKustomizer(opts).Run(b.sb, b.dir)
}

// setsSchemaField reports whether a kustomization's text may set an
// OpenAPI schema. It looks at the bytes rather than the parsed `openapi:`
// key, so that no spelling of the key (quoted, in flow style) slips past:
// a false positive only costs a build its parallelism.
func setsSchemaField(content []byte) bool {
	return bytes.Contains(content, []byte("openapi"))
}

func isYAMLName(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return IsFileName(filepath.Base(p))
}

// trimPaths shortens kustomize's absolute paths in an error to scan-root
// relative ones.
func (b *builder) trimPaths(msg string) string {
	return strings.ReplaceAll(msg, b.rootAbs+string(filepath.Separator), "")
}

// renderedObject is what the build says about one object of its output.
type renderedObject struct {
	// origin is the resource file it came from, absolute; empty for a
	// generated object.
	origin string
	// configuredIn is the kustomization that generated it, absolute.
	configuredIn string
	// patches are the indexes of the patch documents applied to it, in order.
	patches []int
}

// strip removes remedy's markers (and the origin annotation, when remedy
// asked for it) from res and returns what they said. keep is false when
// the object was written in a file excluded by config.
func (b *builder) strip(res *resource.Resource) (renderedObject, bool) {
	var o renderedObject
	if origin, err := res.GetOrigin(); err == nil && origin != nil && origin.Repo == "" {
		if origin.Path != "" {
			o.origin = filepath.Join(b.dir, filepath.FromSlash(origin.Path))
		}
		if origin.ConfiguredIn != "" {
			o.configuredIn = filepath.Join(b.dir, filepath.FromSlash(origin.ConfiguredIn))
		}
	}
	annos := res.GetAnnotations()
	changed := false
	for k := range annos {
		if n, ok := strings.CutPrefix(k, originMarkerPrefix); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(b.originFiles) {
				o.origin = b.originFiles[i]
			}
			delete(annos, k)
			changed = true
			continue
		}
		if n, ok := strings.CutPrefix(k, markerPrefix); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(b.patches) {
				o.patches = append(o.patches, i)
			}
			delete(annos, k)
			changed = true
		}
	}
	if b.addedOrigin {
		if _, ok := annos[originAnnotation]; ok {
			delete(annos, originAnnotation)
			changed = true
		}
	}
	if changed {
		_ = res.SetAnnotations(annos)
	}
	sort.Ints(o.patches)
	if o.origin != "" && b.opts.Exclude != nil && b.opts.Exclude(b.display(o.origin)) {
		return o, false
	}
	return o, true
}

// rewrite returns the kustomization's bytes as the build sees them: with
// origin annotations on (for the root), each patch document marked, and
// remote entries and Helm chart fields left out.
func (b *builder) rewrite(k *kustomization, root bool) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(k.file.Bytes, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return k.file.Bytes, nil
	}
	m := doc.Content[0]
	if root && b.originFiles == nil {
		bm := scanner.Field(m, "buildMetadata")
		if bm == nil || bm.Kind != yaml.SequenceNode {
			bm = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			setField(m, "buildMetadata", bm)
		}
		has := false
		for _, it := range bm.Content {
			has = has || it.Value == "originAnnotations"
		}
		if !has {
			bm.Content = append(bm.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "originAnnotations"})
			b.addedOrigin = true
		}
	}
	for _, p := range k.patches {
		if len(p.docs) == 0 {
			continue
		}
		list := scanner.Field(m, p.field)
		if list == nil || list.Kind != yaml.SequenceNode || p.index >= len(list.Content) {
			continue
		}
		text, err := markedText(p)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", p.field, p.index, err)
		}
		lit := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: text, Style: yaml.LiteralStyle}
		if p.field == "patchesStrategicMerge" {
			list.Content[p.index] = lit
			continue
		}
		item := list.Content[p.index]
		if item.Kind != yaml.MappingNode {
			continue
		}
		deleteField(item, "path")
		setField(item, "patch", lit)
	}
	mergeStrategicPatches(k, scanner.Field(m, "patches"))
	for _, field := range helmFields {
		deleteField(m, field)
	}
	for _, field := range droppedFields {
		list := scanner.Field(m, field)
		if list == nil || list.Kind != yaml.SequenceNode {
			continue
		}
		var kept []*yaml.Node
		for i, it := range list.Content {
			drop := false
			for _, e := range b.remote[k] {
				drop = drop || (e.field == field && e.index == i)
			}
			if !drop {
				kept = append(kept, it)
			}
		}
		list.Content = kept
	}
	return yaml.Marshal(&doc)
}

// mergeStrategicPatches joins each run of consecutive `patches` entries
// that are strategic-merge patches without a target or options into one
// entry of several documents, which kustomize's PatchTransformer applies
// one after the other, each to the object its own kind and name select:
// what the entries did one by one. Kustomize records every transformer in
// the annotations of every object when build metadata is on (remedy turns
// originAnnotations on), re-encoding a list that grows with each
// transformer: with 2,000 inline patches over 2,000 objects that is cubic,
// minutes of work. Patches with `$patch` directives stay on their own,
// since kustomize drops emptied objects only between transformers.
func mergeStrategicPatches(k *kustomization, list *yaml.Node) {
	if list == nil || list.Kind != yaml.SequenceNode {
		return
	}
	mergeable := map[*yaml.Node]bool{}
	for _, p := range k.patches {
		if p.field != "patches" || p.json || len(p.docs) == 0 || p.index >= len(list.Content) || strings.Contains(p.text, "$patch") {
			continue
		}
		item := list.Content[p.index]
		if item.Kind == yaml.MappingNode && len(item.Content) == 2 && item.Content[0].Value == "patch" {
			mergeable[item] = true
		}
	}
	var kept []*yaml.Node
	var run *yaml.Node // the patch scalar of the entry the run merges into
	for _, it := range list.Content {
		if !mergeable[it] {
			kept, run = append(kept, it), nil
			continue
		}
		if run == nil {
			kept, run = append(kept, it), it.Content[1]
			continue
		}
		run.Value = strings.TrimRight(run.Value, "\n") + "\n---\n" + it.Content[1].Value
	}
	list.Content = kept
}

func setField(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

func deleteField(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// markedText returns a patch's text with its marker(s) added: a marker
// annotation in each strategic-merge document, one more op in a JSON 6902
// list. JSON 6902 text is appended to rather than re-encoded, because
// kustomize reads it with YAML 1.1 rules that re-encoding could change.
func markedText(p *patchEntry) (string, error) {
	if p.json {
		op := `{"op": "add", "path": "/metadata/annotations/` + jsonpointer.Escape(p.docs[0].marker) + `", "value": ""}`
		t := strings.TrimRight(p.text, " \t\r\n")
		if strings.HasPrefix(strings.TrimSpace(t), "[") {
			i := strings.LastIndex(t, "]")
			if i < 0 {
				return "", fmt.Errorf("JSON patch without a closing ]")
			}
			sep := ", "
			if strings.TrimSpace(t[:i]) == strings.TrimSpace(t[:strings.Index(t, "[")+1]) {
				sep = ""
			}
			return t[:i] + sep + op + t[i:], nil
		}
		indent := ""
		for _, line := range strings.Split(t, "\n") {
			if s := strings.TrimLeft(line, " "); strings.HasPrefix(s, "-") {
				indent = line[:len(line)-len(s)]
				break
			}
		}
		return t + "\n" + indent + "- " + op + "\n", nil
	}
	dec := yaml.NewDecoder(strings.NewReader(p.text))
	var out strings.Builder
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	next := 0
	for {
		var d yaml.Node
		if err := dec.Decode(&d); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return "", err
		}
		if d.Kind == yaml.DocumentNode && len(d.Content) == 1 && d.Content[0].Kind == yaml.MappingNode && next < len(p.docs) {
			addAnnotation(d.Content[0], p.docs[next].marker)
			next++
		}
		if err := enc.Encode(&d); err != nil {
			return "", err
		}
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	return out.String(), nil
}

// addAnnotation sets metadata.annotations[key] to "" in object m.
func addAnnotation(m *yaml.Node, key string) {
	meta := scanner.Field(m, "metadata")
	if meta == nil || meta.Kind != yaml.MappingNode {
		meta = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		setField(m, "metadata", meta)
	}
	annos := scanner.Field(meta, "annotations")
	if annos == nil || annos.Kind != yaml.MappingNode {
		annos = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		setField(meta, "annotations", annos)
	}
	annos.Style = 0
	setField(annos, key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "", Style: yaml.DoubleQuotedStyle})
}

// Package helm renders Helm charts the way `helm template` does — with
// helm.sh/helm/v3's engine and chartutil, offline: dependencies only from
// the chart's charts/ folder — and traces every field of the output back
// to the line of a values file that produced it, or to the template that
// hard-codes it.
//
// Data enters as folders and releases: Charts finds the charts below the
// scan folders, and Render renders one for a Release (its values files
// and values set outside the repository), reading only the repository's
// files (or, to verify an edit, Options.Replace in their place). It leaves
// as a Result whose File is the output, a scanner.SourceFile with Rendered
// set that scanner scans like any file; its source map places findings
// for the scanner and tells remediate where to edit and how to render
// again.
//
// How a rendered field is traced:
//
//   - The chart is rendered a second time with a unique marker in place of
//     each non-empty string and non-zero number of every values file, and a
//     marker key added to every mapping. A field whose rendered value is a
//     marker came from that values leaf; a mapping that holds a marker key
//     is a values mapping passed through (`toYaml .Values.securityContext`),
//     where a missing field can be added as a new key. Booleans, empty
//     strings and zeros are left alone, so that conditions (`if`, `with`,
//     `default`) take the same branches as in the real render.
//   - A boolean is traced by flipping it: the chart is rendered once per
//     boolean leaf with that leaf flipped, and the fields that change (or
//     appear) are the ones it controls. That finds both a field that
//     renders a boolean value (`hostNetwork: {{ .Values.hostNetwork }}`) and
//     a feature switch that adds a missing field
//     (`{{ if .Values.seccompProfile.enable }}`).
//   - Values that are not in the repository (an Argo CD Application's
//     inline values and parameters, a Flux HelmRelease's spec.values, a
//     values file of another repository: Release.Values) are marked as
//     theirs, and their booleans flipped too: a field they set is traced to
//     no values file, and its fix is refused, to be made where they are
//     set. Editing a values file they override would change nothing.
//   - Anything else is hard-coded in a template: the finding points at the
//     template line of the field (or of the object that should hold it),
//     and it is reported "fix by hand": templates are never edited.
//
// The marker renders only locate; what gets scanned is the real render.
package helm

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/ignore"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/internal/repofs"
	"github.com/remedy-bot/remedy/scanner"
)

// Options configure a render.
type Options struct {
	// Root is the scan root: source file names are relative to it.
	Root string
	// Top is the folder reads are confined to: the repository. Empty
	// means Root.
	Top string
	// MaxFileSize bounds each file read; 0 means scanner.DefaultMaxFileSize.
	MaxFileSize int64
	// Budget bounds each render of the chart (time, output, memory);
	// zero fields take the defaults.
	Budget Budget
	// Child, when set, is the render child to render in, shared with
	// other renders (those of one scan, or an earlier render of the same
	// release kept for the renders that verify an edit); its budget is
	// the one that holds. Unset, each render starts its own.
	Child *Child
	// Replace stands in for files on disk, by Root-relative path: the
	// render of an edit being verified.
	Replace map[string][]byte
}

// Release is one rendering of a chart.
type Release struct {
	Name, Namespace string
	// ValuesFiles are values files beyond the chart's values.yaml,
	// absolute, lowest precedence first.
	ValuesFiles []string
	// Values are more layers of values, merged over ValuesFiles in order,
	// as `helm template -f` merges the files it is given: values that are
	// not in the repository (an Argo CD Application's inline values and
	// parameters, a Flux HelmRelease's spec.values, a values file of
	// another repository), and the repository's values files that come
	// after them.
	Values []Values
}

// Values is one layer of a release's values.
type Values struct {
	// File is a values file of the repository, absolute, traced and fixed
	// like those of ValuesFiles.
	File string
	// Values, when File is empty, are values that are not in the
	// repository, and From says where they are set, for people: "the
	// inline values of Application argocd/shop". A rendered field they
	// set is traced to no values file, and a fix of it is refused:
	// editing values.yaml would change nothing, as they override it.
	Values map[string]any
	From   string
}

// Result is one chart rendered for one release.
type Result struct {
	// File is the rendered output, with Rendered set: scan it like any file.
	File *scanner.SourceFile
	// Consumed are the absolute paths of every file the render read: the
	// chart's files and the values files. They are not scanned on their own.
	Consumed []string
}

// IsChart reports whether dir holds a Chart.yaml.
func IsChart(dir string) bool {
	info, err := os.Stat(filepath.Join(dir, "Chart.yaml"))
	return err == nil && info.Mode().IsRegular()
}

// Charts returns the charts below the folders dirs: folders holding a
// Chart.yaml, except subcharts (inside another chart's charts/ folder),
// which are rendered through their parent. Paths are absolute, sorted.
func Charts(dirs []string) []string {
	found := map[string]bool{}
	scanner.WalkFolders(dirs, nil, func(p string, e fs.DirEntry) {
		if e.IsDir() && IsChart(p) {
			if abs, err := scanner.RealPath(p); err == nil {
				found[abs] = true
			}
		}
	})
	var out []string
	for dir := range found {
		sub := false
		for other := range found {
			if other != dir && strings.HasPrefix(dir, filepath.Join(other, "charts")+string(filepath.Separator)) {
				sub = true
			}
		}
		if !sub {
			out = append(out, dir)
		}
	}
	sort.Strings(out)
	return out
}

// renderer holds one chart's files and one release's values.
type renderer struct {
	opts   Options
	budget Budget
	child  *Child
	// ownsChild: the child is this render's, closed when it is traced.
	ownsChild bool
	// ctx stops the renders.
	ctx     context.Context
	rootAbs string
	top     string
	dir     string
	rel     Release
	replace map[string][]byte
	// files are the chart's files by slash path relative to dir, as the
	// chart loader takes them.
	files map[string][]byte
	names []string
	// valuesFiles are the parsed values files: the chart's own (and its
	// subcharts') and the release's, by absolute path.
	sources map[string]*scanner.SourceFile
	// userValues are the release's values files, parsed, in precedence order.
	userValues []userValues
	consumed   []string
}

// userValues is one layer of the release's values: a values file of the
// repository, or (file nil) values set elsewhere, named by from.
type userValues struct {
	file *scanner.SourceFile
	vals map[string]any
	from string
}

// Render renders the chart in dir for a release and traces its output.
func Render(dir string, rel Release, opts Options) (res *Result, err error) {
	return RenderContext(context.Background(), dir, rel, opts)
}

// RenderContext is Render stopped when ctx is done: the render child is
// killed, and the renders that trace the output later (boolean flips,
// verifying an edit) fail too.
func RenderContext(ctx context.Context, dir string, rel Release, opts Options) (res *Result, err error) {
	// One hostile chart must not take the whole scan down.
	defer func() {
		if p := recover(); p != nil {
			res, err = nil, fmt.Errorf("helm template %s: helm failed on this chart: %v", dir, p)
		}
	}()
	r, err := newRenderer(dir, rel, opts)
	if err != nil {
		return nil, err
	}
	r.ctx = ctx
	return r.run()
}

func newRenderer(dir string, rel Release, opts Options) (*renderer, error) {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = scanner.DefaultMaxFileSize
	}
	dirs, err := scanner.ResolveBuildDirs(opts.Root, opts.Top, dir, "chart")
	if err != nil {
		return nil, err
	}
	r := &renderer{opts: opts, budget: opts.Budget.WithDefaults(), child: opts.Child, rootAbs: dirs.Root, top: dirs.Top, dir: dirs.Dir, rel: rel,
		replace: dirs.Replacements(opts.Replace), files: map[string][]byte{}, sources: map[string]*scanner.SourceFile{}}
	if r.child == nil {
		r.child, r.ownsChild = NewChild(opts.Budget), true
	}
	if err := r.readChart(); err != nil {
		return nil, err
	}
	layers := make([]Values, 0, len(rel.ValuesFiles)+len(rel.Values))
	for _, vf := range rel.ValuesFiles {
		layers = append(layers, Values{File: vf})
	}
	for _, l := range append(layers, rel.Values...) {
		if l.File == "" {
			if l.Values != nil {
				r.userValues = append(r.userValues, userValues{vals: copyValues(l.Values), from: cmp.Or(l.From, "values outside the repository")})
			}
			continue
		}
		abs, err := scanner.RealPath(l.File)
		if err != nil {
			return nil, fmt.Errorf("values file %s: %w", r.display(l.File), err)
		}
		f, err := r.source(abs)
		if err != nil {
			return nil, fmt.Errorf("values file %s: %w", r.display(abs), err)
		}
		vals, err := chartutil.ReadValues(f.Bytes)
		if err != nil {
			return nil, fmt.Errorf("values file %s: %w", f.Path, err)
		}
		r.userValues = append(r.userValues, userValues{file: f, vals: vals})
	}
	return r, nil
}

// copyValues copies the mappings and lists of values, so that no render
// changes the caller's.
func copyValues(v map[string]any) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[k] = copyValue(x)
	}
	return out
}

func copyValue(x any) any {
	switch x := x.(type) {
	case map[string]any:
		return copyValues(x)
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = copyValue(it)
		}
		return out
	}
	return x
}

func (r *renderer) display(abs string) string { return scanner.DisplayPath(r.rootAbs, abs) }

// read reads a file below top, or its replacement.
func (r *renderer) read(abs string) ([]byte, error) {
	if b, ok := r.replace[abs]; ok {
		r.consumed = append(r.consumed, abs)
		return b, nil
	}
	// Confined to the repository (repofs): regular files only, never a
	// FIFO (.helmignore as a FIFO would block) or a link out of it (to
	// /dev/zero, or a file outside), at most --max-file-size.
	b, err := repofs.ReadFile(r.top, abs, r.opts.MaxFileSize)
	if errors.Is(err, repofs.ErrTooLarge) {
		return nil, fmt.Errorf("%w (--max-file-size; serve: limits.maxFileSize)", err)
	}
	if err != nil {
		return nil, err
	}
	r.consumed = append(r.consumed, abs)
	return b, nil
}

// source returns a file parsed as YAML (values files) or, when it does
// not parse (templates), with its bytes and ignore directives only.
func (r *renderer) source(abs string) (*scanner.SourceFile, error) {
	if f := r.sources[abs]; f != nil {
		return f, nil
	}
	b, err := r.read(abs)
	if err != nil {
		return nil, err
	}
	f, _ := scanner.ParseFile(r.display(abs), b)
	f.Abs = abs
	if info, err := os.Stat(abs); err == nil {
		f.Mode = info.Mode().Perm()
	}
	r.sources[abs] = f
	return f, nil
}

// readChart reads the chart's files as `helm` does: every file below the
// chart folder but those .helmignore names.
func (r *renderer) readChart() error {
	rules := ignore.Empty()
	if b, err := r.read(filepath.Join(r.dir, ignore.HelmIgnore)); err == nil {
		if rules, err = ignore.Parse(bytes.NewReader(b)); err != nil {
			return fmt.Errorf("%s: %w", r.display(filepath.Join(r.dir, ignore.HelmIgnore)), err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("chart %s: %w", r.display(r.dir), err)
	}
	rules.AddDefaults()
	err := filepath.Walk(r.dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		n := filepath.ToSlash(strings.TrimPrefix(p, r.dir+string(filepath.Separator)))
		if p == r.dir {
			return nil
		}
		if fi.IsDir() {
			if rules.Ignore(n, fi) || scanner.SkipsFolder(fi.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if rules.Ignore(n, fi) || !fi.Mode().IsRegular() {
			return nil
		}
		var b []byte
		if isSourceName(n) {
			f, err := r.source(p)
			if err != nil {
				return err
			}
			b = f.Bytes
		} else if b, err = r.read(p); err != nil {
			return err
		}
		r.files[n] = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
		r.names = append(r.names, n)
		return nil
	})
	if err != nil {
		return fmt.Errorf("read chart %s: %w", r.display(r.dir), err)
	}
	if _, ok := r.files["Chart.yaml"]; !ok {
		return fmt.Errorf("%s: no Chart.yaml", r.display(r.dir))
	}
	return nil
}

// isSourceName reports whether a chart file is one findings can point at:
// values files and templates.
func isSourceName(n string) bool {
	base := path.Base(n)
	if strings.HasSuffix(base, ".yaml") && (strings.HasPrefix(base, "values") || strings.Contains(n, "templates/")) {
		return true
	}
	return strings.Contains(n, "templates/") && (strings.HasSuffix(n, ".yml") || strings.HasSuffix(n, ".tpl"))
}

// load builds a fresh chart from the files (rendering mutates it).
func (r *renderer) load() (*chart.Chart, error) {
	var bf []*loader.BufferedFile
	for _, n := range r.names {
		bf = append(bf, &loader.BufferedFile{Name: n, Data: r.files[n]})
	}
	ch, err := loader.LoadFiles(bf)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", r.display(r.dir), err)
	}
	if err := checkDependencies(ch, ch.Name()); err != nil {
		return nil, fmt.Errorf("chart %s: %w", r.display(r.dir), err)
	}
	return ch, nil
}

// checkDependencies names every dependency of Chart.yaml that is not in
// charts/: remedy renders offline, like `helm template` after `helm
// dependency build`, and never downloads one.
func checkDependencies(ch *chart.Chart, where string) error {
	var missing []string
	for _, d := range ch.Metadata.Dependencies {
		found := false
		for _, sub := range ch.Dependencies() {
			found = found || sub.Name() == d.Name
		}
		if !found {
			m := d.Name
			if d.Version != "" || d.Repository != "" {
				m += fmt.Sprintf(" (version %q from %s)", d.Version, d.Repository)
			}
			missing = append(missing, m)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("dependency %s of %s is missing from charts/: remedy renders offline; run `helm dependency build` and commit charts/",
			strings.Join(missing, ", "), where)
	}
	for _, sub := range ch.Dependencies() {
		if err := checkDependencies(sub, where+"/"+sub.Name()); err != nil {
			return err
		}
	}
	return nil
}

// renderTemplates renders the chart with user values vals; mutate, when
// set, changes the fresh chart's own values first (marker renders). The
// templates run in a render child, within the budget (child.go): the
// chart is loaded here, to check it and to mutate its values, and sent
// with those values.
func (r *renderer) renderTemplates(vals map[string]any, mutate func(ch *chart.Chart)) (out map[string]string, err error) {
	// The marker and flip renders run while a scan is under way: a chart
	// that makes helm panic fails that render only.
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("helm template %s: helm failed on this chart: %v", r.display(r.dir), p)
		}
	}()
	req, err := r.request(vals, mutate)
	if err != nil {
		return nil, err
	}
	resp, err := r.child.render(r.context(), req)
	if err != nil {
		return nil, fmt.Errorf("helm template %s: %w", r.display(r.dir), err)
	}
	switch resp.Stage {
	case "":
		return resp.Rendered, nil
	case "dependencies", "values":
		return nil, fmt.Errorf("chart %s: %s: %s", r.display(r.dir), resp.Stage, resp.Error)
	case "panic":
		return nil, fmt.Errorf("helm template %s: helm failed on this chart: %s", r.display(r.dir), resp.Error)
	case "output":
		return nil, fmt.Errorf("helm template %s: %w: %s (render output budget)", r.display(r.dir), errBudget, resp.Error)
	case "documents":
		return nil, fmt.Errorf("helm template %s: %w: %s (--max-documents; serve: limits.maxDocuments)", r.display(r.dir), errBudget, resp.Error)
	}
	return nil, fmt.Errorf("helm template %s: %s", r.display(r.dir), resp.Error)
}

// context is the renders' context: RenderContext's, else Background.
func (r *renderer) context() context.Context {
	if r.ctx == nil {
		return context.Background()
	}
	return r.ctx
}

// request is what the render child needs to render the chart with user
// values vals, mutate applied to the chart's own values.
func (r *renderer) request(vals map[string]any, mutate func(ch *chart.Chart)) (*renderRequest, error) {
	ch, err := r.load()
	if err != nil {
		return nil, err
	}
	if mutate != nil {
		mutate(ch)
	}
	req := &renderRequest{ChartValues: map[string]*wireValue{}, Name: r.rel.Name, Namespace: r.rel.Namespace, MaxOutput: r.budget.MaxOutput, MaxDocuments: r.budget.MaxDocuments}
	for _, n := range r.names {
		req.Files = append(req.Files, childFile{Name: n, Data: r.files[n]})
	}
	var wireErr error
	eachChart(ch, func(c *chart.Chart) {
		w, err := toWire(c.Values, 0)
		wireErr = cmp.Or(wireErr, err)
		req.ChartValues[c.ChartFullPath()] = w
	})
	if req.Values, err = toWire(vals, 0); err != nil || wireErr != nil {
		return nil, fmt.Errorf("chart %s: values: %w", r.display(r.dir), cmp.Or(err, wireErr))
	}
	return req, nil
}

// mergedUserValues merges the release's values files, later ones winning,
// as `helm template -f a.yaml -f b.yaml` does.
func mergedUserValues(files []userValues, mark func(i int, v map[string]any) map[string]any) map[string]any {
	out := map[string]any{}
	for i, u := range files {
		v := u.vals
		if mark != nil {
			v = mark(i, v)
		}
		out = mergeMaps(out, v)
	}
	return out
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if bm, ok := v.(map[string]any); ok {
			if am, ok := out[k].(map[string]any); ok {
				out[k] = mergeMaps(am, bm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// renderedDoc is one document of the output: which template wrote it,
// and its index among that template's documents.
type renderedDoc struct {
	template string
	index    int
}

// assemble joins rendered templates into one YAML stream, in template
// order, and says where each document came from. Partials, NOTES.txt,
// empty documents and test hooks (run by `helm test`, not deployed) are
// left out.
func assemble(rendered map[string]string) ([]byte, []renderedDoc) {
	names := make([]string, 0, len(rendered))
	for n := range rendered {
		base := path.Base(n)
		if strings.HasPrefix(base, "_") || strings.HasSuffix(n, "NOTES.txt") || !strings.Contains(n, "/templates/") {
			continue
		}
		names = append(names, n)
	}
	sort.Strings(names)
	var out bytes.Buffer
	var docs []renderedDoc
	for _, n := range names {
		f, _ := scanner.ParseFile(n, []byte(rendered[n]))
		idx := 0
		for _, d := range f.Docs {
			if d.Node == nil {
				continue
			}
			i := idx
			idx++
			if isTestHook(d.Node.YNode()) {
				continue
			}
			text := bytes.TrimLeft(d.Bytes(), "\n")
			if bytes.HasPrefix(text, []byte("---")) {
				if nl := bytes.IndexByte(text, '\n'); nl >= 0 {
					text = text[nl+1:]
				}
			}
			out.WriteString("---\n# Source: " + n + "\n")
			out.Write(text)
			if len(text) > 0 && text[len(text)-1] != '\n' {
				out.WriteByte('\n')
			}
			docs = append(docs, renderedDoc{template: n, index: i})
		}
	}
	return out.Bytes(), docs
}

func isTestHook(n *yaml.Node) bool {
	hook := scanner.ScalarValue(scanner.Field(scanner.Field(scanner.Field(n, "metadata"), "annotations"), "helm.sh/hook"))
	for _, h := range strings.Split(hook, ",") {
		if h = strings.TrimSpace(h); h == "test" || h == "test-success" || h == "test-failure" {
			return true
		}
	}
	return false
}

// templatePath maps a rendered template name ("podinfo/templates/x.yaml",
// "podinfo/charts/redis/templates/y.yaml") to its file, absolute.
func (r *renderer) templatePath(name string) string {
	_, rest, ok := strings.Cut(name, "/")
	if !ok {
		return ""
	}
	return filepath.Join(r.dir, filepath.FromSlash(rest))
}

// run renders the release, scans nothing, and traces the output.
func (r *renderer) run() (*Result, error) {
	// The render and its marker renders share a child; boolean flips and
	// the renders that verify edits, asked later if at all, start another
	// (and share it while it is not idle).
	if r.ownsChild {
		defer r.child.close()
	}
	rendered, err := r.renderTemplates(mergedUserValues(r.userValues, nil), nil)
	if err != nil {
		return nil, err
	}
	out, docs := assemble(rendered)
	name := r.display(r.dir)
	if r.rel.Name != "" {
		name += " (helm template " + r.rel.Name + ")"
	}
	file, errs := scanner.ParseFile(name, out)
	if len(errs) > 0 {
		return nil, fmt.Errorf("helm template %s: the output does not parse: %s", r.display(r.dir), errs[0].Error())
	}
	sm := r.trace(file, docs)
	sources := map[string]*scanner.SourceFile{}
	for _, f := range r.sources {
		sources[f.Path] = f
	}
	file.Rendered = &scanner.Rendered{Tool: scanner.ToolHelm, Root: r.display(r.dir), Release: r.rel.Name, Sources: sources, Map: sm}
	consumed := append([]string(nil), r.consumed...)
	sort.Strings(consumed)
	return &Result{File: file, Consumed: compact(consumed)}, nil
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

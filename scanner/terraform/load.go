// Package terraform reads Terraform modules that declare Kubernetes objects
// with the Kubernetes provider (`kubernetes_deployment`, `kubernetes_manifest`,
// …) and turns them into scanner objects, so that every control runs on them
// unchanged. Like a Kustomize or Helm build, a module is one rendered output
// (scanner.Rendered, tool "terraform") whose SourceMap places each field at
// the .tf or .tfvars line where its value is written, and whose Trace and
// Rerender let remediate fix it there (remediate/hcledit edits the HCL).
package terraform

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/remedy-bot/remedy/scanner"
)

// Tool names Terraform in scanner.Rendered and in findings' sourceKind.
const Tool = "terraform"

// Options configure a load.
type Options struct {
	// Root is the scan root: file names are relative to it.
	Root string
	// Top is the folder reads are confined to (module calls may climb to
	// a sibling folder, never above Top). Empty means Root.
	Top string
	// MaxFileSize bounds each file read; 0 means scanner.DefaultMaxFileSize.
	MaxFileSize int64
	// Exclude reports whether a root-relative path is excluded by config.
	Exclude func(rel string) bool
	// Replace stands in for files on disk, by Root-relative path: the load
	// of an edit being verified.
	Replace map[string][]byte
}

// Result is one root module read.
type Result struct {
	// File is the module's objects as a rendered output; nil when the
	// module declares no object remedy maps.
	File *scanner.SourceFile
	// Dir is the module folder, Root-relative.
	Dir string
	// Consumed are the absolute paths of the files read.
	Consumed []string
	// Errors are the files that do not parse, by line.
	Errors []scanner.FileError
	// Resources counts the resource blocks mapped to objects.
	Resources int
}

// skipDirs are never walked, besides those scanner.Load skips: .terraform
// holds the copies of modules `terraform init` downloaded.
var skipDirs = []string{".terraform"}

// Modules returns the folders below dirs that hold .tf files, absolute and
// sorted.
func Modules(dirs []string) []string {
	found := map[string]bool{}
	scanner.WalkFolders(dirs, skipDirs, func(p string, e fs.DirEntry) {
		if strings.HasSuffix(e.Name(), ".tf") && e.Type().IsRegular() {
			if abs, err := filepath.Abs(filepath.Dir(p)); err == nil {
				found[abs] = true
			}
		}
	})
	out := make([]string, 0, len(found))
	for d := range found {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// LoadAll reads the modules found below dirs and returns each root module
// and the files that could not be read or parsed. A module that another of
// them calls (`module "x" { source = "./x" }`) is read through its calls,
// with their arguments, not on its own: that is how Terraform applies it.
func LoadAll(dirs []string, opts Options) ([]*Result, []scanner.FileError, []scanner.Skipped) {
	mods := Modules(dirs)
	l := newLoader(opts)
	for i, d := range mods {
		mods[i] = realAbs(d)
	}
	called := map[string]bool{}
	for _, d := range mods {
		m := l.module(d)
		for _, c := range m.calls {
			if c.dir != "" {
				called[c.dir] = true
			}
		}
	}
	var out []*Result
	for _, d := range mods {
		if called[d] {
			continue
		}
		r := l.result(d)
		r.Errors = nil
		out = append(out, r)
	}
	return out, l.errs, l.skipped
}

// Load reads one root module.
func Load(dir string, opts Options) *Result {
	return newLoader(opts).result(realAbs(dir))
}

// loader reads and parses files once per load.
type loader struct {
	opts    Options
	rootAbs string
	topAbs  string
	files   map[string]*parsedFile // by absolute path
	modules map[string]*module     // by absolute folder
	errs    []scanner.FileError
	errSeen map[string]bool
	skipped []scanner.Skipped
}

// errTooLarge marks a file over MaxFileSize: skipped, as scanner.Load
// skips a large manifest, not an error.
var errTooLarge = errors.New("too large")

// parsedFile is one .tf or .tfvars file.
type parsedFile struct {
	src  *scanner.SourceFile
	body *hclsyntax.Body // nil when it does not parse
}

func newLoader(opts Options) *loader {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = scanner.DefaultMaxFileSize
	}
	if opts.Root == "" {
		opts.Root = "."
	}
	l := &loader{opts: opts, files: map[string]*parsedFile{}, modules: map[string]*module{}, errSeen: map[string]bool{}}
	l.rootAbs = realAbs(opts.Root)
	l.topAbs = l.rootAbs
	if opts.Top != "" {
		l.topAbs = realAbs(opts.Top)
	}
	return l
}

func realAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	return abs
}

// display names an absolute path for reports: Root-relative, '/'-separated.
func (l *loader) display(abs string) string { return scanner.DisplayPath(l.rootAbs, abs) }

// read returns a file's bytes, from Replace or from disk, confined to Top.
func (l *loader) read(abs string) ([]byte, error) {
	if b, ok := l.opts.Replace[l.display(abs)]; ok {
		return b, nil
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, err
	}
	if rel, err := filepath.Rel(l.topAbs, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("%s is outside the repository", l.display(abs))
	}
	fh, err := os.Open(real)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if info.Size() > l.opts.MaxFileSize {
		return nil, fmt.Errorf("%w: file is %d bytes, over the %d-byte limit (--max-file-size; serve: limits.maxFileSize)", errTooLarge, info.Size(), l.opts.MaxFileSize)
	}
	return io.ReadAll(io.LimitReader(fh, l.opts.MaxFileSize+1))
}

// file reads and parses one file once; its parse errors are recorded once.
func (l *loader) file(abs string) *parsedFile {
	if f, ok := l.files[abs]; ok {
		return f
	}
	rel := l.display(abs)
	b, err := l.read(abs)
	if err != nil {
		if errors.Is(err, errTooLarge) {
			l.skipped = append(l.skipped, scanner.Skipped{File: rel, Reason: strings.TrimPrefix(err.Error(), errTooLarge.Error()+": ")})
		} else {
			l.fail(scanner.FileError{File: rel, Message: err.Error()})
		}
		l.files[abs] = nil
		return nil
	}
	pf := &parsedFile{src: SourceFile(rel, abs, b)}
	l.files[abs] = pf
	body, ferr := Parse(rel, b)
	if ferr != nil {
		l.fail(*ferr)
		return pf
	}
	pf.body = body
	return pf
}

func (l *loader) fail(e scanner.FileError) {
	key := e.Error()
	if l.errSeen[key] {
		return
	}
	l.errSeen[key] = true
	l.errs = append(l.errs, e)
}

// SourceFile wraps a .tf or .tfvars file for scanner: its bytes, and its
// `# remedy:ignore` and `// remedy:ignore` directives by line.
func SourceFile(rel, abs string, b []byte) *scanner.SourceFile {
	f := &scanner.SourceFile{Path: rel, Abs: abs, Bytes: b, Mode: 0o644, IgnoreLines: ParseIgnores(b)}
	if abs != "" {
		if info, err := os.Stat(abs); err == nil {
			f.Mode = info.Mode().Perm()
		}
	}
	return f
}

var ignoreRE = regexp.MustCompile(`(?:#|//|/\*)\s*remedy:ignore\s+([A-Za-z0-9_,*-]+)[ \t]*([^\r\n]*)`)

// ParseIgnores finds the ignore directives of an HCL file, by line: HCL
// comments start with `#` or `//`.
func ParseIgnores(content []byte) map[int]scanner.Ignore {
	if !strings.Contains(string(content), "remedy:ignore") {
		return nil
	}
	out := map[int]scanner.Ignore{}
	for i, line := range strings.Split(string(content), "\n") {
		m := ignoreRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		reason := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(m[2]), "*/"))
		out[i+1] = scanner.NewIgnore(i+1, m[1], reason)
	}
	return out
}

// Parse parses HCL native syntax; an error names the file and line. A
// panic in the parser on hostile input is an error too.
func Parse(rel string, b []byte) (body *hclsyntax.Body, ferr *scanner.FileError) {
	defer func() {
		if r := recover(); r != nil {
			body, ferr = nil, &scanner.FileError{File: rel, Line: 1, Message: fmt.Sprintf("invalid HCL: the parser failed: %v", r)}
		}
	}()
	f, diags := hclsyntax.ParseConfig(b, rel, hcl.InitialPos)
	if diags.HasErrors() {
		d := diags.Errs()[0]
		var de *hcl.Diagnostic
		line := 1
		msg := d.Error()
		if errors.As(d, &de) {
			if de.Subject != nil {
				line = de.Subject.Start.Line
			}
			msg = de.Summary
			if de.Detail != "" {
				msg += ": " + de.Detail
			}
		}
		return nil, &scanner.FileError{File: rel, Line: line, Message: "invalid HCL: " + msg}
	}
	body, ok := f.Body.(*hclsyntax.Body)
	if !ok {
		return nil, &scanner.FileError{File: rel, Line: 1, Message: "invalid HCL"}
	}
	return body, nil
}

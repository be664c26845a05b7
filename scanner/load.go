package scanner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// DefaultMaxFileSize bounds the bytes read from one file, so one huge or
// hostile input cannot exhaust memory.
const DefaultMaxFileSize = 5 << 20

// maxDepth bounds the nesting of a document that remedy walks; yaml.v3 stops
// at 10,000 levels, which no Kubernetes object comes close to.
const maxDepth = 512

// StdinName is the file name reported for a stream read from standard input.
const StdinName = "<stdin>"

// SourceFile is one input file, kept byte for byte so edits can be spliced
// into it.
type SourceFile struct {
	// Path is the file's path relative to the scan root, with '/' separators.
	Path string
	// Abs is the file's path on disk; empty for standard input.
	Abs string
	// Mode is the file's permission bits, kept by in-place edits.
	Mode fs.FileMode
	// Bytes is the file's content as read.
	Bytes []byte
	// Docs are the YAML documents of the file, in order.
	Docs []*Document
	// IgnoreLines maps a 1-based line to the `# remedy:ignore` directive on it.
	IgnoreLines map[int]Ignore
}

// Document is one YAML document of a file: the byte range from its `---`
// separator line (or the file start) to the next separator.
type Document struct {
	File  *SourceFile
	Index int
	// Start and End are byte offsets into File.Bytes.
	Start, End int
	// StartLine is the 1-based file line at Start.
	StartLine int
	// Node is the document's root node, with file-absolute line numbers;
	// nil for an empty or comment-only document.
	Node *yaml.RNode
}

// Bytes returns the document's bytes.
func (d *Document) Bytes() []byte { return d.File.Bytes[d.Start:d.End] }

// Ignore is an inline `# remedy:ignore <id>[,<id>] <reason>` directive.
type Ignore struct {
	Line     int
	Controls []string
	Reason   string
}

var ignoreRE = regexp.MustCompile(`#\s*remedy:ignore\s+([A-Za-z0-9_,*-]+)[ \t]*([^\r\n]*)`)

// parseIgnores finds every ignore directive in content, by line.
func parseIgnores(content []byte) map[int]Ignore {
	if !bytes.Contains(content, []byte("remedy:ignore")) {
		return nil
	}
	out := map[int]Ignore{}
	for i, line := range bytes.Split(content, []byte("\n")) {
		m := ignoreRE.FindSubmatch(line)
		if m == nil {
			continue
		}
		ig := Ignore{Line: i + 1, Reason: strings.TrimSpace(string(m[2]))}
		for _, id := range strings.Split(string(m[1]), ",") {
			if id = strings.TrimSpace(id); id != "" {
				ig.Controls = append(ig.Controls, id)
			}
		}
		out[i+1] = ig
	}
	return out
}

var (
	bom      = []byte{0xEF, 0xBB, 0xBF}
	yamlLine = regexp.MustCompile(`line (\d+)`)
)

// ParseFile splits content into documents and parses each on its own, so one
// broken document does not hide the others. Errors name the file-absolute line.
func ParseFile(path string, content []byte) (*SourceFile, []FileError) {
	f := &SourceFile{Path: path, Bytes: content, IgnoreLines: parseIgnores(content)}
	var errs []FileError
	for i, r := range splitDocuments(content) {
		d := &Document{File: f, Index: i, Start: r.start, End: r.end, StartLine: r.line}
		f.Docs = append(f.Docs, d)
		n, err := parseDocument(content[r.start:r.end], r.line)
		if err != nil {
			errs = append(errs, FileError{File: path, Line: err.line, Message: err.msg})
			continue
		}
		d.Node = n
	}
	return f, errs
}

type docRange struct{ start, end, line int }

// isSeparator reports whether line (without its newline) is a `---`
// document marker, trailing spaces, comments or content allowed.
func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	return len(line) == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r'
}

// splitDocuments returns the byte ranges of the documents of content. Each
// range but the first starts at its separator line.
func splitDocuments(content []byte) []docRange {
	start := 0
	if bytes.HasPrefix(content, bom) {
		start = len(bom)
	}
	var out []docRange
	cur := docRange{start: start, line: 1}
	lineNo := 1
	for off := start; off < len(content); {
		end := bytes.IndexByte(content[off:], '\n')
		next := len(content)
		if end >= 0 {
			next = off + end + 1
		}
		if off > cur.start && isSeparator(content[off:next]) {
			cur.end = off
			out = append(out, cur)
			cur = docRange{start: off, line: lineNo}
		}
		off = next
		lineNo++
	}
	cur.end = len(content)
	return append(out, cur)
}

type parseError struct {
	line int
	msg  string
}

// parseDocument parses one document chunk whose first line is file line
// firstLine and shifts every node's line to be file-absolute.
func parseDocument(chunk []byte, firstLine int) (*yaml.RNode, *parseError) {
	var n yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(chunk))
	if err := dec.Decode(&n); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		line := firstLine
		if m := yamlLine.FindStringSubmatchIndex(msg); m != nil {
			rel, _ := strconv.Atoi(msg[m[2]:m[3]])
			line = firstLine + rel - 1
			msg = msg[:m[2]] + strconv.Itoa(line) + msg[m[3]:]
		}
		return nil, &parseError{line: line, msg: "invalid YAML: " + msg}
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) == 0 {
		return nil, nil
	}
	if err := fixLines(&n, firstLine-1, 0); err != nil {
		return nil, err
	}
	root := &n
	if n.Kind == yaml.DocumentNode {
		root = n.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	return yaml.NewRNode(root), nil
}

// fixLines makes node lines file-absolute and rejects what kubectl rejects
// (duplicate mapping keys) or what remedy will not walk (extreme nesting).
func fixLines(n *yaml.Node, delta, depth int) *parseError {
	if depth > maxDepth {
		return &parseError{line: n.Line + delta, msg: fmt.Sprintf("nesting deeper than %d levels", maxDepth)}
	}
	n.Line += delta
	if n.Kind == yaml.MappingNode {
		seen := make(map[string]int, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if first, dup := seen[k.Value]; dup && k.Value != "<<" {
				return &parseError{line: k.Line + delta, msg: fmt.Sprintf("duplicate key %q (first at line %d)", k.Value, first)}
			}
			seen[k.Value] = k.Line + delta
		}
	}
	for _, c := range n.Content {
		if err := fixLines(c, delta, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// LoadOptions control how inputs are read.
type LoadOptions struct {
	// MaxFileSize is the largest file read, in bytes; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Exclude reports whether a root-relative path is excluded by config.
	Exclude func(rel string) bool
	// Stdin is read when a path is "-".
	Stdin io.Reader
}

// Inputs is what a load produced: the files read and what went wrong or was skipped.
type Inputs struct {
	Root    string
	Files   []*SourceFile
	Errors  []FileError
	Skipped []Skipped
}

var skipDirs = map[string]bool{".git": true, "vendor": true, "node_modules": true}

// Load reads the manifests under paths. Relative file names in the result
// are relative to root (the first path when it is a folder).
func Load(root string, paths []string, opts LoadOptions) *Inputs {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	in := &Inputs{Root: root}
	rootAbs, _ := filepath.Abs(root)
	if real, err := filepath.EvalSymlinks(rootAbs); err == nil {
		rootAbs = real
	}
	var candidates []string
	for _, p := range paths {
		if p == "-" {
			r := opts.Stdin
			if r == nil {
				r = os.Stdin
			}
			in.readStream(r, opts.MaxFileSize)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			in.Errors = append(in.Errors, FileError{File: displayPath(root, p), Message: statMessage(err)})
			continue
		}
		if !info.IsDir() {
			candidates = append(candidates, p)
			continue
		}
		_ = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				in.Errors = append(in.Errors, FileError{File: displayPath(root, path), Message: statMessage(err)})
				return nil
			}
			if d.IsDir() {
				if path != p && skipDirs[d.Name()] {
					return filepath.SkipDir
				}
				return nil
			}
			if isManifestName(d.Name()) {
				candidates = append(candidates, path)
			}
			return nil
		})
	}
	sort.Strings(candidates)
	seen := map[string]bool{}
	for _, c := range candidates {
		rel := displayPath(root, c)
		if seen[rel] {
			continue
		}
		seen[rel] = true
		if opts.Exclude != nil && opts.Exclude(rel) {
			in.Skipped = append(in.Skipped, Skipped{File: rel, Reason: "excluded by config"})
			continue
		}
		in.readFile(rootAbs, c, rel, opts.MaxFileSize)
	}
	return in
}

func isManifestName(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func statMessage(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// displayPath makes p relative to root with '/' separators.
func displayPath(root, p string) string {
	if rel, err := filepath.Rel(root, p); err == nil && !strings.HasPrefix(rel, "..") {
		if rel == "." {
			return filepath.ToSlash(filepath.Base(p))
		}
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

func (in *Inputs) readFile(rootAbs, path, rel string, limit int64) {
	fail := func(msg string) { in.Errors = append(in.Errors, FileError{File: rel, Message: msg}) }
	linfo, err := os.Lstat(path)
	if err != nil {
		fail(statMessage(err))
		return
	}
	abs, _ := filepath.Abs(path)
	if linfo.Mode()&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			fail("broken symlink: " + statMessage(err))
			return
		}
		if r, err := filepath.Rel(rootAbs, real); err != nil || r == ".." || strings.HasPrefix(r, "../") {
			in.Skipped = append(in.Skipped, Skipped{File: rel, Reason: "symlink points outside the scanned root"})
			return
		}
	}
	info, err := os.Stat(path)
	if err != nil {
		fail(statMessage(err))
		return
	}
	if !info.Mode().IsRegular() {
		in.Skipped = append(in.Skipped, Skipped{File: rel, Reason: "not a regular file"})
		return
	}
	if info.Size() > limit {
		in.Skipped = append(in.Skipped, Skipped{File: rel, Reason: fmt.Sprintf("file is %d bytes, over the %d-byte limit (--max-file-size)", info.Size(), limit)})
		return
	}
	fh, err := os.Open(path)
	if err != nil {
		fail(statMessage(err))
		return
	}
	defer fh.Close()
	content, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		fail(statMessage(err))
		return
	}
	if int64(len(content)) > limit {
		in.Skipped = append(in.Skipped, Skipped{File: rel, Reason: fmt.Sprintf("file is over the %d-byte limit (--max-file-size)", limit)})
		return
	}
	in.add(rel, abs, info.Mode().Perm(), content)
}

func (in *Inputs) readStream(r io.Reader, limit int64) {
	content, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		in.Errors = append(in.Errors, FileError{File: StdinName, Message: err.Error()})
		return
	}
	if int64(len(content)) > limit {
		in.Errors = append(in.Errors, FileError{File: StdinName, Message: fmt.Sprintf("input is over the %d-byte limit (--max-file-size)", limit)})
		return
	}
	in.add(StdinName, "", 0, content)
}

// add parses content unless it is binary or a Helm template.
func (in *Inputs) add(rel, abs string, mode fs.FileMode, content []byte) {
	if bytes.IndexByte(content, 0) >= 0 {
		in.Skipped = append(in.Skipped, Skipped{File: rel, Reason: "binary file"})
		return
	}
	if isHelmTemplate(abs, content) {
		in.Skipped = append(in.Skipped, Skipped{File: rel, Reason: "Helm template ({{ }}): render it with `helm template … | remedy scan -`"})
		return
	}
	f, errs := ParseFile(rel, content)
	f.Abs, f.Mode = abs, mode
	if len(errs) > 0 && bytes.Contains(content, []byte("{{")) {
		in.Skipped = append(in.Skipped, Skipped{File: rel, Reason: "Go/Helm template ({{ }}) that is not YAML until rendered"})
		return
	}
	in.Errors = append(in.Errors, errs...)
	in.Files = append(in.Files, f)
}

// isHelmTemplate reports whether a file is a chart template: it holds `{{`
// and sits in a templates/ folder of a chart (a folder with Chart.yaml).
// Other files with `{{` (ConfigMaps holding alert rules, say) are scanned as
// YAML when they parse.
func isHelmTemplate(abs string, content []byte) bool {
	if abs == "" || !bytes.Contains(content, []byte("{{")) {
		return false
	}
	for dir := filepath.Dir(abs); ; {
		if filepath.Base(dir) == "templates" {
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "Chart.yaml")); err == nil {
				return true
			}
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return false
		}
		dir = parent
	}
}

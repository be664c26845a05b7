// The walker half of loading: Load finds the manifests under the paths it
// is given (skipping what is not a regular file, outside the root, binary,
// a Helm template or over the size limit), reads them and hands their bytes
// to the parser (parse.go), on every core, in path order.

package scanner

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/remedy-bot/remedy/internal/parallel"
	"github.com/remedy-bot/remedy/internal/repofs"
)

// LoadOptions control how inputs are read.
type LoadOptions struct {
	// MaxFileSize is the largest file read, in bytes; 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Exclude reports whether a root-relative path is excluded by config.
	Exclude func(rel string) bool
	// Stdin is read when a path is "-".
	Stdin io.Reader
	// Budgets bound documents per file, containers per pod and objects
	// per run (budget.go); zero fields take the defaults.
	Budgets Budgets
}

// Inputs is what a load produced: the files read and what went wrong or was skipped.
type Inputs struct {
	Root    string
	Files   []*SourceFile
	Errors  []FileError
	Skipped []Skipped
	// Named are os.Stat's answers for the paths Load was given, in their
	// order: nil for standard input and for a path that could not be
	// stat'ed. render.Load reads them rather than ask again.
	Named []fs.FileInfo
}

var skipDirs = map[string]bool{".git": true, "vendor": true, "node_modules": true}

// candidate is a file found by Load, not yet read.
type candidate struct {
	path, rel string
	// typ is the file's type bits from the directory walk; typeKnown is
	// false for files named on the command line, which are Lstat-ed.
	typ       fs.FileMode
	typeKnown bool
}

// loaded is what reading one candidate produced: a split file, or a reason
// it was skipped, or an error.
type loaded struct {
	rel     string
	file    *SourceFile
	skipped string
	err     *FileError
}

// Load reads the manifests under paths. Relative file names in the result
// are relative to root (the first path when it is a folder). Files are read
// and parsed in parallel; the result is in path order regardless.
func Load(root string, paths []string, opts LoadOptions) *Inputs {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	in := &Inputs{Root: root}
	rootAbs := ResolvedPath(root)
	// The paths named (a shell glob: hundreds) are looked at on every
	// core: os.Stat's answer, and the type of a path that is not a link
	// (os.Lstat's), which readCandidate then need not ask again.
	infos := make([]fs.FileInfo, len(paths))
	statErrs := make([]error, len(paths))
	types := make([]fs.FileMode, len(paths))
	parallel.ForEach(len(paths), func(i int) {
		if paths[i] == "-" {
			return
		}
		infos[i], statErrs[i] = os.Lstat(paths[i])
		if statErrs[i] != nil || infos[i].Mode()&fs.ModeSymlink != 0 {
			types[i] = fs.ModeSymlink
			infos[i], statErrs[i] = os.Stat(paths[i])
		} else {
			types[i] = infos[i].Mode().Type()
		}
	})
	in.Named = make([]fs.FileInfo, len(paths))
	for i := range paths {
		if statErrs[i] == nil {
			in.Named[i] = infos[i]
		}
	}
	var found []candidate
	for i, p := range paths {
		if p == "-" {
			r := opts.Stdin
			if r == nil {
				r = os.Stdin
			}
			in.readStream(r, opts.MaxFileSize, opts.Budgets.WithDefaults())
			continue
		}
		found = append(found, in.walk(root, p, infos[i], statErrs[i], types[i])...)
	}
	// By display name, so that one file named twice ("./a.yaml" and the
	// folder holding it) is read once.
	sort.SliceStable(found, func(i, j int) bool { return found[i].rel < found[j].rel })
	found = slices.CompactFunc(found, func(a, b candidate) bool { return a.rel == b.rel })
	results := make([]loaded, len(found))
	parallel.ForEach(len(found), func(i int) {
		if opts.Exclude != nil && opts.Exclude(found[i].rel) {
			results[i] = loaded{rel: found[i].rel, skipped: "excluded by config"}
			return
		}
		results[i] = readCandidate(rootAbs, found[i], opts.MaxFileSize, opts.Budgets.WithDefaults())
	})
	var files []*SourceFile
	for _, r := range results {
		if r.err == nil && r.skipped == "" {
			files = append(files, r.file)
		}
	}
	docErrs := parseAll(files)
	for _, r := range results {
		switch {
		case r.err != nil:
			in.Errors = append(in.Errors, *r.err)
		case r.skipped != "":
			in.Skipped = append(in.Skipped, Skipped{File: r.rel, Reason: r.skipped})
		default:
			in.addParsed(r.file, docErrs[r.file])
		}
	}
	in.ApplyBudgets(opts.Budgets)
	return in
}

// walk returns the manifest files at p: p itself when it is a file, else
// every manifest below it outside the skipped folders. info and err are
// os.Stat's of p; typ is os.Lstat's type of p, or ModeSymlink when p is a
// link or Lstat failed (readCandidate then looks again).
func (in *Inputs) walk(root, p string, info fs.FileInfo, err error, typ fs.FileMode) []candidate {
	if err != nil {
		in.Errors = append(in.Errors, FileError{File: displayPath(root, p), Message: statMessage(err)})
		return nil
	}
	if !info.IsDir() {
		return []candidate{{path: p, rel: displayPath(root, p), typ: typ, typeKnown: typ&fs.ModeSymlink == 0}}
	}
	var out []candidate
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
			out = append(out, candidate{path: path, rel: displayPath(root, path), typ: d.Type(), typeKnown: true})
		}
		return nil
	})
	return out
}

// parseAll parses every document of files in parallel, largest first so
// that one huge document does not finish last on a lone worker, and returns
// each file's errors in document order.
func parseAll(files []*SourceFile) map[*SourceFile][]FileError {
	var docs []*Document
	for _, f := range files {
		docs = append(docs, f.Docs...)
	}
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		da, db := docs[order[a]], docs[order[b]]
		return da.End-da.Start > db.End-db.Start
	})
	errs := make([]*FileError, len(docs))
	parallel.ForEach(len(order), func(i int) {
		errs[order[i]] = docs[order[i]].parse()
	})
	out := map[*SourceFile][]FileError{}
	for i, err := range errs {
		if err != nil {
			out[docs[i].File] = append(out[docs[i].File], *err)
		}
	}
	return out
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
	if rel, err := filepath.Rel(root, p); err == nil && !isOutside(rel) {
		if rel == "." {
			return filepath.ToSlash(filepath.Base(p))
		}
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

// isOutside reports whether a path made relative by filepath.Rel climbs
// out of its base. A name that merely starts with ".." ("..data") does not.
func isOutside(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// readCandidate reads one file, or says why it was skipped or failed.
func readCandidate(rootAbs string, c candidate, limit int64, budgets Budgets) loaded {
	fail := func(msg string) loaded { return loaded{rel: c.rel, err: &FileError{File: c.rel, Message: msg}} }
	skip := func(reason string) loaded { return loaded{rel: c.rel, skipped: reason} }
	typ := c.typ
	if !c.typeKnown {
		linfo, err := os.Lstat(c.path)
		if err != nil {
			return fail(statMessage(err))
		}
		typ = linfo.Mode().Type()
	}
	abs, _ := filepath.Abs(c.path)
	if typ&fs.ModeSymlink != 0 {
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return fail("broken symlink: " + statMessage(err))
		}
		if r, err := filepath.Rel(rootAbs, real); err != nil || isOutside(r) {
			return skip("symlink points outside the scanned root")
		}
		info, err := os.Stat(real)
		if err != nil {
			return fail(statMessage(err))
		}
		typ = info.Mode().Type()
	}
	// Checked before opening: opening a FIFO would block. The open does
	// not block either (O_NONBLOCK), and what was opened is checked again,
	// so a file swapped for a FIFO or device meanwhile is never read.
	if !typ.IsRegular() {
		return skip("not a regular file (" + repofs.Kind(typ) + ")")
	}
	fh, err := os.OpenFile(c.path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return fail(statMessage(err))
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return fail(statMessage(err))
	}
	if !info.Mode().IsRegular() {
		return skip("not a regular file (" + repofs.Kind(info.Mode()) + ")")
	}
	if info.Size() > limit {
		return skip(fmt.Sprintf("file is %d bytes, over the %d-byte limit (--max-file-size; serve: limits.maxFileSize)", info.Size(), limit))
	}
	// The file is read as Stat saw it, in one read: bytes appended
	// meanwhile are not part of this scan, and the limit holds.
	content := make([]byte, info.Size())
	n, err := io.ReadFull(fh, content)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fail(statMessage(err))
	}
	content = content[:n]
	content, encoding, err := DecodeUnicode(content)
	if err != nil {
		return fail(err.Error())
	}
	if reason := skipReason(abs, content); reason != "" {
		return skip(reason)
	}
	f := splitFile(c.rel, content)
	if msg := budgets.tooManyDocuments(len(f.Docs)); msg != "" {
		return fail(msg)
	}
	f.Abs, f.Mode, f.Encoding = abs, info.Mode().Perm(), encoding
	return loaded{rel: c.rel, file: f}
}

func (in *Inputs) readStream(r io.Reader, limit int64, budgets Budgets) {
	content, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		in.Errors = append(in.Errors, FileError{File: StdinName, Message: err.Error()})
		return
	}
	if int64(len(content)) > limit {
		in.Errors = append(in.Errors, FileError{File: StdinName, Message: fmt.Sprintf("input is over the %d-byte limit (--max-file-size; serve: limits.maxFileSize)", limit)})
		return
	}
	content, encoding, err := DecodeUnicode(content)
	if err != nil {
		in.Errors = append(in.Errors, FileError{File: StdinName, Message: err.Error()})
		return
	}
	if reason := skipReason("", content); reason != "" {
		in.Skipped = append(in.Skipped, Skipped{File: StdinName, Reason: reason})
		return
	}
	f := splitFile(StdinName, content)
	if msg := budgets.tooManyDocuments(len(f.Docs)); msg != "" {
		in.Errors = append(in.Errors, FileError{File: StdinName, Message: msg})
		return
	}
	errs := f.parseDocs()
	f.Encoding = encoding
	in.addParsed(f, errs)
}

// skipReason says why content is not scanned at all: it is binary, or a
// Helm chart template. abs is empty for standard input.
func skipReason(abs string, content []byte) string {
	if bytes.IndexByte(content, 0) >= 0 {
		return "binary file"
	}
	if isHelmTemplate(abs, content) {
		return "Helm template ({{ }}): render it with `helm template … | remedy scan -`"
	}
	return ""
}

// addParsed records a parsed file and its errors, unless the errors come
// from Go template syntax, which is not YAML until rendered.
func (in *Inputs) addParsed(f *SourceFile, errs []FileError) {
	if len(errs) > 0 && bytes.Contains(f.Bytes, []byte("{{")) {
		in.Skipped = append(in.Skipped, Skipped{File: f.Path, Reason: "Go/Helm template ({{ }}) that is not YAML until rendered"})
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

// Package repofs reads the files of a repository, which remedy does not
// trust.
//
// A repository is written by people who are not the operator of the bot
// that reads it: anyone who can open a pull request chooses its files. A
// file can be a symlink to /proc/self/environ (the bot's tokens), to
// /etc/passwd or to another repository's clone; a FIFO that blocks the
// reader forever; a link to /dev/zero that never ends. Every read of
// repository content — .remedy.yaml, PR templates, manifests, chart files,
// kustomize's file system, the files of a reviewed pull request — goes
// through this package, so that one place says what a read may do:
//
//   - stay inside the repository: paths and symlinks are resolved by
//     os.Root (os.OpenRoot), which refuses `..` and any symlink that leaves
//     the tree; symlinks that stay inside are followed;
//   - read regular files only: a FIFO, socket, device or folder is refused,
//     and files are opened with O_NONBLOCK so a FIFO never blocks the open;
//   - read at most a size limit, through an io.LimitReader, so a file that
//     grows while read (or lies about its size) cannot exhaust memory.
//
// Errors name the file relative to the repository root, never an absolute
// path of the host, and never content.
package repofs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// DefaultMaxFileSize is the read limit when none is given: the scanner's
// default --max-file-size.
const DefaultMaxFileSize = 5 << 20

// Sentinel errors, for callers that skip rather than fail.
var (
	// ErrOutside is a path or symlink that leads outside the repository.
	ErrOutside = errors.New("leads outside the repository")
	// ErrNotRegular is a FIFO, socket, device or folder where a file was wanted.
	ErrNotRegular = errors.New("not a regular file")
	// ErrTooLarge is a file over the read limit.
	ErrTooLarge = errors.New("over the size limit")
)

// Repo is a repository folder opened for confined reads. It holds an open
// file descriptor of the folder: Close it.
type Repo struct {
	root *os.Root
	// dirs are the folder as given and with symlinks resolved, absolute:
	// absolute paths below either are accepted by Rel.
	dirs    []string
	maxSize int64
}

// Open opens the repository at dir. maxSize bounds each read; 0 or less
// means DefaultMaxFileSize.
func Open(dir string, maxSize int64) (*Repo, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxFileSize
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, unwrapPath(err))
	}
	r := &Repo{root: root, dirs: []string{abs}, maxSize: maxSize}
	if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
		r.dirs = append(r.dirs, real)
	}
	return r, nil
}

// Close releases the folder's descriptor.
func (r *Repo) Close() error { return r.root.Close() }

// Dir is the repository folder, absolute.
func (r *Repo) Dir() string { return r.dirs[0] }

// MaxFileSize is the read limit of ReadFile.
func (r *Repo) MaxFileSize() int64 { return r.maxSize }

// Rel turns a path into the repository-relative name the other methods
// take: an absolute path must be below the repository folder; a relative
// one is taken as relative to it. Names are cleaned; `..` that climbs out
// is ErrOutside. The result uses the host's separators ("." for the root).
func (r *Repo) Rel(p string) (string, error) {
	if !filepath.IsAbs(p) {
		rel := filepath.Clean(filepath.FromSlash(p))
		if isOutside(rel) {
			return "", &fs.PathError{Op: "open", Path: filepath.ToSlash(p), Err: ErrOutside}
		}
		return rel, nil
	}
	for _, d := range r.dirs {
		if rel, err := filepath.Rel(d, filepath.Clean(p)); err == nil && !isOutside(rel) {
			return rel, nil
		}
	}
	return "", &fs.PathError{Op: "open", Path: filepath.Base(p), Err: ErrOutside}
}

// ReadFile reads the regular file name (repository-relative, or absolute
// below the repository) up to the repository's size limit.
func (r *Repo) ReadFile(name string) ([]byte, error) {
	return r.ReadFileMax(name, r.maxSize)
}

// ReadFileMax is ReadFile with its own limit.
func (r *Repo) ReadFileMax(name string, limit int64) ([]byte, error) {
	rel, err := r.Rel(name)
	if err != nil {
		return nil, err
	}
	show := filepath.ToSlash(rel)
	f, err := r.open(rel)
	if err != nil {
		return nil, pathError("read", show, err)
	}
	defer f.Close()
	return readRegular(f, show, limit)
}

// open opens rel without blocking: O_NONBLOCK makes opening a FIFO return
// at once (a FIFO then fails the regular-file check), and has no effect on
// regular files.
func (r *Repo) open(rel string) (*os.File, error) {
	return r.root.OpenFile(rel, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// Stat describes name, following symlinks that stay inside the repository.
func (r *Repo) Stat(name string) (fs.FileInfo, error) {
	rel, err := r.Rel(name)
	if err != nil {
		return nil, err
	}
	info, err := r.root.Stat(rel)
	if err != nil {
		return nil, pathError("stat", filepath.ToSlash(rel), err)
	}
	return info, nil
}

// Lstat describes name itself: a symlink is reported as one.
func (r *Repo) Lstat(name string) (fs.FileInfo, error) {
	rel, err := r.Rel(name)
	if err != nil {
		return nil, err
	}
	info, err := r.root.Lstat(rel)
	if err != nil {
		return nil, pathError("lstat", filepath.ToSlash(rel), err)
	}
	return info, nil
}

// IsRegular reports whether name is a regular file inside the repository
// (following symlinks that stay inside).
func (r *Repo) IsRegular(name string) bool {
	info, err := r.Stat(name)
	return err == nil && info.Mode().IsRegular()
}

// IsDir reports whether name is a folder inside the repository
// (following symlinks that stay inside).
func (r *Repo) IsDir(name string) bool {
	info, err := r.Stat(name)
	return err == nil && info.IsDir()
}

// ReadDir lists the folder name, sorted by file name.
func (r *Repo) ReadDir(name string) ([]fs.DirEntry, error) {
	rel, err := r.Rel(name)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(r.root.FS(), filepath.ToSlash(rel))
	if err != nil {
		return nil, pathError("readdir", filepath.ToSlash(rel), err)
	}
	return entries, nil
}

// ReadFile reads the file name of the repository at dir: Open, ReadFile,
// Close, for callers that read one file.
func ReadFile(dir, name string, maxSize int64) ([]byte, error) {
	r, err := Open(dir, maxSize)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return r.ReadFile(name)
}

// ReadRegularFile reads a file named by the operator (a command-line
// argument, not a repository's choice) with the same guards but no
// confinement: regular files only, opened without blocking, at most limit
// bytes. Symlinks are followed.
func ReadRegularFile(path string, limit int64) ([]byte, error) {
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, pathError("read", path, err)
	}
	defer f.Close()
	return readRegular(f, path, limit)
}

// readRegular reads f, which must be a regular file, up to limit bytes.
func readRegular(f *os.File, show string, limit int64) ([]byte, error) {
	info, err := f.Stat()
	if err != nil {
		return nil, pathError("read", show, err)
	}
	if !info.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: show, Err: fmt.Errorf("%w (%s)", ErrNotRegular, Kind(info.Mode()))}
	}
	if info.Size() > limit {
		return nil, tooLarge(show, info.Size(), limit)
	}
	// Sized by Stat, read through the limit: a file that grows meanwhile,
	// or a proc file that says it is empty, still stops at limit+1 bytes.
	b := make([]byte, 0, min(info.Size(), limit)+1)
	lr := io.LimitReader(f, limit+1)
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := lr.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, pathError("read", show, err)
		}
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(show, -1, limit)
	}
	return b, nil
}

func tooLarge(show string, size, limit int64) error {
	if size >= 0 {
		return &fs.PathError{Op: "read", Path: show, Err: fmt.Errorf("%w: the file is %d bytes, over the %d-byte limit", ErrTooLarge, size, limit)}
	}
	return &fs.PathError{Op: "read", Path: show, Err: fmt.Errorf("%w: the file is over the %d-byte limit", ErrTooLarge, limit)}
}

// Kind names a file mode for messages: "named pipe (FIFO)", "folder"...
func Kind(m fs.FileMode) string {
	switch {
	case m.IsRegular():
		return "regular file"
	case m.IsDir():
		return "folder"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// pathError rewraps err (often an *fs.PathError of os.Root, whose path and
// operation name the syscall) as one naming show, with os.Root's escape
// error turned into ErrOutside.
func pathError(op, show string, err error) error {
	return &fs.PathError{Op: op, Path: show, Err: unwrapPath(err)}
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	// os.Root reports a path or symlink that leaves it with an unexported
	// error, "path escapes from parent".
	if strings.Contains(err.Error(), "escapes from parent") {
		return ErrOutside
	}
	return err
}

// isOutside reports whether a path made relative by filepath.Rel climbs
// out of its base. A name that merely starts with ".." ("..data") does not.
func isOutside(rel string) bool {
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel)
}

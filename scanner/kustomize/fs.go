package kustomize

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/remedy-bot/remedy/internal/repofs"
	"github.com/remedy-bot/remedy/scanner"
)

// errReadOnly is returned by every write: a build never changes the repository.
var errReadOnly = errors.New("remedy builds read-only")

// sandbox is the file system a build sees: the disk below top, read-only,
// with some files replaced in memory (kustomization files carrying trace
// markers; edited sources while a fix is verified). Every file read is
// recorded, with the bytes it had before any replacement by a marker: those
// are the files the build consumed.
type sandbox struct {
	disk filesys.FileSystem
	// repo reads files: confined to top, regular files only, size-limited.
	repo *repofs.Repo
	// top is the folder reads are confined to, absolute, symlinks resolved.
	top     string
	maxSize int64
	// replace holds content that stands in for the disk, by absolute path.
	replace map[string][]byte

	// real resolves symlinks, once per path: kustomize asks about the
	// same folders and files many times in a build, and the builds of
	// one scan share their bases.
	real *scanner.RealPaths

	mu sync.Mutex
	// read records the files read, by absolute path.
	read map[string]bool
}

var _ filesys.FileSystem = (*sandbox)(nil)

// newSandbox opens the sandbox of the repository at top; Close it. real
// may be shared with other builds of the same scan (nil: the sandbox's own).
func newSandbox(top string, maxSize int64, replace map[string][]byte, real *scanner.RealPaths) (*sandbox, error) {
	r := make(map[string][]byte, len(replace))
	for k, v := range replace {
		r[k] = v
	}
	repo, err := repofs.Open(top, maxSize)
	if err != nil {
		return nil, err
	}
	if real == nil {
		real = &scanner.RealPaths{}
	}
	return &sandbox{disk: filesys.MakeFsOnDisk(), repo: repo, top: top, maxSize: maxSize, replace: r, real: real, read: map[string]bool{}}, nil
}

// inside reports whether p, made absolute and with symlinks resolved as far
// as it exists, is below top.
func (s *sandbox) inside(p string) (string, bool) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false
	}
	real := abs
	if r, err := s.real.Eval(abs); err == nil {
		real = r
	} else if _, ok := s.replace[abs]; !ok {
		// A missing path: check its folder, which may exist.
		if r, err := s.real.Eval(filepath.Dir(abs)); err == nil {
			real = filepath.Join(r, filepath.Base(abs))
		}
	}
	rel, err := filepath.Rel(s.top, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return abs, false
	}
	return abs, true
}

func outside(p string) error {
	return &fs.PathError{Op: "open", Path: p, Err: fmt.Errorf("outside the repository: %w", fs.ErrNotExist)}
}

// ReadFile reads a file below top, or its replacement.
func (s *sandbox) ReadFile(p string) ([]byte, error) {
	abs, ok := s.inside(p)
	if !ok {
		return nil, outside(p)
	}
	if b, ok := s.replace[abs]; ok {
		s.record(abs)
		return b, nil
	}
	if s.repo.IsDir(abs) {
		// What os.ReadFile says: kustomize tries a resource as a file first.
		return nil, &fs.PathError{Op: "read", Path: p, Err: syscall.EISDIR}
	}
	b, err := s.repo.ReadFile(abs)
	if errors.Is(err, repofs.ErrTooLarge) {
		return nil, fmt.Errorf("%w (--max-file-size; serve: limits.maxFileSize)", err)
	}
	if err != nil {
		return nil, err
	}
	s.record(abs)
	return b, nil
}

// refused is the error reading p gives when p is there but the sandbox
// does not show it (a symlink out of the repository), else nil: "no
// kustomization file" would not say why.
func (s *sandbox) refused(p string) error {
	if _, err := s.repo.Lstat(p); err != nil {
		return nil
	}
	if _, err := s.repo.ReadFile(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Close releases the repository folder.
func (s *sandbox) Close() error { return s.repo.Close() }

func (s *sandbox) record(abs string) {
	s.mu.Lock()
	s.read[abs] = true
	s.mu.Unlock()
}

// Read returns the files read so far, by absolute path.
func (s *sandbox) Read() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.read))
	for p := range s.read {
		out = append(out, p)
	}
	return out
}

// Open is refused: kustomize reads whole files through ReadFile.
func (s *sandbox) Open(p string) (filesys.File, error) {
	if _, ok := s.inside(p); !ok {
		return nil, outside(p)
	}
	return nil, &fs.PathError{Op: "open", Path: p, Err: errors.New("remedy reads whole files only")}
}

func (s *sandbox) Exists(p string) bool {
	abs, ok := s.inside(p)
	if !ok {
		return false
	}
	if _, ok := s.replace[abs]; ok {
		return true
	}
	return s.disk.Exists(abs)
}

func (s *sandbox) IsDir(p string) bool {
	abs, ok := s.inside(p)
	return ok && s.disk.IsDir(abs)
}

func (s *sandbox) ReadDir(p string) ([]string, error) {
	abs, ok := s.inside(p)
	if !ok {
		return nil, outside(p)
	}
	return s.disk.ReadDir(abs)
}

func (s *sandbox) CleanedAbs(p string) (filesys.ConfirmedDir, string, error) {
	if _, ok := s.inside(p); !ok {
		return "", "", outside(p)
	}
	return s.disk.CleanedAbs(p)
}

func (s *sandbox) Glob(pattern string) ([]string, error) {
	matches, err := s.disk.Glob(pattern)
	if err != nil {
		return nil, err
	}
	out := matches[:0]
	for _, m := range matches {
		if _, ok := s.inside(m); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

func (s *sandbox) Walk(p string, fn filepath.WalkFunc) error {
	abs, ok := s.inside(p)
	if !ok {
		return outside(p)
	}
	return s.disk.Walk(abs, fn)
}

func (s *sandbox) Create(string) (filesys.File, error) { return nil, errReadOnly }
func (s *sandbox) Mkdir(string) error                  { return errReadOnly }
func (s *sandbox) MkdirAll(string) error               { return errReadOnly }
func (s *sandbox) RemoveAll(string) error              { return errReadOnly }
func (s *sandbox) WriteFile(string, []byte) error      { return errReadOnly }

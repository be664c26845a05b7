package githubtest

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/http/cgi"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-github/v89/github"
)

// Repo is a handle on a repository created by CreateRepo.
type Repo struct {
	Owner    string
	Name     string
	FullName string // owner/name
	CloneURL string // smart HTTP URL; authenticate with basic auth, password = a token
	Dir      string // path of the bare repository on disk

	s *Server
}

// SetArchived marks the repository archived (read-only) or not.
func (r *Repo) SetArchived(v bool) { r.update(func(rp *repoState) { rp.archived = v }) }

// SetPrivate makes the repository private or public.
func (r *Repo) SetPrivate(v bool) { r.update(func(rp *repoState) { rp.private = v }) }

// SetFork marks the repository as a fork or not.
func (r *Repo) SetFork(v bool) { r.update(func(rp *repoState) { rp.fork = v }) }

func (r *Repo) update(f func(*repoState)) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	rp := r.s.mustRepo(r.Owner, r.Name)
	f(rp)
	rp.updated = now()
}

type repoState struct {
	id            int64
	owner, name   string
	dir           string
	defaultBranch string
	private       bool
	archived      bool
	fork          bool
	created       time.Time
	updated       time.Time

	nextNumber     int // issue/PR numbers
	pulls          []*pull
	issues         []*issue
	perms          map[string]string // lower login → permission
	labels         map[string]*github.Label
	comments       []*issueComment
	reviews        []*review
	reviewComments []*reviewComment
	statuses       []*commitStatus
	checkRuns      []*github.CheckRun
	cache          map[string]any // answers that depend on commit SHAs only
}

func (rp *repoState) fullName() string { return rp.owner + "/" + rp.name }

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// CreateRepo creates owner/name as a bare repository whose default branch
// "main" holds one commit (author "Test <test@example.com>", fixed date) with
// files (path → content; nil or empty gives an empty tree).
func (s *Server) CreateRepo(owner, name string, files map[string]string) *Repo {
	s.t.Helper()
	if !nameRE.MatchString(owner) || !nameRE.MatchString(name) || strings.HasSuffix(name, ".git") {
		s.t.Fatalf("githubtest: CreateRepo: bad owner/name %q/%q", owner, name)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(owner + "/" + name)
	if s.repos[key] != nil {
		s.t.Fatalf("githubtest: CreateRepo: %s/%s exists", owner, name)
	}
	dir := filepath.Join(s.root, owner, name+".git")
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		s.t.Fatalf("githubtest: %v", err)
	}
	if _, err := s.git("", nil, nil, "init", "--bare", "--quiet", "--initial-branch="+DefaultBranch, dir); err != nil {
		s.t.Fatalf("githubtest: %v", err)
	}
	if err := appendFile(filepath.Join(dir, "config"), "[http]\n\treceivepack = true\n[receive]\n\tdenyDeleteCurrent = refuse\n"); err != nil {
		s.t.Fatalf("githubtest: %v", err)
	}
	rp := &repoState{
		id: s.newID(), owner: owner, name: name, dir: dir, defaultBranch: DefaultBranch,
		created: now(), updated: now(), nextNumber: 1,
		perms: map[string]string{}, labels: map[string]*github.Label{}, cache: map[string]any{},
	}
	if _, err := s.commit(rp, DefaultBranch, "", files, "Initial commit"); err != nil {
		s.t.Fatalf("githubtest: CreateRepo: %v", err)
	}
	s.repos[key] = rp
	s.repoOrder = append(s.repoOrder, rp)
	s.userID(owner)
	return &Repo{Owner: owner, Name: name, FullName: owner + "/" + name, CloneURL: s.cloneURL(rp), Dir: dir, s: s}
}

func (s *Server) cloneURL(rp *repoState) string {
	return s.URL + "/git/" + rp.owner + "/" + rp.name + ".git"
}

// CloneURL is the smart HTTP URL of owner/repo.
func (s *Server) CloneURL(owner, repo string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cloneURL(s.mustRepo(owner, repo))
}

// GitDir is the path of the bare repository of owner/repo.
func (s *Server) GitDir(owner, repo string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mustRepo(owner, repo).dir
}

// BranchSHA is the tip of branch in owner/repo, or "" if there is none.
func (s *Server) BranchSHA(owner, repo, branch string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tips(s.mustRepo(owner, repo))[branch]
}

// Symlink is a file content that CreateRepo and CommitFiles write as a
// symbolic link to target (git mode 120000), as a hostile repository may
// hold one.
func Symlink(target string) string { return symlinkPrefix + target }

const symlinkPrefix = "\x00forgetest-symlink\x00"

// CommitFiles commits files (path → content, or Deleted) on branch of
// owner/repo directly in the bare repository, as if somebody had pushed, and
// returns the new commit's SHA. A missing branch is created from the default
// branch.
func (s *Server) CommitFiles(owner, repo, branch string, files map[string]string, message string) string {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	tips := s.tips(rp)
	parent := tips[branch]
	if parent == "" {
		parent = tips[rp.defaultBranch]
	}
	sha, err := s.commit(rp, branch, parent, files, message)
	if err != nil {
		s.t.Fatalf("githubtest: CommitFiles: %v", err)
	}
	return sha
}

// ReadFile returns the content of path at ref (branch, tag or SHA) in
// owner/repo, and whether it exists.
func (s *Server) ReadFile(owner, repo, ref, path string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	out, err := s.git(rp.dir, nil, nil, "cat-file", "blob", ref+":"+path)
	if err != nil {
		return "", false
	}
	return out, true
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (s *Server) newID() int64 {
	s.nextID++
	return s.nextID
}

// mustRepo finds a repository or fails the test.
func (s *Server) mustRepo(owner, name string) *repoState {
	s.t.Helper()
	rp := s.repos[strings.ToLower(owner+"/"+name)]
	if rp == nil {
		s.t.Fatalf("githubtest: no repository %s/%s", owner, name)
	}
	return rp
}

// git runs git in dir (a bare repository, or "" for none).
func (s *Server) git(dir string, stdin []byte, env []string, args ...string) (string, error) {
	if dir != "" {
		args = append([]string{"--git-dir=" + dir}, args...)
	}
	cmd := exec.Command(s.gitBin, args...)
	cmd.Env = append([]string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.home,
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_TERMINAL_PROMPT=0",
		"LC_ALL=C",
	}, env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// tips maps branch names to their tip commits.
func (s *Server) tips(rp *repoState) map[string]string {
	m := map[string]string{}
	for ref, sha := range s.readRefs(rp, "refs/heads/") {
		m[strings.TrimPrefix(ref, "refs/heads/")] = sha
	}
	return m
}

// resolveRef returns the object a full ref name points at, or "".
func (s *Server) resolveRef(rp *repoState, ref string) string {
	return s.readRefs(rp, ref)[ref]
}

// readRefs reads the refs under prefix (or the ref named prefix) straight from
// the bare repository (packed-refs, then loose refs), which is much cheaper
// than a git process per API request. Symbolic refs are skipped.
func (s *Server) readRefs(rp *repoState, prefix string) map[string]string {
	m := map[string]string{}
	if packed, err := os.ReadFile(filepath.Join(rp.dir, "packed-refs")); err == nil {
		for _, line := range strings.Split(string(packed), "\n") {
			sha, ref, ok := strings.Cut(line, " ")
			if ok && len(sha) == 40 && strings.HasPrefix(ref, prefix) {
				m[ref] = sha
			}
		}
	}
	root := filepath.Join(rp.dir, filepath.FromSlash(strings.TrimSuffix(prefix, "/")))
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, ".lock") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		sha := strings.TrimSpace(string(b))
		rel, err := filepath.Rel(rp.dir, path)
		if err != nil || len(sha) != 40 {
			return nil
		}
		m[filepath.ToSlash(rel)] = sha
		return nil
	})
	return m
}

// commitExists reports whether sha names a commit in rp.
func (s *Server) commitExists(rp *repoState, sha string) (string, bool) {
	out, err := s.git(rp.dir, nil, nil, "rev-parse", "--verify", "--quiet", sha+"^{commit}")
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(out), true
}

func (s *Server) isAncestor(rp *repoState, a, b string) bool {
	_, err := s.git(rp.dir, nil, nil, "merge-base", "--is-ancestor", a, b)
	return err == nil
}

func (s *Server) mergeBase(rp *repoState, a, b string) string {
	out, err := s.git(rp.dir, nil, nil, "merge-base", a, b)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// commitDate gives deterministic commit dates: 2024-01-01 plus a minute per
// commit the server writes.
func (s *Server) commitDate() string {
	s.commitSeq++
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	return fmt.Sprintf("%d +0000", base+int64(s.commitSeq)*60)
}

// commit writes a commit on branch with parent (or none) applying files,
// using git fast-import, which refuses to move an existing branch to a
// commit that does not contain its current tip.
func (s *Server) commit(rp *repoState, branch, parent string, files map[string]string, message string) (string, error) {
	date := s.commitDate()
	var in bytes.Buffer
	fmt.Fprintf(&in, "commit refs/heads/%s\nmark :1\n", branch)
	fmt.Fprintf(&in, "author Test <test@example.com> %s\ncommitter Test <test@example.com> %s\n", date, date)
	fmt.Fprintf(&in, "data %d\n%s\n", len(message), message)
	if parent != "" {
		fmt.Fprintf(&in, "from %s\n", parent)
	}
	for _, p := range slices.Sorted(maps.Keys(files)) {
		if files[p] == Deleted {
			fmt.Fprintf(&in, "D %s\n", p)
			continue
		}
		if target, ok := strings.CutPrefix(files[p], symlinkPrefix); ok {
			fmt.Fprintf(&in, "M 120000 inline %s\ndata %d\n%s\n", p, len(target), target)
			continue
		}
		fmt.Fprintf(&in, "M 100644 inline %s\ndata %d\n%s\n", p, len(files[p]), files[p])
	}
	// get-mark answers on the cat-blob fd, which defaults to stdout.
	fmt.Fprintf(&in, "get-mark :1\n")
	out, err := s.git(rp.dir, in.Bytes(), nil, "fast-import", "--quiet", "--date-format=raw")
	if err != nil {
		return "", err
	}
	sha := strings.TrimSpace(out)
	if len(sha) != 40 {
		return "", fmt.Errorf("fast-import answered %q", out)
	}
	return sha, nil
}

// merge merges head into base for a pull request and returns the new base tip.
// method is merge, squash or rebase (rebase is done as squash).
func (s *Server) merge(rp *repoState, p *pull, method, title, message string) (string, error) {
	tips := s.tips(rp)
	baseTip, headTip := tips[p.base], s.headSHA(rp, p, tips)
	if baseTip == "" || headTip == "" {
		return "", errors.New("branch missing")
	}
	tree, err := s.git(rp.dir, nil, nil, "merge-tree", "--write-tree", baseTip, headTip)
	if err != nil {
		return "", fmt.Errorf("merge conflict: %w", err)
	}
	tree = strings.TrimSpace(strings.SplitN(tree, "\n", 2)[0])
	if title == "" {
		title = fmt.Sprintf("Merge pull request #%d from %s/%s", p.number, rp.owner, p.head)
		if method != "merge" {
			title = fmt.Sprintf("%s (#%d)", p.title, p.number)
		}
	}
	msg := title
	if message != "" {
		msg += "\n\n" + message
	}
	args := []string{"commit-tree", tree, "-p", baseTip}
	if method == "merge" {
		args = append(args, "-p", headTip)
	}
	date := s.commitDate()
	env := []string{
		"GIT_AUTHOR_NAME=Test", "GIT_AUTHOR_EMAIL=test@example.com", "GIT_AUTHOR_DATE=" + date,
		"GIT_COMMITTER_NAME=GitHub", "GIT_COMMITTER_EMAIL=noreply@github.com", "GIT_COMMITTER_DATE=" + date,
	}
	out, err := s.git(rp.dir, []byte(msg), env, args...)
	if err != nil {
		return "", err
	}
	sha := strings.TrimSpace(out)
	if _, err := s.git(rp.dir, nil, nil, "update-ref", "refs/heads/"+p.base, sha, baseTip); err != nil {
		return "", err
	}
	return sha, nil
}

// mergeable reports whether head merges cleanly into base (cached).
func (s *Server) mergeable(rp *repoState, baseTip, headTip string) bool {
	key := "mergeable " + baseTip + " " + headTip
	if v, ok := rp.cache[key].(bool); ok {
		return v
	}
	_, err := s.git(rp.dir, nil, nil, "merge-tree", "--write-tree", "--no-messages", baseTip, headTip)
	rp.cache[key] = err == nil
	return err == nil
}

// ---------------------------------------------------------------------------
// smart HTTP

var gitPathRE = regexp.MustCompile(`^/git/([^/]+)/([^/]+?)(?:\.git)?(/.*)?$`)

func (s *Server) serveGit(w http.ResponseWriter, r *http.Request) {
	m := gitPathRE.FindStringSubmatch(r.URL.Path)
	if m == nil {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	var id *identity
	if _, pass, ok := r.BasicAuth(); ok {
		id = s.tokens[pass]
		if id != nil && !id.expires.IsZero() && time.Now().After(id.expires) {
			id = nil
		}
	}
	if id == nil {
		s.mu.Unlock()
		w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
		http.Error(w, "Invalid username or token. Password authentication is not supported for Git operations.", http.StatusUnauthorized)
		return
	}
	rp := s.repos[strings.ToLower(m[1]+"/"+m[2])]
	if rp == nil || !s.canRead(id, rp) {
		s.mu.Unlock()
		http.Error(w, "Repository not found.", http.StatusNotFound)
		return
	}
	push := r.URL.Query().Get("service") == "git-receive-pack" || strings.HasSuffix(m[3], "/git-receive-pack")
	if push && rp.archived {
		s.mu.Unlock()
		http.Error(w, "This repository was archived so it is read-only.", http.StatusForbidden)
		return
	}
	if push && !s.canPush(id, rp) {
		s.mu.Unlock()
		s.t.Logf("githubtest: push to %s denied to %s (permission %q)", rp.fullName(), id.login, s.permission(rp, id.login))
		http.Error(w, fmt.Sprintf("Permission to %s.git denied to %s.", rp.fullName(), id.login), http.StatusForbidden)
		return
	}
	canonical := "/git/" + rp.owner + "/" + rp.name + ".git" + m[3]
	s.mu.Unlock()

	h := &cgi.Handler{
		Path: s.gitBin,
		Args: []string{"http-backend"},
		Root: "/git",
		Env: []string{
			"GIT_PROJECT_ROOT=" + s.root,
			"GIT_HTTP_EXPORT_ALL=1",
			"HOME=" + s.home,
			"GIT_CONFIG_NOSYSTEM=1",
			"REMOTE_USER=" + id.login,
		},
		Stderr: logWriter{s.t},
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = canonical
	r2.URL.RawPath = ""
	h.ServeHTTP(w, r2)
}

// logWriter sends git http-backend's stderr to the test log.
type logWriter struct{ t testing.TB }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Logf("githubtest: git http-backend: %s", strings.TrimSpace(string(p)))
	return len(p), nil
}

package gitops

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/remedy-bot/remedy/internal/repofs"
)

// Identity is a commit signature's name and email.
type Identity struct {
	Name  string
	Email string
}

// The default identity of remedy's commits. The noreply address keeps a
// real mailbox out of public history.
const (
	DefaultBotName  = "remedy[bot]"
	DefaultBotEmail = "remedy-bot@users.noreply.github.com"
)

// DefaultBot is the default identity of remedy's commits.
func DefaultBot() Identity { return Identity{Name: DefaultBotName, Email: DefaultBotEmail} }

// Commit describes a commit of the workspace or of a fetched branch.
type Commit struct {
	SHA       string
	Tree      string
	Parents   []string
	Author    Identity
	Committer Identity
	Message   string
}

// ErrLeaseBroken is returned by Push when the remote branch no longer
// points where the caller last saw it: somebody else pushed.
var ErrLeaseBroken = errors.New("the remote branch moved since it was read")

// CloneOptions configure Clone.
type CloneOptions struct {
	// URL is the repository's HTTPS clone URL. It must not carry
	// credentials: the token is passed to each operation instead, so no
	// URL, .git/config or error message ever holds it.
	URL string
	// Branch is the base branch, cloned alone at depth 1.
	Branch string
	// Token authenticates as basic auth "x-access-token:<token>", which
	// GitHub accepts for installation and personal tokens alike.
	Token string
	// Dir receives the working tree; empty means a new temporary folder
	// that Close removes.
	Dir string
}

// Workspace is a shallow clone of a repository's base branch with the
// remote's branch heads as they were when it was cloned.
type Workspace struct {
	// Dir is the working tree of the base branch, for scanning.
	Dir    string
	Base   string
	repo   *git.Repository
	auth   *githttp.BasicAuth
	remote map[string]string // branch → head SHA, from the ref advertisement
	base   *object.Commit
	temp   bool
}

// Clone clones o.Branch of o.URL at depth 1 and lists the remote's branches.
func Clone(ctx context.Context, o CloneOptions) (*Workspace, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("clone URL %q is not a URL", o.URL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("clone URL of %s carries credentials; pass the token instead", u.Host+u.Path)
	}
	w := &Workspace{Dir: o.Dir, Base: o.Branch, auth: &githttp.BasicAuth{Username: "x-access-token", Password: o.Token}}
	if w.Dir == "" {
		if w.Dir, err = os.MkdirTemp("", fmt.Sprintf("%s%d-", clonePrefix, os.Getpid())); err != nil {
			return nil, fmt.Errorf("clone %s: %w", u.Path, err)
		}
		w.temp = true
	}
	w.repo, err = git.PlainCloneContext(ctx, w.Dir, false, &git.CloneOptions{
		URL:           o.URL,
		Auth:          w.auth,
		ReferenceName: plumbing.NewBranchReferenceName(o.Branch),
		SingleBranch:  true,
		Depth:         1,
		Tags:          git.NoTags,
	})
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("clone %s branch %s: %w", strings.TrimSuffix(u.Path, ".git"), o.Branch, err)
	}
	head, err := w.repo.Head()
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("clone %s: head: %w", u.Path, err)
	}
	if w.base, err = w.repo.CommitObject(head.Hash()); err != nil {
		w.Close()
		return nil, fmt.Errorf("clone %s: base commit: %w", u.Path, err)
	}
	if err := w.listRemote(ctx); err != nil {
		w.Close()
		return nil, err
	}
	return w, nil
}

// listRemote records the remote's branch heads (git ls-remote; free of
// API rate limits).
func (w *Workspace) listRemote(ctx context.Context) error {
	rem, err := w.repo.Remote("origin")
	if err != nil {
		return fmt.Errorf("remote origin: %w", err)
	}
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: w.auth})
	if err != nil {
		return fmt.Errorf("list remote branches: %w", err)
	}
	w.remote = map[string]string{}
	for _, r := range refs {
		if r.Name().IsBranch() && r.Type() == plumbing.HashReference {
			w.remote[r.Name().Short()] = r.Hash().String()
		}
	}
	return nil
}

// Close removes the working tree if Clone created it.
func (w *Workspace) Close() error {
	if w.temp && w.Dir != "" {
		return os.RemoveAll(w.Dir)
	}
	return nil
}

// BaseHead is the SHA of the cloned base branch head.
func (w *Workspace) BaseHead() string { return w.base.Hash.String() }

// RemoteHead is the head of a remote branch when the workspace was cloned.
func (w *Workspace) RemoteHead(branch string) (string, bool) {
	sha, ok := w.remote[branch]
	return sha, ok
}

// RemoteBranches lists the remote branches starting with prefix, sorted.
func (w *Workspace) RemoteBranches(prefix string) []string {
	var out []string
	for b := range w.remote {
		if strings.HasPrefix(b, prefix) {
			out = append(out, b)
		}
	}
	sort.Strings(out)
	return out
}

// MaxTemplateFileSize bounds a file read by ReadFile: PR templates are
// small, and a repository's choice of file must not fill memory.
const MaxTemplateFileSize = 1 << 20

// ReadFile reads a file of the base branch by its slash path, confined to
// the working tree (repofs): the repository chooses the path — PR
// templates named in .remedy.yaml — so a symlink that leaves the tree
// (to /proc/self/environ, whose tokens would be pushed in a commit), a
// FIFO or a device is refused, and the size is bounded.
func (w *Workspace) ReadFile(rel string) ([]byte, error) {
	clean := path.Clean("/" + rel)[1:]
	if clean == "" || strings.HasPrefix(clean, ".git/") || clean == ".git" {
		return nil, fmt.Errorf("read %q: not a file of the repository", rel)
	}
	// Nor through a link into .git, which is git's, not the branch's.
	if real, err := filepath.EvalSymlinks(filepath.Join(w.Dir, filepath.FromSlash(clean))); err == nil {
		if top, err := filepath.EvalSymlinks(w.Dir); err == nil {
			if r, err := filepath.Rel(top, real); err == nil && (r == ".git" || strings.HasPrefix(r, ".git"+string(filepath.Separator))) {
				return nil, fmt.Errorf("read %s: links into .git, which is not a file of the repository", clean)
			}
		}
	}
	return repofs.ReadFile(w.Dir, clean, MaxTemplateFileSize)
}

// Commit writes a commit on the base head that sets files (slash path →
// content) and returns it; nothing is checked out or pushed. The commit is
// a function of its inputs: author and committer are bot, dated like the
// base head, so the same fixes on the same base give the same SHA.
func (w *Workspace) Commit(files map[string][]byte, message string, bot Identity) (Commit, error) {
	tree, err := w.writeTree(w.base.TreeHash, files)
	if err != nil {
		return Commit{}, fmt.Errorf("write tree: %w", err)
	}
	sig := object.Signature{Name: bot.Name, Email: bot.Email, When: w.base.Committer.When.UTC().Truncate(time.Second)}
	c := &object.Commit{
		Author:       sig,
		Committer:    sig,
		Message:      message,
		TreeHash:     tree,
		ParentHashes: []plumbing.Hash{w.base.Hash},
	}
	obj := w.repo.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return Commit{}, fmt.Errorf("encode commit: %w", err)
	}
	h, err := w.repo.Storer.SetEncodedObject(obj)
	if err != nil {
		return Commit{}, fmt.Errorf("store commit: %w", err)
	}
	c.Hash = h
	return commitInfo(c), nil
}

// writeTree stores the tree at h (zero: an empty tree) with changes
// (paths relative to it) applied, and returns its hash. Existing entries
// keep their mode, so an executable stays executable.
func (w *Workspace) writeTree(h plumbing.Hash, changes map[string][]byte) (plumbing.Hash, error) {
	var entries []object.TreeEntry
	if !h.IsZero() {
		t, err := object.GetTree(w.repo.Storer, h)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		entries = append(entries, t.Entries...)
	}
	index := map[string]int{}
	for i, e := range entries {
		index[e.Name] = i
	}
	set := func(e object.TreeEntry) {
		if i, ok := index[e.Name]; ok {
			entries[i] = e
			return
		}
		index[e.Name] = len(entries)
		entries = append(entries, e)
	}
	subdirs := map[string]map[string][]byte{}
	for p, content := range changes {
		dir, rest, nested := strings.Cut(p, "/")
		if nested {
			if subdirs[dir] == nil {
				subdirs[dir] = map[string][]byte{}
			}
			subdirs[dir][rest] = content
			continue
		}
		blob := w.repo.Storer.NewEncodedObject()
		blob.SetType(plumbing.BlobObject)
		blob.SetSize(int64(len(content)))
		wr, err := blob.Writer()
		if err != nil {
			return plumbing.ZeroHash, err
		}
		if _, err := wr.Write(content); err != nil {
			return plumbing.ZeroHash, err
		}
		if err := wr.Close(); err != nil {
			return plumbing.ZeroHash, err
		}
		bh, err := w.repo.Storer.SetEncodedObject(blob)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		mode := filemode.Regular
		if i, ok := index[p]; ok && entries[i].Mode != filemode.Dir {
			mode = entries[i].Mode
		}
		set(object.TreeEntry{Name: p, Mode: mode, Hash: bh})
	}
	for dir, sub := range subdirs {
		var old plumbing.Hash
		if i, ok := index[dir]; ok && entries[i].Mode == filemode.Dir {
			old = entries[i].Hash
		}
		sh, err := w.writeTree(old, sub)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		set(object.TreeEntry{Name: dir, Mode: filemode.Dir, Hash: sh})
	}
	// Git orders entries by name, comparing a folder as if its name ended in "/".
	key := func(e object.TreeEntry) string {
		if e.Mode == filemode.Dir {
			return e.Name + "/"
		}
		return e.Name
	}
	sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
	obj := w.repo.Storer.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return w.repo.Storer.SetEncodedObject(obj)
}

// Inspect fetches a remote branch's head (depth 1) and describes it.
func (w *Workspace) Inspect(ctx context.Context, branch string) (Commit, error) {
	sha, ok := w.remote[branch]
	if !ok {
		return Commit{}, fmt.Errorf("inspect branch %s: no such remote branch", branch)
	}
	h := plumbing.NewHash(sha)
	if _, err := w.repo.CommitObject(h); err != nil {
		tracking := plumbing.NewRemoteReferenceName("origin", branch)
		spec := gitconfig.RefSpec("+" + plumbing.NewBranchReferenceName(branch).String() + ":" + tracking.String())
		err := w.repo.FetchContext(ctx, &git.FetchOptions{RefSpecs: []gitconfig.RefSpec{spec}, Depth: 1, Auth: w.auth, Tags: git.NoTags})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return Commit{}, fmt.Errorf("fetch branch %s: %w", branch, err)
		}
	}
	c, err := w.repo.CommitObject(h)
	if err != nil {
		return Commit{}, fmt.Errorf("inspect branch %s: %w", branch, err)
	}
	return commitInfo(c), nil
}

// Push points the remote branch at sha, a commit made by Commit. lease is
// the head the caller saw ("" for a branch that must not exist yet): the
// push is refused with ErrLeaseBroken if the branch moved since, so a
// human's commit is never overwritten.
func (w *Workspace) Push(ctx context.Context, branch, sha, lease string) error {
	local := plumbing.NewBranchReferenceName(branch)
	if err := w.repo.Storer.SetReference(plumbing.NewHashReference(local, plumbing.NewHash(sha))); err != nil {
		return fmt.Errorf("push %s: set local branch: %w", branch, err)
	}
	opts := &git.PushOptions{RemoteName: "origin", Auth: w.auth}
	if lease == "" {
		// A plain (non-force) push fails if the branch appeared meanwhile.
		opts.RefSpecs = []gitconfig.RefSpec{gitconfig.RefSpec(local.String() + ":" + local.String())}
	} else {
		// go-git reads the lease's ref name through the remote-tracking
		// ref, which a depth-1 clone of another branch lacks.
		tracking := plumbing.NewRemoteReferenceName("origin", branch)
		if err := w.repo.Storer.SetReference(plumbing.NewHashReference(tracking, plumbing.NewHash(lease))); err != nil {
			return fmt.Errorf("push %s: set tracking branch: %w", branch, err)
		}
		opts.RefSpecs = []gitconfig.RefSpec{gitconfig.RefSpec("+" + local.String() + ":" + local.String())}
		opts.ForceWithLease = &git.ForceWithLease{RefName: local, Hash: plumbing.NewHash(lease)}
	}
	err := w.repo.PushContext(ctx, opts)
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) && w.listRemote(ctx) == nil && w.remote[branch] == sha {
		// Another run pushed the very same commit first (commits are a
		// function of their inputs): the branch is where this run wanted
		// it, so the push succeeded in all but name.
		err = nil
	}
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
	case strings.Contains(err.Error(), "non-fast-forward"):
		return fmt.Errorf("push %s: %w", branch, ErrLeaseBroken)
	default:
		return fmt.Errorf("push %s: %w", branch, err)
	}
	w.remote[branch] = sha
	return nil
}

// Forget drops a branch from the remote heads, after it was deleted.
func (w *Workspace) Forget(branch string) { delete(w.remote, branch) }

func commitInfo(c *object.Commit) Commit {
	out := Commit{
		SHA:       c.Hash.String(),
		Tree:      c.TreeHash.String(),
		Author:    Identity{Name: c.Author.Name, Email: c.Author.Email},
		Committer: Identity{Name: c.Committer.Name, Email: c.Committer.Email},
		Message:   c.Message,
	}
	for _, p := range c.ParentHashes {
		out.Parents = append(out.Parents, p.String())
	}
	return out
}

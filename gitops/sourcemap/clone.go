package sourcemap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// Cloner checks out a repository at a revision and returns the folder.
type Cloner interface {
	Checkout(ctx context.Context, repoURL, revision string) (string, error)
}

// GitCloner clones over HTTP(S) with go-git, each repository and revision
// once, into temporary folders that Close removes. An SSH URL
// (git@github.com:acme/shop.git, ssh://git@github.com/acme/shop) is
// cloned from https://<host>/<path>: remedy holds no SSH key and reads no
// Secret, so a repository it can read is a public one or the forge's.
type GitCloner struct {
	// ForgeHost is the configured forge's host (github.com, a GHES host):
	// repositories there are cloned with Token as the basic-auth password,
	// every other host anonymously, so the token never leaves for a host
	// it was not made for.
	ForgeHost string
	Token     string

	mu    sync.Mutex
	dirs  map[string]checkout
	temps []string
	// sshBase, in tests, serves an SSH URL's host from a local HTTP
	// server's base URL instead of https://<host>.
	sshBase map[string]string
}

type checkout struct {
	dir string
	err error
}

// commitRE matches an abbreviated or full commit SHA.
var commitRE = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

// Checkout clones repoURL at revision: a branch or tag (shallow), a commit
// (full clone, then checkout), or the default branch when revision is empty.
func (c *GitCloner) Checkout(ctx context.Context, repoURL, revision string) (string, error) {
	key := repoURL + "\x00" + revision
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dirs == nil {
		c.dirs = map[string]checkout{}
	}
	if co, ok := c.dirs[key]; ok {
		return co.dir, co.err
	}
	via := c.cloneURL(repoURL)
	dir, err := c.clone(ctx, via, revision)
	switch {
	case err != nil && via != repoURL:
		err = fmt.Errorf("clone %s (over HTTPS, as %s) at %s: %w", repoURL, via, orDefault(revision), err)
	case err != nil:
		err = fmt.Errorf("clone %s at %s: %w", repoURL, orDefault(revision), err)
	}
	c.dirs[key] = checkout{dir, err}
	return dir, err
}

func orDefault(rev string) string {
	if rev == "" {
		return "the default branch"
	}
	return rev
}

// cloneURL is the HTTP(S) URL repoURL is cloned from.
func (c *GitCloner) cloneURL(repoURL string) string {
	if u, ok := parseRepoURL(repoURL); ok && u.ssh && c.sshBase[u.host] != "" {
		return c.sshBase[u.host] + u.path
	}
	return cloneURL(repoURL)
}

// auth is the token for a clone URL on the forge's host, nil elsewhere.
func (c *GitCloner) auth(url string) transport.AuthMethod {
	if c.Token != "" && c.ForgeHost != "" && RepoHost(url) == strings.ToLower(c.ForgeHost) {
		return &githttp.BasicAuth{Username: "x-access-token", Password: c.Token}
	}
	return nil
}

// clone clones url, an http(s) URL.
func (c *GitCloner) clone(ctx context.Context, repoURL, revision string) (string, error) {
	if u, ok := parseRepoURL(repoURL); !ok || u.ssh {
		return "", errors.New("not an HTTP(S) or SSH URL of a remote repository")
	}
	try := func(ref plumbing.ReferenceName, depth int) (string, error) {
		dir, err := os.MkdirTemp("", "remedy-source-")
		if err != nil {
			return "", err
		}
		c.temps = append(c.temps, dir)
		_, err = git.PlainCloneContext(ctx, dir, false, &git.CloneOptions{
			URL: repoURL, Auth: c.auth(repoURL), ReferenceName: ref, SingleBranch: ref != "",
			Depth: depth, Tags: git.NoTags,
		})
		return dir, err
	}
	if revision == "" {
		return try("", 1)
	}
	dir, err := try(plumbing.NewBranchReferenceName(revision), 1)
	if err == nil {
		return dir, nil
	}
	if ctx.Err() != nil || !isNoSuchRef(err) {
		return "", err
	}
	if dir, err = try(plumbing.NewTagReferenceName(revision), 1); err == nil {
		return dir, nil
	}
	if !commitRE.MatchString(revision) || !isNoSuchRef(err) {
		return "", fmt.Errorf("no branch or tag %s: %w", revision, err)
	}
	dir, err = try("", 0)
	if err != nil {
		return "", err
	}
	repo, err := git.PlainOpen(dir)
	if err != nil {
		return "", err
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(revision))
	if err != nil {
		return "", fmt.Errorf("no commit %s: %w", revision, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", err
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: *hash, Force: true}); err != nil {
		return "", fmt.Errorf("checkout %s: %w", revision, err)
	}
	return dir, nil
}

func isNoSuchRef(err error) bool {
	var noMatch git.NoMatchingRefSpecError
	return errors.As(err, &noMatch) || errors.Is(err, plumbing.ErrReferenceNotFound) ||
		strings.Contains(err.Error(), "couldn't find remote ref")
}

// Close removes every checkout.
func (c *GitCloner) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, d := range c.temps {
		errs = append(errs, os.RemoveAll(d))
	}
	c.temps, c.dirs = nil, nil
	return errors.Join(errs...)
}

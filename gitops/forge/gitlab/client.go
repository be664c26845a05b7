// Package gitlab is remedy's GitLab driver (gitlab.com and self-managed):
// the gitops forge seam (Host, Forge) and the extras of reviews, commit
// statuses, permissions and webhooks, over GitLab's REST API v4 with
// gitlab.com/gitlab-org/api/client-go.
//
// In GitLab's words a pull request is a merge request, a comment a note,
// a repository a project and its owner a group (subgroups nested, "a/b")
// or a user. remedy's repository names are the projects' full paths:
// owner is the namespace's full path, name the project's path.
//
// Data enters as Options (New) and as the calls of the gitops seam and of
// the service's tasks; it leaves as GitLab API requests and as gitops
// values (RepoInfo, PullRequest, …). ParseWebhook turns a delivery's
// payload into a webhook.Event. Shared HTTP plumbing is forgehttp's.
package gitlab

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/forgehttp"
)

// DefaultURL is gitlab.com's web address.
const DefaultURL = "https://gitlab.com/"

// Options configure New.
type Options struct {
	// URL is the web base URL of the GitLab instance (default gitlab.com),
	// with its relative URL root if it has one; the API is under api/v4.
	URL string
	// Token is a personal, group or project access token (GITLAB_TOKEN),
	// sent as PRIVATE-TOKEN on each request; it appears in no URL, log
	// or error.
	Token string
	// Transport sends the requests; nil means a clone of
	// http.DefaultTransport with a response header timeout.
	Transport http.RoundTripper
	// UserAgent defaults to "remedy".
	UserAgent string
	// Retries bounds client-go's retries of rate limits and server errors
	// (default 4); -1 disables them, for tests.
	Retries int
	Log     *slog.Logger
}

// ErrNoToken is returned by New without a token; it is a gitops.ErrNoToken.
var ErrNoToken error = forgehttp.NoTokenError("no GitLab token: set GITLAB_TOKEN")

// Client is one GitLab instance: the gitops.Host of its projects.
type Client struct {
	gl   *gl.Client
	log  *slog.Logger
	self *forgehttp.Login
}

var _ gitops.Host = (*Client)(nil)

// New returns the Client of the GitLab instance at o.URL.
func New(o Options) (*Client, error) {
	if o.Token == "" {
		return nil, ErrNoToken
	}
	u, err := forgehttp.APIRoot("GitLab", cmp.Or(o.URL, DefaultURL), "api/v4", "https://gitlab.example.com/")
	if err != nil {
		return nil, err
	}
	o.Transport = forgehttp.Transport(o.Transport)
	o.UserAgent = cmp.Or(o.UserAgent, forgehttp.UserAgent)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	opts := []gl.ClientOptionFunc{
		gl.WithBaseURL(u.String()),
		gl.WithHTTPClient(&http.Client{Transport: o.Transport}),
		gl.WithUserAgent(o.UserAgent),
	}
	switch {
	case o.Retries < 0:
		opts = append(opts, gl.WithoutRetries())
	case o.Retries > 0:
		opts = append(opts, gl.WithCustomRetryMax(int(o.Retries)))
	default:
		opts = append(opts, gl.WithCustomRetryMax(4))
	}
	c, err := gl.NewClient(o.Token, opts...)
	if err != nil {
		return nil, fmt.Errorf("gitlab client: %w", err)
	}
	return &Client{gl: c, log: o.Log, self: &forgehttp.Login{}}, nil
}

// isStatus reports whether err is a GitLab answer with status.
func isStatus(err error, status int) bool {
	if status == http.StatusNotFound && errors.Is(err, gl.ErrNotFound) {
		return true
	}
	var er *gl.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == status
}

func projectInfo(p *gl.Project) gitops.RepoInfo {
	owner := ""
	if p.Namespace != nil {
		owner = p.Namespace.FullPath
	}
	if owner == "" {
		owner, _, _ = cutLast(p.PathWithNamespace)
	}
	return gitops.RepoInfo{
		Owner: owner, Name: p.Path, FullName: p.PathWithNamespace, DefaultBranch: p.DefaultBranch,
		CloneURL: p.HTTPURLToRepo, HTMLURL: p.WebURL, Archived: p.Archived, Fork: p.ForkedFromProject != nil,
	}
}

// cutLast splits "group/sub/project" at its last slash.
func cutLast(full string) (owner, name string, ok bool) {
	i := strings.LastIndex(full, "/")
	if i < 0 {
		return "", full, false
	}
	return full[:i], full[i+1:], true
}

// Repository implements gitops.Host: owner is the namespace's full path.
func (c *Client) Repository(ctx context.Context, owner, name string) (gitops.RepoInfo, error) {
	p, _, err := c.gl.Projects.GetProject(owner+"/"+name, nil, gl.WithContext(ctx))
	if err != nil {
		return gitops.RepoInfo{}, fmt.Errorf("get project %s/%s: %w", owner, name, err)
	}
	return projectInfo(p), nil
}

// Forge implements gitops.Host.
func (c *Client) Forge(owner, name string) gitops.Forge { return c.Repo(owner, name) }

// Repo is the Forge of project owner/name.
func (c *Client) Repo(owner, name string) *Forge {
	return &Forge{c: c, pid: owner + "/" + name}
}

// ListRepositories lists the projects of a group, its subgroups' included,
// or, when owner is not a group, of a user.
func (c *Client) ListRepositories(ctx context.Context, owner string) ([]gitops.RepoInfo, error) {
	gopt := &gl.ListGroupProjectsOptions{ListOptions: gl.ListOptions{PerPage: 100}, IncludeSubGroups: gl.Ptr(true)}
	notGroup := false
	out, err := forgehttp.Pages(0, func(page int64) ([]gitops.RepoInfo, int64, error) {
		gopt.Page = page
		ps, resp, err := c.gl.Groups.ListGroupProjects(owner, gopt, gl.WithContext(ctx))
		if isStatus(err, http.StatusNotFound) && page == 0 {
			notGroup = true
			return nil, 0, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("list projects of %s: %w", owner, err)
		}
		var out []gitops.RepoInfo
		for _, p := range ps {
			out = append(out, projectInfo(p))
		}
		return out, resp.NextPage, nil
	})
	if notGroup {
		return c.listUserProjects(ctx, owner)
	}
	return out, err
}

func (c *Client) listUserProjects(ctx context.Context, user string) ([]gitops.RepoInfo, error) {
	opt := &gl.ListProjectsOptions{ListOptions: gl.ListOptions{PerPage: 100}, Owned: gl.Ptr(true)}
	return forgehttp.Pages(0, func(page int64) ([]gitops.RepoInfo, int64, error) {
		opt.Page = page
		ps, resp, err := c.gl.Projects.ListUserProjects(user, opt, gl.WithContext(ctx))
		if err != nil {
			return nil, 0, fmt.Errorf("list projects of %s: %w", user, err)
		}
		var out []gitops.RepoInfo
		for _, p := range ps {
			out = append(out, projectInfo(p))
		}
		return out, resp.NextPage, nil
	})
}

// BotLogin is the username of the token's user, the account remedy acts as.
func (c *Client) BotLogin(ctx context.Context) (string, error) {
	u, _, err := c.gl.Users.CurrentUser(gl.WithContext(ctx))
	if err != nil {
		return "", err
	}
	return u.Username, nil
}

// userID resolves a username to its ID.
func (c *Client) userID(ctx context.Context, username string) (int64, error) {
	username = strings.TrimPrefix(username, "@")
	us, _, err := c.gl.Users.ListUsers(&gl.ListUsersOptions{Username: gl.Ptr(username)}, gl.WithContext(ctx))
	if err != nil {
		return 0, fmt.Errorf("user %s: %w", username, err)
	}
	for _, u := range us {
		if strings.EqualFold(u.Username, username) {
			return u.ID, nil
		}
	}
	return 0, fmt.Errorf("user %s: no such user", username)
}

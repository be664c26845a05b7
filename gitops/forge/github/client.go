// Package github is remedy's GitHub driver: the one package that speaks
// GitHub's REST API (over go-github), with GitHub App authentication and the
// retrying, conditional-request (ETag) transports. It implements the forge
// seam of package gitops (Host, Forge) and the extras that tasks and the
// server ask of a forge: reviews, commit statuses, permissions, webhooks.
//
// Data enters as Options (New, NewAppTokenSource) and as the calls of the
// gitops seam and of the service's tasks; it leaves as GitHub API requests
// and as gitops values (RepoInfo, PullRequest, …). ParseWebhook turns a
// delivery's payload into a webhook.Event. Shared HTTP plumbing is
// forgehttp's.
package github

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	gogithub "github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/forgehttp"
)

// Options configure newGoGitHub.
type Options struct {
	// APIURL is the REST API root: empty or https://api.github.com for
	// github.com, https://HOST/api/v3 for GitHub Enterprise Server (the
	// value of GITHUB_API_URL in GitHub Actions).
	APIURL string
	// Token authenticates every request (GITHUB_TOKEN) when Tokens is nil.
	Token string
	// Tokens authenticates each request with the token of the repository
	// owner its path names, such as an AppTokenSource; nil means
	// gitops.StaticToken(Token).
	Tokens gitops.TokenSource
	// Transport sends the requests; nil means a clone of
	// http.DefaultTransport with a response header timeout.
	Transport http.RoundTripper
	// Cache keeps answers for conditional requests; nil means a MemoryCache.
	Cache ResponseCache
	// Retry tunes retries; newGoGitHub sets its Base and, when nil, Log.
	Retry RetryTransport
	// UserAgent defaults to "remedy".
	UserAgent string
	Log       *slog.Logger
}

// OptionsFromEnv reads GITHUB_API_URL and GITHUB_TOKEN.
func OptionsFromEnv(getenv func(string) string) Options {
	return Options{APIURL: getenv("GITHUB_API_URL"), Token: getenv("GITHUB_TOKEN")}
}

// ErrNoToken is returned by New without a token; it is a gitops.ErrNoToken.
var ErrNoToken error = forgehttp.NoTokenError("no GitHub token: set GITHUB_TOKEN")

// newGoGitHub returns a go-github client for o.APIURL that retries
// transient failures and revalidates GET answers with ETags. The token is
// set on each request and appears in no URL, log or error.
func newGoGitHub(o Options) (*gogithub.Client, error) {
	tokens := o.Tokens
	if tokens == nil {
		if o.Token == "" {
			return nil, ErrNoToken
		}
		tokens = gitops.StaticToken(o.Token)
	}
	cache := o.Cache
	if cache == nil {
		cache = &MemoryCache{}
	}
	auth := &tokenTransport{base: &ETagTransport{Base: retrying(o.Retry, o.Transport, o.Log), Cache: cache}, tokens: tokens}
	opts, err := clientOptions(auth, o.UserAgent, o.APIURL)
	if err != nil {
		return nil, err
	}
	if _, static := tokens.(gitops.StaticToken); !static {
		// go-github remembers one rate limit per client, but each owner's
		// token has its own: one exhausted must not stop the others.
		opts = append(opts, gogithub.WithDisableRateLimitCheck())
	}
	c, err := gogithub.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("github client: %w", err)
	}
	for _, root := range []string{c.BaseURL(), c.UploadURL()} {
		if u, err := url.Parse(root); err == nil {
			auth.roots = append(auth.roots, u.Path)
		}
	}
	return c, nil
}

// Client is one GitHub (github.com or an Enterprise Server): the
// gitops.Host of its repositories.
type Client struct {
	gh *gogithub.Client
	// self is the login the client acts as, once known (nil: not kept).
	self *forgehttp.Login
}

var _ gitops.Host = (*Client)(nil)

// New returns the Client for o.APIURL, see newGoGitHub.
func New(o Options) (*Client, error) {
	gh, err := newGoGitHub(o)
	if err != nil {
		return nil, err
	}
	// A GitHub App's installations have no user to ask about.
	self := &forgehttp.Login{}
	if _, app := o.Tokens.(*AppTokenSource); app {
		self = forgehttp.KnownLogin("")
	}
	return &Client{gh: gh, self: self}, nil
}

// retrying is r retrying over base (forgehttp.Transport when nil),
// logging to log unless r has a log of its own.
func retrying(r RetryTransport, base http.RoundTripper, log *slog.Logger) *RetryTransport {
	r.Base = forgehttp.Transport(base)
	if r.Log == nil {
		r.Log = log
	}
	return &r
}

// clientOptions are the go-github options of every client of apiURL: rt
// sends the requests, as userAgent (forgehttp.UserAgent when empty), to
// github.com or the Enterprise Server apiURL names.
func clientOptions(rt http.RoundTripper, userAgent, apiURL string) ([]gogithub.ClientOptionsFunc, error) {
	opts := []gogithub.ClientOptionsFunc{
		gogithub.WithTransport(rt),
		gogithub.WithUserAgent(cmp.Or(userAgent, forgehttp.UserAgent)),
	}
	api, upload, ok, err := enterpriseURLs(apiURL)
	if err != nil {
		return nil, err
	}
	if ok {
		opts = append(opts, gogithub.WithEnterpriseURLs(api, upload))
	}
	return opts, nil
}

// enterpriseURLs derives the API and upload roots of a GitHub Enterprise
// Server from its API URL. ok is false for github.com.
func enterpriseURLs(apiURL string) (api, upload string, ok bool, err error) {
	if apiURL == "" {
		return "", "", false, nil
	}
	u, err := url.Parse(apiURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", "", false, fmt.Errorf("GITHUB_API_URL %q: want an http(s) URL such as https://ghe.example.com/api/v3", apiURL)
	}
	if strings.EqualFold(u.Host, "api.github.com") {
		return "", "", false, nil
	}
	api = strings.TrimSuffix(u.String(), "/") + "/"
	// GHES serves uploads beside the API: /api/v3 → /api/uploads.
	up := *u
	up.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v3") + "/uploads/"
	if !strings.HasPrefix(up.Path, "/api/") {
		up.Path = "/api/uploads/"
	}
	return api, up.String(), true, nil
}

// BotLogin is the login of the token's user, the account remedy acts as.
func (c *Client) BotLogin(ctx context.Context) (string, error) {
	u, _, err := c.gh.Users.Get(ctx, "")
	if err != nil {
		return "", err
	}
	return u.GetLogin(), nil
}

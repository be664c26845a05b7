// Package github is remedy's GitHub driver: the one package that speaks
// GitHub's REST API (over go-github), with GitHub App authentication and the
// retrying, conditional-request (ETag) transports. It implements the forge
// seam of package gitops (Host, Forge) and the extras that tasks and the
// server ask of a forge: reviews, commit statuses, permissions, webhooks.
package github

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	gogithub "github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/gitops"
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
var ErrNoToken error = noTokenError{}

type noTokenError struct{}

func (noTokenError) Error() string        { return "no GitHub token: set GITHUB_TOKEN" }
func (noTokenError) Is(target error) bool { return target == gitops.ErrNoToken }

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
	base := o.Transport
	if base == nil {
		base = defaultTransport()
	}
	retry := o.Retry
	retry.Base = base
	if retry.Log == nil {
		retry.Log = o.Log
	}
	cache := o.Cache
	if cache == nil {
		cache = &MemoryCache{}
	}
	ua := o.UserAgent
	if ua == "" {
		ua = "remedy"
	}
	auth := &tokenTransport{base: &ETagTransport{Base: &retry, Cache: cache}, tokens: tokens}
	opts := []gogithub.ClientOptionsFunc{
		gogithub.WithTransport(auth),
		gogithub.WithUserAgent(ua),
	}
	if _, static := tokens.(gitops.StaticToken); !static {
		// go-github remembers one rate limit per client, but each owner's
		// token has its own: one exhausted must not stop the others.
		opts = append(opts, gogithub.WithDisableRateLimitCheck())
	}
	if api, upload, ok, err := enterpriseURLs(o.APIURL); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, gogithub.WithEnterpriseURLs(api, upload))
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
	self *selfLogin
}

var _ gitops.Host = (*Client)(nil)

// New returns the Client for o.APIURL, see newGoGitHub.
func New(o Options) (*Client, error) {
	gh, err := newGoGitHub(o)
	if err != nil {
		return nil, err
	}
	return &Client{gh: gh, self: &selfLogin{}}, nil
}

// defaultTransport is a clone of http.DefaultTransport that gives up on a
// server that does not answer within a minute.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return t
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

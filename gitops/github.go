package gitops

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/go-github/v89/github"
)

// GitHubOptions configure NewGitHubClient.
type GitHubOptions struct {
	// APIURL is the REST API root: empty or https://api.github.com for
	// github.com, https://HOST/api/v3 for GitHub Enterprise Server (the
	// value of GITHUB_API_URL in GitHub Actions).
	APIURL string
	// Token authenticates every request (GITHUB_TOKEN) when Tokens is nil.
	Token string
	// Tokens authenticates each request with the token of the repository
	// owner its path names, such as an AppTokenSource; nil means
	// StaticToken(Token).
	Tokens TokenSource
	// Transport sends the requests; nil means a clone of
	// http.DefaultTransport with a response header timeout.
	Transport http.RoundTripper
	// Cache keeps answers for conditional requests; nil means a MemoryCache.
	Cache ResponseCache
	// Retry tunes retries; NewGitHubClient sets its Base and, when nil, Log.
	Retry RetryTransport
	// UserAgent defaults to "remedy".
	UserAgent string
	Log       *slog.Logger
}

// GitHubOptionsFromEnv reads GITHUB_API_URL and GITHUB_TOKEN.
func GitHubOptionsFromEnv(getenv func(string) string) GitHubOptions {
	return GitHubOptions{APIURL: getenv("GITHUB_API_URL"), Token: getenv("GITHUB_TOKEN")}
}

// ErrNoToken is returned by NewGitHubClient without a token.
var ErrNoToken = errors.New("no GitHub token: set GITHUB_TOKEN")

// NewGitHubClient returns a go-github client for o.APIURL that retries
// transient failures and revalidates GET answers with ETags. The token is
// set on each request and appears in no URL, log or error.
func NewGitHubClient(o GitHubOptions) (*github.Client, error) {
	tokens := o.Tokens
	if tokens == nil {
		if o.Token == "" {
			return nil, ErrNoToken
		}
		tokens = StaticToken(o.Token)
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
	opts := []github.ClientOptionsFunc{
		github.WithTransport(auth),
		github.WithUserAgent(ua),
	}
	if _, static := tokens.(StaticToken); !static {
		// go-github remembers one rate limit per client, but each owner's
		// token has its own: one exhausted must not stop the others.
		opts = append(opts, github.WithDisableRateLimitCheck())
	}
	if api, upload, ok, err := enterpriseURLs(o.APIURL); err != nil {
		return nil, err
	} else if ok {
		opts = append(opts, github.WithEnterpriseURLs(api, upload))
	}
	c, err := github.NewClient(opts...)
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

// Package gitea is remedy's Gitea (and Forgejo, which speaks the same API)
// driver: the gitops forge seam (Host, Forge) and the extras of reviews,
// commit statuses, permissions and webhooks, over Gitea's REST API
// (/api/v1) with net/http and encoding/json.
//
// Gitea indexes a push asynchronously: for a moment after a push, a new
// branch is unknown to the API and a new repository answers 404. The calls
// that follow a push (listing and opening pull requests) wait and retry
// such a 404 for up to Options.IndexWait instead of failing.
//
// Data enters as Options (New) and as the calls of the gitops seam and of
// the service's tasks; it leaves as Gitea API requests and as gitops
// values (RepoInfo, PullRequest, …). ParseWebhook turns a delivery's
// payload into a webhook.Event. Shared HTTP plumbing is forgehttp's.
package gitea

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/forge/forgehttp"
)

// Options configure New.
type Options struct {
	// URL is the web base URL of the Gitea server (https://gitea.example.com/,
	// with its sub-path if it has one); the API is under api/v1.
	URL string
	// Token is an access token (GITEA_TOKEN). It is sent as a header on
	// each request and appears in no URL, log or error.
	Token string
	// Transport sends the requests; nil means a clone of
	// http.DefaultTransport with a response header timeout.
	Transport http.RoundTripper
	// UserAgent defaults to "remedy".
	UserAgent string
	// IndexWait bounds the retries of a 404 that Gitea's asynchronous
	// indexing of a fresh push may cause (default 30s).
	IndexWait time.Duration
	// MaxAttempts bounds the attempts of a request that failed with a
	// server error or a rate limit (default 4).
	MaxAttempts int
	// Sleep waits; tests replace it so that no test waits.
	Sleep func(ctx context.Context, d time.Duration) error
	Log   *slog.Logger
}

// ErrNoToken is returned by New without a token; it is a gitops.ErrNoToken.
var ErrNoToken error = forgehttp.NoTokenError("no Gitea token: set GITEA_TOKEN")

// Client is one Gitea server: the gitops.Host of its repositories.
type Client struct {
	api   *url.URL // …/api/v1/
	token string
	hc    *http.Client
	o     Options
	self  *forgehttp.Login
}

var _ gitops.Host = (*Client)(nil)

// New returns the Client of the Gitea server at o.URL.
func New(o Options) (*Client, error) {
	if o.Token == "" {
		return nil, ErrNoToken
	}
	u, err := forgehttp.APIRoot("Gitea", o.URL, "api/v1", "https://gitea.example.com/")
	if err != nil {
		return nil, err
	}
	o.Transport = forgehttp.Transport(o.Transport)
	o.UserAgent = cmp.Or(o.UserAgent, forgehttp.UserAgent)
	if o.IndexWait <= 0 {
		o.IndexWait = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.Sleep == nil {
		o.Sleep = forgehttp.Sleep
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Client{api: u, token: o.Token, hc: &http.Client{Transport: o.Transport}, o: o, self: &forgehttp.Login{}}, nil
}

// APIError is an answer of Gitea's API other than a success.
type APIError struct {
	Method, Path string // the path below /api/v1, without the query
	Status       int
	Message      string
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, msg)
}

// isStatus reports whether err is an APIError with status.
func isStatus(err error, status int) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.Status == status
}

// do sends one API request (path below /api/v1, escaped by the caller),
// with in as its JSON body, and decodes a JSON answer into out. Server
// errors and rate limits of idempotent requests are retried with backoff.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in, out any) (*http.Response, error) {
	var body []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		body = b
	}
	u, err := url.Parse(c.api.String() + path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	u.RawQuery = query.Encode()
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		req.Header.Set("Authorization", "token "+c.token)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("User-Agent", c.o.UserAgent)
		if in != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := c.hc.Do(req)
		retryable := err != nil && ctx.Err() == nil
		if err == nil {
			retryable = resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
		}
		if retryable && attempt < c.o.MaxAttempts && (forgehttp.Idempotent(method) || (err == nil && resp.StatusCode == http.StatusTooManyRequests)) {
			if resp != nil {
				io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
				resp.Body.Close()
			}
			wait := time.Duration(1<<(attempt-1)) * 500 * time.Millisecond
			c.o.Log.Debug("retrying Gitea request", "method", method, "path", path, "attempt", attempt, "wait", wait)
			if err := c.o.Sleep(ctx, wait); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		if err != nil {
			return resp, fmt.Errorf("%s %s: %w", method, path, err)
		}
		if resp.StatusCode >= 300 {
			return resp, &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: apiMessage(b)}
		}
		if raw, ok := out.(rawBody); ok {
			*raw = b
			return resp, nil
		}
		if out != nil && len(bytes.TrimSpace(b)) > 0 {
			if err := json.Unmarshal(b, out); err != nil {
				return resp, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
			}
		}
		return resp, nil
	}
}

// apiMessage is the message of a Gitea error answer ({"message": …}),
// shortened.
func apiMessage(b []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	msg := strings.TrimSpace(string(b))
	if json.Unmarshal(b, &e) == nil && e.Message != "" {
		msg = e.Message
	}
	if r := []rune(msg); len(r) > 300 {
		msg = string(r[:300]) + "…"
	}
	return msg
}

// afterIndexing runs f until it does not fail with a 404 (or a 422 naming
// a missing branch, as Gitea answers for a head it has not indexed yet),
// for up to IndexWait.
func (c *Client) afterIndexing(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(c.o.IndexWait)
	wait := 100 * time.Millisecond
	for {
		err := f()
		if err == nil || !(isStatus(err, http.StatusNotFound) || unindexedBranch(err)) || time.Now().After(deadline) {
			return err
		}
		c.o.Log.Debug("waiting for Gitea to index a push", "error", err, "wait", wait)
		if serr := c.o.Sleep(ctx, wait); serr != nil {
			return err
		}
		wait = min(2*wait, 2*time.Second)
	}
}

func unindexedBranch(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnprocessableEntity {
		return false
	}
	m := strings.ToLower(ae.Message)
	return strings.Contains(m, "branch") && (strings.Contains(m, "not exist") || strings.Contains(m, "does not exist"))
}

// pageSize is Gitea's default cap on list answers (MAX_RESPONSE_ITEMS).
const pageSize = 50

// list reads every page of a list endpoint, handing each item to add.
func list[T any](ctx context.Context, c *Client, path string, query url.Values, add func(T)) error {
	if query == nil {
		query = url.Values{}
	}
	query.Set("limit", strconv.Itoa(pageSize))
	for page := 1; ; page++ {
		query.Set("page", strconv.Itoa(page))
		var items []T
		resp, err := c.do(ctx, http.MethodGet, path, query, nil, &items)
		if err != nil {
			return err
		}
		for _, it := range items {
			add(it)
		}
		// Gitea may cap a page below the limit asked for; the total says
		// when the end is reached.
		total, terr := strconv.Atoi(resp.Header.Get("X-Total-Count"))
		if len(items) == 0 || (terr == nil && page*len(items) >= total) || (terr != nil && len(items) < pageSize) {
			return nil
		}
	}
}

// repoPath is repos/{owner}/{name}, escaped.
func repoPath(owner, name string) string {
	return "repos/" + url.PathEscape(owner) + "/" + url.PathEscape(name)
}

type user struct {
	Login string `json:"login"`
}

type repository struct {
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	Owner         user   `json:"owner"`
	DefaultBranch string `json:"default_branch"`
	CloneURL      string `json:"clone_url"`
	HTMLURL       string `json:"html_url"`
	Archived      bool   `json:"archived"`
	Fork          bool   `json:"fork"`
}

func (r repository) info() gitops.RepoInfo {
	return gitops.RepoInfo{
		Owner: r.Owner.Login, Name: r.Name, FullName: r.FullName, DefaultBranch: r.DefaultBranch,
		CloneURL: r.CloneURL, HTMLURL: r.HTMLURL, Archived: r.Archived, Fork: r.Fork,
	}
}

// Repository implements gitops.Host. A repository created a moment ago may
// answer 404 until Gitea has indexed it.
func (c *Client) Repository(ctx context.Context, owner, name string) (gitops.RepoInfo, error) {
	var r repository
	if _, err := c.do(ctx, http.MethodGet, repoPath(owner, name), nil, nil, &r); err != nil {
		return gitops.RepoInfo{}, fmt.Errorf("get repository %s/%s: %w", owner, name, err)
	}
	return r.info(), nil
}

// Forge implements gitops.Host.
func (c *Client) Forge(owner, name string) gitops.Forge { return c.Repo(owner, name) }

// Repo is the Forge of owner/name.
func (c *Client) Repo(owner, name string) *Forge { return &Forge{c: c, owner: owner, name: name} }

// ListRepositories lists the repositories of an organization or, when
// owner is not one, of a user.
func (c *Client) ListRepositories(ctx context.Context, owner string) ([]gitops.RepoInfo, error) {
	var out []gitops.RepoInfo
	add := func(r repository) { out = append(out, r.info()) }
	err := list(ctx, c, "orgs/"+url.PathEscape(owner)+"/repos", nil, add)
	if isStatus(err, http.StatusNotFound) {
		out = nil
		err = list(ctx, c, "users/"+url.PathEscape(owner)+"/repos", nil, add)
	}
	if err != nil {
		return nil, fmt.Errorf("list repositories of %s: %w", owner, err)
	}
	return out, nil
}

// BotLogin is the login of the token's user, the account remedy acts as.
func (c *Client) BotLogin(ctx context.Context) (string, error) {
	var u user
	if _, err := c.do(ctx, http.MethodGet, "user", nil, nil, &u); err != nil {
		return "", err
	}
	return u.Login, nil
}

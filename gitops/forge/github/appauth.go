package github

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	gogithub "github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/gitops"
)

// ErrNotInstalled is returned by AppTokenSource for an owner the GitHub App
// is not installed on.
var ErrNotInstalled = errors.New("not installed")

// errNoOwner is returned by AppTokenSource for a request that names no
// repository owner, so no installation to act as.
var errNoOwner = errors.New("GitHub App authentication needs a repository owner, and the request names none")

// AppOptions configure NewAppTokenSource.
type AppOptions struct {
	// APIURL is the REST API root, as in Options.
	APIURL string
	// AppID is the GitHub App's ID (the JWT's issuer).
	AppID int64
	// Key is the App's private key; it signs the JWTs.
	Key *rsa.PrivateKey
	// Transport sends the App's own requests (installation look-ups and
	// token creation); nil means the default of newGoGitHub.
	Transport http.RoundTripper
	// Retry tunes retries of the App's own requests; its Base is set.
	Retry RetryTransport
	// RefreshBefore is how long before its expiry an installation token is
	// replaced (default 5m; at most half the token's lifetime), so that a
	// token handed out stays valid for at least that long.
	RefreshBefore time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// UserAgent defaults to "remedy".
	UserAgent string
	// Log receives a record per installation token created, never a token.
	Log *slog.Logger
}

// AppTokenSource authenticates as a GitHub App's installations: for each
// repository owner it finds the App's installation (GET
// /orgs/{owner}/installation, then /users/{owner}/installation) with an App
// JWT, creates an installation access token (POST
// /app/installations/{id}/access_tokens), keeps it, and creates the next one
// RefreshBefore ahead of the expiry. Concurrent callers for one owner share
// one refresh.
//
// See https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/authenticating-as-a-github-app-installation
type AppTokenSource struct {
	appID         int64
	key           *rsa.PrivateKey
	gh            *gogithub.Client // authenticated by App JWTs
	refreshBefore time.Duration
	now           func() time.Time
	log           *slog.Logger

	mu     sync.Mutex
	owners map[string]*installationToken // by lower-cased owner
}

// installationToken is the cached token of one owner.
type installationToken struct {
	// lock is a one-slot semaphore held while the token is read or
	// refreshed; unlike a mutex, a waiter can give up when its context ends.
	lock      chan struct{}
	id        int64 // installation ID; 0 until looked up
	token     string
	expires   time.Time
	refreshAt time.Time
}

var _ gitops.TokenSource = (*AppTokenSource)(nil)

// NewAppTokenSource returns the gitops.TokenSource of GitHub App o.AppID.
func NewAppTokenSource(o AppOptions) (*AppTokenSource, error) {
	if o.AppID <= 0 {
		return nil, fmt.Errorf("GitHub App ID %d: want a positive number", o.AppID)
	}
	if o.Key == nil {
		return nil, fmt.Errorf("GitHub App %d: no private key", o.AppID)
	}
	s := &AppTokenSource{
		appID: o.AppID, key: o.Key, refreshBefore: o.RefreshBefore, now: o.Now, log: o.Log,
		owners: map[string]*installationToken{},
	}
	if s.refreshBefore <= 0 {
		s.refreshBefore = 5 * time.Minute
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	opts, err := clientOptions(&jwtTransport{base: retrying(o.Retry, o.Transport, o.Log), app: s}, o.UserAgent, o.APIURL)
	if err != nil {
		return nil, err
	}
	gh, err := gogithub.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("GitHub App %d client: %w", o.AppID, err)
	}
	s.gh = gh
	return s, nil
}

// Token implements gitops.TokenSource: the installation token for owner, created
// or refreshed when needed.
func (s *AppTokenSource) Token(ctx context.Context, owner string) (string, error) {
	if owner == "" {
		return "", errNoOwner
	}
	e := s.entry(owner)
	select {
	case e.lock <- struct{}{}:
	case <-ctx.Done():
		return "", fmt.Errorf("installation token for %s: %w", owner, ctx.Err())
	}
	defer func() { <-e.lock }()
	if e.token != "" && s.now().Before(e.refreshAt) {
		return e.token, nil
	}
	if err := s.refresh(ctx, owner, e); err != nil {
		return "", err
	}
	return e.token, nil
}

func (s *AppTokenSource) entry(owner string) *installationToken {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := strings.ToLower(owner)
	e := s.owners[k]
	if e == nil {
		e = &installationToken{lock: make(chan struct{}, 1)}
		s.owners[k] = e
	}
	return e
}

// refresh creates a new installation token for owner; the caller holds
// e.lock.
func (s *AppTokenSource) refresh(ctx context.Context, owner string, e *installationToken) error {
	for lookedUp := false; ; lookedUp = true {
		if e.id == 0 {
			id, err := s.findInstallation(ctx, owner)
			if err != nil {
				return err
			}
			e.id, lookedUp = id, true
		}
		issued := s.now()
		tok, _, err := s.gh.Apps.CreateInstallationToken(ctx, e.id, nil)
		if isStatus(err, http.StatusNotFound) && !lookedUp {
			// Uninstalled, perhaps installed again under a new ID.
			e.id = 0
			continue
		}
		if err != nil {
			return fmt.Errorf("installation token of GitHub App %d for %s: %w", s.appID, owner, err)
		}
		if tok.GetToken() == "" || tok.GetExpiresAt().IsZero() {
			return fmt.Errorf("installation token of GitHub App %d for %s: the answer has no token or no expiry", s.appID, owner)
		}
		e.token, e.expires = tok.GetToken(), tok.GetExpiresAt().Time
		e.refreshAt = refreshTime(issued, e.expires, s.refreshBefore)
		s.log.LogAttrs(ctx, slog.LevelDebug, "created GitHub App installation token",
			slog.String("owner", owner), slog.Int64("installation", e.id),
			slog.Time("expires", e.expires), slog.Time("refresh", e.refreshAt))
		return nil
	}
}

// refreshTime is when a token issued at issued and expiring at expires is
// replaced: before ahead of its expiry, or halfway through a lifetime
// shorter than twice that.
func refreshTime(issued, expires time.Time, before time.Duration) time.Time {
	return expires.Add(-min(before, max(0, expires.Sub(issued))/2))
}

// findInstallation looks up the App's installation on owner, an
// organization or else a user.
func (s *AppTokenSource) findInstallation(ctx context.Context, owner string) (int64, error) {
	in, _, err := s.gh.Apps.GetOrganizationInstallation(ctx, owner)
	if isStatus(err, http.StatusNotFound) {
		in, _, err = s.gh.Apps.GetUserInstallation(ctx, owner)
	}
	switch {
	case isStatus(err, http.StatusNotFound):
		return 0, fmt.Errorf("GitHub App %d is %w on %s", s.appID, ErrNotInstalled, owner)
	case err != nil:
		return 0, fmt.Errorf("installation of GitHub App %d on %s: %w", s.appID, owner, err)
	case in.GetID() == 0:
		return 0, fmt.Errorf("installation of GitHub App %d on %s: the answer has no ID", s.appID, owner)
	}
	return in.GetID(), nil
}

// jwt signs an App JWT (RS256): issued a minute ago against clock drift,
// expiring in nine minutes, under GitHub's limit of ten.
func (s *AppTokenSource) jwt() (string, error) {
	now := s.now()
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims, err := json.Marshal(struct {
		IssuedAt  int64  `json:"iat"`
		ExpiresAt int64  `json:"exp"`
		Issuer    string `json:"iss"`
	}{now.Add(-time.Minute).Unix(), now.Add(9 * time.Minute).Unix(), strconv.FormatInt(s.appID, 10)})
	if err != nil {
		return "", fmt.Errorf("GitHub App %d JWT: %w", s.appID, err)
	}
	signed := header + "." + base64.RawURLEncoding.EncodeToString(claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", fmt.Errorf("GitHub App %d JWT: sign: %w", s.appID, err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

// jwtTransport authenticates the App's own requests with a fresh JWT.
type jwtTransport struct {
	base http.RoundTripper
	app  *AppTokenSource
}

func (t *jwtTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	jwt, err := t.app.jwt()
	if err != nil {
		closeBody(req)
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+jwt)
	return t.base.RoundTrip(r)
}

// tokenTransport authenticates each API request with the token of the
// repository owner its path names (/repos/{owner}/…, /orgs/{owner}/…,
// /users/{owner}/…); a request naming none asks Tokens for owner "".
type tokenTransport struct {
	base   http.RoundTripper
	tokens gitops.TokenSource
	// roots are the paths of the API and upload roots, each ending in "/".
	roots []string
}

func (t *tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tok, err := t.tokens.Token(req.Context(), t.owner(req.URL.Path))
	if err != nil {
		closeBody(req)
		return nil, err
	}
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+tok)
	return t.base.RoundTrip(r)
}

// owner is the repository owner an API path names, or "".
func (t *tokenTransport) owner(p string) string {
	for _, root := range t.roots {
		rel, ok := strings.CutPrefix(p, root)
		if !ok {
			continue
		}
		parts := strings.SplitN(rel, "/", 3)
		if len(parts) >= 2 && parts[1] != "" && (parts[0] == "repos" || parts[0] == "orgs" || parts[0] == "users") {
			return parts[1]
		}
	}
	return ""
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// ReadAppKey reads a GitHub App's private key from a PEM file (PKCS#1
// "RSA PRIVATE KEY", as GitHub issues it, or PKCS#8 "PRIVATE KEY").
// Errors name the file, never its content.
func ReadAppKey(path string) (*rsa.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("GitHub App key: %w", err)
	}
	k, err := ParseAppKey(b)
	if err != nil {
		return nil, fmt.Errorf("GitHub App key %s: %w", path, err)
	}
	return k, nil
}

// ParseAppKey parses a PEM RSA private key, PKCS#1 or PKCS#8.
func ParseAppKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block: want an RSA private key, as the GitHub App settings page downloads it")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("RSA PRIVATE KEY block does not parse as PKCS#1")
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("PRIVATE KEY block does not parse as PKCS#8")
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("a %T, want an RSA key (GitHub Apps sign with RS256)", k)
		}
		return rk, nil
	}
	return nil, fmt.Errorf("PEM block %q: want RSA PRIVATE KEY or PRIVATE KEY", block.Type)
}

// Package forgehttp is the HTTP plumbing that every forge driver
// (gitops/forge/github, gitlab, gitea) shares, one helper per idea: the
// API root of a forge's web URL, the transport that gives up on a silent
// server, the user agent, and the "no token" error. It knows no forge's
// API: a driver passes what is its own (its name, its API path, its token
// variable) and gets back standard library values (*url.URL,
// http.RoundTripper, error).
package forgehttp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/remedy-bot/remedy/gitops"
)

// UserAgent is what remedy calls itself on a forge unless configured
// otherwise.
const UserAgent = "remedy"

// Transport is rt, or when rt is nil a clone of http.DefaultTransport
// that gives up on a server that does not answer within a minute (a
// forge that hangs must not hold a job forever).
func Transport(rt http.RoundTripper) http.RoundTripper {
	if rt != nil {
		return rt
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.ResponseHeaderTimeout = time.Minute
	return t
}

// APIRoot is the API root of a forge's web URL web (with its sub-path, if
// the forge is served under one): web with apiPath ("api/v1") appended,
// once (a URL given with it already is taken as it is), ending in "/",
// without query or fragment. An address that is not http(s), or that
// carries credentials (the token is passed on each request instead), is an
// error naming forge and suggesting example.
func APIRoot(forge, web, apiPath, example string) (*url.URL, error) {
	u, err := url.Parse(web)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, fmt.Errorf("%s URL %q: want an http(s) URL such as %s", forge, web, example)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s URL carries credentials; pass the token instead", forge)
	}
	api := "/" + strings.Trim(apiPath, "/")
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), api) + api + "/"
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return u, nil
}

// NoTokenError is a driver's error for a missing token: its text says
// what to set, and it is a gitops.ErrNoToken (errors.Is).
type NoTokenError string

func (e NoTokenError) Error() string { return string(e) }

// Is makes a NoTokenError a gitops.ErrNoToken.
func (NoTokenError) Is(target error) bool { return target == gitops.ErrNoToken }

// Pages reads a list a page at a time, the way go-github and GitLab's
// client-go page it (a response's NextPage, 0 after the last): page gets
// page n (0 asks for the first) and returns its items and the next page's
// number. It stops after the last page, or once at least limit items are
// in (limit <= 0: no limit); the list is not cut to limit.
func Pages[T any, N ~int | ~int64](limit int, page func(n N) ([]T, N, error)) ([]T, error) {
	var out []T
	var n N
	for {
		items, next, err := page(n)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == 0 || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
		n = next
	}
}

// Idempotent reports whether a request of method may be sent again after
// a failure without doing twice what it does (RFC 9110, 9.2.2): what the
// drivers' retries may repeat whatever the answer was.
func Idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

// Sleep waits for d or until ctx is done, whichever comes first; the
// drivers' retries wait with it (tests replace it, so no test waits).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Login is the login of a token's user, asked of the forge once and kept:
// every dashboard lookup filters issues by it, and asking on each would
// double the requests of an idle run. An empty answer is kept too (a
// GitHub App installation has no user of its own); an error is not, so
// the next call asks again. The zero Login is ready to use and must not be
// copied; a nil *Login asks every time.
type Login struct {
	mu    sync.Mutex
	login string
	known bool
}

// KnownLogin is a Login whose answer is known without asking (a GitHub
// App's installation token has no user: "").
func KnownLogin(login string) *Login { return &Login{login: login, known: true} }

// Get returns the kept login, or asks for it with ask and keeps the answer.
func (l *Login) Get(ctx context.Context, ask func(context.Context) (string, error)) (string, error) {
	if l == nil {
		return ask(ctx)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.known {
		return l.login, nil
	}
	login, err := ask(ctx)
	if err != nil {
		return "", err
	}
	l.login, l.known = login, true
	return login, nil
}

package github

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/internal/githubtest"
)

const testAppID = 42

// testClock is a clock that moves only when told to, safe for concurrent
// use.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// authRecorder sends requests with http.DefaultTransport and records the
// credential of each, so that tests know every secret that went out.
type authRecorder struct {
	mu    sync.Mutex
	creds map[string][]string // "METHOD path" → credentials, in order
	// answer, when set, may answer a request instead of the server.
	answer func(*http.Request) *http.Response
}

func (r *authRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	if r.creds == nil {
		r.creds = map[string][]string{}
	}
	k := req.Method + " " + req.URL.Path
	r.creds[k] = append(r.creds[k], strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "))
	r.mu.Unlock()
	if r.answer != nil {
		if resp := r.answer(req); resp != nil {
			return resp, nil
		}
	}
	return http.DefaultTransport.RoundTrip(req)
}

// secrets lists every credential recorded.
func (r *authRecorder) secrets() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, cs := range r.creds {
		for _, c := range cs {
			if c != "" {
				out = append(out, c)
			}
		}
	}
	return out
}

// last is the credential of the last request to path (any method).
func (r *authRecorder) last(path string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, cs := range r.creds {
		if strings.HasSuffix(k, " "+path) {
			return cs[len(cs)-1]
		}
	}
	return ""
}

var (
	testKeyOnce sync.Once
	testKey     *rsa.PrivateKey
)

// appKey is an RSA key shared by the tests of this package: generating one
// takes a while.
func appKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	testKeyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// appForge is a fake GitHub where App testAppID is installed on acme (7)
// and other (8), each owning one repository.
func appForge(t *testing.T, opts ...githubtest.Option) *githubtest.Server {
	t.Helper()
	s := githubtest.New(t, opts...)
	s.AddApp(testAppID, &appKey(t).PublicKey)
	s.AddInstallation(testAppID, 7, "acme")
	s.AddInstallation(testAppID, 8, "other")
	s.CreateRepo("acme", "shop", map[string]string{"a.yaml": "a: 1\n"})
	s.CreateRepo("other", "tool", map[string]string{"a.yaml": "a: 1\n"})
	return s
}

func newAppSource(t *testing.T, s *githubtest.Server, o AppOptions) *AppTokenSource {
	t.Helper()
	o.APIURL, o.AppID, o.Retry = s.APIURL(), testAppID, noWait()
	if o.Key == nil {
		o.Key = appKey(t)
	}
	src, err := NewAppTokenSource(o)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// mints counts the installation tokens created so far.
func mints(s *githubtest.Server) int {
	n := 0
	for _, r := range s.RequestLog() {
		if strings.HasPrefix(r, "POST ") && strings.HasSuffix(r, "/access_tokens") {
			n++
		}
	}
	return n
}

func TestAppTokenSourcePerOwner(t *testing.T) {
	s := appForge(t)
	s.CreateRepo("bob", "dotfiles", map[string]string{"a.yaml": "a: 1\n"})
	s.AddInstallation(testAppID, 9, "bob")
	app := &authRecorder{answer: func(r *http.Request) *http.Response {
		// bob is a user: the organization look-up finds nothing.
		if strings.HasSuffix(r.URL.Path, "/orgs/bob/installation") {
			return &http.Response{StatusCode: http.StatusNotFound, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"message":"Not Found"}`)), Request: r}
		}
		return nil
	}}
	src := newAppSource(t, s, AppOptions{Transport: app})
	ctx := context.Background()

	tokens := map[string]string{}
	steps := []struct {
		owner   string
		wantNew bool
	}{
		{"acme", true},   // the first request creates a token
		{"acme", false},  // and later ones reuse it
		{"other", true},  // another owner, another installation
		{"ACME", false},  // owners are case-insensitive, as on GitHub
		{"bob", true},    // a user's installation, found after the organization look-up fails
		{"other", false}, // each owner keeps its own token
	}
	for i, st := range steps {
		before := mints(s)
		tok, err := src.Token(ctx, st.owner)
		if err != nil {
			t.Fatalf("step %d: Token(%s): %v", i, st.owner, err)
		}
		k := strings.ToLower(st.owner)
		if got := mints(s) - before; got != map[bool]int{true: 1, false: 0}[st.wantNew] {
			t.Errorf("step %d: Token(%s) created %d tokens, want new %v", i, st.owner, got, st.wantNew)
		}
		if !st.wantNew && tok != tokens[k] {
			t.Errorf("step %d: Token(%s) changed without need", i, st.owner)
		}
		tokens[k] = tok
	}
	if tokens["acme"] == tokens["other"] || tokens["acme"] == tokens["bob"] || !strings.HasPrefix(tokens["acme"], "ghs_") {
		t.Errorf("owners share a token, or it is no installation token")
	}
	if app.last("/api/v3/users/bob/installation") == "" {
		t.Error("no user installation look-up for bob")
	}

	// The API client asks for the token of the owner each request names;
	// the fake GitHub scopes installation tokens to their account, so a
	// wrong token would be a 404.
	api := &authRecorder{}
	gh, err := newGoGitHub(Options{APIURL: s.APIURL(), Tokens: src, Transport: api, Retry: noWait()})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ owner, name string }{{"acme", "shop"}, {"other", "tool"}, {"bob", "dotfiles"}} {
		if _, _, err := gh.Repositories.Get(ctx, r.owner, r.name); err != nil {
			t.Errorf("get %s/%s: %v", r.owner, r.name, err)
		}
		if got := api.last("/api/v3/repos/" + r.owner + "/" + r.name); got != tokens[r.owner] {
			t.Errorf("%s/%s: sent another credential than the owner's token", r.owner, r.name)
		}
	}
	if repos, err := listRepositories(ctx, gh, "acme"); err != nil || len(repos) != 1 {
		t.Errorf("list acme's repositories: %v, %v", repos, err)
	}
	if n := mints(s); n != 3 {
		t.Errorf("%d installation tokens created, want 3 (one per owner)", n)
	}
}

func TestAppTokenSourceRefresh(t *testing.T) {
	// Tokens live two minutes, so they are renewed halfway, a minute before
	// they expire. The fake GitHub checks JWTs and tokens by the real clock;
	// the source follows the test's, which stays close to it.
	s := appForge(t, githubtest.WithInstallationTokenTTL(2*time.Minute))
	clock := &testClock{now: time.Now()}
	src := newAppSource(t, s, AppOptions{Now: clock.Now})
	gh, err := newGoGitHub(Options{APIURL: s.APIURL(), Tokens: src, Retry: noWait()})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		advance time.Duration
		wantNew bool
	}{
		{0, true},
		{30 * time.Second, false},
		{29 * time.Second, false},
		{2 * time.Second, true}, // 61s: within a minute of the expiry
		{time.Second, false},
	}
	var last string
	for i, st := range steps {
		clock.Advance(st.advance)
		before := mints(s)
		tok, err := src.Token(ctx, "acme")
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if renewed := mints(s) > before; renewed != st.wantNew || (tok != last) != st.wantNew {
			t.Errorf("step %d (+%v): created a token %v, token changed %v; want %v", i, st.advance, renewed, tok != last, st.wantNew)
		}
		last = tok
		if _, _, err := gh.Repositories.Get(ctx, "acme", "shop"); err != nil {
			t.Errorf("step %d: the API refuses the token: %v", i, err)
		}
	}
}

func TestRefreshTime(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		lifetime, before, want time.Duration // want: after t0
	}{
		{time.Hour, 5 * time.Minute, 55 * time.Minute},
		{time.Hour, 10 * time.Minute, 50 * time.Minute},
		{8 * time.Minute, 5 * time.Minute, 4 * time.Minute}, // halfway
		{2 * time.Minute, 5 * time.Minute, time.Minute},
		{-time.Minute, 5 * time.Minute, -time.Minute}, // already expired: now
	}
	for _, tt := range tests {
		if got := refreshTime(t0, t0.Add(tt.lifetime), tt.before).Sub(t0); got != tt.want {
			t.Errorf("refreshTime(lifetime %v, before %v) = t0%+v, want t0%+v", tt.lifetime, tt.before, got, tt.want)
		}
	}
}

func TestAppTokenSourceConcurrent(t *testing.T) {
	s := appForge(t)
	src := newAppSource(t, s, AppOptions{})
	owners := []string{"acme", "other"}
	got := make([][]string, len(owners))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, owner := range owners {
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok, err := src.Token(context.Background(), owner)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got[i] = append(got[i], tok)
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	if n := mints(s); n != len(owners) {
		t.Errorf("%d installation tokens created, want %d (one refresh per owner)", n, len(owners))
	}
	for i, toks := range got {
		for _, tok := range toks {
			if tok != toks[0] {
				t.Errorf("%s: callers got different tokens", owners[i])
				break
			}
		}
	}
}

func TestAppTokenSourceWaitHonoursContext(t *testing.T) {
	s := appForge(t)
	src := newAppSource(t, s, AppOptions{})
	e := src.entry("acme")
	e.lock <- struct{}{} // a refresh in progress
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Token(ctx, "acme"); !errors.Is(err, context.Canceled) {
		t.Errorf("Token while another refresh holds the owner: %v, want context.Canceled", err)
	}
	<-e.lock
	if _, err := src.Token(context.Background(), "acme"); err != nil {
		t.Errorf("Token after the refresh: %v", err)
	}
}

func TestAppTokenSourceErrors(t *testing.T) {
	s := appForge(t)
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		key    *rsa.PrivateKey
		owner  string
		is     error
		substr string
	}{
		{name: "not installed", owner: "nobody", is: ErrNotInstalled, substr: "GitHub App 42 is not installed on nobody"},
		{name: "no owner", owner: "", is: errNoOwner},
		{name: "key of another app", key: otherKey, owner: "acme", substr: "401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := newAppSource(t, s, AppOptions{Key: tt.key})
			_, err := src.Token(context.Background(), tt.owner)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.substr) {
				t.Errorf("Token(%q) = %v; want an error matching %v, containing %q", tt.owner, err, tt.is, tt.substr)
			}
		})
	}

	for _, o := range []AppOptions{{Key: appKey(t)}, {AppID: -1, Key: appKey(t)}, {AppID: 1}, {AppID: 1, Key: appKey(t), APIURL: "ghe.example.com"}} {
		if _, err := NewAppTokenSource(o); err == nil {
			t.Errorf("NewAppTokenSource(app %d, key %v, API %q): no error", o.AppID, o.Key != nil, o.APIURL)
		}
	}
	if _, err := gitops.StaticToken("").Token(context.Background(), "acme"); !errors.Is(err, gitops.ErrNoToken) {
		t.Errorf("empty gitops.StaticToken: %v, want ErrNoToken", err)
	}
}

func TestAppJWT(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	key := appKey(t)
	src, err := NewAppTokenSource(AppOptions{AppID: testAppID, Key: key, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := src.jwt()
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts", len(parts))
	}
	var header map[string]string
	var claims map[string]any
	for i, v := range []any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	if header["alg"] != "RS256" || header["typ"] != "JWT" {
		t.Errorf("header %v", header)
	}
	want := map[string]any{"iss": "42", "iat": float64(now.Unix() - 60), "exp": float64(now.Unix() + 9*60)}
	if fmt.Sprint(claims) != fmt.Sprint(want) {
		t.Errorf("claims %v, want %v", claims, want)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		t.Errorf("signature: %v", err)
	}
}

func TestTokenTransportOwner(t *testing.T) {
	ghes := &tokenTransport{roots: []string{"/api/v3/", "/api/uploads/"}}
	dotcom := &tokenTransport{roots: []string{"/", "/"}}
	tests := []struct {
		tr   *tokenTransport
		path string
		want string
	}{
		{ghes, "/api/v3/repos/acme/shop/pulls", "acme"},
		{ghes, "/api/v3/repos/acme/shop", "acme"},
		{ghes, "/api/v3/orgs/acme/repos", "acme"},
		{ghes, "/api/v3/users/bob/repos", "bob"},
		{ghes, "/api/v3/users/bob", "bob"},
		{ghes, "/api/uploads/repos/acme/shop/releases/1/assets", "acme"},
		{ghes, "/api/v3/user", ""},
		{ghes, "/api/v3/repos/", ""},
		{ghes, "/api/v3/repositories/123", ""},
		{ghes, "/repos/acme/shop", ""}, // outside the API root
		{dotcom, "/repos/acme/shop/git/refs/heads/x", "acme"},
		{dotcom, "/search/issues", ""},
	}
	for _, tt := range tests {
		if got := tt.tr.owner(tt.path); got != tt.want {
			t.Errorf("owner(%q) under %v = %q, want %q", tt.path, tt.tr.roots, got, tt.want)
		}
	}
}

func TestParseAppKey(t *testing.T) {
	key := appKey(t)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPKCS8, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(key)
	block := func(typ string, b []byte) []byte { return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}) }
	tests := []struct {
		name   string
		pem    []byte
		substr string // "" means it parses
	}{
		{"PKCS#1", block("RSA PRIVATE KEY", pkcs1), ""},
		{"PKCS#8", block("PRIVATE KEY", pkcs8), ""},
		{"PKCS#1 after text", append([]byte("GitHub App key\n"), block("RSA PRIVATE KEY", pkcs1)...), ""},
		{"ECDSA", block("PRIVATE KEY", ecPKCS8), "want an RSA key"},
		{"PKCS#8 labelled PKCS#1", block("RSA PRIVATE KEY", pkcs8), "PKCS#1"},
		{"truncated", block("RSA PRIVATE KEY", pkcs1[:len(pkcs1)/2]), "PKCS#1"},
		{"public key", block("PUBLIC KEY", pkcs8), `"PUBLIC KEY"`},
		{"not PEM", pkcs1, "no PEM block"},
		{"empty", nil, "no PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAppKey(tt.pem)
			switch {
			case tt.substr == "" && (err != nil || !got.Equal(key)):
				t.Errorf("ParseAppKey: %v, same key %v", err, got != nil && got.Equal(key))
			case tt.substr != "" && (err == nil || !strings.Contains(err.Error(), tt.substr)):
				t.Errorf("ParseAppKey: %v, want an error containing %q", err, tt.substr)
			case err != nil && len(tt.pem) > 0 && strings.Contains(err.Error(), string(tt.pem[len(tt.pem)/2:len(tt.pem)/2+16])):
				t.Errorf("the error quotes the key: %v", err)
			}
		})
	}

	dir := t.TempDir()
	good := filepath.Join(dir, "app.pem")
	if err := os.WriteFile(good, block("PRIVATE KEY", pkcs8), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := ReadAppKey(good); err != nil || !k.Equal(key) {
		t.Errorf("ReadAppKey: %v", err)
	}
	if _, err := ReadAppKey(filepath.Join(dir, "missing.pem")); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Errorf("ReadAppKey of a missing file: %v", err)
	}
}

// TestAppAuthSecretsStayOut runs the App flow with its failures and
// retries, logging everything, and looks for every credential sent in the
// logs and the errors.
func TestAppAuthSecretsStayOut(t *testing.T) {
	s := appForge(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	app, api := &authRecorder{}, &authRecorder{}
	src := newAppSource(t, s, AppOptions{Transport: app, Log: log})
	gh, err := newGoGitHub(Options{APIURL: s.APIURL(), Tokens: src, Transport: api, Retry: noWait(), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var errs []error
	check := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}

	s.FailNext(1, http.StatusBadGateway, 0) // the token creation is retried
	_, _, err = gh.Repositories.Get(ctx, "acme", "shop")
	check(err)
	s.FailNext(1, http.StatusBadGateway, 0) // so is an API request
	_, _, err = gh.PullRequests.List(ctx, "acme", "shop", nil)
	check(err)
	_, _, err = gh.Repositories.Get(ctx, "acme", "nope")
	check(err)
	_, _, err = gh.Repositories.Get(ctx, "nobody", "nope")
	check(err)
	_, _, err = gh.Users.Get(ctx, "") // GET /user names no owner
	check(err)
	_, err = listRepositories(ctx, gh, "nobody")
	check(err)
	_, err = src.Token(ctx, "other")
	check(err)

	if len(errs) != 4 {
		t.Errorf("%d errors, want 4: %v", len(errs), errs)
	}
	for _, want := range []string{"created GitHub App installation token", "retrying GitHub request"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no %q in the logs:\n%s", want, logs.String())
		}
	}
	secrets := append(app.secrets(), api.secrets()...)
	var jwts, toks int
	for _, sec := range secrets {
		switch {
		case strings.HasPrefix(sec, "eyJ"):
			jwts++
		case strings.HasPrefix(sec, "ghs_"):
			toks++
		}
	}
	if jwts == 0 || toks == 0 {
		t.Fatalf("recorded %d JWTs and %d installation tokens; want some of each", jwts, toks)
	}
	for _, sec := range secrets {
		if strings.Contains(logs.String(), sec) {
			t.Errorf("a credential (%.8s…) is in the logs", sec)
		}
		for _, err := range errs {
			if strings.Contains(err.Error(), sec) || strings.Contains(fmt.Sprintf("%+v", err), sec) {
				t.Errorf("a credential (%.8s…) is in the error %.60s…", sec, strings.ReplaceAll(err.Error(), sec, "***"))
			}
		}
	}
	t.Logf("errors: %v", errs)
}

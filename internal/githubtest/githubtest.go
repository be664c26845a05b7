// Package githubtest provides an in-process fake GitHub for integration tests:
// a REST API server (GitHub v3 shapes, GHES-style path prefix /api/v3) and
// real git hosting over smart HTTP backed by bare repositories on disk.
//
// Tests talk to it with the real go-github client and real git (go-git or the
// git CLI), so the code under test exercises the same wire protocol it uses
// against github.com:
//
//	srv := githubtest.New(t)
//	srv.AddToken("tok", "remedy-bot")
//	srv.CreateRepo("acme", "widget", map[string]string{"go.mod": "module x\n"})
//	gh := srv.Client("tok") // *github.Client pointed at srv.APIURL()
//	// clone/push: srv.CloneURL("acme", "widget") with basic auth password "tok"
//
// The server binds 127.0.0.1 only (httptest), and is closed by t.Cleanup.
//
// Behaviour worth knowing (all modelled on github.com):
//   - Every API request must be authenticated ("token X", "Bearer X" or basic
//     auth with the token as password); anything else is 401.
//   - Every answer carries X-RateLimit-* headers; GET answers carry an ETag and
//     honour If-None-Match with a 304 that does not consume rate limit.
//   - Listing pulls with head=branch (no "owner:" prefix) silently ignores the
//     filter, as GitHub does.
//   - Creating a PR is a 422 when an open PR with the same head and base
//     exists, when head or base is not a branch, when head has no commits
//     beyond base, and for cross-repository (fork) heads, which are not
//     modelled.
//   - An open PR whose head branch disappears is closed; head.sha follows the
//     branch tip while the PR is open and is frozen once it is closed.
//   - List endpoints omit merged/mergeable/commits/additions/deletions, like
//     GitHub; use merged_at or fetch the single PR.
//   - Requesting reviewers who are not collaborators (see SetPermission) is a
//     422; assignees who are not collaborators are silently dropped.
//   - Issues that are not pull requests share the pull requests' numbers;
//     listing issues returns both (filter by state and creator, sort by
//     created or updated), and editing an issue's title, body or state
//     needs push access unless the caller opened it.
//   - Check runs can only be created with a GitHub App installation token.
//   - Writes to archived repositories are 403 (API and git push).
//   - Unimplemented endpoints answer 404 and log a line via t.Log.
//
// Fault injection (FailNext, SetFaultRate) and rate limit exhaustion
// (SetRateLimit) only affect API requests, never git traffic, and an injected
// failure has no side effect.
package githubtest

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-github/v89/github"
)

// DefaultBranch is the default branch of repositories made by CreateRepo.
const DefaultBranch = "main"

// Deleted, as a value in a files map given to CommitFiles, deletes that path.
const Deleted = "\x00forgetest:deleted\x00"

// Server is a fake GitHub. Create it with New. All methods are safe for
// concurrent use.
type Server struct {
	// URL is the base URL of the server, e.g. http://127.0.0.1:41234.
	// Web URLs (html_url) live directly under it, the REST API under
	// URL+"/api/v3/" and git under URL+"/git/".
	URL string

	t      testing.TB
	srv    *httptest.Server
	mux    *http.ServeMux
	gitBin string
	root   string // GIT_PROJECT_ROOT: <root>/<owner>/<name>.git
	home   string // HOME for git processes

	mu         sync.Mutex
	tokens     map[string]*identity
	users      map[string]int64 // login (lower) → user id
	repos      map[string]*repoState
	repoOrder  []*repoState
	apps       map[int64]*app
	insts      map[int64]*installation
	buckets    map[string]*bucket
	rateLimit  int
	nextID     int64
	commitSeq  int
	reqCount   int
	reqLog     []string
	faults     []fault
	faultRate  float64
	faultRand  *rand.Rand
	faultCodes []int
	faultAfter time.Duration
	tokenTTL   time.Duration
	verbose    bool
}

// Option configures a Server in New.
type Option func(*Server)

// WithRateLimit sets the primary rate limit per token and hour (default 5000).
func WithRateLimit(limit int) Option { return func(s *Server) { s.rateLimit = limit } }

// WithFaultRetryAfter sets the Retry-After sent with faults injected by
// SetFaultRate (default 0, which sends "Retry-After: 0"; negative omits it).
func WithFaultRetryAfter(d time.Duration) Option { return func(s *Server) { s.faultAfter = d } }

// WithInstallationTokenTTL sets how long installation access tokens minted
// for GitHub Apps are valid (default one hour, as on GitHub).
func WithInstallationTokenTTL(d time.Duration) Option { return func(s *Server) { s.tokenTTL = d } }

// WithVerbose logs every API request and its status via t.Log.
func WithVerbose() Option { return func(s *Server) { s.verbose = true } }

// New starts a fake GitHub listening on 127.0.0.1. It is closed, and its
// repositories removed, when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	gitBin := "/usr/bin/git"
	if _, err := os.Stat(gitBin); err != nil {
		t.Fatalf("githubtest: git not found at %s: %v", gitBin, err)
	}
	dir := t.TempDir()
	s := &Server{
		t:         t,
		mux:       http.NewServeMux(),
		gitBin:    gitBin,
		root:      filepath.Join(dir, "repos"),
		home:      filepath.Join(dir, "home"),
		tokens:    map[string]*identity{},
		users:     map[string]int64{},
		repos:     map[string]*repoState{},
		apps:      map[int64]*app{},
		insts:     map[int64]*installation{},
		buckets:   map[string]*bucket{},
		rateLimit: 5000,
		nextID:    1000,
		tokenTTL:  time.Hour,
	}
	for _, o := range opts {
		o(s)
	}
	for _, d := range []string{s.root, s.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("githubtest: %v", err)
		}
	}
	s.routes()
	top := http.NewServeMux()
	top.HandleFunc("/api/v3/", s.serveAPI)
	top.HandleFunc("/git/", s.serveGit)
	top.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.t.Logf("githubtest: request outside /api/v3 and /git: %s %s → 404", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	s.srv = httptest.NewServer(top)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// APIURL is the REST API base URL for go-github's WithEnterpriseURLs:
// s.URL + "/api/v3/".
func (s *Server) APIURL() string { return s.URL + "/api/v3/" }

// Client returns a go-github client authenticated with token and pointed at
// this server.
func (s *Server) Client(token string) *github.Client {
	s.t.Helper()
	c, err := github.NewClient(github.WithAuthToken(token), github.WithEnterpriseURLs(s.APIURL(), s.APIURL()))
	if err != nil {
		s.t.Fatalf("githubtest: github.NewClient: %v", err)
	}
	return c
}

// AddToken makes token valid, authenticating as the user login (for the API:
// "Authorization: token X", "Bearer X" or basic auth with password X; for git:
// basic auth with password X and any username).
func (s *Server) AddToken(token, login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[token] = &identity{token: token, login: login, kind: identUser, bucket: "user/" + strings.ToLower(login)}
	s.userID(login)
}

// RemoveToken revokes token; later requests with it are 401.
func (s *Server) RemoveToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
}

// SetPermission sets user's permission on owner/repo: one of admin, maintain,
// write, triage, read or none. Users with a permission other than none are
// collaborators. A user given read, triage or none explicitly cannot push.
// Without an explicit permission the repository owner is admin and anybody
// else has read on public and none on private repositories.
func (s *Server) SetPermission(owner, repo, user, perm string) {
	switch perm {
	case "admin", "maintain", "write", "triage", "read", "none":
	default:
		s.t.Fatalf("githubtest: SetPermission: bad permission %q", perm)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	rp.perms[strings.ToLower(user)] = perm
	s.userID(user)
}

// Requests is the number of API requests received (including 304 answers,
// injected faults and 401s; git traffic is not counted).
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reqCount
}

// ResetRequests zeroes Requests and empties RequestLog.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqCount = 0
	s.reqLog = nil
}

// RequestLog lists the API requests received as "METHOD /path" with the
// /api/v3 prefix and the query string removed, e.g. "GET /repos/o/r/pulls".
func (s *Server) RequestLog() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.reqLog...)
}

// FailNext makes the next n API requests fail with status, without any side
// effect. 403 and 429 are answered as GitHub's secondary rate limit (which
// go-github reports as *github.AbuseRateLimitError); other statuses get
// {"message": <status text>}. retryAfter is sent as "Retry-After: <seconds>"
// rounded up to whole seconds; 0 sends "Retry-After: 0" on 403/429 and no
// header on other statuses; a negative value omits the header (for 403/429
// go-github then waits for X-RateLimit-Reset, an hour away).
func (s *Server) FailNext(n int, status int, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status: status, retryAfter: retryAfter})
	}
}

// SetFaultRate makes each API request fail with probability p (0 disables),
// drawing from a generator seeded with seed. The status is picked among
// statuses (default 502, 429 and 403), with the Retry-After of
// WithFaultRetryAfter (default 0). Faults queued by FailNext come first.
func (s *Server) SetFaultRate(p float64, seed int64, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(statuses) == 0 {
		statuses = []int{http.StatusBadGateway, http.StatusTooManyRequests, http.StatusForbidden}
	}
	s.faultRate = p
	s.faultRand = rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	s.faultCodes = statuses
}

// SetRateLimit sets the primary rate limit state of token: remaining calls,
// and the time the window resets (zero: an hour from now). With remaining 0,
// API requests are answered 403 with X-RateLimit-Remaining: 0 until reset
// (go-github: *github.RateLimitError).
func (s *Server) SetRateLimit(token string, remaining int, reset time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.tokens[token]
	if id == nil {
		s.t.Fatalf("githubtest: SetRateLimit: unknown token")
	}
	if reset.IsZero() {
		reset = time.Now().Add(time.Hour)
	}
	b := s.bucketFor(id.bucket)
	b.used = max(0, b.limit-remaining)
	b.reset = reset
}

// ---------------------------------------------------------------------------
// identities

type identKind int

const (
	identUser identKind = iota
	identInstallation
	identApp // JWT
)

type identity struct {
	token   string
	login   string
	kind    identKind
	appID   int64
	instID  int64
	account string // installation account
	expires time.Time
	bucket  string
}

func (s *Server) userID(login string) int64 {
	k := strings.ToLower(login)
	if id, ok := s.users[k]; ok {
		return id
	}
	id := int64(len(s.users) + 1)
	s.users[k] = id
	return id
}

func (s *Server) isUserLogin(login string) bool {
	for _, id := range s.tokens {
		if id.kind == identUser && strings.EqualFold(id.login, login) {
			return true
		}
	}
	return false
}

// user renders login as a GitHub user object.
func (s *Server) user(login string) *github.User {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	return &github.User{
		Login:   github.Ptr(login),
		ID:      github.Ptr(s.userID(login)),
		Type:    github.Ptr(typ),
		URL:     github.Ptr(s.APIURL() + "users/" + login),
		HTMLURL: github.Ptr(s.URL + "/" + login),
	}
}

// ownerUser renders a repository owner (an organization unless a token
// authenticates as that login).
func (s *Server) ownerUser(login string) *github.User {
	u := s.user(login)
	if !s.isUserLogin(login) {
		u.Type = github.Ptr("Organization")
	}
	return u
}

// authenticate resolves the Authorization header. It returns the identity, or
// a message for a 401.
func (s *Server) authenticate(r *http.Request) (*identity, string) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, "Requires authentication"
	}
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	var toks []string
	switch strings.ToLower(scheme) {
	case "token", "bearer":
		toks = []string{cred}
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			return nil, "Bad credentials"
		}
		u, p, _ := strings.Cut(string(raw), ":")
		toks = []string{p, u}
	default:
		return nil, "Bad credentials"
	}
	for _, tok := range toks {
		if id := s.tokens[tok]; id != nil {
			if !id.expires.IsZero() && time.Now().After(id.expires) {
				return nil, "Bad credentials"
			}
			return id, ""
		}
	}
	if strings.EqualFold(scheme, "bearer") && strings.Count(cred, ".") == 2 {
		return s.verifyJWT(cred)
	}
	return nil, "Bad credentials"
}

// ---------------------------------------------------------------------------
// rate limits

type bucket struct {
	limit int
	used  int
	reset time.Time
}

func (s *Server) bucketFor(key string) *bucket {
	b := s.buckets[key]
	if b == nil {
		limit := s.rateLimit
		if key == "anonymous" {
			limit = 60
		}
		b = &bucket{limit: limit, reset: time.Now().Add(time.Hour)}
		s.buckets[key] = b
	}
	if !time.Now().Before(b.reset) {
		b.used = 0
		b.reset = time.Now().Add(time.Hour)
	}
	return b
}

func (b *bucket) remaining() int { return max(0, b.limit-b.used) }

func (b *bucket) setHeaders(h http.Header) {
	h.Set("X-RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(b.remaining()))
	h.Set("X-RateLimit-Reset", strconv.FormatInt(b.reset.Unix(), 10))
	h.Set("X-RateLimit-Used", strconv.Itoa(b.used))
	h.Set("X-RateLimit-Resource", "core")
}

// ---------------------------------------------------------------------------
// faults

type fault struct {
	status     int
	retryAfter time.Duration
}

func (s *Server) nextFault() (fault, bool) {
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		return f, true
	}
	if s.faultRate > 0 && s.faultRand != nil && s.faultRand.Float64() < s.faultRate {
		return fault{status: s.faultCodes[s.faultRand.IntN(len(s.faultCodes))], retryAfter: s.faultAfter}, true
	}
	return fault{}, false
}

const secondaryDocURL = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"

func (f fault) write(c *call) {
	rateLimited := f.status == http.StatusForbidden || f.status == http.StatusTooManyRequests
	if f.retryAfter > 0 || (f.retryAfter == 0 && rateLimited) {
		c.header.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.retryAfter.Seconds()))))
	}
	switch {
	case rateLimited:
		c.json(f.status, errorBody{
			Message:          "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
			DocumentationURL: secondaryDocURL,
		})
	default:
		c.json(f.status, errorBody{Message: http.StatusText(f.status)})
	}
}

// ---------------------------------------------------------------------------
// API dispatch

// call is one API request being served; it buffers the answer so that the
// middleware can add ETag, 304 and rate limit handling.
type call struct {
	s      *Server
	r      *http.Request
	id     *identity
	status int
	header http.Header
	body   bytes.Buffer
	wrote  bool
}

func (c *call) Header() http.Header { return c.header }

func (c *call) Write(b []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	return c.body.Write(b)
}

func (c *call) WriteHeader(code int) {
	if !c.wrote {
		c.status, c.wrote = code, true
	}
}

// errorBody is GitHub's error shape.
type errorBody struct {
	Message          string         `json:"message"`
	Errors           []github.Error `json:"errors,omitempty"`
	DocumentationURL string         `json:"documentation_url,omitempty"`
}

func (c *call) json(status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.s.t.Errorf("githubtest: encoding answer: %v", err)
		status, b = http.StatusInternalServerError, []byte(`{"message":"githubtest encoding error"}`)
	}
	c.header.Set("Content-Type", "application/json; charset=utf-8")
	c.WriteHeader(status)
	c.body.Write(b)
}

func (c *call) fail(status int, msg string) {
	c.json(status, errorBody{Message: msg, DocumentationURL: "https://docs.github.com/rest"})
}

func (c *call) notFound() { c.fail(http.StatusNotFound, "Not Found") }

// invalid answers 422 Validation Failed with one custom error.
func (c *call) invalid(resource, field, code, msg string) {
	c.s.t.Logf("githubtest: %s %s → 422 %s", c.r.Method, c.r.URL.Path, firstNonEmpty(msg, resource+"."+field+" "+code))
	c.json(http.StatusUnprocessableEntity, errorBody{
		Message:          "Validation Failed",
		Errors:           []github.Error{{Resource: resource, Field: field, Code: code, Message: msg}},
		DocumentationURL: "https://docs.github.com/rest",
	})
}

// unprocessable answers 422 with a plain message.
func (c *call) unprocessable(msg string) {
	c.s.t.Logf("githubtest: %s %s → 422 %s", c.r.Method, c.r.URL.Path, msg)
	c.fail(http.StatusUnprocessableEntity, msg)
}

func (c *call) decode(v any) bool {
	if err := json.NewDecoder(c.r.Body).Decode(v); err != nil {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return false
	}
	return true
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api/v3")
	if path == "" {
		path = "/"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reqCount++
	s.reqLog = append(s.reqLog, r.Method+" "+path)

	c := &call{s: s, status: http.StatusOK, header: http.Header{}}
	c.header.Set("X-GitHub-Request-Id", fmt.Sprintf("FORGETEST:%d", s.reqCount))
	c.header.Set("X-GitHub-Media-Type", "github.v3; format=json")

	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	r2.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, "/api/v3")
	c.r = r2

	id, authMsg := s.authenticate(r)
	bucketKey := "anonymous"
	if id != nil {
		bucketKey = id.bucket
	}
	b := s.bucketFor(bucketKey)
	consume := path != "/rate_limit"

	switch f, faulted := s.nextFault(); {
	case faulted:
		consume = false
		f.write(c)
	case id == nil:
		c.fail(http.StatusUnauthorized, authMsg)
	case consume && b.remaining() == 0:
		c.json(http.StatusForbidden, errorBody{
			Message:          fmt.Sprintf("API rate limit exceeded for user ID %d.", s.userID(id.login)),
			DocumentationURL: "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limits",
		})
		consume = false
	default:
		c.id = id
		s.mux.ServeHTTP(c, r2)
		if c.status == http.StatusOK && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			sum := sha256.Sum256(c.body.Bytes())
			etag := `"` + hex.EncodeToString(sum[:16]) + `"`
			c.header.Set("ETag", etag)
			if etagMatch(r.Header.Get("If-None-Match"), etag) {
				c.status = http.StatusNotModified
				c.body.Reset()
				consume = false
			}
		}
	}
	if consume {
		b.used++
	}
	b.setHeaders(c.header)
	if s.verbose {
		s.t.Logf("githubtest: %s %s → %d", r.Method, r.URL.RequestURI(), c.status)
	}
	for k, v := range c.header {
		w.Header()[k] = v
	}
	if c.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
	}
	w.WriteHeader(c.status)
	if c.status != http.StatusNotModified && c.status != http.StatusNoContent {
		_, _ = w.Write(c.body.Bytes())
	}
}

func etagMatch(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, e := range strings.Split(header, ",") {
		e = strings.TrimPrefix(strings.TrimSpace(e), "W/")
		if e == "*" || e == etag {
			return true
		}
	}
	return false
}

// route registers an API handler; pattern is a ServeMux pattern without the
// /api/v3 prefix.
func (s *Server) route(pattern string, h func(c *call)) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c := w.(*call)
		c.r = r
		h(c)
	})
}

func (s *Server) unimplemented(c *call) {
	s.t.Logf("githubtest: unimplemented API endpoint %s %s → 404", c.r.Method, c.r.URL.RequestURI())
	c.notFound()
}

// paginate applies per_page/page to items and sets the Link header.
func paginate[T any](c *call, items []T) []T {
	q := c.r.URL.Query()
	per, err := strconv.Atoi(q.Get("per_page"))
	if err != nil || per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, err := strconv.Atoi(q.Get("page"))
	if err != nil || page <= 0 {
		page = 1
	}
	last := max(1, (len(items)+per-1)/per)
	link := func(p int, rel string) string {
		q.Set("page", strconv.Itoa(p))
		q.Set("per_page", strconv.Itoa(per))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, strings.TrimSuffix(c.s.APIURL(), "/"), c.r.URL.Path, q.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(page-1, "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) > 0 {
		c.header.Set("Link", strings.Join(links, ", "))
	}
	start := (page - 1) * per
	if start >= len(items) {
		return []T{}
	}
	return items[start:min(len(items), start+per)]
}

// ---------------------------------------------------------------------------
// apps (data; the handlers are in app.go)

type app struct {
	id   int64
	slug string
	key  *rsa.PublicKey
}

type installation struct {
	id      int64
	appID   int64
	account string
}

// copyJSON deep-copies a go-github value by a JSON round trip.
func copyJSON[T any](v T) T {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// copiesOf deep-copies, in order, the values of the items that val keeps:
// the test-side accessors hand out copies a test cannot change the server by.
// It returns an empty slice, not nil, when none is kept.
func copiesOf[E, T any](items []E, val func(E) (T, bool)) []T {
	out := []T{}
	for _, e := range items {
		if v, ok := val(e); ok {
			out = append(out, copyJSON(v))
		}
	}
	return out
}

func now() time.Time { return time.Now().UTC().Truncate(time.Second) }

func ts(t time.Time) *github.Timestamp { return &github.Timestamp{Time: t} }

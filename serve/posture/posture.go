// Package posture is remedy serve's fleet posture page: every repository
// the server knows with its findings by severity and control, its open and
// declined fix pull requests, its dashboard issue and its last job, and
// every cluster with its live objects and drift; a page per repository;
// the same data as JSON. It reads the job store only (the last runs'
// postures, which the jobs store), never the forge, so a page view costs
// no API call.
//
// It is never public: every request needs the configured bearer token
// (Authorization: Bearer …, compared in constant time), and the page
// shows no secret: the store holds none.
package posture

import (
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Options configure New.
type Options struct {
	Store Store
	// Token is the bearer token every request must carry.
	Token []byte
	// Repositories are the configured repositories (job queue names),
	// shown before their first run; Clusters the configured clusters.
	Repositories []string
	Clusters     []string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	Log *slog.Logger
}

// Page serves the posture page and its JSON API.
type Page struct {
	o     Options
	mux   *http.ServeMux
	token [sha256.Size]byte
	tmpl  *template.Template
}

// Patterns are the routes Page serves, for the server's mux.
var patterns = []string{"GET /{$}", "GET /repos/{name...}", "GET /api/v1/posture", "GET /api/v1/posture/{name...}"}

//go:embed templates/*.html
var templateFiles embed.FS

// New returns the page. It refuses an empty token: the page is never
// served without one.
func New(o Options) (*Page, error) {
	if len(o.Token) == 0 {
		return nil, errors.New("posture page: no token")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	tmpl, err := template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &Page{o: o, mux: http.NewServeMux(), token: sha256.Sum256(o.Token), tmpl: tmpl}
	p.mux.HandleFunc(patterns[0], p.fleetPage)
	p.mux.HandleFunc(patterns[1], p.repoPage)
	p.mux.HandleFunc(patterns[2], p.fleetAPI)
	p.mux.HandleFunc(patterns[3], p.repoAPI)
	return p, nil
}

// Patterns are the routes the page serves: the server sends them here.
func (p *Page) Patterns() []string { return append([]string(nil), patterns...) }

// ServeHTTP answers 401 without the token, else serves the page.
func (p *Page) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	// No script at all; the only style is the page's own.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
	if given, ok := p.bearer(r); !ok {
		challenge := `Bearer realm="remedy posture"`
		if given {
			challenge += `, error="invalid_token"`
		}
		h.Set("WWW-Authenticate", challenge)
		http.Error(w, "401 Unauthorized: the posture page needs its token (Authorization: Bearer …)", http.StatusUnauthorized)
		return
	}
	p.mux.ServeHTTP(w, r)
}

// bearer says whether r carries a token, and whether it is the page's.
// Both sides are hashed first, so the comparison takes the same time
// whatever the length of the token given.
func (p *Page) bearer(r *http.Request) (given, ok bool) {
	scheme, tok, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return false, false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
	return true, subtle.ConstantTimeCompare(sum[:], p.token[:]) == 1
}

func (p *Page) fleet(w http.ResponseWriter, r *http.Request) (*Fleet, bool) {
	f, err := p.read(r.Context())
	if err != nil {
		p.unavailable(w, err)
		return nil, false
	}
	return f, true
}

func (p *Page) unavailable(w http.ResponseWriter, err error) {
	p.o.Log.Error("posture page: the store did not answer", "error", err)
	http.Error(w, "the job store did not answer", http.StatusServiceUnavailable)
}

func (p *Page) fleetPage(w http.ResponseWriter, r *http.Request) {
	if f, ok := p.fleet(w, r); ok {
		p.render(w, "fleet.html", f)
	}
}

func (p *Page) fleetAPI(w http.ResponseWriter, r *http.Request) {
	if f, ok := p.fleet(w, r); ok {
		writeJSON(w, http.StatusOK, f)
	}
}

// repository finds the repository of the request's name, with its whole
// posture; it answers 404 itself for one the server does not know.
func (p *Page) repository(w http.ResponseWriter, r *http.Request) (*RepositoryPage, bool) {
	rp, ok, err := p.readRepository(r.Context(), strings.Trim(r.PathValue("name"), "/"))
	switch {
	case err != nil:
		p.unavailable(w, err)
		return nil, false
	case !ok:
		http.Error(w, "404 no such repository: remedy serve has no posture or job of it", http.StatusNotFound)
		return nil, false
	}
	return rp, true
}

func (p *Page) repoPage(w http.ResponseWriter, r *http.Request) {
	if rp, ok := p.repository(w, r); ok {
		p.render(w, "repo.html", rp)
	}
}

func (p *Page) repoAPI(w http.ResponseWriter, r *http.Request) {
	if rp, ok := p.repository(w, r); ok {
		writeJSON(w, http.StatusOK, rp)
	}
}

// render executes a template into memory first: a failure half-way is a
// 500, not half a page.
func (p *Page) render(w http.ResponseWriter, name string, data any) {
	var b strings.Builder
	if err := p.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		p.o.Log.Error("posture page: render", "template", name, "error", err)
		http.Error(w, "the page could not be rendered", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

package github

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// ETagTransport makes GET requests conditional: it keeps the last 200
// answer of every URL (per credential) with its ETag, sends If-None-Match,
// and turns a 304 back into that answer. GitHub does not count 304 answers
// against the rate limit, so a run that finds nothing changed costs little.
//
// See https://docs.github.com/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
type ETagTransport struct {
	// Base sends the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Cache holds the answers; nil disables caching.
	Cache ResponseCache
}

// ResponseCache stores cached answers by an opaque key. Implementations
// must be safe for concurrent use.
type ResponseCache interface {
	Get(key string) (CachedResponse, bool)
	Put(key string, r CachedResponse)
}

// CachedResponse is a 200 answer kept for revalidation.
type CachedResponse struct {
	ETag   string      `json:"etag"`
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// maxCachedBody bounds the size of one cached answer.
const maxCachedBody = 4 << 20

// cachedHeaders are the answer headers worth replaying; Link carries
// pagination.
var cachedHeaders = []string{"Content-Type", "Link", "ETag", "Last-Modified", "X-GitHub-Media-Type"}

// RoundTrip implements http.RoundTripper.
func (t *ETagTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if t.Cache == nil || req.Method != http.MethodGet || req.Header.Get("If-None-Match") != "" || req.Header.Get("Range") != "" {
		return base.RoundTrip(req)
	}
	key := cacheKey(req)
	cached, ok := t.Cache.Get(key)
	r := req
	if ok {
		r = req.Clone(req.Context())
		r.Header.Set("If-None-Match", cached.ETag)
	}
	resp, err := base.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	switch {
	case resp.StatusCode == http.StatusNotModified && ok:
		resp.Body.Close()
		return replay(req, resp, cached), nil
	case resp.StatusCode == http.StatusOK && resp.Header.Get("ETag") != "":
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxCachedBody+1))
		if err != nil {
			resp.Body.Close()
			return nil, fmt.Errorf("read %s %s: %w", req.Method, req.URL.Path, err)
		}
		if len(body) <= maxCachedBody {
			resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(body))
			h := http.Header{}
			for _, k := range cachedHeaders {
				if v := resp.Header.Values(k); len(v) > 0 {
					h[http.CanonicalHeaderKey(k)] = v
				}
			}
			t.Cache.Put(key, CachedResponse{ETag: resp.Header.Get("ETag"), Header: h, Body: body})
		} else {
			resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		}
	}
	return resp, nil
}

// replay builds the 200 answer a 304 stands for. Rate limit headers come
// from the 304; X-From-Cache tells go-github not to record its rate.
func replay(req *http.Request, notModified *http.Response, c CachedResponse) *http.Response {
	h := c.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	for k, v := range notModified.Header {
		if strings.HasPrefix(k, "X-Ratelimit-") || k == "Date" || k == "X-Github-Request-Id" {
			h[k] = v
		}
	}
	h.Set("X-From-Cache", "1")
	h.Set("Content-Length", strconv.Itoa(len(c.Body)))
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         notModified.Proto,
		ProtoMajor:    notModified.ProtoMajor,
		ProtoMinor:    notModified.ProtoMinor,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(c.Body)),
		ContentLength: int64(len(c.Body)),
		Request:       req,
	}
}

// cacheKey names an answer by URL, the headers that select its
// representation and a hash of the credential, so that two tokens never
// share an answer and no key reveals a token.
func cacheKey(req *http.Request) string {
	h := sha256.New()
	for _, s := range []string{req.URL.String(), req.Header.Get("Accept"), req.Header.Get("X-GitHub-Api-Version"), req.Header.Get("Authorization")} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// MemoryCache is a ResponseCache in memory, holding at most Max answers
// (default 1024) and dropping the oldest first.
type MemoryCache struct {
	Max int

	mu    sync.Mutex
	m     map[string]CachedResponse
	order []string
}

// Get implements ResponseCache.
func (c *MemoryCache) Get(key string) (CachedResponse, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[key]
	return r, ok
}

// Put implements ResponseCache.
func (c *MemoryCache) Put(key string, r CachedResponse) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]CachedResponse{}
	}
	if _, ok := c.m[key]; !ok {
		c.order = append(c.order, key)
	}
	c.m[key] = r
	limit := c.Max
	if limit <= 0 {
		limit = 1024
	}
	for len(c.order) > limit {
		delete(c.m, c.order[0])
		c.order = c.order[1:]
	}
}

// DirCache is a ResponseCache in a folder, one file per answer, so that
// separate runs of the CLI revalidate instead of refetching. Files are
// private to the user: answers may hold private repositories' data.
type DirCache struct {
	Dir string
}

// Get implements ResponseCache. A missing or unreadable entry is a miss.
func (c DirCache) Get(key string) (CachedResponse, bool) {
	b, err := os.ReadFile(filepath.Join(c.Dir, key+".json"))
	if err != nil {
		return CachedResponse{}, false
	}
	var r CachedResponse
	if json.Unmarshal(b, &r) != nil || r.ETag == "" {
		return CachedResponse{}, false
	}
	return r, true
}

// Put implements ResponseCache. A failed write only costs a refetch.
func (c DirCache) Put(key string, r CachedResponse) {
	b, err := json.Marshal(r)
	if err != nil || os.MkdirAll(c.Dir, 0o700) != nil {
		return
	}
	f, err := os.CreateTemp(c.Dir, key+".*.tmp")
	if err != nil {
		return
	}
	_, werr := f.Write(b)
	cerr := f.Close()
	if werr != nil || cerr != nil || os.Rename(f.Name(), filepath.Join(c.Dir, key+".json")) != nil {
		os.Remove(f.Name())
	}
}

package server

import (
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
)

// DefaultBodyBudget bounds the memory all handlers together may hold in
// request bodies while signatures are checked: 128 MiB, two of GitHub's
// largest deliveries at once (each counts twice, see budgetReader); real
// deliveries are a few KiB.
const DefaultBodyBudget = 128 << 20

// bodyBudget counts the bytes reserved for bodies being read. A body whose
// signature is well-formed but wrong is known to be wrong only at its end,
// so it is buffered up to its limit; the budget keeps many such bodies at
// once from taking the process's memory with them.
type bodyBudget struct {
	mu        sync.Mutex
	used, max int64
}

func (b *bodyBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

func (b *bodyBudget) give(n int64) {
	b.mu.Lock()
	b.used -= n
	b.mu.Unlock()
}

// errBusy: the body budget is spent; the request may be sent again.
var errBusy = errors.New("too many request bodies being read")

// budgetReader takes from the budget twice every byte it reads: a body is
// read in chunks, then joined (webhook.ReadGitHub), so its bytes are held
// twice at the end (measured: 60 bodies of 24 MB with well-formed but wrong
// signatures at once peaked at 2.3 times the bytes read). What it took
// goes back with release.
type budgetReader struct {
	r     io.Reader
	b     *bodyBudget
	taken int64
}

func (br *budgetReader) Read(p []byte) (int, error) {
	n, err := br.r.Read(p)
	if n > 0 {
		if !br.b.take(2 * int64(n)) {
			return 0, errBusy
		}
		br.taken += 2 * int64(n)
	}
	return n, err
}

func (br *budgetReader) release() { br.b.give(br.taken) }

// readBody reads r's body with read, which verifies it as it goes, each
// byte counted against the server's body budget while the handler runs.
// It returns the body, or the status to refuse the request with, and a
// release the handler calls once it no longer holds the body. A refused
// request's connection is closed, so that the server never reads the rest
// of its body.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, max int64, read func(io.Reader, int64) ([]byte, error)) ([]byte, func(), int, error) {
	if r.ContentLength > max {
		w.Header().Set("Connection", "close")
		return nil, func() {}, http.StatusRequestEntityTooLarge, webhook.ErrTooLarge
	}
	body := &budgetReader{r: r.Body, b: s.budget}
	b, err := read(body, max)
	if err == nil {
		return b, body.release, http.StatusOK, nil
	}
	body.release()
	status := refusalStatus(w, err)
	return nil, func() {}, status, err
}

// refusalStatus is the status that refuses a body read with err.
func refusalStatus(w http.ResponseWriter, err error) int {
	w.Header().Set("Connection", "close")
	switch {
	case errors.Is(err, errBusy):
		w.Header().Set("Retry-After", "10")
		return http.StatusServiceUnavailable
	case errors.Is(err, webhook.ErrTooLarge):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, webhook.ErrUnsigned), errors.Is(err, webhook.ErrBadSignature), errors.Is(err, webhook.ErrStale):
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}

// refused logs a request readBody refused, and counts signature failures.
func (s *Server) refused(r *http.Request, source string, status int, err error) {
	if status == http.StatusUnauthorized {
		s.o.Metrics.SignatureFailure(source, reason(err))
		s.o.Log.Warn("request refused", "source", source, "reason", reason(err), "remote", r.RemoteAddr)
		return
	}
	s.o.Log.Warn("request refused", "source", source, "status", status, "error", err, "remote", r.RemoteAddr)
}

// refusal is the answer's error text for a status.
func refusal(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "bad signature"
	case http.StatusRequestEntityTooLarge:
		return "payload too large"
	case http.StatusServiceUnavailable:
		return "busy"
	default:
		return "unreadable body"
	}
}

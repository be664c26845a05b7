// Package server is remedy serve's HTTP side: it verifies forge webhook
// deliveries and Slack slash commands, turns them into durable jobs, and
// answers health, readiness and metrics probes. It does no work itself:
// every delivery is acknowledged as soon as its job is on disk, within
// Slack's three seconds and GitHub's ten.
//
// Data enters as HTTP requests: forge webhooks (GitHub, GitLab, Gitea),
// Slack slash commands and probes; it leaves as jobs enqueued on a Queue
// (serve/jobs), the immediate answers (acknowledgement, help, refusals),
// and metrics.
package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/remedy-bot/remedy/serve/chatcommand"
	"github.com/remedy-bot/remedy/serve/clock"
	"github.com/remedy-bot/remedy/serve/jobs"
	"github.com/remedy-bot/remedy/serve/serviceconfig"
)

// Queue stores jobs; *jobs.Store implements it.
type Queue interface {
	Enqueue(ctx context.Context, r jobs.Request) (jobs.Enqueued, error)
	History(ctx context.Context, repo string, limit int) ([]jobs.Job, error)
}

// Metrics are the counters the handlers feed; *metrics.Metrics implements it.
type Metrics interface {
	SignatureFailure(source, reason string)
	Delivery(source, event, outcome string)
}

// Options configure New.
type Options struct {
	Config  *serviceconfig.Config
	Secrets serviceconfig.Secrets
	// BotLogin is the account remedy comments as: its comments are never
	// commands.
	BotLogin string
	// LearnBotLogin, when set and BotLogin is empty, asks the forge for
	// the account remedy comments as. The server starts without it (the
	// forge may be down) and asks when a comment needs it.
	LearnBotLogin func(ctx context.Context) (string, error)
	Queue         Queue
	// Ready reports whether the server can take work (the store answers).
	Ready func(ctx context.Context) error
	// Degraded lists what works only in part (the forge unreachable, …):
	// /readyz still answers 200, since deliveries are taken and stored,
	// and names each line.
	Degraded func(ctx context.Context) []string
	// MetricsHandler serves GET /metrics.
	MetricsHandler http.Handler
	Metrics        Metrics
	// Known says whether a control ID exists.
	Known chatcommand.Known
	Clock clock.Clock
	Log   *slog.Logger
	// BodyBudget bounds the memory of request bodies held at once while
	// their signatures are checked; 0 means DefaultBodyBudget. A request
	// that does not fit is answered 503 with Retry-After.
	BodyBudget int64
	// ForgeBotLogins ask for remedy's accounts on the other forges, by
	// source (tasks.SourceGitea, tasks.SourceGitLab), as LearnBotLogin
	// does GitHub's: their comments are never commands, so a comment
	// delivery of a forge is refused (503) while its login is unknown.
	ForgeBotLogins map[string]func(ctx context.Context) (string, error)

	// Posture, when set, serves the fleet posture page at its patterns
	// (/, /repos/…, /api/v1/posture); without it they answer 404.
	Posture PosturePage
}

// PosturePage is the posture page; *posture.Page is one.
type PosturePage interface {
	http.Handler
	Patterns() []string
}

// Server is the HTTP handler of remedy serve.
type Server struct {
	o        Options
	mux      *http.ServeMux
	draining atomic.Bool
	// botLogins are the logins LearnBotLogin and ForgeBotLogins gave,
	// by source, once they answered.
	botLogins sync.Map
	budget    *bodyBudget
}

// New returns the server's handler.
func New(o Options) *Server {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = nopMetrics{}
	}
	if o.BodyBudget <= 0 {
		o.BodyBudget = DefaultBodyBudget
	}
	s := &Server{o: o, mux: http.NewServeMux(), budget: &bodyBudget{max: o.BodyBudget}}
	s.mux.HandleFunc("POST /webhooks/github", s.github)
	s.mux.HandleFunc("POST /webhooks/gitea", s.gitea)
	s.mux.HandleFunc("POST /webhooks/gitlab", s.gitlab)
	s.mux.HandleFunc("POST /slack/commands", s.slack)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { writeText(w, http.StatusOK, "ok\n") })
	s.mux.HandleFunc("GET /readyz", s.readyz)
	if o.MetricsHandler != nil {
		s.mux.Handle("GET /metrics", o.MetricsHandler)
	}
	if o.Posture != nil {
		for _, p := range o.Posture.Patterns() {
			s.mux.Handle(p, o.Posture)
		}
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Drain makes /readyz fail, so the load balancer stops sending deliveries
// while the process shuts down. Deliveries that still arrive are taken.
func (s *Server) Drain() { s.draining.Store(true) }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		writeText(w, http.StatusServiceUnavailable, "shutting down\n")
		return
	}
	if s.o.Ready != nil {
		if err := s.o.Ready(r.Context()); err != nil {
			s.o.Log.Warn("not ready", "error", err)
			writeText(w, http.StatusServiceUnavailable, "not ready\n")
			return
		}
	}
	if s.o.Degraded != nil {
		if d := s.o.Degraded(r.Context()); len(d) > 0 {
			writeText(w, http.StatusOK, "ok, degraded:\n"+strings.Join(d, "\n")+"\n")
			return
		}
	}
	writeText(w, http.StatusOK, "ok\n")
}

// enqueue stores a job and maps store errors to statuses.
func (s *Server) enqueue(ctx context.Context, r jobs.Request) (jobs.Enqueued, int, error) {
	e, err := s.o.Queue.Enqueue(ctx, r)
	switch {
	case err == nil:
		return e, http.StatusAccepted, nil
	case errors.Is(err, jobs.ErrQueueFull):
		return e, http.StatusServiceUnavailable, err
	default:
		s.o.Log.Error("could not store a job", "kind", r.Kind, "repo", r.Repo, "error", err)
		return e, http.StatusInternalServerError, err
	}
}

func writeText(w http.ResponseWriter, status int, s string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(s))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"encoding"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

type nopMetrics struct{}

func (nopMetrics) SignatureFailure(string, string) {}
func (nopMetrics) Delivery(string, string, string) {}

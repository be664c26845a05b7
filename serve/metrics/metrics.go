// Package metrics holds remedy serve's Prometheus metrics, registered on a
// registry the caller owns (never the global default one), and the HTTP
// transport that reads GitHub's rate limit headers into a gauge.
//
// Data enters as calls from the server, the jobs and the tasks (a job
// done, a pull request action, findings by control) and as GitHub's
// rate limit headers (RateLimitTransport); it leaves as the Prometheus exposition of the
// registry the caller serves.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's collectors.
type Metrics struct {
	registry *prometheus.Registry

	jobs             *prometheus.CounterVec
	jobDuration      *prometheus.HistogramVec
	pullRequests     *prometheus.CounterVec
	findings         *prometheus.CounterVec
	rateRemaining    *prometheus.GaugeVec
	signatureFailure *prometheus.CounterVec
	deliveries       *prometheus.CounterVec
	scheduleRuns     *prometheus.CounterVec
}

// New registers the collectors, with the Go and process collectors, on a
// new registry.
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "remedy_jobs_total", Help: "Jobs finished, by kind and outcome (succeeded, failed, requeued, retried, dead-letter).",
		}, []string{"kind", "outcome"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "remedy_job_duration_seconds", Help: "How long jobs ran, by kind.",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900},
		}, []string{"kind"}),
		pullRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "remedy_pull_requests_total", Help: "What remedy did to fix pull requests (created, updated, closed, adopted, ...).",
		}, []string{"action"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "remedy_findings_total", Help: "Unsuppressed findings seen by scans and reviews, by control.",
		}, []string{"control"}),
		rateRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "remedy_github_rate_limit_remaining", Help: "GitHub API calls left in the current window, by resource, from the last answer.",
		}, []string{"resource"}),
		signatureFailure: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "remedy_webhook_signature_failures_total", Help: "Deliveries refused for their signature, by source and reason.",
		}, []string{"source", "reason"}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "remedy_webhook_deliveries_total", Help: "Verified deliveries, by source, event and outcome (queued, coalesced, duplicate, ignored, rejected).",
		}, []string{"source", "event", "outcome"}),
		scheduleRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "remedy_schedule_runs_total", Help: "Scheduled sweeps fired, by schedule.",
		}, []string{"schedule"}),
	}
	m.registry.MustRegister(m.jobs, m.jobDuration, m.pullRequests, m.findings, m.rateRemaining,
		m.signatureFailure, m.deliveries, m.scheduleRuns,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Register adds more collectors (e.g. queue depth read from the store).
func (m *Metrics) Register(c ...prometheus.Collector) { m.registry.MustRegister(c...) }

// JobFinished counts a finished job.
func (m *Metrics) JobFinished(kind, outcome string, took time.Duration) {
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.jobDuration.WithLabelValues(kind).Observe(took.Seconds())
}

// PullRequest counts an action on a fix pull request.
func (m *Metrics) PullRequest(action string) { m.pullRequests.WithLabelValues(action).Inc() }

// Findings counts n findings of control.
func (m *Metrics) Findings(control string, n int) {
	m.findings.WithLabelValues(control).Add(float64(n))
}

// SignatureFailure counts a refused delivery.
func (m *Metrics) SignatureFailure(source, reason string) {
	m.signatureFailure.WithLabelValues(source, reason).Inc()
}

// Delivery counts a verified delivery.
func (m *Metrics) Delivery(source, event, outcome string) {
	m.deliveries.WithLabelValues(source, event, outcome).Inc()
}

// ScheduleRun counts a fired schedule.
func (m *Metrics) ScheduleRun(name string) { m.scheduleRuns.WithLabelValues(name).Inc() }

// RateLimitTransport records GitHub's X-RateLimit-Remaining of every answer.
type RateLimitTransport struct {
	Base    http.RoundTripper
	Metrics *Metrics
}

// RoundTrip implements http.RoundTripper.
func (t *RateLimitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.Base.RoundTrip(r)
	if err == nil && t.Metrics != nil {
		if v, perr := strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining")); perr == nil {
			res := resp.Header.Get("X-RateLimit-Resource")
			if res == "" {
				res = "core"
			}
			t.Metrics.rateRemaining.WithLabelValues(res).Set(float64(v))
		}
	}
	return resp, err
}

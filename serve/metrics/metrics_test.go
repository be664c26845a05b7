package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetricsExposition(t *testing.T) {
	m := New()
	m.JobFinished("converge", "succeeded", 3*time.Second)
	m.PullRequest("created")
	m.Findings("privileged", 2)
	m.SignatureFailure("github", "bad-signature")
	m.Delivery("github", "push", "queued")
	m.ScheduleRun("nightly")

	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "4321")
		w.Header().Set("X-RateLimit-Resource", "core")
	}))
	defer gh.Close()
	c := &http.Client{Transport: &RateLimitTransport{Base: http.DefaultTransport, Metrics: m}}
	resp, err := c.Get(gh.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err = http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`remedy_jobs_total{kind="converge",outcome="succeeded"} 1`,
		`remedy_job_duration_seconds_bucket{kind="converge",le="5"} 1`,
		`remedy_pull_requests_total{action="created"} 1`,
		`remedy_findings_total{control="privileged"} 2`,
		`remedy_github_rate_limit_remaining{resource="core"} 4321`,
		`remedy_webhook_signature_failures_total{reason="bad-signature",source="github"} 1`,
		`remedy_webhook_deliveries_total{event="push",outcome="queued",source="github"} 1`,
		`remedy_schedule_runs_total{schedule="nightly"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}

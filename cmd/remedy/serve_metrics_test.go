package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestServeMetricsListen: with metricsListen, /metrics answers on its own
// address only, so an Ingress routing to the webhooks' port cannot expose
// it; without, it stays on the webhooks' port.
func TestServeMetricsListen(t *testing.T) {
	get := func(t *testing.T, url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	t.Run("own address", func(t *testing.T) {
		e := newServeEnv(t)
		svc, _ := e.start(e.config("metricsListen: 127.0.0.1:0\n"), serveDeps{})
		if svc.MetricsAddr == "" || svc.MetricsAddr == svc.Addr {
			t.Fatalf("metrics address %q beside %q", svc.MetricsAddr, svc.Addr)
		}
		if code, body := get(t, "http://"+svc.MetricsAddr+"/metrics"); code != http.StatusOK || !strings.Contains(body, "remedy_jobs_queued") {
			t.Errorf("metrics address: %d\n%.300s", code, body)
		}
		if code, _ := get(t, "http://"+svc.Addr+"/metrics"); code != http.StatusNotFound {
			t.Errorf("/metrics on the webhooks' address: %d, want 404", code)
		}
		if code, _ := get(t, "http://"+svc.MetricsAddr+"/webhooks/github"); code == http.StatusOK || code == http.StatusAccepted {
			t.Errorf("the metrics address serves the webhooks: %d", code)
		}
		if code, _ := get(t, "http://"+svc.Addr+"/healthz"); code != http.StatusOK {
			t.Errorf("healthz: %d", code)
		}
	})
	t.Run("default", func(t *testing.T) {
		e := newServeEnv(t)
		svc, _ := e.start(e.config(""), serveDeps{})
		if svc.MetricsAddr != "" {
			t.Errorf("metrics address %q without metricsListen", svc.MetricsAddr)
		}
		if code, _ := get(t, "http://"+svc.Addr+"/metrics"); code != http.StatusOK {
			t.Errorf("/metrics: %d", code)
		}
	})
}

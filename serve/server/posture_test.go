package server

import (
	"net/http"
	"testing"

	"github.com/remedy-bot/remedy/serve/posture"
)

// TestPostureRoutes: the posture page answers on its routes behind its
// token, and the probes, metrics and webhooks are as they were; without
// the page, its routes answer 404.
func TestPostureRoutes(t *testing.T) {
	const token = "server-posture-token-0123456789"
	off := newFixture(t, "")
	on := newFixture(t, "")
	page, err := posture.New(posture.Options{Store: on.store, Token: []byte(token)})
	if err != nil {
		t.Fatal(err)
	}
	on.srv = New(Options{Config: on.srv.o.Config, Secrets: on.srv.o.Secrets, Queue: on.store, Ready: on.store.Ping, MetricsHandler: on.srv.o.MetricsHandler, Posture: page})
	on.http.Config.Handler = on.srv
	get := func(f *fixture, method, path, auth string) int {
		t.Helper()
		req, _ := http.NewRequest(method, f.http.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, tc := range []struct {
		method, path, auth string
		on, off            int
	}{
		{"GET", "/", token, 200, 404},
		{"GET", "/", "", 401, 404},
		{"HEAD", "/", token, 200, 404},
		{"GET", "/api/v1/posture", token, 200, 404},
		{"GET", "/api/v1/posture", "", 401, 404},
		{"GET", "/repos/acme/shop", "", 401, 404},
		{"GET", "/repos/acme/shop", token, 404, 404}, // no such repository
		{"POST", "/", token, 405, 404},
		{"GET", "/healthz", "", 200, 200},
		{"GET", "/readyz", "", 200, 200},
		{"GET", "/metrics", "", 200, 200},
		{"GET", "/webhooks/github", token, 405, 405},
		{"GET", "/other", token, 404, 404},
	} {
		if got := get(on, tc.method, tc.path, tc.auth); got != tc.on {
			t.Errorf("page on: %s %s (token %v): %d, want %d", tc.method, tc.path, tc.auth != "", got, tc.on)
		}
		if got := get(off, tc.method, tc.path, tc.auth); got != tc.off {
			t.Errorf("page off: %s %s (token %v): %d, want %d", tc.method, tc.path, tc.auth != "", got, tc.off)
		}
	}
}

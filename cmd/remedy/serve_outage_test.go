package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestServeStartsWithoutGitHub: with GitHub unreachable and no botLogin in
// the config, serve starts, is ready, and says what is degraded; once
// GitHub answers, the degradation goes.
func TestServeStartsWithoutGitHub(t *testing.T) {
	e := newServeEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String() + "/api/v3/"
	ln.Close() // nothing listens there: connection refused
	e.env["GITHUB_API_URL"] = dead
	svc, _ := e.start(e.config(""), serveDeps{})
	readyz := func() (int, string) {
		resp, err := http.Get("http://" + svc.Addr + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := readyz(); st != 200 || !strings.Contains(body, "degraded") || !strings.Contains(body, "bot login unknown") {
		t.Fatalf("readyz with GitHub down: %d %q", st, body)
	}
}

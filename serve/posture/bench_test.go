package posture

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/serve/jobs"
)

// BenchmarkPages reads a fleet of 500 repositories, each with 40
// findings it cannot fix and a job, from SQLite: the fleet page, its
// JSON, and one repository's page.
func BenchmarkPages(b *testing.B) {
	ctx := context.Background()
	s, err := jobs.Open(ctx, filepath.Join(b.TempDir(), "jobs.db"), jobs.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const repos = 500
	var names []string
	for i := range repos {
		name := fmt.Sprintf("acme/service-%03d", i)
		names = append(names, name)
		p := gitops.Posture{Repo: name, URL: "https://github.com/" + name, Base: "main", Commit: "abc",
			Controls: []gitops.ControlCount{{Control: "privileged", Severity: scanner.SeverityCritical, Findings: i % 3}, {Control: "host-pid", Severity: scanner.SeverityHigh, Findings: 40}},
			Open:     []gitops.PosturePR{{Number: i, URL: "https://github.com/" + name + "/pull/1", Branch: "remedy/security-fixes"}}}
		for j := range 40 {
			p.Unfixable = append(p.Unfixable, gitops.PostureFinding{Control: "host-pid", Severity: scanner.SeverityHigh, File: fmt.Sprintf("deploy/app-%d.yaml", j), Line: j + 1, Object: "Deployment shop/app", Message: "hostPID is true", Reason: "not fixable here"})
		}
		if err := s.SavePosture(ctx, name, gitops.PostureRecord{Posture: p, At: time.Now(), Job: fmt.Sprint(i)}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Enqueue(ctx, jobs.Request{Repo: name, Kind: "converge"}); err != nil {
			b.Fatal(err)
		}
	}
	p, err := New(Options{Store: s, Token: []byte(token), Repositories: names})
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"/", "/api/v1/posture", "/repos/acme/service-250"} {
		b.Run(path, func(b *testing.B) {
			size := 0
			for b.Loop() {
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				p.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", path, rec.Code)
				}
				size = rec.Body.Len()
			}
			b.ReportMetric(float64(size), "bytes/page")
		})
	}
}

package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/gitops/forge/webhook"
	"github.com/remedy-bot/remedy/internal/testfiles"
	"github.com/remedy-bot/remedy/serve/jobs"
	"github.com/remedy-bot/remedy/serve/serviceconfig"
	"github.com/remedy-bot/remedy/serve/tasks"
)

// TestWebhookBurst sends 1,000 signed deliveries (and 50 redeliveries of
// them) at once to a server on loopback backed by the real store and a
// running pool: every one is acknowledged, the redeliveries are known as
// such, requests for a repository coalesce into few jobs run one at a
// time, and every delivery reaches a job exactly once. Latencies are
// logged, not asserted: speed is the benchmark's business.
func TestWebhookBurst(t *testing.T) {
	const (
		deliveries = 1000
		redelivers = 50
		repos      = 10
		senders    = 64
	)
	if testing.Short() {
		t.Skip("load test")
	}
	cfg, _ := serviceconfig.Parse(nil)
	store, err := jobs.Open(context.Background(), filepath.Join(t.TempDir(), "jobs.db"), jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	var mu sync.Mutex
	seen := map[int]int{} // issue number (one per delivery) → times handled
	running := map[string]int{}
	maxRunning, jobsRun := 0, 0
	h := jobs.HandlerFunc(func(_ context.Context, j jobs.Job) (string, error) {
		reqs, err := tasks.DecodeRequests(j.Payloads)
		if err != nil {
			return "", err
		}
		mu.Lock()
		running[j.Repo]++
		maxRunning = max(maxRunning, running[j.Repo])
		jobsRun++
		for _, r := range reqs {
			seen[r.Issue]++
		}
		mu.Unlock()
		mu.Lock()
		running[j.Repo]--
		mu.Unlock()
		return "ok", nil
	})
	pool := jobs.NewPool(store, h, jobs.PoolOptions{Workers: 4})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { pool.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	srv := New(Options{Config: cfg, Secrets: serviceconfig.Secrets{WebhookSecret: []byte(hookSecret)}, Queue: store})
	hs := newLoopbackServer(t, srv)

	type signed struct {
		id, sig string
		body    []byte
	}
	all := make([]signed, 0, deliveries+redelivers)
	for i := range deliveries {
		body := testfiles.GitHubDelivery(t, "issue_comment.created.json", map[string]any{
			"comment.body": "/remedy fix", "issue.number": i + 1,
			"repository.full_name": fmt.Sprintf("acme/repo-%d", i%repos),
		})
		all = append(all, signed{id: fmt.Sprintf("burst-%d", i), sig: webhook.SignGitHub([]byte(hookSecret), body), body: body})
	}
	all = append(all, all[:redelivers]...)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}}
	latencies := make([]time.Duration, len(all))
	statuses := make([]int, len(all))
	duplicate := make([]bool, len(all))
	work := make(chan int)
	var wg sync.WaitGroup
	start := time.Now()
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				d := all[i]
				req, _ := http.NewRequest(http.MethodPost, hs+"/webhooks/github", bytes.NewReader(d.body))
				req.Header.Set(webhook.GitHubEventHeader, "issue_comment")
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(webhook.GitHubDeliveryHeader, d.id)
				req.Header.Set(webhook.GitHubSignatureHeader, d.sig)
				t0 := time.Now()
				resp, err := client.Do(req)
				latencies[i] = time.Since(t0)
				if err != nil {
					t.Error(err)
					continue
				}
				var b bytes.Buffer
				b.ReadFrom(resp.Body)
				resp.Body.Close()
				statuses[i] = resp.StatusCode
				duplicate[i] = bytes.Contains(b.Bytes(), []byte(`"duplicate":true`))
			}
		}()
	}
	for i := range all {
		work <- i
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(start)

	dups := 0
	for i, st := range statuses {
		if st != http.StatusAccepted {
			t.Fatalf("delivery %d: status %d", i, st)
		}
		if duplicate[i] {
			dups++
		}
	}
	if dups != redelivers {
		t.Errorf("%d deliveries answered as duplicates, want %d", dups, redelivers)
	}
	if err := pool.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != deliveries {
		t.Errorf("%d deliveries reached a job, want %d", len(seen), deliveries)
	}
	for issue, n := range seen {
		if n != 1 {
			t.Errorf("delivery for issue %d handled %d times", issue, n)
		}
	}
	if maxRunning != 1 {
		t.Errorf("up to %d jobs of one repository ran at once", maxRunning)
	}
	if jobsRun >= deliveries/2 {
		t.Errorf("%d jobs for %d deliveries: requests did not coalesce", jobsRun, deliveries)
	}
	slices.Sort(latencies)
	pct := func(p float64) time.Duration { return latencies[int(p*float64(len(latencies)-1))] }
	t.Logf("%d deliveries (%d redelivered) from %d senders in %s (%.0f/s): ack p50 %s, p99 %s, max %s; %d jobs ran for %d repositories",
		len(all), redelivers, senders, elapsed.Round(time.Millisecond), float64(len(all))/elapsed.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), latencies[len(latencies)-1].Round(10*time.Microsecond), jobsRun, repos)
}

func newLoopbackServer(t testing.TB, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL
}

// BenchmarkWebhookDelivery measures one signed delivery, verified and
// stored, over loopback, with 64 concurrent senders.
func BenchmarkWebhookDelivery(b *testing.B) {
	cfg, _ := serviceconfig.Parse(nil)
	store, err := jobs.Open(context.Background(), filepath.Join(b.TempDir(), "jobs.db"), jobs.Options{MaxQueued: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	srv := New(Options{Config: cfg, Secrets: serviceconfig.Secrets{WebhookSecret: []byte(hookSecret)}, Queue: store})
	url := newLoopbackServer(b, srv)
	body := testfiles.GitHubDelivery(b, "issue_comment.created.json", map[string]any{"comment.body": "/remedy fix"})
	sig := webhook.SignGitHub([]byte(hookSecret), body)
	var mu sync.Mutex
	n := 0
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			n++
			id := fmt.Sprint("bench-", n)
			mu.Unlock()
			req, _ := http.NewRequest(http.MethodPost, url+"/webhooks/github", bytes.NewReader(body))
			req.Header.Set(webhook.GitHubEventHeader, "issue_comment")
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(webhook.GitHubDeliveryHeader, id)
			req.Header.Set(webhook.GitHubSignatureHeader, sig)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
}

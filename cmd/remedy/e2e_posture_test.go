//go:build e2e

package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/serve/jobs"
)

// chromium finds a Chromium (Debian's chromium package) or Chrome, or
// skips the test saying how to get one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium installed (apt-get install -y chromium): the posture page's browser test needs one")
	return ""
}

// artifacts is where the test keeps what a person looks at afterwards:
// $REMEDY_ARTIFACTS, else a directory of the test's own.
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("REMEDY_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// seedFleet fills the store at path as a fleet's week of runs would: the
// postures of five repositories on three forges, a cluster sweep, and
// the jobs that stored them, run by a pool.
func seedFleet(t *testing.T, path string, now time.Time) {
	t.Helper()
	ctx := context.Background()
	store, err := jobs.Open(ctx, path, jobs.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	crit, high, med := scanner.SeverityCritical, scanner.SeverityHigh, scanner.SeverityMedium
	gh := func(repo string) string { return "https://github.example/" + repo }
	postures := map[string]gitops.Posture{
		"acme/shop": {
			Repo: "acme/shop", URL: gh("acme/shop"), Base: "main", Commit: "9f2c1e7",
			Controls: []gitops.ControlCount{
				{Control: "privileged", Severity: crit, Findings: 2, Fixable: 2},
				{Control: "host-pid", Severity: high, Findings: 1, Ignored: 1},
				{Control: "run-as-non-root", Severity: med, Findings: 3, Fixable: 3},
			},
			Unfixable:  []gitops.PostureFinding{{Control: "host-pid", Severity: high, File: "deploy/agent.yaml", Line: 14, Object: "DaemonSet kube-system/node-agent", Message: "spec.hostPID is true", Reason: "sharing the host's process namespace is the agent's job: remedy does not take it away"}},
			Ignored:    []gitops.PostureFinding{{Control: "host-pid", Severity: high, File: "deploy/debug.yaml", Line: 6, Object: "Pod ops/debug-shell", Reason: "break-glass pod, removed after the incident", Until: "2026-12-31"}},
			Unreadable: []scanner.FileError{{File: "deploy/legacy.yaml", Line: 3, Message: "yaml: mapping values are not allowed in this context"}},
			Open:       []gitops.PosturePR{{Number: 41, URL: gh("acme/shop/pull/41"), Branch: "remedy/security-fixes", Title: "Security fixes: privileged, run-as-non-root", Controls: []string{"privileged", "run-as-non-root"}}},
			Declined:   []gitops.PosturePR{{Number: 37, URL: gh("acme/shop/pull/37"), Branch: "remedy/security-fixes", Title: "Security fixes: read-only-root-filesystem", Controls: []string{"read-only-root-filesystem"}}},
			Dashboard:  &gitops.IssueRef{Number: 12, URL: gh("acme/shop/issues/12")},
		},
		"acme/payments": {
			Repo: "acme/payments", URL: gh("acme/payments"), Base: "main",
			Controls: []gitops.ControlCount{{Control: "drop-all-capabilities", Severity: high, Findings: 4, Fixable: 4}, {Control: "seccomp-profile", Severity: med, Findings: 4, Fixable: 4}},
			Open:     []gitops.PosturePR{{Number: 8, URL: gh("acme/payments/pull/8"), Branch: "remedy/security-fixes", Title: "Security fixes"}},
		},
		"acme/web": {Repo: "acme/web", URL: gh("acme/web"), Base: "main", Controls: []gitops.ControlCount{{Control: "privileged", Severity: crit, Ignored: 1}}},
		"gitlab:platform/infra/ingress": {
			Repo: "platform/infra/ingress", URL: "https://gitlab.example/platform/infra/ingress", Base: "main",
			Controls: []gitops.ControlCount{{Control: "read-only-root-filesystem", Severity: med, Findings: 2, Fixable: 2}},
		},
		"gitea:ops/monitoring": {
			Repo: "ops/monitoring", URL: "https://gitea.example/ops/monitoring", Base: "main",
			Controls:  []gitops.ControlCount{{Control: "privileged", Severity: crit, Findings: 1}},
			Unfixable: []gitops.PostureFinding{{Control: "privileged", Severity: crit, File: "node-exporter/daemonset.yaml", Line: 31, Object: "DaemonSet monitoring/node-exporter", Message: "privileged: true", Reason: "ignored by the chart's values"}},
		},
	}
	// The jobs that stored them, as the pool records them; the last run
	// of acme/payments failed, so its posture is the day before's.
	if err := store.SavePosture(ctx, "acme/payments", gitops.PostureRecord{Posture: postures["acme/payments"], At: now.Add(-26 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	var order []string
	for repo := range postures {
		order = append(order, repo)
	}
	order = append(order, "cluster:prod")
	for _, repo := range order {
		kind := "converge"
		if strings.HasPrefix(repo, "cluster:") {
			kind = "cluster-sweep"
		}
		if _, err := store.Enqueue(ctx, jobs.Request{Repo: repo, Kind: kind}); err != nil {
			t.Fatal(err)
		}
	}
	pool := jobs.NewPool(store, jobs.HandlerFunc(func(ctx context.Context, j jobs.Job) (string, error) {
		if j.Repo == "acme/payments" {
			return "", errors.New("clone acme/payments: remote hung up (the forge answered 502)")
		}
		if p, ok := postures[j.Repo]; ok {
			rec := gitops.PostureRecord{Posture: p, At: now.Add(-3 * time.Hour), Job: fmt.Sprint(j.ID)}
			if err := store.SavePosture(ctx, j.Repo, rec); err != nil {
				return "", err
			}
			return "fix pull request up to date", nil
		}
		return "cluster prod: 58 objects", store.SaveCluster(ctx, jobs.ClusterRecord{Name: "prod", At: now.Add(-time.Hour), Job: fmt.Sprint(j.ID), Objects: 58, Drifted: 3, Findings: 9,
			Targets: []jobs.ClusterTarget{{Repo: "acme/shop", Objects: 41, Findings: 7, Fixable: 5, Outcome: "remedy/live/prod/security-fixes created #43"}, {Repo: "https://git.example/vendor/cni.git", Objects: 17, Outcome: "skipped: not on a configured forge"}}})
	}), jobs.PoolOptions{Workers: 2})
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); pool.Run(runCtx) }()
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err = pool.WaitIdle(waitCtx)
	stop()
	<-done
	if err != nil {
		t.Fatal(err)
	}
}

// TestE2EPosturePage drives the posture page of a running remedy serve
// in a real browser: the fleet with its seeded repositories and counts,
// a repository's page through its link, and a request without the token
// refused. It keeps a screenshot of each page.
func TestE2EPosturePage(t *testing.T) {
	exe := chromium(t)
	e := newServeEnv(t)
	e.env["PAGE_TOKEN"] = servePostureToken
	now := time.Now()
	cfg := e.config("repositories: [acme/shop, acme/payments, acme/web, acme/docs]\nclusters:\n  - {name: prod, context: prod-eu}\nschedules: []\nposture:\n  token: {env: PAGE_TOKEN}\n")
	seedFleet(t, cfg.Store, now)
	svc, _ := e.start(cfg, serveDeps{})
	base := "http://" + svc.Addr

	// A request without the token, as any client sends it: refused.
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("without the token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1400, 1000))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()

	// The browser without the token: the page is refused, in the browser too.
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("%s: %v", sel, err)
		}
		return s
	}
	res, err := chromedp.Run(ctx, chromedp.NavigateResponse(base+"/"))
	if err != nil {
		t.Fatal(err)
	}
	if refused := text("body"); res.Status != http.StatusUnauthorized || !strings.Contains(refused, "401 Unauthorized") || strings.Contains(refused, "acme/shop") {
		t.Fatalf("the browser without the token: status %d, page %q", res.Status, refused)
	}

	// With the token: the fleet.
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": "Bearer " + servePostureToken}}); err != nil {
		t.Fatal(err)
	}
	if res, err = chromedp.Run(ctx, chromedp.NavigateResponse(base+"/")); err != nil || res.Status != http.StatusOK {
		t.Fatalf("the fleet page: %v %v", res, err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#repositories"))); err != nil {
		t.Fatal(err)
	}
	total, critical := text("#total-repositories"), text("#total-critical")
	repos, clusters := text("#repositories tbody"), text("#clusters tbody")
	firstRepo := text("#repositories tbody tr:first-child td:first-child")
	fleetShot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	// Five with postures and acme/docs, configured and never run.
	if total != "6" || critical != "3" {
		t.Errorf("totals: %s repositories, %s critical; want 6 and 3", total, critical)
	}
	for _, want := range []string{"acme/shop", "acme/payments", "acme/web", "gitlab:platform/infra/ingress", "gitea:ops/monitoring", "acme/docs not scanned yet", "clean", "#41", "#37", "#12", "failed", "clone acme/payments: remote hung up"} {
		if !strings.Contains(repos, want) {
			t.Errorf("the fleet lacks %q:\n%s", want, repos)
		}
	}
	if !strings.HasPrefix(firstRepo, "acme/shop") {
		t.Errorf("the worst repository is not first: %q", firstRepo)
	}
	for _, want := range []string{"prod", "58", "3", "remedy/live/prod/security-fixes created #43", "skipped: not on a configured forge"} {
		if !strings.Contains(clusters, want) {
			t.Errorf("the clusters lack %q:\n%s", want, clusters)
		}
	}

	// A repository's page, through its link.
	res, err = chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(`#repositories a[href="/repos/acme/shop"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#unfixable"))); err != nil {
		t.Fatal(err)
	}
	location, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if heading := text("#repository"); res.Status != http.StatusOK || location != base+"/repos/acme/shop" || !strings.HasPrefix(heading, "acme/shop") {
		t.Errorf("the link led to %s (%q, %d)", location, heading, res.Status)
	}
	for sel, want := range map[string]string{"#unfixable tbody": "deploy/agent.yaml:14", "#ignored tbody": "break-glass pod", "#unreadable tbody": "deploy/legacy.yaml:3", "#pull-requests tbody": "#37"} {
		if got := text(sel); !strings.Contains(got, want) {
			t.Errorf("the repository page lacks %q in %s:\n%s", want, sel, got)
		}
	}
	repoShot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if res, err = chromedp.Run(ctx, chromedp.NavigateResponse(base+"/repos/gitlab:platform/infra/ingress")); err != nil || res.Status != http.StatusOK {
		t.Fatalf("a GitLab subgroup's page: %v %v", res, err)
	}
	if heading := text("#repository"); !strings.HasPrefix(heading, "gitlab:platform/infra/ingress") {
		t.Errorf("a GitLab subgroup's page: %q", heading)
	}

	dir := artifacts(t)
	for name, shot := range map[string][]byte{"posture-fleet.png": fleetShot, "posture-repository.png": repoShot} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", p, len(shot))
	}
}

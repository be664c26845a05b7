package github

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	gogithub "github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/gitops"
)

// The dashboard fixture: two fixable findings (web, db), one remedy cannot
// fix (a host port), one ignored with a reason, and a file that is not
// YAML.
const (
	apiHostPort = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: api
          image: api:1.0
          ports:
            - containerPort: 8080
              hostPort: 8080
          securityContext:
            privileged: true # remedy:ignore privileged the api sniffs packets
`
	brokenYAML    = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [oops\n"
	dashboardOn   = "dashboard: true\ncontrols:\n  enable: [privileged, host-pid, host-port]\n"
	dashboardOff  = "dashboard: false\ncontrols:\n  enable: [privileged, host-pid, host-port]\n"
	dashboardNone = "controls:\n  enable: [privileged, host-pid, host-port]\n"
)

func dashboardFixture() map[string]string {
	return map[string]string{
		".remedy.yaml": dashboardOn, "deploy/web.yaml": webPrivileged, "deploy/db.yaml": dbHostPID,
		"deploy/api.yaml": apiHostPort, "deploy/broken.yaml": brokenYAML,
	}
}

func (h *harness) issues() []*gogithub.Issue { return h.s.Issues("acme", "shop") }

// issueWrites are the API writes to issues (not pull requests) in reqs.
func issueWrites(h *harness, reqs []string) []string {
	var out []string
	for _, r := range writes(reqs) {
		if strings.Contains(r, "/issues") && !strings.Contains(r, "/comments") && !strings.Contains(r, "/labels") && !strings.Contains(r, "/assignees") {
			out = append(out, r)
		}
	}
	return out
}

func TestDashboardLifeCycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, dashboardFixture())

	// First run: the fix pull request (#1), then the dashboard (#2).
	res, reqs := h.mustRun(gitops.RunOptions{})
	t.Logf("first run with a dashboard: %d API requests: %v", len(reqs), reqs)
	if res.Dashboard.Action != gitops.DashboardCreated || res.Dashboard.Issue == nil || res.Dashboard.Issue.Number != 2 {
		t.Fatalf("dashboard %+v; requests %v", res.Dashboard, reqs)
	}
	is := h.issues()
	if len(is) != 1 {
		t.Fatalf("%d issues", len(is))
	}
	body := is[0].GetBody()
	for _, want := range []string{
		"## Open fix pull requests\n\n- #1 fixes 2 findings of `host-pid`, `privileged`",
		"## What remedy cannot fix",
		"### `host-port` (medium)",
		"- [`deploy/api.yaml:14`](" + h.s.URL + "/acme/shop/blob/main/deploy/api.yaml#L14) `Deployment shop/api, container api`: `report-only control: fix by hand`",
		"## Ignored\n\n- `privileged` [`deploy/api.yaml:16`](",
		"`the api sniffs packets`",
		"## Files remedy could not read\n\n- `deploy/broken.yaml",
		gitops.DashboardMarker,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q:\n%s", want, body)
		}
	}
	t.Logf("dashboard:\n%s", body)
	if is[0].GetTitle() != "remedy security dashboard" || strings.Contains(body, "No finding left") || strings.Contains(body, "Declined") {
		t.Errorf("title %q, body:\n%s", is[0].GetTitle(), body)
	}
	p := res.Posture
	if p.Dashboard == nil || p.Dashboard.Number != 2 || len(p.Open) != 1 || len(p.Unfixable) != 1 || len(p.Ignored) != 1 || len(p.Unreadable) != 1 || len(p.Declined) != 0 {
		t.Errorf("posture %+v", p)
	}

	// Idle reruns: no edit of the issue, no second one.
	for range 2 {
		res, reqs = h.mustRun(gitops.RunOptions{})
		if w := issueWrites(h, reqs); len(w) != 0 || res.Dashboard.Action != gitops.DashboardUnchanged {
			t.Fatalf("idle rerun wrote %v (dashboard %q)", w, res.Dashboard.Action)
		}
	}
	if res, reqs = h.mustRun(gitops.RunOptions{Version: "v1.0.0"}); len(issueWrites(h, reqs)) != 0 {
		t.Fatalf("rerun wrote %v", issueWrites(h, reqs))
	}
	// With a version the next run is idle (not cloned), and still writes
	// nothing.
	res, reqs = h.mustRun(gitops.RunOptions{Version: "v1.0.0"})
	t.Logf("idle run with a dashboard: %d API requests: %v", len(reqs), reqs)
	if !res.Idle || len(writes(reqs)) != 0 || len(reqs) > 5 {
		t.Fatalf("idle: %v, writes %v", res.Idle, writes(reqs))
	}

	// Declined: the pull request closed unmerged shows as an unticked box.
	h.s.ClosePR("acme", "shop", 1, false)
	res, reqs = h.mustRun(gitops.RunOptions{Version: "v1.0.0"})
	body = h.issues()[0].GetBody()
	line := "- [ ] 2 fixes of `host-pid`, `privileged`, declined in #1 <!-- remedy:declined 1 -->"
	if !strings.Contains(body, line) || strings.Contains(body, "## Open fix pull requests") || res.Dashboard.Action != gitops.DashboardUpdated {
		t.Fatalf("after the decline (%q, %v):\n%s", res.Dashboard.Action, issueWrites(h, reqs), body)
	}
	if len(res.Posture.Declined) != 1 || res.Posture.Declined[0].Number != 1 {
		t.Errorf("posture declined %+v", res.Posture.Declined)
	}

	// A human writes a note at the top, with the browser's CRLF: the
	// dashboard is still found (no second one); remedy puts its text back.
	edited := "Team note: we look at this on Mondays.\r\n\r\n" + strings.ReplaceAll(body, "\n", "\r\n")
	h.s.EditIssueBody("acme", "shop", 2, edited)
	res, _ = h.mustRun(gitops.RunOptions{Version: "v1.0.0"})
	if len(h.issues()) != 1 || res.Dashboard.Action != gitops.DashboardUpdated || h.issues()[0].GetBody() != body {
		t.Fatalf("after a human's edit: %d issues, %q", len(h.issues()), res.Dashboard.Action)
	}
	// The same text with CRLF line endings is the same body: no edit.
	h.s.EditIssueBody("acme", "shop", 2, strings.ReplaceAll(body, "\n", "\r\n"))
	if res, reqs = h.mustRun(gitops.RunOptions{Version: "v1.0.0"}); len(issueWrites(h, reqs)) != 0 {
		t.Fatalf("CRLF body rewritten: %v", issueWrites(h, reqs))
	}

	// Ticking the box, with a human's edit elsewhere, brings the fixes
	// back in a new pull request, and the line leaves the list.
	ticked := "Ticked by the team lead.\n\n" + strings.Replace(body, "- [ ] 2 fixes", "- [x] 2 fixes", 1)
	h.s.EditIssueBody("acme", "shop", 2, ticked)
	res, reqs = h.mustRun(gitops.RunOptions{Version: "v1.0.0"})
	if res.Idle || !slices.Equal(res.Dashboard.Restored, []int{1}) {
		t.Fatalf("ticked: idle %v, restored %v; requests %v", res.Idle, res.Dashboard.Restored, reqs)
	}
	prs := h.prs()
	if len(prs) != 2 || prs[1].GetState() != "open" || !strings.Contains(prs[0].GetBody(), "<!-- remedy:obsolete -->") {
		t.Fatalf("%d pull requests; #1 body:\n%s", len(prs), prs[0].GetBody())
	}
	if fps, _ := gitops.MarkerFingerprints(prs[1].GetBody()); len(fps) != 2 {
		t.Errorf("the new pull request fixes %v", fps)
	}
	body = h.issues()[0].GetBody()
	n := prs[1].GetNumber()
	if strings.Contains(body, "remedy:declined") || strings.Contains(body, "Ticked by") || !strings.Contains(body, "- #"+strconv.Itoa(n)+" fixes 2 findings") {
		t.Errorf("after the tick:\n%s", body)
	}
	// And it stays so: nothing declined, nothing written.
	res, reqs = h.mustRun(gitops.RunOptions{Version: "v1.0.0"})
	if len(writes(reqs)) != 0 || len(h.prs()) != 2 || len(h.issues()) != 1 {
		t.Fatalf("after the tick, rerun wrote %v", writes(reqs))
	}

	// A human closes the dashboard: the next run reopens it.
	h.s.CloseIssue("acme", "shop", 2)
	res, _ = h.mustRun(gitops.RunOptions{Version: "v1.0.0"})
	if res.Dashboard.Action != gitops.DashboardReopened || h.issues()[0].GetState() != "open" || len(h.issues()) != 1 {
		t.Fatalf("closed by a human: %q, state %s", res.Dashboard.Action, h.issues()[0].GetState())
	}

	// Turned off: the issue is closed, and stays closed.
	h.s.CommitFiles("acme", "shop", "main", map[string]string{".remedy.yaml": dashboardOff}, "no dashboard")
	res, _ = h.mustRun(gitops.RunOptions{Version: "v1.0.0"})
	if res.Dashboard.Action != gitops.DashboardClosed || h.issues()[0].GetState() != "closed" {
		t.Fatalf("turned off: %q, state %s", res.Dashboard.Action, h.issues()[0].GetState())
	}
	res, reqs = h.mustRun(gitops.RunOptions{})
	if len(issueWrites(h, reqs)) != 0 || h.issues()[0].GetState() != "closed" {
		t.Fatalf("off, rerun wrote %v", issueWrites(h, reqs))
	}
	// Turned on again: the same issue is reopened, never a second one.
	h.s.CommitFiles("acme", "shop", "main", map[string]string{".remedy.yaml": dashboardOn}, "dashboard again")
	res, _ = h.mustRun(gitops.RunOptions{})
	if res.Dashboard.Action != gitops.DashboardReopened || len(h.issues()) != 1 || h.issues()[0].GetState() != "open" {
		t.Fatalf("on again: %q, %d issues", res.Dashboard.Action, len(h.issues()))
	}
}

// A repository with nothing left says so, and the issue stays open.
func TestDashboardCleanRepository(t *testing.T) {
	t.Parallel()
	h := newHarness(t, map[string]string{".remedy.yaml": dashboardOn, "deploy/web.yaml": webFixed})
	res, _ := h.mustRun(gitops.RunOptions{})
	is := h.issues()
	if res.Dashboard.Action != gitops.DashboardCreated || len(is) != 1 || is[0].GetState() != "open" {
		t.Fatalf("dashboard %q, %d issues", res.Dashboard.Action, len(is))
	}
	if body := is[0].GetBody(); !strings.Contains(body, "**No finding left.**") || strings.Contains(body, "##") {
		t.Errorf("clean dashboard:\n%s", body)
	}
	if !res.Posture.Clean() || len(h.prs()) != 0 {
		t.Errorf("posture %+v, %d PRs", res.Posture, len(h.prs()))
	}
}

// Without dashboard in .remedy.yaml (and no default), remedy neither
// looks for nor opens an issue.
func TestNoDashboardNoIssueCalls(t *testing.T) {
	t.Parallel()
	files := dashboardFixture()
	files[".remedy.yaml"] = dashboardNone
	h := newHarness(t, files)
	_, reqs := h.mustRun(gitops.RunOptions{})
	for _, r := range reqs {
		if strings.Contains(r, "/issues") && !strings.Contains(r, "/labels") && !strings.Contains(r, "/assignees") {
			t.Errorf("issue request without a dashboard: %s", r)
		}
	}
	if len(h.issues()) != 0 {
		t.Error("an issue was opened")
	}
	// The server's default turns it on.
	res, _ := h.mustRun(gitops.RunOptions{Dashboard: true})
	if res.Dashboard.Action != gitops.DashboardCreated || len(h.issues()) != 1 {
		t.Errorf("default on: %q", res.Dashboard.Action)
	}
}

// A ticked box of a pull request that is not a declined fix pull request
// of remedy's (a human's, or a merged one) changes nothing.
func TestDashboardTickOnlyRestoresDeclined(t *testing.T) {
	t.Parallel()
	h := newHarness(t, dashboardFixture())
	h.mustRun(gitops.RunOptions{})
	body := h.issues()[0].GetBody()
	// #1 is open, not declined; #9 does not exist.
	h.s.EditIssueBody("acme", "shop", 2, body+"\n- [x] mine <!-- remedy:declined 1 -->\n- [x] gone <!-- remedy:declined 9 -->\n")
	res, _ := h.mustRun(gitops.RunOptions{})
	if len(res.Dashboard.Restored) != 0 || strings.Contains(h.prs()[0].GetBody(), "remedy:obsolete") {
		t.Errorf("restored %v", res.Dashboard.Restored)
	}
	if got := gitops.TickedDeclined("- [x] a <!-- remedy:declined 3 -->\n* [X] b <!-- remedy:declined 2 -->\r\n- [ ] c <!-- remedy:declined 4 -->\n> - [x] quoted <!-- remedy:declined 5 -->\n"); !slices.Equal(got, []int{2, 3}) {
		t.Errorf("ticked %v", got)
	}
}

// As a GitHub App's installation, which cannot ask GET /user who it is,
// the dashboard is the bot account's issue with the marker: found again,
// and a person's issue quoting the marker is not taken for it.
func TestDashboardAsGitHubApp(t *testing.T) {
	t.Parallel()
	s := appForge(t)
	s.CommitFiles("acme", "shop", "main", dashboardFixture(), "manifests")
	s.AddToken("human-token", "alice")
	src := newAppSource(t, s, AppOptions{})
	c, err := New(Options{APIURL: s.APIURL(), Tokens: src, Retry: noWait()})
	if err != nil {
		t.Fatal(err)
	}
	// A person's issue that quotes a dashboard, opened first.
	if _, _, err := s.Client("human-token").Issues.Create(context.Background(), "acme", "shop", &gogithub.IssueRequest{
		Title: gogithub.Ptr("copy"), Body: gogithub.Ptr("quoted: " + gitops.DashboardMarker),
	}); err != nil {
		t.Fatal(err)
	}
	run := func() gitops.RunResult {
		t.Helper()
		tok, err := src.Token(context.Background(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		res, err := gitops.RemedyRepository(context.Background(), c, "acme", "shop", gitops.RunOptions{Token: tok})
		if err != nil {
			t.Fatalf("run: %v\n%v", err, s.RequestLog())
		}
		return res
	}
	if res := run(); res.Dashboard.Action != gitops.DashboardCreated || s.Issues("acme", "shop")[1].GetUser().GetLogin() == "alice" {
		t.Fatalf("first run: %+v", res.Dashboard)
	}
	if res := run(); res.Dashboard.Action != gitops.DashboardUnchanged || len(s.Issues("acme", "shop")) != 2 {
		t.Fatalf("second run: %+v, %d issues", res.Dashboard, len(s.Issues("acme", "shop")))
	}
	if got := s.Issues("acme", "shop")[0].GetBody(); got != "quoted: "+gitops.DashboardMarker {
		t.Errorf("the person's issue was edited: %q", got)
	}
}

// A run that stops after it marked the ticked pull request (here: the new
// pull request cannot be opened) leaves the mark; the next run opens the
// pull request, once.
func TestDashboardTickSurvivesACrash(t *testing.T) {
	t.Parallel()
	h := newHarness(t, dashboardFixture())
	h.mustRun(gitops.RunOptions{})
	h.s.ClosePR("acme", "shop", 1, false)
	h.mustRun(gitops.RunOptions{})
	body := h.issues()[0].GetBody()
	h.s.EditIssueBody("acme", "shop", 2, strings.Replace(body, "- [ ]", "- [x]", 1))
	h.setIntercept(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/pulls") {
			return nil, errors.New("killed")
		}
		return nil, nil
	})
	if _, _, err := h.run(gitops.RunOptions{}); err == nil {
		t.Fatal("the interrupted run reported no error")
	}
	h.setIntercept(nil)
	if prs := h.prs(); len(prs) != 1 || !strings.Contains(prs[0].GetBody(), "<!-- remedy:obsolete -->") {
		t.Fatalf("after the crash: %d PRs, #1 marked %v", len(prs), strings.Contains(prs[0].GetBody(), "remedy:obsolete"))
	}
	for range 2 {
		res, reqs := h.mustRun(gitops.RunOptions{})
		if len(h.prs()) != 2 || h.prs()[1].GetState() != "open" {
			t.Fatalf("after the rerun: %d PRs (%v; %v)", len(h.prs()), actions(res), reqs)
		}
	}
	if body := h.issues()[0].GetBody(); strings.Contains(body, "remedy:declined") || !strings.Contains(body, "- #3 fixes 2 findings") {
		t.Errorf("dashboard after the rerun:\n%s", body)
	}
}

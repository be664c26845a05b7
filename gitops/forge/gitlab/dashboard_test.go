package gitlab

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/gitops"
)

// The dashboard on GitLab: found by its marker among the bot's issues,
// file links in GitLab's /-/blob/ form, merge requests named !N, a ticked
// box bringing a declined merge request's fixes back, and no write while
// nothing changes.
func TestGitLabDashboard(t *testing.T) {
	f := newFakeGitLab(t)
	f.createProject("acme/platform/shop", map[string]string{".remedy.yaml": "dashboard: true\n" + twoControls, "deploy/web.yaml": webPrivileged})
	c := f.client(t)
	run := func() gitops.RunResult {
		t.Helper()
		f.reset()
		res, err := gitops.RemedyRepository(context.Background(), c, "acme/platform", "shop", gitops.RunOptions{Token: fakeToken})
		if err != nil {
			t.Fatalf("run: %v\nrequests: %v", err, f.requests())
		}
		return res
	}
	issueWrites := func() []string {
		var out []string
		for _, r := range f.requests() {
			if strings.Contains(r, "/issues") && !strings.HasPrefix(r, "GET ") {
				out = append(out, r)
			}
		}
		return out
	}
	res := run()
	issues := f.issues["acme/platform/shop"]
	if res.Dashboard.Action != gitops.DashboardCreated || len(issues) != 1 {
		t.Fatalf("dashboard %+v, %d issues", res.Dashboard, len(issues))
	}
	if body := issues[0].Description; !strings.Contains(body, "- !1 fixes 1 finding of `privileged`") || !strings.Contains(body, gitops.DashboardMarker) {
		t.Errorf("dashboard:\n%s", body)
	}
	if run(); len(issueWrites()) != 0 {
		t.Fatalf("idle run wrote %v", issueWrites())
	}

	// Declined, then ticked.
	f.mrs["acme/platform/shop"][0].State = "closed"
	run()
	body := issues[0].Description
	if !strings.Contains(body, "- [ ] 1 fix of `privileged`, declined in !1 <!-- remedy:declined 1 -->") {
		t.Fatalf("declined:\n%s", body)
	}
	issues[0].Description = strings.Replace(body, "- [ ]", "- [x]", 1)
	res = run()
	if !slices.Equal(res.Dashboard.Restored, []int{1}) || len(f.mrs["acme/platform/shop"]) != 2 || f.mrs["acme/platform/shop"][1].State != "opened" {
		t.Fatalf("ticked: restored %v, %d merge requests; requests %v", res.Dashboard.Restored, len(f.mrs["acme/platform/shop"]), f.requests())
	}
	if body := issues[0].Description; strings.Contains(body, "remedy:declined") || !strings.Contains(body, "- !2 fixes") {
		t.Errorf("after the tick:\n%s", body)
	}

	// Unfixable findings link to GitLab's blob pages.
	p := gitops.Posture{Repo: "acme/platform/shop", URL: "https://gitlab.example.com/acme/platform/shop", Base: "main",
		Controls:  []gitops.ControlCount{{Control: "host-port", Findings: 1}},
		Unfixable: []gitops.PostureFinding{{Control: "host-port", File: "deploy/a b.yaml", Line: 3, Object: "Deployment x", Reason: "report-only"}}}
	body, err := gitops.DashboardBody(nil, p, nil, c.Repo("acme/platform", "shop").Traits())
	if err != nil || !strings.Contains(body, "(https://gitlab.example.com/acme/platform/shop/-/blob/main/deploy/a%20b.yaml#L3)") {
		t.Errorf("%v:\n%s", err, body)
	}
}

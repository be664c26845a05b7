//go:build e2e

package gitea

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/gitops"
)

// giteaIssue is the part of Gitea's issue answer the test reads.
type giteaIssue struct {
	Number int    `json:"number"`
	State  string `json:"state"`
	Body   string `json:"body"`
}

// The dashboard against a real Gitea: created once, found again by its
// marker (never a second one), unchanged while nothing changes, and a
// ticked box of a declined pull request bringing its fixes back.
func TestE2EGiteaDashboard(t *testing.T) {
	h := newE2E(t)
	h.srv.Commit(h.name, "main", map[string]string{".remedy.yaml": "dashboard: true\n" + e2eConfig}, "dashboard on")
	issues := func() []giteaIssue {
		var out []giteaIssue
		h.srv.API("GET", fmt.Sprintf("repos/%s/%s/issues?state=all&type=issues", h.srv.User, h.name), nil, &out)
		return out
	}
	res, reqs := h.mustRun()
	if res.Dashboard.Action != gitops.DashboardCreated || len(issues()) != 1 {
		t.Fatalf("dashboard %+v; requests %v", res.Dashboard, reqs)
	}
	is := issues()[0]
	if !strings.Contains(is.Body, "fixes 2 findings of `host-pid`, `privileged`") || !strings.Contains(is.Body, gitops.DashboardMarker) {
		t.Errorf("dashboard:\n%s", is.Body)
	}
	_, reqs = h.mustRun()
	for _, w := range e2eWrites(reqs) {
		if strings.Contains(w, "/issues") {
			t.Errorf("idle run wrote %s", w)
		}
	}

	// Declined, then ticked.
	pr := h.srv.PullRequests(h.name)[0]
	h.srv.API("PATCH", fmt.Sprintf("repos/%s/%s/pulls/%d", h.srv.User, h.name, pr.Number), map[string]string{"state": "closed"}, nil)
	h.mustRun()
	is = issues()[0]
	line := fmt.Sprintf("declined in #%d <!-- remedy:declined %d -->", pr.Number, pr.Number)
	if !strings.Contains(is.Body, "- [ ] 2 fixes of `host-pid`, `privileged`, "+line) {
		t.Fatalf("declined:\n%s", is.Body)
	}
	ticked := "A note of ours.\r\n" + strings.ReplaceAll(strings.Replace(is.Body, "- [ ]", "- [x]", 1), "\n", "\r\n")
	h.srv.API("PATCH", fmt.Sprintf("repos/%s/%s/issues/%d", h.srv.User, h.name, is.Number), map[string]string{"body": ticked}, nil)
	res, reqs = h.mustRun()
	if !slices.Equal(res.Dashboard.Restored, []int{pr.Number}) {
		t.Fatalf("restored %v; requests %v", res.Dashboard.Restored, reqs)
	}
	prs := h.srv.PullRequests(h.name)
	if len(prs) != 2 {
		t.Fatalf("%d pull requests after the tick", len(prs))
	}
	if got := issues(); len(got) != 1 || strings.Contains(got[0].Body, "remedy:declined") || strings.Contains(got[0].Body, "A note of ours") {
		t.Errorf("after the tick: %d issues:\n%s", len(got), got[0].Body)
	}
}

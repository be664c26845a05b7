package tasks

import (
	"strings"
	"testing"
)

// A dashboard edit runs the repository's life cycle for a person with
// write access, with the server's default turning the dashboard on; for
// anyone else it changes nothing and posts nothing (the refusal is
// logged: the dashboard stays remedy's text).
func TestDashboardEditNeedsWriteAccess(t *testing.T) {
	e := setup(t)
	e.h.o.Dashboard = true
	e.forge.ResetRequests()
	if _, err := e.run(t, KindConverge, "", Request{Source: SourceGitHub, Verb: VerbDashboard, Requester: "reader"}); err != nil {
		t.Fatal(err)
	}
	for _, r := range e.forge.RequestLog() {
		if isRepositoryWrite(r) || strings.Contains(r, "/comments") {
			t.Errorf("a reader's dashboard edit wrote %s", r)
		}
	}
	if len(e.forge.Issues("acme", "shop")) != 0 || len(e.fixPRs()) != 0 {
		t.Fatal("a reader's dashboard edit changed the repository")
	}

	summary, err := e.run(t, KindConverge, "", Request{Source: SourceGitHub, Verb: VerbDashboard, Requester: "maint"})
	if err != nil {
		t.Fatal(err)
	}
	is := e.forge.Issues("acme", "shop")
	if len(is) != 1 || !strings.Contains(is[0].GetBody(), "<!-- remedy:dashboard -->") || len(e.fixPRs()) != 1 || !strings.Contains(summary, "dashboard created #") {
		t.Errorf("a maintainer's run: %d issues, %d fix PRs (%s)", len(is), len(e.fixPRs()), summary)
	}
}

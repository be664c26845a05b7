package tasks

import (
	"strconv"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/serve/chatcommand"
)

// TestEveryCommandPathChecksWriteAccess runs every comment command, as
// server.routeComment turns it into a job, for people without write access
// (read, triage, a stranger to the repository): the commands that change
// a repository ask GitHub for the person's permission before any write,
// and change nothing; the others run for anyone. A verb that changes a
// repository but is missing from the table fails the test.
func TestEveryCommandPathChecksWriteAccess(t *testing.T) {
	paths := []struct {
		verb, kind, key string
		controls        []string
		reason          string
	}{
		{verb: chatcommand.Fix, kind: KindConverge, controls: []string{"privileged"}},
		{verb: chatcommand.Rebase, kind: KindConverge},
		{verb: chatcommand.Ignore, kind: KindIgnore, key: "privileged", controls: []string{"privileged"}, reason: "we need it"},
		{verb: chatcommand.Scan, kind: KindScan},
		{verb: chatcommand.Scan, kind: KindReview},
		{verb: chatcommand.Help, kind: KindReply},
	}
	covered := map[string]bool{}
	for _, p := range paths {
		covered[p.verb] = true
	}
	for _, v := range []string{chatcommand.Fix, chatcommand.Rebase, chatcommand.Ignore, chatcommand.Scan, chatcommand.Status, chatcommand.Help} {
		if (chatcommand.Command{Verb: v}).Changes() && !covered[v] {
			t.Errorf("verb %s changes a repository and is not tested here", v)
		}
	}

	for _, who := range []struct{ login, perm string }{{"reader", "read"}, {"triager", "triage"}, {"stranger", ""}} {
		for _, p := range paths {
			t.Run(who.login+" "+p.verb+" "+p.kind, func(t *testing.T) {
				e := setup(t)
				if who.perm != "" {
					e.forge.SetPermission("acme", "shop", who.login, who.perm)
				}
				req := Request{Source: SourceGitHub, Verb: p.verb, Requester: who.login, Issue: e.pr, IsPR: true, Controls: p.controls, Reason: p.reason}
				key := p.key
				if p.kind == KindReview {
					req.PR, key = e.pr, strconv.Itoa(e.pr)
				}
				e.forge.ResetRequests()
				if _, err := e.run(t, p.kind, key, req); err != nil {
					t.Fatal(err)
				}
				changes := (chatcommand.Command{Verb: p.verb}).Changes()
				asked, wrote := -1, -1
				for i, r := range e.forge.RequestLog() {
					if asked < 0 && strings.HasPrefix(r, "GET /repos/acme/shop/collaborators/"+who.login+"/permission") {
						asked = i
					}
					if wrote < 0 && isRepositoryWrite(r) {
						wrote = i
					}
				}
				if changes {
					if asked < 0 {
						t.Fatalf("%s ran without asking for %s's permission: %v", p.verb, who.login, e.forge.RequestLog())
					}
					if wrote >= 0 {
						t.Errorf("%s by %s wrote to the repository: %s", p.verb, who.login, e.forge.RequestLog()[wrote])
					}
					if len(e.fixPRs()) != 0 || e.forge.BranchSHA("acme", "shop", gitops.RepoBranch) != "" || e.forge.BranchSHA("acme", "shop", IgnoreBranchPrefix+"privileged") != "" {
						t.Errorf("%s by %s changed the repository", p.verb, who.login)
					}
					cs := e.comments(t)
					if len(cs) != 1 || !strings.Contains(cs[0], "needs write access") {
						t.Errorf("answers %q, want one refusal", cs)
					}
					return
				}
				if p.kind != KindReview && len(e.comments(t)) != 1 {
					t.Errorf("%s by %s was not answered: %q", p.verb, who.login, e.comments(t))
				}
			})
		}
	}
}

// isRepositoryWrite reports an API request that changes the repository's
// code or pull requests; comments, reviews and statuses are answers.
func isRepositoryWrite(r string) bool {
	if !strings.HasPrefix(r, "POST ") && !strings.HasPrefix(r, "PATCH ") && !strings.HasPrefix(r, "PUT ") && !strings.HasPrefix(r, "DELETE ") {
		return false
	}
	for _, answer := range []string{"/comments", "/reviews", "/statuses/", "/check-runs"} {
		if strings.Contains(r, answer) {
			return false
		}
	}
	return true
}

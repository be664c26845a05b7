package gitops

import (
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/scanner"
)

// TestPlanBranch decides branches from facts alone: no forge, no git.
func TestPlanBranch(t *testing.T) {
	bot := Commit{SHA: "c0ffee1234", Tree: "t1", Parents: []string{"base"}}
	rebuilt := Commit{SHA: "beef5678", Tree: "t1", Parents: []string{"base"}}
	human := Commit{SHA: "abcdef123456", Author: Identity{Name: "Dana"}}
	prop := &proposal{title: "fix: things", body: "body\n", commit: bot}
	openPR := &botPR{PullRequest: PullRequest{Number: 7, State: "open", Head: "remedy/security-fixes", Title: "fix: things", Body: "body\n"}, fingerprints: []string{"aa"}}
	stale := &botPR{PullRequest: PullRequest{Number: 7, State: "open", Title: "fix: old", Body: "body\r\n"}, fingerprints: []string{"aa"}}
	tests := []struct {
		name string
		f    branchFacts
		want branchPlan
		// comment is a part of the comment wanted, when one is.
		comment string
	}{
		{name: "nothing wanted, nothing open", f: branchFacts{}, want: branchPlan{}},
		{name: "all declined", f: branchFacts{declined: 3}, want: branchPlan{action: ActionDeclined, reason: "3 findings were in a pull request closed without merging"}},
		{name: "open, its findings gone",
			f:       branchFacts{branch: "remedy/security-fixes", base: "main", open: openPR, present: map[string]bool{}},
			want:    branchPlan{action: ActionClosed, reason: "its findings are gone from main"},
			comment: "Every finding this pull request fixes is gone from `main`"},
		{name: "open, findings present but no longer fixed",
			f:       branchFacts{branch: "remedy/security-fixes", base: "main", open: openPR, present: map[string]bool{"aa": true}},
			want:    branchPlan{action: ActionClosed, reason: "remedy no longer proposes its fixes"},
			comment: "remedy no longer proposes these fixes for `main`"},
		{name: "open, someone else pushed, nothing to propose",
			f:       branchFacts{open: openPR, exists: true, head: human.SHA, headCommit: human, foreign: true},
			want:    branchPlan{action: ActionHandsOff, reason: "head abcdef1 is by Dana"},
			comment: "Commit abcdef1 on `remedy/security-fixes` was pushed by someone other than remedy"},
		{name: "open, someone else pushed, fixes to propose",
			f:    branchFacts{open: openPR, proposal: prop, exists: true, head: human.SHA, headCommit: human, foreign: true},
			want: branchPlan{action: ActionHandsOff, reason: "head abcdef1 is by Dana"}, comment: handsOffMarker},
		{name: "a stranger's branch without pull request",
			f:    branchFacts{branch: "remedy/x", proposal: prop, exists: true, head: human.SHA, headCommit: human, foreign: true},
			want: branchPlan{action: ActionHandsOff, reason: "branch remedy/x exists with commits by Dana and has no open pull request"}},
		{name: "open and up to date",
			f:    branchFacts{open: openPR, proposal: prop, exists: true, head: bot.SHA, headCommit: Commit{SHA: bot.SHA}},
			want: branchPlan{action: ActionUnchanged, lease: bot.SHA}},
		{name: "open, same tree on the same base: no push",
			f:    branchFacts{open: openPR, proposal: prop, exists: true, head: rebuilt.SHA, headCommit: rebuilt},
			want: branchPlan{action: ActionUnchanged, lease: rebuilt.SHA}},
		{name: "open, base moved: push over the head",
			f:    branchFacts{open: openPR, proposal: prop, exists: true, head: "old", headCommit: Commit{SHA: "old", Tree: "t1", Parents: []string{"older-base"}}},
			want: branchPlan{action: ActionUpdated, push: true, lease: "old"}},
		{name: "open, texts changed (CRLF alone is no change)",
			f:    branchFacts{open: stale, proposal: prop, exists: true, head: bot.SHA, headCommit: Commit{SHA: bot.SHA}},
			want: branchPlan{action: ActionUpdated, lease: bot.SHA, edit: true}},
		{name: "open, branch deleted: push a new one",
			f:    branchFacts{open: openPR, proposal: prop},
			want: branchPlan{action: ActionUpdated, push: true}},
		{name: "new", f: branchFacts{proposal: prop}, want: branchPlan{action: ActionCreated, push: true}},
		{name: "new over a branch pushed by an interrupted run",
			f:    branchFacts{proposal: prop, exists: true, head: bot.SHA, headCommit: Commit{SHA: bot.SHA}},
			want: branchPlan{action: ActionCreated, lease: bot.SHA}},
		{name: "new, over the limit",
			f:    branchFacts{proposal: prop, limit: "prConcurrentLimit: 2 fix pull requests are open"},
			want: branchPlan{action: ActionDeferred, reason: "prConcurrentLimit: 2 fix pull requests are open"}},
		{name: "the limit does not hold back an update",
			f:    branchFacts{open: openPR, proposal: prop, exists: true, head: bot.SHA, headCommit: Commit{SHA: bot.SHA}, limit: "prHourlyLimit"},
			want: branchPlan{action: ActionUnchanged, lease: bot.SHA}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := planBranch(tt.f)
			comment := got.comment
			got.comment = ""
			if got != tt.want {
				t.Errorf("plan %+v, want %+v", got, tt.want)
			}
			if (tt.comment == "") != (comment == "") || !strings.Contains(comment, tt.comment) {
				t.Errorf("comment %q, want one with %q", comment, tt.comment)
			}
		})
	}
}

// TestClaims reads the pull requests of a branch: the newest open one,
// and the findings declined by one closed unmerged.
func TestClaims(t *testing.T) {
	a, b, c := scanner.Finding{Control: "a", File: "x"}, scanner.Finding{Control: "b", File: "x"}, scanner.Finding{Control: "c", File: "x"}
	prs := []botPR{
		{PullRequest: PullRequest{Number: 9, State: "open"}},
		{PullRequest: PullRequest{Number: 8, State: "open"}},
		{PullRequest: PullRequest{Number: 5, State: "closed"}, fingerprints: []string{a.Fingerprint()}},
		{PullRequest: PullRequest{Number: 4, State: "closed", Merged: true}, fingerprints: []string{b.Fingerprint()}},
		{PullRequest: PullRequest{Number: 3, State: "closed"}, fingerprints: []string{c.Fingerprint()}, obsolete: true},
	}
	open, want, declined := claims(prs, []scanner.Finding{a, b, c})
	if open == nil || open.Number != 9 {
		t.Errorf("open %v, want #9", open)
	}
	if declined != 1 || want[a.Fingerprint()] || !want[b.Fingerprint()] || !want[c.Fingerprint()] || len(want) != 2 {
		t.Errorf("want %v, declined %d; want b and c, 1 declined", want, declined)
	}
	if open, want, declined := claims(nil, nil); open != nil || len(want) != 0 || declined != 0 {
		t.Errorf("no pull requests: %v %v %d", open, want, declined)
	}
}

package gitops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/scanner"
)

// The life cycle's decisions, table-tested against an in-memory forge and
// repository: fast, and the same for every forge but for its Traits. The
// drivers are tested against their servers (gitops/forge/...).

// memForge is a gitops.Forge in memory that logs its writes.
type memForge struct {
	traits Traits
	prs    []*PullRequest
	// comments by pull request number
	comments map[int][]string
	writes   []string
	// fail makes a method fail with its error, by name.
	fail map[string]error
}

func newMemForge(t Traits) *memForge {
	return &memForge{traits: t, comments: map[int][]string{}, fail: map[string]error{}}
}

func (f *memForge) Traits() Traits { return f.traits }

func (f *memForge) write(s string) error {
	f.writes = append(f.writes, s)
	name, _, _ := strings.Cut(s, " ")
	return f.fail[name]
}

func (f *memForge) pr(n int) *PullRequest { return f.prs[n-1] }

func (f *memForge) ListPullRequests(_ context.Context, branch string) ([]PullRequest, error) {
	var out []PullRequest
	for _, p := range f.prs {
		if p.Head == branch {
			out = append(out, *p)
		}
	}
	return out, nil
}

func (f *memForge) CreatePullRequest(_ context.Context, p NewPullRequest) (PullRequest, error) {
	if err := f.write("create " + p.Head); err != nil {
		return PullRequest{}, err
	}
	for _, o := range f.prs {
		if o.Head == p.Head && o.State == "open" {
			return PullRequest{}, ErrPullRequestExists
		}
	}
	pr := &PullRequest{Number: len(f.prs) + 1, State: "open", Title: p.Title, Body: p.Body, Head: p.Head, Base: p.Base,
		Created: time.Unix(0, 0), LabelsKnown: true, ReviewersKnown: true, AssigneesKnown: true}
	f.prs = append(f.prs, pr)
	return *pr, nil
}

func (f *memForge) EditPullRequest(_ context.Context, n int, title, body string) error {
	if err := f.write(fmt.Sprintf("edit #%d", n)); err != nil {
		return err
	}
	f.pr(n).Title, f.pr(n).Body = title, body
	return nil
}

func (f *memForge) ClosePullRequest(_ context.Context, n int, body string) error {
	if err := f.write(fmt.Sprintf("close #%d", n)); err != nil {
		return err
	}
	f.pr(n).State, f.pr(n).Body = "closed", body
	return nil
}

func (f *memForge) Comment(_ context.Context, n int, body string) error {
	if err := f.write(fmt.Sprintf("comment #%d", n)); err != nil {
		return err
	}
	f.comments[n] = append(f.comments[n], body)
	return nil
}

func (f *memForge) Comments(_ context.Context, n int) ([]string, error) { return f.comments[n], nil }

func (f *memForge) AddLabels(_ context.Context, n int, labels []string) error {
	if err := f.write(fmt.Sprintf("labels #%d %s", n, strings.Join(labels, ","))); err != nil {
		return err
	}
	f.pr(n).Labels = append(f.pr(n).Labels, labels...)
	return nil
}

func (f *memForge) RequestReviewers(_ context.Context, n int, logins []string) error {
	if err := f.write(fmt.Sprintf("reviewers #%d %s", n, strings.Join(logins, ","))); err != nil {
		return err
	}
	f.pr(n).Reviewers = append(f.pr(n).Reviewers, logins...)
	return nil
}

func (f *memForge) AddAssignees(_ context.Context, n int, logins []string) error {
	if err := f.write(fmt.Sprintf("assignees #%d %s", n, strings.Join(logins, ","))); err != nil {
		return err
	}
	f.pr(n).Assignees = append(f.pr(n).Assignees, logins...)
	return nil
}

func (f *memForge) DeleteBranch(_ context.Context, branch string) error {
	return f.write("delete " + branch)
}

// memRepo is a gitops.Repository in memory: commits are hashes of their
// inputs, as the real ones are.
type memRepo struct {
	base    string
	remote  map[string]string
	commits map[string]Commit
}

func newMemRepo() *memRepo {
	return &memRepo{base: "base-1", remote: map[string]string{"main": "base-1"}, commits: map[string]Commit{}}
}

func hashOf(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:20])
}

func (r *memRepo) BaseHead() string { return r.base }

func (r *memRepo) RemoteHead(b string) (string, bool) { sha, ok := r.remote[b]; return sha, ok }

func (r *memRepo) RemoteBranches(prefix string) []string {
	var out []string
	for b := range r.remote {
		if strings.HasPrefix(b, prefix) {
			out = append(out, b)
		}
	}
	sort.Strings(out)
	return out
}

func (r *memRepo) Commit(files map[string][]byte, message string, bot Identity) (Commit, error) {
	var parts []string
	for p, b := range files {
		parts = append(parts, p+"="+string(b))
	}
	sort.Strings(parts)
	tree := hashOf(append([]string{r.base, "tree"}, parts...)...)
	c := Commit{SHA: hashOf(tree, r.base, message, bot.Email), Tree: tree, Parents: []string{r.base}, Author: bot, Committer: bot, Message: message}
	r.commits[c.SHA] = c
	return c, nil
}

func (r *memRepo) Inspect(_ context.Context, b string) (Commit, error) {
	c, ok := r.commits[r.remote[b]]
	if !ok {
		return Commit{}, fmt.Errorf("no commit %s", r.remote[b])
	}
	return c, nil
}

func (r *memRepo) Push(_ context.Context, b, sha, lease string) error {
	if r.remote[b] != lease {
		return ErrLeaseBroken
	}
	r.remote[b] = sha
	return nil
}

func (r *memRepo) Forget(b string) { delete(r.remote, b) }

// memFixes fixes each finding by writing its fingerprint to its file.
func memFixes(found ...scanner.Finding) Fixes {
	present := map[string]bool{}
	for _, f := range found {
		present[f.Fingerprint()] = true
	}
	return Fixes{Fixed: found, Present: present, Apply: func(only map[string]bool) ([]FileChange, []scanner.Finding) {
		byFile := map[string][]string{}
		var fixed []scanner.Finding
		for _, f := range found {
			if only == nil || only[f.Fingerprint()] {
				byFile[f.File] = append(byFile[f.File], f.Fingerprint())
				fixed = append(fixed, f)
			}
		}
		var out []FileChange
		for p, fps := range byFile {
			out = append(out, FileChange{Path: p, Before: []byte("before"), After: []byte(strings.Join(fps, "\n"))})
		}
		slices.SortFunc(out, func(a, b FileChange) int { return strings.Compare(a.Path, b.Path) })
		return out, fixed
	}}
}

var (
	privileged = scanner.Finding{Control: "privileged", Severity: scanner.SeverityHigh, File: "deploy/web.yaml", Kind: "Deployment", Namespace: "shop", Name: "web", Container: "web", Path: "spec.template.spec.containers[0].securityContext.privileged", Fixable: true}
	hostPID    = scanner.Finding{Control: "host-pid", Severity: scanner.SeverityHigh, File: "deploy/db.yaml", Kind: "StatefulSet", Namespace: "shop", Name: "db", Path: "spec.template.spec.hostPID", Fixable: true}
)

func TestConvergeDecisions(t *testing.T) {
	gitHub := DefaultTraits()
	gitLab := Traits{MaxBodyRunes: 60000, DeletedBranchClosesPR: false}
	both := memFixes(privileged, hostPID)
	for _, tc := range []struct {
		name   string
		traits Traits
		// before runs first, with these fixes, then change alters the
		// world; the run under test sees fixes.
		before          *Fixes
		change          func(f *memForge, r *memRepo)
		fixes           Fixes
		settings        Settings
		wantActions     []string
		wantWrites      []string
		wantPushed      bool
		wantUndecorated bool
	}{
		{name: "first run opens and labels", traits: gitHub, fixes: both,
			wantActions: []string{"remedy/security-fixes:created"},
			wantWrites:  []string{"create remedy/security-fixes", "labels #1 security,remedy"}, wantPushed: true},
		{name: "rerun writes nothing", traits: gitHub, before: &both, fixes: both,
			wantActions: []string{"remedy/security-fixes:unchanged"}},
		{name: "a new finding updates in place", traits: gitHub, before: ptr(memFixes(privileged)), fixes: both,
			wantActions: []string{"remedy/security-fixes:updated"}, wantWrites: []string{"edit #1"}, wantPushed: true},
		{name: "the base moved: rebuilt", traits: gitHub, before: &both, fixes: both,
			change:      func(_ *memForge, r *memRepo) { r.base = "base-2" },
			wantActions: []string{"remedy/security-fixes:updated"}, wantPushed: true},
		{name: "the base moved, with the run state recorded: rebuilt and the body says so", traits: gitHub, before: &both, fixes: both,
			settings:    Settings{Inputs: "in-1"},
			change:      func(_ *memForge, r *memRepo) { r.base = "base-2" },
			wantActions: []string{"remedy/security-fixes:updated"}, wantWrites: []string{"edit #1"}, wantPushed: true},
		{name: "closed unmerged stays closed", traits: gitHub, before: &both, fixes: both,
			change:      func(f *memForge, _ *memRepo) { f.pr(1).State = "closed" },
			wantActions: []string{"remedy/security-fixes:declined"}},
		{name: "merged and fixed on the base: nothing to do", traits: gitHub, before: &both, fixes: memFixes(),
			change: func(f *memForge, r *memRepo) {
				f.pr(1).State, f.pr(1).Merged = "closed", true
				delete(r.remote, RepoBranch) // GitHub deletes it on merge
			}},
		{name: "fixed on the base: closed and branch deleted", traits: gitHub, before: &both, fixes: memFixes(),
			wantActions: []string{"remedy/security-fixes:closed"},
			wantWrites:  []string{"comment #1", "close #1", "delete remedy/security-fixes"}},
		{name: "someone else pushed: hands off, said once", traits: gitHub, before: &both, fixes: both,
			change: func(f *memForge, r *memRepo) {
				human := Identity{Name: "Jane", Email: "jane@example.com"}
				r.commits["human-1"] = Commit{SHA: "human-1", Tree: "t", Parents: []string{r.remote[RepoBranch]}, Author: human, Committer: human}
				r.remote[RepoBranch] = "human-1"
			},
			wantActions: []string{"remedy/security-fixes:hands-off"}, wantWrites: []string{"comment #1"}},
		{name: "labels lost at creation are added by the next run", traits: gitHub, before: &both, fixes: both,
			change:      func(f *memForge, _ *memRepo) { f.pr(1).Labels = []string{"security"} },
			wantActions: []string{"remedy/security-fixes:unchanged"}, wantWrites: []string{"labels #1 remedy"}},
		{name: "a failed label call is reported", traits: gitHub, fixes: both,
			change:      func(f *memForge, _ *memRepo) { f.fail["labels"] = errors.New("out of retries") },
			wantActions: []string{"remedy/security-fixes:created"},
			wantWrites:  []string{"create remedy/security-fixes", "labels #1 security,remedy"}, wantPushed: true, wantUndecorated: true},
		{name: "reviewers and assignees go before labels", traits: gitHub, fixes: both,
			settings:    Settings{Reviewers: []string{"alice", "acme/sec"}, Assignees: []string{"bob"}},
			wantActions: []string{"remedy/security-fixes:created"},
			wantWrites:  []string{"create remedy/security-fixes", "reviewers #1 alice,acme/sec", "assignees #1 bob", "labels #1 security,remedy"},
			wantPushed:  true},
		{name: "a reviewer who reviewed is not asked again", traits: gitHub, before: &both, fixes: both,
			settings:    Settings{Reviewers: []string{"alice"}},
			change:      func(f *memForge, _ *memRepo) { f.pr(1).Reviewers = nil },
			wantActions: []string{"remedy/security-fixes:unchanged"}},
		{name: "per control, the limit defers the second", traits: gitHub, fixes: both,
			settings:    Settings{Group: GroupPerControl, PRConcurrentLimit: 1},
			wantActions: []string{"remedy/host-pid:created", "remedy/privileged:deferred"},
			wantWrites:  []string{"create remedy/host-pid", "labels #1 security,remedy"}, wantPushed: true},
		{name: "GitLab: a merge request whose branch is gone is still closed", traits: gitLab, before: &both, fixes: memFixes(),
			change:      func(_ *memForge, r *memRepo) { delete(r.remote, RepoBranch) },
			wantActions: []string{"remedy/security-fixes:closed"},
			wantWrites:  []string{"comment #1", "close #1", "delete remedy/security-fixes"}},
		{name: "GitHub: a deleted branch closed its pull request already", traits: gitHub, before: &both, fixes: memFixes(),
			change: func(f *memForge, r *memRepo) { delete(r.remote, RepoBranch); f.pr(1).State = "closed" }},
		{name: "dry run writes nothing", traits: gitHub, fixes: both, settings: Settings{DryRun: true},
			wantActions: []string{"remedy/security-fixes:created"}, wantPushed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, r := newMemForge(tc.traits), newMemRepo()
			s := tc.settings
			s.Repo, s.Base, s.Now = "acme/shop", "main", func() time.Time { return time.Unix(3600, 0) }
			if tc.before != nil {
				pre := s
				pre.DryRun = false
				if _, err := Converge(context.Background(), f, r, *tc.before, pre); err != nil {
					t.Fatal(err)
				}
			}
			if tc.change != nil {
				tc.change(f, r)
			}
			f.writes = nil
			res, err := Converge(context.Background(), f, r, tc.fixes, s)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			pushed, undecorated := false, false
			for _, b := range res.Branches {
				got = append(got, b.Branch+":"+string(b.Action))
				pushed = pushed || b.Pushed
				undecorated = undecorated || b.Undecorated
			}
			if !slices.Equal(got, tc.wantActions) {
				t.Errorf("actions %v, want %v", got, tc.wantActions)
			}
			if !slices.Equal(f.writes, tc.wantWrites) {
				t.Errorf("writes %q, want %q", f.writes, tc.wantWrites)
			}
			if pushed != tc.wantPushed || undecorated != tc.wantUndecorated {
				t.Errorf("pushed=%v undecorated=%v, want %v %v", pushed, undecorated, tc.wantPushed, tc.wantUndecorated)
			}
			// Whatever happened, a second run right after has nothing to do.
			if !tc.settings.DryRun && !tc.wantUndecorated {
				f.writes = nil
				if _, err := Converge(context.Background(), f, r, tc.fixes, s); err != nil {
					t.Fatal(err)
				}
				if len(f.writes) > 0 {
					t.Errorf("the next run wrote %q", f.writes)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

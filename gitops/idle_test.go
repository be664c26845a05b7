package gitops

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// idlePR is an open fix pull request whose body records st, at head,
// carrying labels and assignees as the forge's list says.
func idlePR(number int, st RunState, head string, labels, assignees []string) PullRequest {
	return PullRequest{
		Number: number, State: "open", HeadSHA: head, URL: "https://forge.example/acme/shop/pull/1",
		Body:   "Fixes.\n\n<!-- remedy:fingerprints aa,bb -->\n" + st.marker() + "\n",
		Labels: labels, Assignees: assignees, LabelsKnown: true, AssigneesKnown: true,
	}
}

// TestIdleVerdict: the decision on the facts alone. Only a pull request
// recorded for these inputs, at its own head, with its labels and
// assignees on, and a base that has not moved proves a repository idle;
// every other fact says why not.
func TestIdleVerdict(t *testing.T) {
	const inputs = "in-1"
	st := RunState{Base: "b1", Head: "h1", Inputs: inputs, Findings: 3, Fixable: 2, Labels: []string{"security"}, Assignees: []string{"@acme/platform"}}
	pr := func(edit func(*PullRequest)) *botPR {
		p := idlePR(7, st, "h1", []string{"Security", "other"}, []string{"platform"})
		if edit != nil {
			edit(&p)
		}
		bp, ok := parseBotPR(p)
		if !ok {
			t.Fatalf("no fix pull request: %q", p.Body)
		}
		return &bp
	}
	withDashboard := st
	withDashboard.Dashboard = true
	dp := idlePR(8, withDashboard, "h1", []string{"security"}, []string{"platform"})
	dashboard, _ := parseBotPR(dp)
	tests := []struct {
		name     string
		facts    idleFacts
		inputs   string
		wantWhy  string
		wantBase string
	}{
		{"idle", idleFacts{open: pr(nil), baseHead: "b1"}, inputs, "", "b1"},
		{"no open fix pull request", idleFacts{baseHead: "b1"}, inputs, "no open fix pull request", ""},
		{"no run recorded", idleFacts{open: pr(func(p *PullRequest) { p.Body = "Fixes.\n\n<!-- remedy:fingerprints aa -->\n" }), baseHead: "b1"}, inputs, "the pull request records no run", ""},
		{"a run recorded without its base", idleFacts{open: pr(func(p *PullRequest) {
			p.Body = "<!-- remedy:fingerprints aa -->\n<!-- remedy:state head=h1 inputs=in-1 -->"
		}), baseHead: "b1"}, inputs, "the pull request records no run", ""},
		{"other inputs", idleFacts{open: pr(nil), baseHead: "b1"}, "in-2", "remedy's inputs changed", ""},
		{"someone pushed to the branch", idleFacts{open: pr(func(p *PullRequest) { p.HeadSHA = "h2" }), baseHead: "b1"}, inputs, "the pull request's head moved", ""},
		{"a label taken off", idleFacts{open: pr(func(p *PullRequest) { p.Labels = []string{"other"} }), baseHead: "b1"}, inputs, "labels are missing (or not known)", ""},
		{"labels not listed", idleFacts{open: pr(func(p *PullRequest) { p.LabelsKnown = false }), baseHead: "b1"}, inputs, "labels are missing (or not known)", ""},
		{"an assignee taken off", idleFacts{open: pr(func(p *PullRequest) { p.Assignees = nil }), baseHead: "b1"}, inputs, "assignees are missing (or not known)", ""},
		{"assignees not listed", idleFacts{open: pr(func(p *PullRequest) { p.AssigneesKnown = false }), baseHead: "b1"}, inputs, "assignees are missing (or not known)", ""},
		{"the base moved", idleFacts{open: pr(nil), baseHead: "b2"}, inputs, "the base moved", ""},
		{"the base's head unread", idleFacts{open: pr(nil)}, inputs, "the base's head is not known", ""},
		{"a dashboard asking nothing", idleFacts{open: &dashboard, baseHead: "b1", dashboardIdle: true}, inputs, "", "b1"},
		{"a dashboard with a ticked box", idleFacts{open: &dashboard, baseHead: "b1"}, inputs, "the dashboard issue asks for work (or is missing or closed)", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := idleVerdict(tt.facts, tt.inputs)
			if why != tt.wantWhy || got.Base != tt.wantBase {
				t.Fatalf("idleVerdict = %+v, %q; want base %q, %q", got, why, tt.wantBase, tt.wantWhy)
			}
			if why == "" && (got.Findings != 3 || got.Fixable != 2 || !slices.Equal(got.Labels, st.Labels)) {
				t.Errorf("the recorded run %+v, want %+v", got, st)
			}
		})
	}
}

// headsHost is a Host that reads branch heads without cloning, and
// counts how often it is asked.
type headsHost struct {
	Host
	head  string
	err   error
	asked int
}

func (h *headsHost) BranchHead(_ context.Context, _, _, _ string) (string, error) {
	h.asked++
	return h.head, h.err
}

// listForge is a Forge whose ListPullRequests answers prs, or err.
type listForge struct {
	Forge
	prs []PullRequest
	err error
}

func (f listForge) ListPullRequests(context.Context, string) ([]PullRequest, error) {
	return f.prs, f.err
}

// TestReadIdleFacts: the base's head is read only when the pull request
// could prove the repository idle; a list that failed is no list.
func TestReadIdleFacts(t *testing.T) {
	const inputs = "in-1"
	st := RunState{Base: "b1", Head: "h1", Inputs: inputs}
	proving := idlePR(7, st, "h1", nil, nil)
	older := idlePR(3, st, "h0", nil, nil)
	tests := []struct {
		name      string
		forge     listForge
		head      string
		headErr   error
		wantPRs   []PullRequest
		wantOpen  int
		wantAsked int
		wantHead  string
	}{
		{"the newest open one proves", listForge{prs: []PullRequest{older, proving}}, "b1", nil, []PullRequest{older, proving}, 7, 1, "b1"},
		{"none listed", listForge{}, "b1", nil, []PullRequest{}, 0, 0, ""},
		{"the list failed", listForge{err: errors.New("502")}, "b1", nil, nil, 0, 0, ""},
		{"the newest proves nothing", listForge{prs: []PullRequest{proving, idlePR(9, st, "h9", nil, nil)}}, "b1", nil, []PullRequest{proving, {}}, 9, 0, ""},
		{"the head unreadable", listForge{prs: []PullRequest{proving}}, "", errors.New("404"), []PullRequest{proving}, 7, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host := &headsHost{head: tt.head, err: tt.headErr}
			f := readIdleFacts(context.Background(), host, tt.forge, RepoInfo{Owner: "acme", Name: "shop"}, "main", "remedy/security-fixes", inputs)
			if len(f.prs) != len(tt.wantPRs) || (tt.wantPRs == nil) != (f.prs == nil) {
				t.Errorf("prs %d (nil %v), want %d (nil %v)", len(f.prs), f.prs == nil, len(tt.wantPRs), tt.wantPRs == nil)
			}
			open := 0
			if f.open != nil {
				open = f.open.Number
			}
			if open != tt.wantOpen || host.asked != tt.wantAsked || f.baseHead != tt.wantHead {
				t.Errorf("open #%d, head asked %d times, base head %q; want #%d, %d, %q", open, host.asked, f.baseHead, tt.wantOpen, tt.wantAsked, tt.wantHead)
			}
		})
	}
	// Without a host that reads heads, or without inputs: no facts.
	if f := readIdleFacts(context.Background(), nil, listForge{prs: []PullRequest{proving}}, RepoInfo{}, "main", "b", inputs); f.prs != nil || f.open != nil {
		t.Errorf("facts without branchHeads: %+v", f)
	}
	if f := readIdleFacts(context.Background(), &headsHost{}, listForge{prs: []PullRequest{proving}}, RepoInfo{}, "main", "b", ""); f.prs != nil || f.open != nil {
		t.Errorf("facts without inputs: %+v", f)
	}
}

package gitops

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/remedy-bot/remedy/scanner/render"
)

// RunState is what a fix pull request's body records of the run that
// wrote it, in a hidden marker: the base commit and the inputs the fixes
// were computed from, the branch head it pushed, the counts, and the
// labels and assignees it was to carry. A later run that finds the base
// and the inputs where they were, the head untouched and the decorations
// in place has nothing to do, and skips the clone.
type RunState struct {
	Base, Head, Inputs string
	Findings, Fixable  int
	Labels, Assignees  []string
	// Dashboard: the repository keeps a dashboard issue, whose ticked
	// boxes make a run that is otherwise idle do its work.
	Dashboard bool
}

var stateRE = regexp.MustCompile(`<!-- remedy:state ([^>]*) -->`)

func (st RunState) marker() string {
	dashboard := ""
	if st.Dashboard {
		// Only when on, so that the bodies of repositories without a
		// dashboard read as they always did.
		dashboard = " dashboard=1"
	}
	return fmt.Sprintf("<!-- remedy:state base=%s head=%s inputs=%s findings=%d fixable=%d labels=%s assignees=%s%s -->",
		st.Base, st.Head, st.Inputs, st.Findings, st.Fixable, strings.Join(st.Labels, ","), strings.Join(st.Assignees, ","), dashboard)
}

// parseRunState reads the RunState of a body; ok is false without one.
func parseRunState(body string) (st RunState, ok bool) {
	m := stateRE.FindStringSubmatch(body)
	if m == nil {
		return RunState{}, false
	}
	list := func(v string) []string {
		if v == "" {
			return nil
		}
		return strings.Split(v, ",")
	}
	for _, kv := range strings.Fields(m[1]) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "base":
			st.Base = v
		case "head":
			st.Head = v
		case "inputs":
			st.Inputs = v
		case "findings":
			st.Findings, _ = strconv.Atoi(v)
		case "fixable":
			st.Fixable, _ = strconv.Atoi(v)
		case "labels":
			st.Labels = list(v)
		case "assignees":
			st.Assignees = list(v)
		case "dashboard":
			st.Dashboard = v == "1"
		}
	}
	return st, st.Base != "" && st.Head != "" && st.Inputs != ""
}

// InputsHash identifies the inputs of a run besides the repository's
// content: remedy's version and the settings from outside the repository.
// The repository's own configuration is part of the base commit. Budgets
// other than the defaults are inputs too (a raised budget scans a file
// the last run refused); the defaults are left out, so that a run
// without limits: keeps the hash it had. So is the operator's dashboard
// default (serve's defaults.dashboard): turning it on must wake every idle
// repository once to open its dashboard; left off, the hash is unchanged.
func InputsHash(version string, bot Identity, branchPrefix string, budgets render.Budgets, dashboardDefault bool) string {
	parts := []string{"remedy-inputs/1", version, bot.Name, bot.Email, branchPrefix}
	if b := budgets.String(); b != (render.Budgets{}).String() {
		parts = append(parts, b)
	}
	if dashboardDefault {
		parts = append(parts, "dashboard-default")
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return hex.EncodeToString(sum[:8])
}

// branchHeads reads a branch's head commit without cloning; drivers whose
// forge answers it conditionally (GitHub: 304, free of rate limits)
// implement it on their Host.
type branchHeads interface {
	BranchHead(ctx context.Context, owner, name, branch string) (string, error)
}

// idleCheck looks, before any clone, for the proof that a repository is
// idle: the open fix pull request of the repository's group branch
// records a RunState whose base is still the base's head, whose inputs are
// inputs, whose head is the pull request's, and whose labels and
// assignees it carries. prs are the pull requests of branch it listed,
// for Converge to reuse when the repository is not idle. It runs in three
// named steps: the facts read from the forge (readIdleFacts), the
// decision on them alone (idleVerdict), and the result of an idle
// repository (idleResult).
func idleCheck(ctx context.Context, host Host, forge Forge, info RepoInfo, base, branch, inputs string) (res Result, st RunState, idle bool, prs []PullRequest) {
	f := readIdleFacts(ctx, host, forge, info, base, branch, inputs)
	st, why := idleVerdict(f, inputs)
	if why != "" {
		return Result{}, RunState{}, false, f.prs
	}
	return idleResult(branch, f.open), st, true, f.prs
}

// idleFacts are what the forge says of a repository's group branch
// before any clone.
type idleFacts struct {
	// prs are the pull requests of the branch: nil when they were not
	// listed (Converge will ask again and say what failed), empty when
	// listed and none.
	prs []PullRequest
	// open is the newest open fix pull request among prs; nil when none.
	open *botPR
	// baseHead is the base branch's head commit; "" when it was not read
	// (the pull request proves nothing anyway) or could not be.
	baseHead string
	// dashboardIdle: the dashboard issue asks nothing of a run
	// (dashboardIdle); read only for a recorded run that keeps one and
	// when all else proves the repository idle.
	dashboardIdle bool
}

// readIdleFacts reads the facts: the pull requests of branch, the base's
// head only when the newest open one could prove the repository idle
// (recordedRun), so that most runs ask for one list and no more, and the
// dashboard issue only when nothing else says the run has work.
// A host that cannot read a branch head without cloning (branchHeads),
// or a run without inputs, has no facts to read.
func readIdleFacts(ctx context.Context, host Host, forge Forge, info RepoInfo, base, branch, inputs string) idleFacts {
	heads, ok := host.(branchHeads)
	if !ok || inputs == "" {
		return idleFacts{}
	}
	prs, err := forge.ListPullRequests(ctx, branch)
	if err != nil {
		return idleFacts{}
	}
	f := idleFacts{prs: prs, open: newestOpenBotPR(prs)}
	if f.prs == nil {
		f.prs = []PullRequest{} // listed, and none
	}
	st, why := recordedRun(f.open, inputs)
	if why != "" {
		return f
	}
	if head, err := heads.BranchHead(ctx, info.Owner, info.Name, base); err == nil {
		f.baseHead = head
	}
	if st.Dashboard && f.baseHead == st.Base {
		f.dashboardIdle = dashboardIdle(ctx, forge)
	}
	return f
}

// newestOpenBotPR is the open fix pull request of the highest number
// among prs, or nil.
func newestOpenBotPR(prs []PullRequest) *botPR {
	var open *botPR
	for _, pr := range prs {
		if bp, ok := parseBotPR(pr); ok && pr.State == "open" && (open == nil || bp.Number > open.Number) {
			open = &bp
		}
	}
	return open
}

// idleVerdict decides on the facts alone: the RunState that proves the
// repository idle, or why they do not ("" when they do).
func idleVerdict(f idleFacts, inputs string) (RunState, string) {
	st, why := recordedRun(f.open, inputs)
	switch {
	case why != "":
		return RunState{}, why
	case f.baseHead == "":
		return RunState{}, "the base's head is not known"
	case f.baseHead != st.Base:
		return RunState{}, "the base moved"
	case st.Dashboard && !f.dashboardIdle:
		return RunState{}, "the dashboard issue asks for work (or is missing or closed)"
	}
	return st, ""
}

// recordedRun is the RunState that open records, when it could prove the
// repository idle: recorded for these inputs, at the pull request's head,
// with every label and assignee it was to carry on it (as far as the
// forge said; a list it did not give proves nothing). Otherwise it says
// why not.
func recordedRun(open *botPR, inputs string) (RunState, string) {
	if open == nil {
		return RunState{}, "no open fix pull request"
	}
	st, ok := parseRunState(open.Body)
	switch {
	case !ok:
		return RunState{}, "the pull request records no run"
	case st.Inputs != inputs:
		return RunState{}, "remedy's inputs changed"
	case st.Head != open.HeadSHA:
		return RunState{}, "the pull request's head moved"
	case !open.LabelsKnown || len(missing(st.Labels, open.Labels)) > 0:
		return RunState{}, "labels are missing (or not known)"
	case !open.AssigneesKnown || len(missing(st.Assignees, open.Assignees)) > 0:
		return RunState{}, "assignees are missing (or not known)"
	}
	return st, ""
}

// idleResult is the result of an idle repository: its fix pull request
// open, unchanged.
func idleResult(branch string, open *botPR) Result {
	return Result{Branches: []BranchResult{{
		Branch: branch, Action: ActionUnchanged, PR: open.Number, URL: open.URL, Fingerprints: open.fingerprints,
		Reason: "neither the base nor remedy's inputs moved since the last run (not cloned)",
	}}}
}

// listedForge is a Forge whose pull requests of one branch were listed
// already: the first ListPullRequests of that branch is answered from the
// list, so a run does not ask twice.
type listedForge struct {
	Forge
	branch string
	prs    []PullRequest
	used   bool
}

func (f *listedForge) ListPullRequests(ctx context.Context, branch string) ([]PullRequest, error) {
	if branch == f.branch && !f.used {
		f.used = true
		return f.prs, nil
	}
	return f.Forge.ListPullRequests(ctx, branch)
}

// EditPullRequest edits through the forge; the list is stale after it.
func (f *listedForge) EditPullRequest(ctx context.Context, number int, title, body string) error {
	f.used = true
	return f.Forge.EditPullRequest(ctx, number, title, body)
}

// unwrapListed is the forge a listedForge wraps, for the interfaces of its
// driver beyond Forge (Issues, pullRequestReader); any other forge as it is.
func unwrapListed(f Forge) Forge {
	if l, ok := f.(*listedForge); ok {
		return l.Forge
	}
	return f
}

// dashboardIdle reports whether the dashboard issue asks nothing of a run:
// it is there, open, and no box of it is ticked. A missing or closed one
// (to create or reopen) or a ticked box makes the run do its work.
func dashboardIdle(ctx context.Context, forge Forge) bool {
	issues, ok := forge.(Issues)
	if !ok {
		return true
	}
	issue, err := findDashboard(ctx, issues)
	return err == nil && issue != nil && issue.State == "open" && len(TickedDeclined(issue.Body)) == 0
}

package gitops

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/remedy-bot/remedy/scanner"
)

// A branch converges in three steps: facts reads what there is (the pull
// requests of the branch, the remote head, the commit remedy would push),
// planBranch decides what to do from those facts alone, and apply does it
// against the forge and the remote. Only the first and the last talk to
// anything; the decision is a pure function, tested by a table.

// branch converges one branch; fixed are its findings in the full fix run.
func (c *converger) branch(ctx context.Context, branch string, fixed []scanner.Finding) (BranchResult, error) {
	f, err := c.facts(ctx, branch, fixed)
	if err != nil {
		return f.result(), err
	}
	return c.apply(ctx, f, planBranch(f))
}

// branchFacts are what a branch's plan is decided from.
type branchFacts struct {
	branch, base string
	// open is the branch's newest open pull request, if any; declined
	// counts the fixed findings left out because a pull request that
	// fixed them was closed without merging.
	open     *botPR
	declined int
	// proposal is what remedy would push and open; nil when there is
	// nothing to propose.
	proposal *proposal
	// head is the remote branch's head when it exists; headCommit is that
	// commit as inspected (only its SHA when it was not), and foreign says
	// someone other than the bot made it.
	head       string
	exists     bool
	headCommit Commit
	foreign    bool
	// present holds the fingerprints of the unsuppressed findings at the
	// base head (Fixes.Present).
	present map[string]bool
	// limit says why a new pull request must wait, or "".
	limit string
}

// proposal is the fix commit of a branch and the texts of its pull request.
type proposal struct {
	changes     []FileChange
	found       []scanner.Finding
	title, body string
	commit      Commit
}

// branchPlan is what to do to a branch: an Action and what it needs.
type branchPlan struct {
	// action is the BranchResult's; "" means there is nothing to report.
	action Action
	reason string
	// push says the proposal's commit is pushed, over lease (the remote
	// head it replaces, "" for a new branch); edit that the open pull
	// request's texts are rewritten.
	push  bool
	lease string
	edit  bool
	// comment is posted on the open pull request (closed, hands-off).
	comment string
}

// facts reads a branch's facts: the pull requests' claims, the fixes left
// to propose committed (locally), and the remote head inspected when the
// decision depends on who made it.
func (c *converger) facts(ctx context.Context, branch string, fixed []scanner.Finding) (branchFacts, error) {
	f := branchFacts{branch: branch, base: c.s.Base, present: c.fixes.Present, limit: c.limited()}
	var want map[string]bool
	f.open, want, f.declined = claims(c.prs[branch], fixed)
	f.head, f.exists = c.repo.RemoteHead(branch)
	var changes []FileChange
	var found []scanner.Finding
	if len(want) > 0 {
		changes, found = c.fixes.Apply(want)
	}
	if len(changes) > 0 {
		p, err := c.propose(branch, changes, found, f.declined)
		if err != nil {
			return f, err
		}
		f.proposal = &p
	} else if f.open == nil {
		// Nothing to propose and nothing open: who made the head does
		// not matter.
		return f, nil
	}
	sha := ""
	if f.proposal != nil {
		sha = f.proposal.commit.SHA
	}
	var err error
	f.headCommit, f.foreign, err = c.foreignHead(ctx, branch, f.head, f.exists, sha)
	return f, err
}

// claims reads the pull requests of a branch (newest first): the open one,
// the fingerprints of fixed that are wanted, and how many of fixed a
// pull request closed without merging declined.
func claims(prs []botPR, fixed []scanner.Finding) (open *botPR, want map[string]bool, declined int) {
	no := map[string]bool{}
	for i, p := range prs {
		switch {
		case p.State == "open" && open == nil:
			open = &prs[i]
		case p.declined():
			for _, fp := range p.fingerprints {
				no[fp] = true
			}
		}
	}
	want = map[string]bool{}
	for _, f := range fixed {
		if fp := f.Fingerprint(); no[fp] {
			declined++
		} else {
			want[fp] = true
		}
	}
	return open, want, declined
}

// propose renders the texts of a branch's changes and commits them on the
// base (locally; nothing is pushed). The body carries the fingerprint
// marker and, with Settings.Inputs, the RunState.
func (c *converger) propose(branch string, changes []FileChange, found []scanner.Finding, declined int) (proposal, error) {
	title, body, message, err := c.s.Templates.Render(c.data(branch, found, changes, declined))
	if err != nil {
		return proposal{}, err
	}
	files := map[string][]byte{}
	for _, ch := range changes {
		files[ch.Path] = ch.After
	}
	commit, err := c.repo.Commit(files, message, c.s.Bot)
	if err != nil {
		return proposal{}, err
	}
	st := ""
	if c.s.Inputs != "" {
		st = RunState{
			Base: c.repo.BaseHead(), Head: commit.SHA, Inputs: c.s.Inputs, Findings: len(c.fixes.Present), Fixable: len(c.fixes.Fixed),
			Labels: c.s.Labels, Assignees: c.s.Assignees, Dashboard: c.s.Dashboard,
		}.marker()
	}
	body = withMarker(body, found, c.traits.MaxBodyRunes-len([]rune(st)))
	if st != "" {
		body += st + "\n"
	}
	return proposal{changes: changes, found: found, title: title, body: body, commit: commit}, nil
}

// result is the BranchResult the facts alone give: the open pull request
// and the proposal.
func (f branchFacts) result() BranchResult {
	var res BranchResult
	if f.open != nil {
		res.PR, res.URL = f.open.Number, f.open.URL
	}
	if p := f.proposal; p != nil {
		res.Title, res.Body, res.Changes = p.title, p.body, p.changes
		for _, x := range p.found {
			res.Fingerprints = append(res.Fingerprints, x.Fingerprint())
		}
	}
	return res
}

// planBranch decides what to do to a branch from its facts (the rules of
// Converge): a branch someone else pushed to is theirs; without fixes to
// propose, an open pull request is closed; with some, the proposal is
// pushed and its pull request opened or brought up to date.
func planBranch(f branchFacts) branchPlan {
	switch {
	case f.open != nil && f.foreign:
		return branchPlan{
			action: ActionHandsOff,
			reason: fmt.Sprintf("head %s is by %s", ShortSHA(f.headCommit.SHA), f.headCommit.Author.Name),
			comment: fmt.Sprintf("Commit %s on `%s` was pushed by someone other than remedy, so this pull request is yours now: remedy will not push to the branch, edit or close it. Merge or close it as you see fit.\n\n%s",
				ShortSHA(f.headCommit.SHA), f.open.Head, handsOffMarker),
		}
	case f.proposal == nil && f.open != nil:
		return planClose(f)
	case f.proposal == nil && f.declined > 0:
		return branchPlan{action: ActionDeclined, reason: fmt.Sprintf("%d findings were in a pull request closed without merging", f.declined)}
	case f.proposal == nil:
		return branchPlan{}
	case f.foreign:
		// No pull request to comment on: a branch of that name belongs to
		// someone; remedy will not overwrite it.
		return branchPlan{action: ActionHandsOff, reason: fmt.Sprintf("branch %s exists with commits by %s and has no open pull request", f.branch, f.headCommit.Author.Name)}
	}
	return planProposal(f)
}

// planProposal pushes the proposal unless the remote branch holds it
// already (the same commit, or the same tree on the same base), then
// updates the open pull request or opens one, within the limits.
func planProposal(f branchFacts) branchPlan {
	p := f.proposal
	upToDate := f.exists && (f.head == p.commit.SHA ||
		(f.headCommit.Tree == p.commit.Tree && slices.Equal(f.headCommit.Parents, p.commit.Parents)))
	plan := branchPlan{push: !upToDate}
	if f.exists {
		plan.lease = f.head
	}
	switch {
	case f.open != nil:
		plan.edit = normalize(f.open.Title) != p.title || normalize(f.open.Body) != p.body
		plan.action = ActionUnchanged
		if plan.push || plan.edit {
			plan.action = ActionUpdated
		}
	case f.limit != "":
		return branchPlan{action: ActionDeferred, reason: f.limit}
	default:
		plan.action = ActionCreated
	}
	return plan
}

// planClose closes an open pull request with nothing left to propose,
// saying whether its findings are gone or remedy no longer fixes them.
func planClose(f branchFacts) branchPlan {
	gone := true
	for _, fp := range f.open.fingerprints {
		if f.present[fp] {
			gone = false
		}
	}
	if !gone {
		return branchPlan{
			action:  ActionClosed,
			reason:  "remedy no longer proposes its fixes",
			comment: fmt.Sprintf("remedy no longer proposes these fixes for `%s` (a control was disabled, or the fixes no longer apply cleanly). Closing this pull request and deleting `%s`.", f.base, f.branch),
		}
	}
	return branchPlan{
		action:  ActionClosed,
		reason:  "its findings are gone from " + f.base,
		comment: fmt.Sprintf("Every finding this pull request fixes is gone from `%s` (fixed or ignored there), so there is nothing left to merge. Closing it and deleting `%s`.", f.base, f.branch),
	}
}

// apply carries out a branch's plan; a dry run writes nothing.
func (c *converger) apply(ctx context.Context, f branchFacts, p branchPlan) (BranchResult, error) {
	res := f.result()
	res.Action, res.Reason = p.action, p.reason
	switch {
	case p.action == ActionHandsOff && f.open != nil:
		res.Title, res.Body, res.Changes, res.Fingerprints = "", "", nil, nil
		return res, c.handsOff(ctx, f.open.Number, p.comment)
	case p.action == ActionClosed:
		return res, c.close(ctx, f.open, f.branch, p.comment)
	case p.action != ActionUpdated && p.action != ActionUnchanged && p.action != ActionCreated:
		// Declined, deferred, hands-off without a pull request, or
		// nothing: nothing to write.
		return res, nil
	}
	if p.push {
		if err := c.push(ctx, f.branch, f.proposal.commit.SHA, p.lease); err != nil {
			return res, err
		}
		res.Pushed = true
	}
	if p.action == ActionCreated {
		return c.create(ctx, res, f)
	}
	return c.update(ctx, res, f, p)
}

// update brings the open pull request's texts and decorations in line
// with the proposal, once its branch is.
func (c *converger) update(ctx context.Context, res BranchResult, f branchFacts, p branchPlan) (BranchResult, error) {
	if c.s.DryRun {
		return res, nil
	}
	if p.edit {
		if err := c.forge.EditPullRequest(ctx, f.open.Number, f.proposal.title, f.proposal.body); err != nil {
			return res, fmt.Errorf("edit pull request #%d: %w", f.open.Number, err)
		}
	}
	res.Warnings, res.Undecorated = c.decorate(ctx, f.open.Number, c.missingDecorations(f.open.PullRequest))
	return res, nil
}

// create opens the proposal's pull request once its branch is pushed,
// adopting the one an interrupted or racing run opened.
func (c *converger) create(ctx context.Context, res BranchResult, f branchFacts) (BranchResult, error) {
	if c.s.DryRun {
		return res, nil
	}
	title, body := f.proposal.title, f.proposal.body
	pr, err := c.forge.CreatePullRequest(ctx, NewPullRequest{Title: title, Body: body, Head: f.branch, Base: c.s.Base})
	if errors.Is(err, ErrPullRequestExists) {
		return c.adopt(ctx, res, f.branch, title, body)
	}
	if err != nil {
		return res, fmt.Errorf("open pull request: %w", err)
	}
	c.open++
	c.recent++
	res.PR, res.URL = pr.Number, pr.URL
	res.Warnings, res.Undecorated = c.decorate(ctx, pr.Number, c.allDecorations())
	c.s.Log.Info("opened fix pull request", "repo", c.s.Repo, "branch", f.branch, "pr", pr.Number, "findings", len(f.proposal.found))
	return res, nil
}

// close closes a pull request with nothing left to fix, with comment, and
// deletes its branch.
func (c *converger) close(ctx context.Context, open *botPR, branch, comment string) error {
	if c.s.DryRun {
		return nil
	}
	if err := c.forge.Comment(ctx, open.Number, comment); err != nil {
		return fmt.Errorf("comment on #%d: %w", open.Number, err)
	}
	if err := c.forge.ClosePullRequest(ctx, open.Number, markedObsolete(open.Body)); err != nil {
		return fmt.Errorf("close #%d: %w", open.Number, err)
	}
	if err := c.forge.DeleteBranch(ctx, branch); err != nil {
		return fmt.Errorf("delete branch: %w", err)
	}
	c.repo.Forget(branch)
	c.s.Log.Info("closed obsolete fix pull request", "repo", c.s.Repo, "pr", open.Number, "branch", branch)
	return nil
}

// handsOff leaves a pull request whose branch someone else pushed to,
// saying so (comment) once.
func (c *converger) handsOff(ctx context.Context, number int, comment string) error {
	if c.s.DryRun {
		return nil
	}
	comments, err := c.forge.Comments(ctx, number)
	if err != nil {
		return fmt.Errorf("comments of #%d: %w", number, err)
	}
	for _, cm := range comments {
		if strings.Contains(cm, handsOffMarker) {
			return nil
		}
	}
	if err := c.forge.Comment(ctx, number, comment); err != nil {
		return fmt.Errorf("comment on #%d: %w", number, err)
	}
	return nil
}

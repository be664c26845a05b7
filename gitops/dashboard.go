package gitops

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/internal/quote"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/templates"
)

// The dashboard issue: one issue per repository where remedy shows its
// Posture (open fix pull requests, what it cannot fix, what is ignored,
// what it could not read, which fixes were declined) and where people steer
// it, by ticking the box of a declined pull request to have its fixes
// proposed again. Like the pull request life cycle it keeps no state of its
// own: the issue is found again by DashboardMarker, the ticked boxes by
// their line markers, and an unchanged body is never written.

// Issue is the forge's view of an issue.
type Issue struct {
	Number int
	State  string // "open" or "closed"
	Title  string
	Body   string
	URL    string
	// Author is who opened it.
	Author string
}

// OpenedBy reports whether login (compared in any case, as forges compare
// logins) opened the issue and its body holds marker: what every driver's
// FindIssues keeps of what its forge lists, whichever filters the forge
// honoured itself. No issue is opened by an unknown ("") login.
func (i Issue) OpenedBy(login, marker string) bool {
	return login != "" && strings.EqualFold(i.Author, login) && strings.Contains(i.Body, marker)
}

// Issues is the issue API of one repository that the dashboard needs. The
// forge drivers' Forge implements it; a forge without it has no dashboard.
type Issues interface {
	// FindIssues lists the issues, open and closed, never pull requests,
	// that the account remedy acts as opened and whose body contains
	// marker, oldest first.
	FindIssues(ctx context.Context, marker string) ([]Issue, error)
	CreateIssue(ctx context.Context, title, body string) (Issue, error)
	EditIssue(ctx context.Context, number int, title, body string) error
	CloseIssue(ctx context.Context, number int) error
	ReopenIssue(ctx context.Context, number int) error
}

// pullRequestReader reads one pull request: how a ticked box's pull
// request is checked before remedy marks it. Every driver's Forge has it.
type pullRequestReader interface {
	PullRequest(ctx context.Context, number int) (PullRequest, error)
}

// DashboardMarker is the hidden marker of the dashboard issue's body.
const DashboardMarker = "<!-- remedy:dashboard -->"

// tickedRE finds a ticked box of a declined pull request: a task list item
// ticked ([x] or [X]) whose line ends with the line's marker. Anything a
// person writes around it is ignored.
var tickedRE = regexp.MustCompile(`(?m)^[ \t]*[-*+][ \t]+\[[xX]\][^\n]*<!-- remedy:declined ([1-9][0-9]{0,9}) -->[ \t]*\r?$`)

// TickedDeclined returns the pull request numbers whose box is ticked in a
// dashboard body, sorted, each once.
func TickedDeclined(body string) []int {
	var out []int
	for _, m := range tickedRE.FindAllStringSubmatch(body, -1) {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// DashboardAction is what KeepDashboard did to the issue.
type DashboardAction string

// Dashboard actions.
const (
	DashboardCreated   DashboardAction = "created"
	DashboardUpdated   DashboardAction = "updated"
	DashboardReopened  DashboardAction = "reopened"
	DashboardUnchanged DashboardAction = "unchanged"
	DashboardClosed    DashboardAction = "closed"
	// DashboardNone: no dashboard, and none to close.
	DashboardNone DashboardAction = ""
)

// DashboardResult is what became of the dashboard issue in a run.
type DashboardResult struct {
	Action DashboardAction `json:"action,omitempty"`
	Issue  *IssueRef       `json:"issue,omitempty"`
	// Restored are the declined pull requests whose fixes a ticked box
	// brought back.
	Restored []int `json:"restored,omitempty"`
}

// DashboardOptions configure a dashboard run.
type DashboardOptions struct {
	// Enabled keeps the issue; off, an issue left open is closed (when
	// Look is set).
	Enabled bool
	// Look: search for the issue even when not Enabled, to close it. A
	// repository that never asked for a dashboard is not searched.
	Look   bool
	DryRun bool
	// Templates render the body; nil means the embedded one.
	Templates *templates.Set
	// Catalog titles the controls; nil means scanner.DefaultCatalog.
	Catalog *scanner.Catalog
}

// DashboardRun is the dashboard's part of one repository run: Start before
// Converge (find the issue, bring back the fixes of ticked boxes), Finish
// after it (render the posture, write the issue if it changed).
type DashboardRun struct {
	forge  Forge
	issues Issues
	o      DashboardOptions
	// issue is the dashboard issue found, nil when there is none.
	issue    *Issue
	restored []int
}

// StartDashboard finds the repository's dashboard issue and, when the
// dashboard is on, brings back the fixes of the declined pull requests
// whose box is ticked: each such pull request gets the obsolete marker, so
// that it declines nothing any more, and the Converge that follows
// proposes its fixes again. Marking is safe to repeat: a run that stops
// after it leaves the pull request marked, and the next run proposes the
// fixes; a ticked box whose pull request is no longer declined does
// nothing. It returns nil, nil when the forge has no issues or there is
// nothing to do.
func StartDashboard(ctx context.Context, forge Forge, o DashboardOptions) (*DashboardRun, error) {
	if !o.Enabled && !o.Look {
		return nil, nil
	}
	issues, ok := unwrapListed(forge).(Issues)
	if !ok {
		if o.Enabled {
			return nil, errors.New("dashboard: this forge's driver has no issues")
		}
		return nil, nil
	}
	d := &DashboardRun{forge: forge, issues: issues, o: o}
	issue, err := findDashboard(ctx, issues)
	if err != nil {
		return nil, err
	}
	d.issue = issue
	if issue == nil || !o.Enabled {
		return d, nil
	}
	for _, n := range TickedDeclined(issue.Body) {
		restored, err := d.restore(ctx, n)
		if err != nil {
			return d, fmt.Errorf("dashboard: bring back the fixes of #%d: %w", n, err)
		}
		if restored {
			d.restored = append(d.restored, n)
		}
	}
	return d, nil
}

// findDashboard is the dashboard issue: the oldest open one with the
// marker, else the oldest closed one (to reopen), nil when there is none.
func findDashboard(ctx context.Context, issues Issues) (*Issue, error) {
	found, err := issues.FindIssues(ctx, DashboardMarker)
	if err != nil {
		return nil, fmt.Errorf("dashboard: find the issue: %w", err)
	}
	var closed *Issue
	for i := range found {
		switch {
		case found[i].State == "open":
			return &found[i], nil
		case closed == nil:
			closed = &found[i]
		}
	}
	return closed, nil
}

// restore marks declined pull request number so that it declines nothing:
// only a closed, unmerged fix pull request of remedy's, not marked yet.
func (d *DashboardRun) restore(ctx context.Context, number int) (bool, error) {
	reader, ok := unwrapListed(d.forge).(pullRequestReader)
	if !ok {
		return false, errors.New("this forge's driver cannot read a pull request")
	}
	pr, err := reader.PullRequest(ctx, number)
	if err != nil {
		// A box a person added for a pull request that is not there (or
		// not readable now) brings nothing back; the line stays, and the
		// next run looks again.
		return false, nil
	}
	bp, ok := parseBotPR(pr)
	if !ok || !bp.declined() {
		return false, nil
	}
	if d.o.DryRun {
		return true, nil
	}
	if err := d.forge.EditPullRequest(ctx, number, pr.Title, markedObsolete(pr.Body)); err != nil {
		return false, err
	}
	return true, nil
}

// DashboardFromConfig are the dashboard options of a repository: its
// .remedy.yaml's dashboard, else def; an explicit false looks for the issue
// to close it. s gives the templates and the dry run.
func DashboardFromConfig(cfg *config.Config, def bool, s Settings) DashboardOptions {
	o := DashboardOptions{Enabled: def, DryRun: s.DryRun, Templates: s.Templates, Catalog: s.Catalog}
	if cfg != nil && cfg.Dashboard != nil {
		o.Enabled, o.Look = *cfg.Dashboard, !*cfg.Dashboard
	}
	return o
}

// Restored are the declined pull requests whose fixes StartDashboard
// brought back.
func (d *DashboardRun) Restored() []int {
	if d == nil {
		return nil
	}
	return d.restored
}

// Enabled reports whether the run keeps a dashboard issue.
func (d *DashboardRun) Enabled() bool { return d != nil && d.o.Enabled }

// Ref is the dashboard issue found at the start, nil without one.
func (d *DashboardRun) Ref() *IssueRef {
	if d == nil || d.issue == nil {
		return nil
	}
	return &IssueRef{Number: d.issue.Number, URL: d.issue.URL}
}

// Finish brings the issue in line with p: created when missing, reopened
// when closed, edited when its title or body differ from what p renders
// (line endings aside), and otherwise left alone. With the dashboard off it
// closes an open issue. It sets p.Dashboard.
func (d *DashboardRun) Finish(ctx context.Context, p *Posture, traits Traits) (DashboardResult, error) {
	if d == nil {
		return DashboardResult{}, nil
	}
	res := DashboardResult{Restored: d.restored}
	if !d.o.Enabled {
		if d.issue == nil || d.issue.State != "open" {
			return res, nil
		}
		res.Action, res.Issue = DashboardClosed, d.Ref()
		if d.o.DryRun {
			return res, nil
		}
		if err := d.issues.CloseIssue(ctx, d.issue.Number); err != nil {
			return res, fmt.Errorf("dashboard: close #%d: %w", d.issue.Number, err)
		}
		return res, nil
	}
	body, err := DashboardBody(d.o.Templates, *p, d.o.Catalog, traits)
	if err != nil {
		return res, fmt.Errorf("dashboard: %w", err)
	}
	title := templates.DashboardTitle
	if d.issue == nil {
		res.Action = DashboardCreated
		if d.o.DryRun {
			return res, nil
		}
		issue, err := d.issues.CreateIssue(ctx, title, body)
		if err != nil {
			return res, fmt.Errorf("dashboard: open the issue: %w", err)
		}
		d.issue = &issue
		res.Issue = d.Ref()
		p.Dashboard = res.Issue
		return res, nil
	}
	res.Issue, res.Action = d.Ref(), DashboardUnchanged
	p.Dashboard = res.Issue
	if d.issue.State != "open" {
		res.Action = DashboardReopened
		if !d.o.DryRun {
			if err := d.issues.ReopenIssue(ctx, d.issue.Number); err != nil {
				return res, fmt.Errorf("dashboard: reopen #%d: %w", d.issue.Number, err)
			}
		}
	}
	if normalize(d.issue.Body) != body || d.issue.Title != title {
		if res.Action == DashboardUnchanged {
			res.Action = DashboardUpdated
		}
		if !d.o.DryRun {
			if err := d.issues.EditIssue(ctx, d.issue.Number, title, body); err != nil {
				return res, fmt.Errorf("dashboard: edit #%d: %w", d.issue.Number, err)
			}
		}
	}
	return res, nil
}

// DashboardBody renders the dashboard body of p, marker included, within
// traits.MaxBodyRunes: lists that do not fit are cut, longest first, each
// ending with "and N more".
// A nil set means the embedded template, a nil catalog the default one.
func DashboardBody(set *templates.Set, p Posture, catalog *scanner.Catalog, traits Traits) (string, error) {
	if set == nil {
		var err error
		if set, err = templates.Parse(nil); err != nil {
			return "", err
		}
	}
	if catalog == nil {
		catalog = scanner.DefaultCatalog()
	}
	maxRunes := traits.MaxBodyRunes
	if maxRunes <= 0 {
		maxRunes = DefaultTraits().MaxBodyRunes
	}
	full := dashboardData(p, catalog, traits)
	budget := maxRunes - len([]rune(DashboardMarker)) - 2
	lim := dashboardLimits{open: len(full.Open), unfixable: findingsIn(full.Unfixable), ignored: len(full.Ignored), unreadable: len(full.Unreadable), declined: len(full.Declined)}
	for {
		body, err := set.RenderDashboard(lim.apply(full))
		if err != nil {
			return "", err
		}
		if len([]rune(body)) <= budget || !lim.cut() {
			if r := []rune(body); len(r) > budget {
				// Even empty lists do not fit (a repository template):
				// cut the text itself.
				body = string(r[:max(0, budget-2)]) + "…\n"
			}
			return normalize(strings.TrimRight(body, "\n") + "\n\n" + DashboardMarker + "\n"), nil
		}
	}
}

// dashboardLimits are how many items of each list the body shows.
type dashboardLimits struct{ open, unfixable, ignored, unreadable, declined int }

// cut halves the longest list; false when every list is empty already.
func (l *dashboardLimits) cut() bool {
	longest := []*int{&l.open, &l.unfixable, &l.ignored, &l.unreadable, &l.declined}
	var p *int
	for _, n := range longest {
		if p == nil || *n > *p {
			p = n
		}
	}
	if *p == 0 {
		return false
	}
	*p /= 2
	return true
}

func findingsIn(cs []templates.DashboardControl) int {
	n := 0
	for _, c := range cs {
		n += len(c.Findings)
	}
	return n
}

// apply cuts the lists of d to the limits, counting what is left out.
func (l dashboardLimits) apply(d templates.DashboardData) templates.DashboardData {
	d.Open, d.MoreOpen = cutList(d.Open, l.open)
	d.Ignored, d.MoreIgnored = cutList(d.Ignored, l.ignored)
	d.Unreadable, d.MoreUnreadable = cutList(d.Unreadable, l.unreadable)
	d.Declined, d.MoreDeclined = cutList(d.Declined, l.declined)
	// The findings remedy cannot fix are cut across controls, in order;
	// a control none of whose findings fits is counted as left out.
	left := l.unfixable
	var kept []templates.DashboardControl
	for _, c := range d.Unfixable {
		if left <= 0 {
			d.MoreUnfixable++
			continue
		}
		c.Findings, c.More = cutList(c.Findings, left)
		left -= len(c.Findings)
		kept = append(kept, c)
	}
	d.Unfixable = kept
	return d
}

func cutList[T any](items []T, n int) ([]T, int) {
	if len(items) <= n {
		return items, 0
	}
	return items[:n], len(items) - n
}

// dashboardData is the template data of p.
func dashboardData(p Posture, catalog *scanner.Catalog, traits Traits) templates.DashboardData {
	d := templates.DashboardData{Repo: p.Repo, RepoURL: p.URL, Base: p.Base, PRPrefix: "#", Clean: p.Clean()}
	if traits.PullRequestPrefix != "" {
		d.PRPrefix = traits.PullRequestPrefix
	}
	if p.URL != "" {
		blob := traits.BlobPath
		if blob == "" {
			blob = "/blob/"
		}
		d.BlobURL = strings.TrimSuffix(p.URL, "/") + blob + quote.URLPath(p.Base)
	}
	for _, pr := range p.Open {
		d.Open = append(d.Open, templates.DashboardPR{Number: pr.Number, URL: pr.URL, Findings: len(pr.Fingerprints), Controls: pr.Controls})
	}
	for _, pr := range p.Declined {
		d.Declined = append(d.Declined, templates.DashboardPR{
			Number: pr.Number, URL: pr.URL, Findings: len(pr.Fingerprints), Controls: pr.Controls,
			Marker: templates.DeclinedMarker(pr.Number),
		})
	}
	finding := func(f PostureFinding) templates.DashboardFinding {
		return templates.DashboardFinding{
			Control: f.Control, Severity: f.Severity.String(), File: f.File, Line: f.Line,
			Object: f.Object, Reason: f.Reason, Until: f.Until,
		}
	}
	for _, f := range p.Unfixable {
		if n := len(d.Unfixable); n == 0 || d.Unfixable[n-1].ID != f.Control {
			c := templates.DashboardControl{ID: f.Control, Severity: f.Severity.String()}
			if ctl := catalog.Get(f.Control); ctl != nil {
				c.Title = ctl.Title
			}
			d.Unfixable = append(d.Unfixable, c)
		}
		last := &d.Unfixable[len(d.Unfixable)-1]
		last.Findings = append(last.Findings, finding(f))
	}
	for _, f := range p.Ignored {
		d.Ignored = append(d.Ignored, finding(f))
	}
	for _, e := range p.Unreadable {
		d.Unreadable = append(d.Unreadable, templates.DashboardError{File: e.File, Line: e.Line, Message: e.Message})
	}
	return d
}

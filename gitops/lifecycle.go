package gitops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/templates"
)

// Branch names. Every bot branch starts with BranchPrefix.
const (
	BranchPrefix = "remedy/"
	// repoGroupName names the branch of all fixes when they are grouped
	// per repository; per control, each control's ID names its branch.
	repoGroupName = "security-fixes"
	// RepoBranch holds every fix for the default branch, grouped per
	// repository.
	RepoBranch = BranchPrefix + repoGroupName
)

// Groupings of fixes into pull requests (.remedy.yaml group).
const (
	GroupRepo       = "repo"
	GroupPerControl = "per-control"
	// GroupRisk opens one pull request for the fixes that cannot change
	// what a working container does (branch risk-none), which can be
	// merged at once, and one for those a human must check (risk-review).
	GroupRisk = "risk"
)

// BaseBranchPrefix is the branch prefix for fixes of a base other than the
// default branch: remedy/<base>/.
func BaseBranchPrefix(base string) string { return BranchPrefix + base + "/" }

// DefaultLabels are the labels of fix pull requests when the config sets none.
func DefaultLabels() []string { return []string{"security", "remedy"} }

// Repository is the git side: a clone of the base branch that knows the
// remote's branch heads. *Workspace implements it.
type Repository interface {
	BaseHead() string
	RemoteHead(branch string) (string, bool)
	RemoteBranches(prefix string) []string
	Commit(files map[string][]byte, message string, bot Identity) (Commit, error)
	Inspect(ctx context.Context, branch string) (Commit, error)
	Push(ctx context.Context, branch, sha, lease string) error
	Forget(branch string)
}

// Settings configure Converge.
type Settings struct {
	// Repo is owner/name and RepoURL its web address, for the texts.
	Repo, RepoURL string
	// Base is the branch fixes are proposed for.
	Base string
	// Group is GroupRepo (default), GroupPerControl or GroupRisk.
	Group string
	// BranchPrefix starts every bot branch name; empty means BranchPrefix.
	// Fixes for another base than the default branch need their own, or
	// the two would fight over one branch (see BaseBranchPrefix).
	BranchPrefix string
	// Labels of new pull requests; nil means DefaultLabels.
	Labels               []string
	Reviewers, Assignees []string
	// PRConcurrentLimit caps open fix pull requests, PRHourlyLimit those
	// opened in the last hour (0: no cap). Updates are never capped.
	PRConcurrentLimit, PRHourlyLimit int
	// Templates render the texts; nil means the embedded ones.
	Templates *templates.Set
	// Catalog describes the controls; nil means scanner.DefaultCatalog.
	Catalog *scanner.Catalog
	// Bot is the commit identity; zero means DefaultBot. A branch head not
	// authored and committed by it was pushed by someone else.
	Bot Identity
	// Now is the clock for PRHourlyLimit.
	Now func() time.Time
	// DryRun computes everything and writes nothing: no push, no API write.
	DryRun bool
	// Live names the live objects the fixes are for ("Deployment shop/web"),
	// when a cluster sweep found them; the body lists them.
	Live []string
	// Cluster names the cluster those live objects run in.
	Cluster string
	// Inputs identifies what the fixes were computed from besides the
	// base commit (remedy's version, its settings); when set, bodies
	// record a RunState, which lets the next run skip the clone when
	// neither moved (see RemedyRepository).
	Inputs string
	// KeepDashboard: the run keeps the repository's dashboard issue as
	// its .remedy.yaml says, DashboardDefault when it does not say
	// (Remedy; RemedyRepository sets it for the default branch, never a
	// cluster sweep, whose scan is a part of the repository).
	KeepDashboard, DashboardDefault bool
	// Dashboard: the repository has the dashboard issue on; the RunState
	// records it, so that an idle run still looks for ticked boxes.
	Dashboard bool
	Log       *slog.Logger
}

// Action is what Converge did, or in a dry run would do, to a branch.
type Action string

// Actions of a BranchResult.
const (
	// ActionCreated: pushed the branch and opened a pull request.
	ActionCreated Action = "created"
	// ActionAdopted: a pull request opened by an interrupted run was found
	// and brought up to date.
	ActionAdopted Action = "adopted"
	// ActionUpdated: rebuilt the branch and/or rewrote the texts.
	ActionUpdated Action = "updated"
	// ActionUnchanged: the open pull request is up to date.
	ActionUnchanged Action = "unchanged"
	// ActionClosed: none of the pull request's findings is left to fix; it
	// was closed and its branch deleted.
	ActionClosed Action = "closed"
	// ActionHandsOff: someone else pushed to the branch; remedy leaves it.
	ActionHandsOff Action = "hands-off"
	// ActionDeferred: a new pull request waits for prConcurrentLimit or
	// prHourlyLimit.
	ActionDeferred Action = "deferred"
	// ActionDeclined: every fix was in a pull request closed without merging.
	ActionDeclined Action = "declined"
	// ActionFailed: the branch could not be converged (see the error).
	ActionFailed Action = "failed"
)

// Result is what Converge did.
type Result struct {
	Branches []BranchResult
	DryRun   bool
	// Declined are the pull requests closed without merging that the
	// run read: their fixes are left out (the dashboard lists them).
	Declined []DeclinedPR `json:",omitempty"`
}

// BranchResult is what became of one bot branch.
type BranchResult struct {
	Branch string
	Action Action
	// PR and URL identify the pull request, when there is one.
	PR  int
	URL string
	// Pushed is true when the branch was (or would be) pushed.
	Pushed bool
	// Fingerprints are the findings the branch fixes.
	Fingerprints []string
	// Title and Body are the texts the pull request has or would have;
	// Changes the files it changes.
	Title, Body string
	Changes     []FileChange
	// Reason explains a hands-off, deferred, declined or closed branch;
	// Warnings are problems that did not stop the run (e.g. a reviewer
	// who is not a collaborator).
	Reason   string
	Warnings []string
	// Undecorated: the pull request still lacks some of its labels,
	// reviewers or assignees (see Warnings); the next run adds them.
	Undecorated bool
}

// Markers in pull request bodies and comments. They are the life cycle's
// only memory: a run reads them back from the forge.
const (
	fingerprintsPrefix = "<!-- remedy:fingerprints "
	markerSuffix       = " -->"
	// obsoleteMarker marks a pull request remedy closed itself, which, unlike
	// one a human closed, declines nothing.
	obsoleteMarker = "<!-- remedy:obsolete -->"
	handsOffMarker = "<!-- remedy:hands-off -->"
)

// markedObsolete is a pull request's body with obsoleteMarker added.
func markedObsolete(body string) string {
	return strings.TrimRight(body, "\n") + "\n" + obsoleteMarker + "\n"
}

var fingerprintsRE = regexp.MustCompile(`<!-- remedy:fingerprints ([0-9a-f,]*) -->`)

// maxTableRows bounds the findings table of a body.
const maxTableRows = 100

// botPR is a pull request of a bot branch with its marker read back.
type botPR struct {
	PullRequest
	fingerprints []string
	obsolete     bool
}

// declined reports whether a human closed the pull request unmerged.
func (p botPR) declined() bool { return p.State == "closed" && !p.Merged && !p.obsolete }

// MarkerFingerprints reads back the finding fingerprints that the marker
// of a fix pull request's body records; ok is false without a marker.
func MarkerFingerprints(body string) (fingerprints []string, ok bool) {
	bp, ok := parseBotPR(PullRequest{Body: body})
	return bp.fingerprints, ok
}

func parseBotPR(pr PullRequest) (botPR, bool) {
	m := fingerprintsRE.FindStringSubmatch(pr.Body)
	if m == nil {
		return botPR{}, false
	}
	var fps []string
	if m[1] != "" {
		fps = strings.Split(m[1], ",")
	}
	return botPR{PullRequest: pr, fingerprints: fps, obsolete: strings.Contains(pr.Body, obsoleteMarker)}, true
}

// Converge brings the repository's fix pull requests in line with fixes:
// it opens, updates, closes or leaves alone one pull request per group of
// fixes, and writes nothing when everything is already in line. It reads
// its state from the forge (one pull request list per bot branch that
// exists or is wanted) and from the branch heads; it keeps none.
//
// Rules, in the words of the issue that asked for them:
//   - a pull request closed without merging means "not these fixes": its
//     findings are never proposed again, and a new pull request for other
//     findings leaves them out;
//   - an open pull request is force-pushed only when its fixes or its base
//     changed, and edited only when its texts changed;
//   - a branch whose head someone else pushed is left alone, after one
//     comment;
//   - a pull request none of whose findings is left is closed, with a
//     comment, and its branch deleted;
//   - a branch pushed by a run that stopped before opening its pull request
//     gets one; a pull request that already exists is adopted.
//
// A branch that fails does not stop the others; their errors are joined.
func Converge(ctx context.Context, forge Forge, repo Repository, fixes Fixes, s Settings) (Result, error) {
	s = s.withDefaults()
	if s.Templates == nil {
		set, err := templates.Parse(nil)
		if err != nil {
			return Result{}, err
		}
		s.Templates = set
	}
	c := &converger{forge: forge, repo: repo, fixes: fixes, s: s, prs: map[string][]botPR{}, traits: forge.Traits()}
	if c.traits.MaxBodyRunes <= 0 {
		c.traits.MaxBodyRunes = DefaultTraits().MaxBodyRunes
	}
	groups := groupFindings(fixes, s)
	var branches []string
	for _, b := range c.branches(groups) {
		// Where the forge closes a pull request whose head branch is
		// deleted, without the branch nothing is open, and without fixes
		// nothing is wanted.
		if _, exists := repo.RemoteHead(b); exists || len(groups[b]) > 0 || !c.traits.DeletedBranchClosesPR {
			branches = append(branches, b)
		}
	}
	for _, b := range branches {
		prs, err := forge.ListPullRequests(ctx, b)
		if err != nil {
			return Result{}, fmt.Errorf("list pull requests of %s: %w", b, err)
		}
		for _, pr := range prs {
			if bp, ok := parseBotPR(pr); ok {
				c.prs[b] = append(c.prs[b], bp)
			}
		}
		slices.SortFunc(c.prs[b], func(x, y botPR) int { return cmp.Compare(y.Number, x.Number) })
	}
	c.countLimits()
	res := Result{DryRun: s.DryRun, Declined: c.declinedPRs()}
	var errs []error
	for _, b := range branches {
		br, err := c.branch(ctx, b, groups[b])
		br.Branch = b
		if err != nil {
			br.Action = ActionFailed
			errs = append(errs, fmt.Errorf("branch %s: %w", b, err))
		}
		if br.Action != "" {
			res.Branches = append(res.Branches, br)
		}
	}
	return res, errors.Join(errs...)
}

func (s Settings) withDefaults() Settings {
	if s.Group == "" || s.Group == "per-repo" {
		s.Group = GroupRepo
	}
	if s.BranchPrefix == "" {
		s.BranchPrefix = BranchPrefix
	}
	if s.Labels == nil {
		s.Labels = DefaultLabels()
	}
	if s.Catalog == nil {
		s.Catalog = scanner.DefaultCatalog()
	}
	if s.Bot == (Identity{}) {
		s.Bot = DefaultBot()
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.Log == nil {
		s.Log = slog.New(slog.DiscardHandler)
	}
	return s
}

// groupFindings assigns fixed findings to branches.
func groupFindings(fixes Fixes, s Settings) map[string][]scanner.Finding {
	out := map[string][]scanner.Finding{}
	for _, f := range fixes.Fixed {
		b := s.BranchPrefix + repoGroupName
		switch s.Group {
		case GroupPerControl:
			b = s.BranchPrefix + f.Control
		case GroupRisk:
			b = s.BranchPrefix + riskBranch(fixes.riskOf(f))
		}
		out[b] = append(out[b], f)
	}
	return out
}

// riskBranch names the branch of a risk group.
func riskBranch(l scanner.RiskLevel) string { return "risk-" + string(l) }

// riskOf is the risk level of a fixed finding; one remediate did not
// grade needs a human check.
func (f Fixes) riskOf(x scanner.Finding) scanner.RiskLevel {
	if l, ok := f.Risks[x.Fingerprint()]; ok {
		return l
	}
	return scanner.RiskReview
}

type converger struct {
	forge Forge
	repo  Repository
	fixes Fixes
	s     Settings
	prs   map[string][]botPR // by branch, newest first
	// traits are the forge's facts.
	traits Traits
	// open and recent count the bot's open pull requests and those opened
	// within the hour, for the limits.
	open, recent int
}

// branches are the bot branches of the grouping in use: those wanted and
// those that exist, sorted.
func (c *converger) branches(groups map[string][]scanner.Finding) []string {
	set := map[string]bool{}
	for b := range groups {
		set[b] = true
	}
	if c.s.Group == GroupPerControl {
		for _, b := range c.repo.RemoteBranches(c.s.BranchPrefix) {
			// Deeper names belong to other bases' namespaces.
			if name := strings.TrimPrefix(b, c.s.BranchPrefix); name != repoGroupName && !strings.Contains(name, "/") {
				set[b] = true
			}
		}
	} else if c.s.Group == GroupRisk {
		set[c.s.BranchPrefix+riskBranch(scanner.RiskNone)] = true
		set[c.s.BranchPrefix+riskBranch(scanner.RiskReview)] = true
	} else {
		set[c.s.BranchPrefix+repoGroupName] = true
	}
	out := make([]string, 0, len(set))
	for b := range set {
		out = append(out, b)
	}
	sort.Strings(out)
	return out
}

func (c *converger) countLimits() {
	hourAgo := c.s.Now().Add(-time.Hour)
	for _, prs := range c.prs {
		for _, p := range prs {
			if p.State == "open" {
				c.open++
			}
			if p.Created.After(hourAgo) {
				c.recent++
			}
		}
	}
}

// foreignHead inspects the remote branch head unless it is the commit
// remedy would write (sha), and reports whether someone else made it.
func (c *converger) foreignHead(ctx context.Context, branch, head string, exists bool, sha string) (Commit, bool, error) {
	if !exists || head == sha {
		return Commit{SHA: head}, false, nil
	}
	info, err := c.repo.Inspect(ctx, branch)
	if err != nil {
		return Commit{}, false, err
	}
	bot := strings.EqualFold(info.Author.Email, c.s.Bot.Email) && strings.EqualFold(info.Committer.Email, c.s.Bot.Email)
	return info, !bot, nil
}

func (c *converger) push(ctx context.Context, branch, sha, lease string) error {
	if c.s.DryRun {
		return nil
	}
	if err := c.repo.Push(ctx, branch, sha, lease); err != nil {
		return err
	}
	c.s.Log.Info("pushed fix branch", "repo", c.s.Repo, "branch", branch, "commit", sha)
	return nil
}

// limited says why a new pull request must wait, or "".
func (c *converger) limited() string {
	if l := c.s.PRConcurrentLimit; l > 0 && c.open >= l {
		return fmt.Sprintf("prConcurrentLimit: %d fix pull requests are open", c.open)
	}
	if l := c.s.PRHourlyLimit; l > 0 && c.recent >= l {
		return fmt.Sprintf("prHourlyLimit: %d fix pull requests were opened in the last hour", c.recent)
	}
	return ""
}

// decorations are the labels, reviewers and assignees a pull request
// still needs.
type decorations struct{ labels, reviewers, assignees []string }

// allDecorations are what a new pull request gets.
func (c *converger) allDecorations() decorations {
	return decorations{labels: c.s.Labels, reviewers: c.s.Reviewers, assignees: c.s.Assignees}
}

// missingDecorations are the decorations an open pull request lacks, so
// that they converge like everything else: a lost answer, a call out of
// retries or a crash after the pull request was opened is mended by the
// next run, and a run that finds them in place writes nothing.
//
// Labels and assignees are state: any one missing is added again (also
// after a human removed it; remove it from .remedy.yaml instead).
// Requested reviewers are not: GitHub drops a reviewer from the request
// once they review, so they are requested again only while the labels are
// incomplete, which is what an unfinished decoration looks like (they are
// requested before the labels are added, see decorate).
func (c *converger) missingDecorations(pr PullRequest) decorations {
	var d decorations
	if pr.LabelsKnown {
		d.labels = missing(c.s.Labels, pr.Labels)
	} else {
		d.labels = c.s.Labels
	}
	if pr.AssigneesKnown {
		d.assignees = missing(c.s.Assignees, pr.Assignees)
	} else {
		d.assignees = c.s.Assignees
	}
	if len(d.labels) > 0 || (len(c.s.Labels) == 0 && !pr.LabelsKnown) {
		d.reviewers = c.s.Reviewers
		if pr.ReviewersKnown {
			d.reviewers = missing(c.s.Reviewers, pr.Reviewers)
		}
	}
	return d
}

// missing are the names of want not in have, compared as forges do
// (without case, without a leading @, a team "org/team" by its slug).
func missing(want, have []string) []string {
	key := func(s string) string {
		s = strings.ToLower(strings.TrimPrefix(s, "@"))
		if _, team, ok := strings.Cut(s, "/"); ok {
			return team
		}
		return s
	}
	in := map[string]bool{}
	for _, h := range have {
		in[key(h)] = true
	}
	var out []string
	for _, w := range want {
		if !in[key(w)] {
			out = append(out, w)
		}
	}
	return out
}

// decorate adds labels, reviewers and assignees to a pull request.
// They are niceties: a failure is a warning, not a failed run, and
// undecorated says some are still missing, for the next run to add.
// Reviewers and assignees go first and the labels last, so complete
// labels mean a finished decoration.
func (c *converger) decorate(ctx context.Context, number int, d decorations) (warnings []string, undecorated bool) {
	steps := []struct {
		what  string
		items []string
		do    func(context.Context, int, []string) error
	}{
		{"reviewers", d.reviewers, c.forge.RequestReviewers},
		{"assignees", d.assignees, c.forge.AddAssignees},
		{"labels", d.labels, c.forge.AddLabels},
	}
	for _, st := range steps {
		if len(st.items) == 0 {
			continue
		}
		if err := st.do(ctx, number, st.items); err != nil {
			warnings = append(warnings, fmt.Sprintf("%s of #%d: %v", st.what, number, err))
			undecorated = true
			c.s.Log.Warn("could not set "+st.what, "repo", c.s.Repo, "pr", number, "error", err)
		}
	}
	return warnings, undecorated
}

// adopt takes over the open pull request of branch that CreatePullRequest
// says exists: a run that opened it stopped before recording anything, or
// another run raced this one.
func (c *converger) adopt(ctx context.Context, res BranchResult, branch, title, body string) (BranchResult, error) {
	prs, err := c.forge.ListPullRequests(ctx, branch)
	if err != nil {
		return res, fmt.Errorf("list pull requests of %s: %w", branch, err)
	}
	for _, pr := range prs {
		if pr.State != "open" {
			continue
		}
		res.Action, res.PR, res.URL = ActionAdopted, pr.Number, pr.URL
		if normalize(pr.Title) != title || normalize(pr.Body) != body {
			if err := c.forge.EditPullRequest(ctx, pr.Number, title, body); err != nil {
				return res, fmt.Errorf("edit pull request #%d: %w", pr.Number, err)
			}
		}
		// Whoever opened it may have stopped before labelling it.
		res.Warnings, res.Undecorated = c.decorate(ctx, pr.Number, c.missingDecorations(pr))
		return res, nil
	}
	return res, fmt.Errorf("open pull request: %w, yet none is listed", ErrPullRequestExists)
}

// data is what the templates render for a branch.
func (c *converger) data(branch string, found []scanner.Finding, changes []FileChange, declined int) templates.Data {
	d := templates.Data{Repo: c.s.Repo, RepoURL: c.s.RepoURL, Base: c.s.Base, Branch: branch, Declined: declined, Live: c.s.Live, Cluster: c.s.Cluster}
	if c.s.Group == GroupPerControl || c.s.Group == GroupRisk {
		d.Group = strings.TrimPrefix(branch, c.s.BranchPrefix)
	}
	byControl := map[string]*templates.Control{}
	resources := map[string]bool{}
	for _, f := range found {
		ctl := c.s.Catalog.Get(f.Control)
		var refs []string
		if ctl != nil {
			refs = ctl.Refs
		}
		resources[objectOf(f)] = true
		d.Findings = append(d.Findings, templates.Finding{
			Control: f.Control, Severity: f.Severity.String(), Resource: resourceOf(f),
			File: f.File, Line: f.Line, Path: f.Path, Refs: refs,
		})
		tc := byControl[f.Control]
		if tc == nil {
			tc = &templates.Control{ID: f.Control, Severity: f.Severity.String(), Refs: refs}
			if ctl != nil {
				tc.Title, tc.Why, tc.HowToFix = ctl.Title, ctl.Why, ctl.HowToFix
			}
			byControl[f.Control] = tc
		}
		tc.Count++
	}
	for _, tc := range byControl {
		d.Controls = append(d.Controls, *tc)
	}
	slices.SortFunc(d.Controls, func(a, b templates.Control) int { return cmp.Compare(a.ID, b.ID) })
	for r := range resources {
		d.Resources = append(d.Resources, r)
	}
	sort.Strings(d.Resources)
	for _, ch := range changes {
		d.Files = append(d.Files, ch.Path)
	}
	sort.Strings(d.Files)
	d.Risks, d.Images, d.Unchecked = riskData(c.s.Catalog, c.fixes, found)
	d.Table = d.Findings
	if len(d.Table) > maxTableRows {
		d.Table, d.Truncated = d.Table[:maxTableRows], len(d.Table)-maxTableRows
	}
	return d
}

func objectName(f scanner.Finding) string {
	if f.Namespace == "" {
		return f.Name
	}
	return f.Namespace + "/" + f.Name
}

// objectOf names a finding's object as PR bodies, the dashboard and the
// posture page show it: "Deployment shop/web".
func objectOf(f scanner.Finding) string { return f.Kind + " " + objectName(f) }

// resourceOf is objectOf with the finding's container, if any:
// "Deployment shop/web, container app".
func resourceOf(f scanner.Finding) string {
	if f.Container == "" {
		return objectOf(f)
	}
	return objectOf(f) + ", container " + f.Container
}

// withMarker appends the fingerprint marker to a body, cutting the body
// first if the two would pass the forge's size limit of maxBodyRunes.
func withMarker(body string, found []scanner.Finding, maxBodyRunes int) string {
	fps := make([]string, 0, len(found))
	for _, f := range found {
		fps = append(fps, f.Fingerprint())
	}
	sort.Strings(fps)
	fps = slices.Compact(fps)
	marker := fingerprintsPrefix + strings.Join(fps, ",") + markerSuffix
	if r := []rune(body); len(r)+len(marker) > maxBodyRunes {
		body = string(r[:max(0, maxBodyRunes-len(marker)-8)]) + "…\n"
	}
	return normalize(strings.TrimRight(body, "\n") + "\n\n" + marker + "\n")
}

// normalize makes a body comparable whatever line endings the forge kept.
func normalize(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

// ShortSHA is a commit's name as people read it: its first seven hex
// digits.
func ShortSHA(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}

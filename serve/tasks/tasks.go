package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/clustersweep"
	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/internal/quote"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/render"
	"github.com/remedy-bot/remedy/serve/chatcommand"
	"github.com/remedy-bot/remedy/serve/jobs"
)

// Recorder counts what the tasks did; *metrics.Metrics implements it.
type Recorder interface {
	PullRequest(action string)
	Findings(control string, n int)
}

// RemedyFunc runs the fix life cycle of one repository.
// gitops.RemedyRepository is the one in use; tests may wrap it.
type RemedyFunc func(ctx context.Context, forge gitops.Host, owner, name string, o gitops.RunOptions) (gitops.RunResult, error)

// Options configure a Handler.
type Options struct {
	// Forge is the one forge client of the process (a driver of
	// gitops/forge). Reviews, commit statuses and permission checks ask
	// its repositories' forges for the extras declared in forge.go.
	Forge gitops.Host
	// Forges are the other forges (GitLab, Gitea) by kind, and
	// ForgeTokens their git tokens; a job's repository "gitea:owner/name"
	// is on Forges["gitea"] (see JobRepo).
	Forges      map[string]gitops.Host
	ForgeTokens map[string]gitops.TokenSource
	// ForgeHosts are the hosts of Forges, by kind: a cluster sweep gives
	// each source the forge its URL's host names.
	ForgeHosts map[string]string
	// Tokens authenticate git traffic, per repository owner (the API
	// client carries the same source).
	Tokens gitops.TokenSource
	// Bot is the commit identity; zero means gitops.DefaultBot.
	Bot gitops.Identity
	// Version is remedy's version, recorded in fix pull requests so that
	// an idle repository is not cloned again (gitops.RunOptions.Version).
	Version string
	// BotLogin is the account remedy reviews and comments as; its earlier
	// reviews are the ones a new review replaces.
	BotLogin string
	// LearnBotLogin, when set and BotLogin is empty, asks the forge for
	// the login when a task needs it.
	LearnBotLogin func(ctx context.Context) (string, error)
	// ForgeBotLogins ask Forges for remedy's login there, by kind, as
	// LearnBotLogin does GitHub's.
	ForgeBotLogins map[string]func(ctx context.Context) (string, error)
	// FailOn is the severity from which a new finding fails a pull
	// request's commit status.
	FailOn scanner.Severity
	// AllowResponseURL says where Slack answers may be posted.
	AllowResponseURL func(string) bool
	// HTTPClient posts Slack answers; nil means a client with a timeout.
	HTTPClient *http.Client
	// Remedy defaults to gitops.RemedyRepository.
	Remedy RemedyFunc
	// Images, when set, reads the images of every repository fixed
	// (serve's images.resolve).
	Images *imageinfo.Resolver
	// Budgets bound every load of every job (serve's limits:): the fix,
	// scan, review and ignore of a repository and each source a cluster
	// sweep reads. Zero fields take the defaults.
	Budgets render.Budgets
	// Dashboard keeps the dashboard issue of repositories whose
	// .remedy.yaml does not say (serve's defaults.dashboard).
	Dashboard bool
	// Clusters are the clusters KindClusterSweep jobs may read, by name;
	// ForgeHost is the forge's host, whose repositories get pull requests.
	Clusters  map[string]clustersweep.Cluster
	ForgeHost string
	// RemedyLive defaults to clustersweep.Remedy.
	RemedyLive RemedyLiveFunc
	Metrics    Recorder
	Now        func() time.Time
	Log        *slog.Logger

	// Postures, when set, keeps each repository's last posture and each
	// cluster's last sweep, for the posture page (*jobs.Store).
	Postures PostureStore
}

// Handler runs jobs; it implements jobs.Handler.
type Handler struct{ o Options }

// NewHandler returns a Handler.
func NewHandler(o Options) *Handler {
	if o.Bot == (gitops.Identity{}) {
		o.Bot = gitops.DefaultBot()
	}
	if o.Remedy == nil {
		o.Remedy = gitops.RemedyRepository
	}
	if o.RemedyLive == nil {
		o.RemedyLive = clustersweep.Remedy
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	if o.AllowResponseURL == nil {
		o.AllowResponseURL = func(string) bool { return false }
	}
	if o.Metrics == nil {
		o.Metrics = nopRecorder{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Handler{o: o}
}

// Handle implements jobs.Handler.
func (h *Handler) Handle(ctx context.Context, j jobs.Job) (string, error) {
	reqs, err := DecodeRequests(j.Payloads)
	if err != nil {
		return "", fmt.Errorf("job %d: %w", j.ID, err)
	}
	if j.Kind == KindClusterSweep {
		return h.clusterSweep(ctx, j, reqs)
	}
	kind, full := SplitJobRepo(j.Repo)
	owner, name, ok := strings.Cut(full, "/")
	if kind != "" {
		// A GitLab project's namespace may hold slashes.
		i := strings.LastIndex(full, "/")
		owner, name, ok = full[:max(i, 0)], full[i+1:], i > 0
	}
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", fmt.Errorf("job %d: repository %q: want owner/name", j.ID, j.Repo)
	}
	host, tokens := h.o.Forge, h.o.Tokens
	if kind != "" {
		if host, ok = h.o.Forges[kind]; !ok {
			return "", fmt.Errorf("job %d: repository %q: no %s forge is configured", j.ID, j.Repo, kind)
		}
		tokens = h.o.ForgeTokens[kind]
	}
	t := &task{h: h, job: j, forgeKind: kind, host: host, tokens: tokens, owner: owner, name: name, log: h.o.Log.With("job", j.ID, "kind", j.Kind, "repo", j.Repo), perms: map[string]bool{}}
	result, err := t.run(ctx, j, reqs)
	// A job whose answer did not reach the person who asked failed, even
	// when its work was done: they would otherwise wait for nothing, and
	// the job history would say all is well.
	if unanswered := t.unanswered(); unanswered != nil {
		err = errors.Join(err, unanswered)
	}
	return result, err
}

func (t *task) run(ctx context.Context, j jobs.Job, reqs []Request) (string, error) {
	switch j.Kind {
	case KindConverge:
		return t.converge(ctx, reqs)
	case KindIgnore:
		return t.ignore(ctx, j.Key, reqs)
	case KindScan:
		return t.scan(ctx, reqs)
	case KindReview:
		return t.review(ctx, reqs)
	case KindReply:
		return t.reply(ctx, reqs)
	}
	return "", fmt.Errorf("job %d: unknown kind %q", j.ID, j.Kind)
}

// task is one job being run.
type task struct {
	h   *Handler
	job jobs.Job
	// forgeKind is the kind of the repository's forge (a key of
	// Options.Forges); "" for GitHub.
	forgeKind   string
	host        gitops.Host
	tokens      gitops.TokenSource
	owner, name string
	log         *slog.Logger
	mu          sync.Mutex
	perms       map[string]bool // login → may write
	// replyErrs are the answers that could not be posted.
	replyErrs []error
}

func (t *task) full() string { return t.owner + "/" + t.name }

// botLogin is remedy's login on the repository's forge, asked when not
// known yet; "" while the forge cannot say.
func (t *task) botLogin(ctx context.Context) string {
	learn := t.h.o.LearnBotLogin
	if t.forgeKind != "" {
		learn = t.h.o.ForgeBotLogins[t.forgeKind]
	} else if t.h.o.BotLogin != "" {
		return t.h.o.BotLogin
	}
	if learn == nil {
		return ""
	}
	login, err := learn(ctx)
	if err != nil {
		t.log.Warn("bot login unknown", "error", err)
	}
	return login
}

// token is the git token for the repository's owner.
func (t *task) token(ctx context.Context) (string, error) {
	if t.tokens == nil {
		return "", gitops.ErrNoToken
	}
	tok, err := t.tokens.Token(ctx, t.owner)
	if err != nil {
		return "", fmt.Errorf("token for %s: %w", t.owner, err)
	}
	return tok, nil
}

// mayWrite asks the forge whether login has write access to the
// repository (GitHub: write, maintain or admin; GitLab: Developer or
// above; Gitea: write or admin). Only the API answer counts: nothing in a
// delivery says who may do what.
func (t *task) mayWrite(ctx context.Context, login string) (bool, error) {
	t.mu.Lock()
	ok, seen := t.perms[strings.ToLower(login)]
	t.mu.Unlock()
	if seen {
		return ok, nil
	}
	pf, err := forgeFor[permissionForge](t, "permission checks")
	if err != nil {
		return false, err
	}
	ok, err = pf.MayWrite(ctx, login)
	if err != nil {
		return false, fmt.Errorf("permission of %s on %s: %w", login, t.full(), err)
	}
	t.mu.Lock()
	t.perms[strings.ToLower(login)] = ok
	t.mu.Unlock()
	return ok, nil
}

// authorized splits requests into those that may run and those refused;
// refused ones are answered politely.
func (t *task) authorized(ctx context.Context, reqs []Request) ([]Request, error) {
	var out []Request
	for _, r := range reqs {
		// Slack requests were granted by the server config when they were
		// taken; pushes and schedules come from no person.
		if !r.fromForge() || r.Verb == "push" || r.Verb == "review" {
			out = append(out, r)
			continue
		}
		ok, err := t.mayWrite(ctx, r.Requester)
		if err != nil {
			return nil, err
		}
		if !ok {
			t.log.Info("command refused: no write access", "user", r.Requester, "verb", r.Verb)
			t.answer(ctx, r, fmt.Sprintf("Thanks for asking! `/remedy %s` changes %s, so it needs write access to the repository, which your account does not have. A maintainer can run it, or `/remedy scan` works for everyone.", r.Verb, t.full()))
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// answer tells the requester: a comment on the issue or pull request, or a
// message to Slack. An answer that could not be posted is remembered, and
// fails the job once its work is done (Handle).
func (t *task) answer(ctx context.Context, r Request, text string) {
	if err := t.post(ctx, r, text); err != nil {
		t.log.Warn("could not answer", "source", r.Source, "issue", r.Issue, "error", err)
		t.mu.Lock()
		t.replyErrs = append(t.replyErrs, err)
		t.mu.Unlock()
	}
}

// post sends one answer.
func (t *task) post(ctx context.Context, r Request, text string) error {
	switch {
	case r.fromForge() && r.Issue > 0:
		body := text
		if r.Requester != "" {
			body = "@" + r.Requester + " " + text
		}
		if err := t.forge().Comment(ctx, r.Issue, body); err != nil {
			return fmt.Errorf("answer on #%d: %w", r.Issue, err)
		}
	case r.Source == SourceSlack && r.ResponseURL != "":
		if !t.h.o.AllowResponseURL(r.ResponseURL) {
			return errors.New("answer on Slack: the response_url is not one remedy posts to (slack.responseURLPrefixes)")
		}
		// Answers are written for GitHub; Slack reads "<…>" as mentions
		// and links wherever it is, so the whole text is escaped.
		msg := &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: quote.SlackEscape(text)}
		if err := slack.PostWebhookCustomHTTPContext(ctx, r.ResponseURL, t.h.o.HTTPClient, msg); err != nil {
			// The URL carries a capability: it stays out of the error,
			// which the job history keeps.
			return fmt.Errorf("answer on Slack: %s", redactURLs(err))
		}
	}
	return nil
}

// unanswered joins the answers that could not be posted, nil if none.
func (t *task) unanswered() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return errors.Join(t.replyErrs...)
}

// redactURLs keeps a Slack response_url (a bearer capability) out of
// logs: everything from the first URL on is cut.
func redactURLs(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, "http"); i >= 0 {
		msg = msg[:i] + "<response_url …>"
	}
	return msg
}

// reply answers help and commands remedy could not read.
func (t *task) reply(ctx context.Context, reqs []Request) (string, error) {
	for _, r := range reqs {
		text := chatcommand.CommentHelp
		if r.Message != "" {
			text = r.Message + "\n\n" + chatcommand.CommentHelp
		}
		t.answer(ctx, r, text)
	}
	return fmt.Sprintf("answered %d", len(reqs)), nil
}

// converge runs the fix life cycle once for every request of the job.
func (t *task) converge(ctx context.Context, reqs []Request) (string, error) {
	ok, err := t.authorized(ctx, reqs)
	if err != nil {
		return "", err
	}
	if len(ok) == 0 {
		return "no request was authorized", nil
	}
	token, err := t.token(ctx)
	if err != nil {
		return "", err
	}
	res, err := t.h.o.Remedy(ctx, t.host, t.owner, t.name, gitops.RunOptions{
		Token: token, Bot: t.h.o.Bot, Version: t.h.o.Version, Now: t.h.o.Now, Log: t.log, Images: t.h.o.Images, Budgets: t.h.o.Budgets,
		Dashboard: t.h.o.Dashboard,
	})
	for _, b := range res.Branches {
		t.h.o.Metrics.PullRequest(string(b.Action))
	}
	t.h.savePosture(ctx, t.job, res.Posture, t.log)
	summary := convergeSummary(res, err)
	for _, r := range ok {
		text := summary
		if len(r.Controls) > 0 {
			text += "\n\n" + controlsNote(r.Controls)
		}
		t.answer(ctx, r, text)
	}
	if errors.Is(err, gitops.ErrArchived) {
		return "skipped: archived", nil
	}
	return runSummary(res), err
}

// runSummary is a converge job's one-line result in the history:
// "7 findings, 7 fixable; remedy/security-fixes created #3".
func runSummary(res gitops.RunResult) string {
	s := fmt.Sprintf("%s, %d fixable", plural.Count(res.Findings, "finding"), res.Fixable)
	var parts []string
	for _, b := range res.Branches {
		p := b.Branch + " " + string(b.Action)
		if b.PR != 0 {
			p += fmt.Sprintf(" #%d", b.PR)
		}
		parts = append(parts, p)
	}
	if d := res.Dashboard; d.Action != gitops.DashboardNone && d.Action != gitops.DashboardUnchanged {
		p := "dashboard " + string(d.Action)
		if d.Issue != nil {
			p += fmt.Sprintf(" #%d", d.Issue.Number)
		}
		parts = append(parts, p)
	}
	if len(parts) > 0 {
		s += "; " + strings.Join(parts, ", ")
	}
	return s
}

// controlsNote explains "/remedy fix <control>": the fix pull request is
// one life cycle for every fixable control, never a partial one that the
// next run would undo.
func controlsNote(controls []string) string {
	named := make([]string, len(controls))
	for i, c := range controls {
		named[i] = quote.Code(c)
	}
	return fmt.Sprintf("You named %s: remedy keeps one fix pull request for every fixable control of the repository, so the one above covers them along with the others. To leave a control out, close its pull request unmerged (per-control grouping) or `/remedy ignore` it.",
		strings.Join(named, ", "))
}

// convergeSummary says what the life cycle did, for people.
func convergeSummary(res gitops.RunResult, err error) string {
	var b strings.Builder
	repo := res.Repo.FullName
	switch {
	case errors.Is(err, gitops.ErrArchived):
		return fmt.Sprintf("%s is archived (read-only); remedy proposes no fix there.", repo)
	case err != nil && repo == "":
		return "remedy could not read the repository: " + quote.CodeN(err.Error(), maxErrorText)
	}
	fmt.Fprintf(&b, "remedy scanned %s of %s: %s, %d fixable.", quote.Code(res.Base), repo, plural.Count(res.Findings, "finding"), res.Fixable)
	if res.InputErrors > 0 {
		fmt.Fprintf(&b, " %s could not be read.", plural.Count(res.InputErrors, "file"))
	}
	if len(res.Branches) == 0 && err == nil {
		b.WriteString(" Nothing to fix, so no fix pull request.")
	}
	for _, br := range res.Branches {
		b.WriteString("\n- ")
		b.WriteString(describeBranch(br))
	}
	if err != nil {
		b.WriteString("\n\nSomething went wrong: " + quote.CodeN(err.Error(), maxErrorText))
	}
	return b.String()
}

func describeBranch(br gitops.BranchResult) string {
	ref := quote.Code(br.Branch)
	if br.PR != 0 {
		ref = fmt.Sprintf("#%d (%s)", br.PR, br.URL)
	}
	var s string
	switch br.Action {
	case gitops.ActionCreated:
		s = "opened fix pull request " + ref
	case gitops.ActionAdopted, gitops.ActionUpdated:
		s = "updated fix pull request " + ref
	case gitops.ActionUnchanged:
		s = "fix pull request " + ref + " is up to date"
	case gitops.ActionClosed:
		s = "closed " + ref
	case gitops.ActionHandsOff:
		s = ref + " is left to its humans"
	case gitops.ActionDeferred:
		s = "a new fix pull request waits"
	case gitops.ActionDeclined:
		s = "nothing new to propose"
	default:
		s = string(br.Action) + " " + ref
	}
	if br.Reason != "" {
		// Reasons name branches and commit authors: quoted.
		s += ": " + quote.Code(br.Reason)
	}
	return s
}

// maxErrorText bounds an error quoted in an answer: errors wrap their
// causes, and their causes quote repository content.
const maxErrorText = 500

// maxResultText bounds a job's recorded result: the first line of what
// the job answered.
const maxResultText = 300

type nopRecorder struct{}

func (nopRecorder) PullRequest(string)   {}
func (nopRecorder) Findings(string, int) {}

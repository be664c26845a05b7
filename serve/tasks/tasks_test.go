package tasks

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-github/v89/github"

	"github.com/remedy-bot/remedy/gitops"
	ghforge "github.com/remedy-bot/remedy/gitops/forge/github"
	"github.com/remedy-bot/remedy/internal/githubtest"
	"github.com/remedy-bot/remedy/internal/repofs/repofstest"
	"github.com/remedy-bot/remedy/review"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/serve/jobs"
)

const (
	botToken   = "ghp_tasks_bot_secret"
	maintToken = "ghp_tasks_maint"
	remedyYAML = "# the repository's remedy config\ncontrols:\n  enable: [privileged, no-privilege-escalation, read-only-root-filesystem, run-as-non-root, seccomp-profile, drop-all-capabilities, automount-service-account-token, host-pid]\n"
	webYAML    = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: web
          image: nginx:1.27.3
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]
            privileged: true
`
	// apiYAML is what a developer adds in a pull request: a workload
	// missing most of its hardening.
	apiYAML = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    spec:
      hostPID: true
      containers:
        - name: api
          image: ghcr.io/acme/api:1.4.2
          ports:
            - containerPort: 8080
`
)

type env struct {
	forge *githubtest.Server
	gh    *ghforge.Client
	h     *Handler
	pr    int // the developer's pull request
}

func setup(t *testing.T) *env {
	t.Helper()
	s := githubtest.New(t)
	s.AddToken(botToken, "remedy-bot")
	s.AddToken(maintToken, "maint")
	s.CreateRepo("acme", "shop", map[string]string{".remedy.yaml": remedyYAML, "deploy/web.yaml": webYAML})
	s.SetPermission("acme", "shop", "remedy-bot", "write")
	s.SetPermission("acme", "shop", "maint", "maintain")
	s.SetPermission("acme", "shop", "reader", "read")
	gh, err := ghforge.New(ghforge.Options{APIURL: s.APIURL(), Tokens: gitops.StaticToken(botToken)})
	if err != nil {
		t.Fatal(err)
	}
	s.CommitFiles("acme", "shop", "add-api", map[string]string{"deploy/api.yaml": apiYAML}, "add the api")
	pr, _, err := s.Client(maintToken).PullRequests.Create(context.Background(), "acme", "shop", &github.NewPullRequest{
		Title: github.Ptr("Add the api"), Head: github.Ptr("add-api"), Base: github.Ptr("main"),
	})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(Options{Forge: gh, Tokens: gitops.StaticToken(botToken), BotLogin: "remedy-bot", FailOn: scanner.SeverityHigh})
	return &env{forge: s, gh: gh, h: h, pr: pr.GetNumber()}
}

func (e *env) run(t *testing.T, kind, key string, reqs ...Request) (string, error) {
	t.Helper()
	j := jobs.Job{ID: 1, Repo: "acme/shop", Kind: kind, Key: key}
	for _, r := range reqs {
		j.Payloads = append(j.Payloads, r.Payload())
	}
	return e.h.Handle(context.Background(), j)
}

func (e *env) comments(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, c := range e.forge.Comments("acme", "shop", e.pr) {
		if c.GetUser().GetLogin() == "remedy-bot" {
			out = append(out, c.GetBody())
		}
	}
	return out
}

func (e *env) fixPRs() []*github.PullRequest {
	var out []*github.PullRequest
	for _, p := range e.forge.PullRequests("acme", "shop") {
		if strings.HasPrefix(p.GetHead().GetRef(), "remedy/") {
			out = append(out, p)
		}
	}
	return out
}

func TestCommandsNeedWriteAccess(t *testing.T) {
	e := setup(t)
	res, err := e.run(t, KindConverge, "", Request{Source: SourceGitHub, Verb: "fix", Requester: "reader", Issue: e.pr, IsPR: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.fixPRs()) != 0 || e.forge.BranchSHA("acme", "shop", gitops.RepoBranch) != "" {
		t.Fatalf("a reader's /remedy fix changed the repository (%s)", res)
	}
	cs := e.comments(t)
	if len(cs) != 1 || !strings.Contains(cs[0], "@reader") || !strings.Contains(cs[0], "needs write access") {
		t.Fatalf("answer %q", cs)
	}

	res, err = e.run(t, KindConverge, "",
		Request{Source: SourceGitHub, Verb: "fix", Requester: "maint", Issue: e.pr, IsPR: true, Controls: []string{"privileged"}},
		Request{Source: SourceGitHub, Verb: "rebase", Requester: "reader", Issue: e.pr, IsPR: true})
	if err != nil {
		t.Fatal(err)
	}
	prs := e.fixPRs()
	if len(prs) != 1 || prs[0].GetHead().GetRef() != gitops.RepoBranch {
		t.Fatalf("fix pull requests %v (%s)", prs, res)
	}
	if c, _ := e.forge.ReadFile("acme", "shop", gitops.RepoBranch, "deploy/web.yaml"); !strings.Contains(c, "privileged: false") {
		t.Errorf("fix branch:\n%s", c)
	}
	cs = e.comments(t)
	if len(cs) != 3 {
		t.Fatalf("%d answers, want 3: %q", len(cs), cs)
	}
	want := "opened fix pull request #" + strconv.Itoa(prs[0].GetNumber())
	if !strings.Contains(cs[1]+cs[2], want) || !strings.Contains(cs[1]+cs[2], "needs write access") || !strings.Contains(cs[1]+cs[2], "You named `privileged`") {
		t.Errorf("answers %q, want one with %q and one refusal", cs[1:], want)
	}
	for _, c := range e.forge.Comments("acme", "shop", e.pr) {
		if strings.Contains(c.GetBody(), botToken) {
			t.Fatal("the token leaked into a comment")
		}
	}

	// A push re-converges: nothing changed, nothing written.
	before := e.forge.BranchSHA("acme", "shop", gitops.RepoBranch)
	if _, err := e.run(t, KindConverge, "", Request{Source: SourceGitHub, Verb: "push"}); err != nil {
		t.Fatal(err)
	}
	if after := e.forge.BranchSHA("acme", "shop", gitops.RepoBranch); after != before || len(e.fixPRs()) != 1 {
		t.Errorf("an idle push moved the branch or opened a pull request")
	}
}

func TestIgnoreGoesThroughAPullRequest(t *testing.T) {
	e := setup(t)
	req := Request{Source: SourceGitHub, Verb: "ignore", Requester: "maint", Issue: e.pr, IsPR: true, Controls: []string{"privileged"}, Reason: "the CNI agent {{ needs }} it"}
	if _, err := e.run(t, KindIgnore, "privileged", req); err != nil {
		t.Fatal(err)
	}
	branch := IgnoreBranchPrefix + "privileged"
	cfg, ok := e.forge.ReadFile("acme", "shop", branch, ".remedy.yaml")
	if !ok || !strings.Contains(cfg, "  - privileged\n") || !strings.Contains(cfg, "# privileged: the CNI agent {{ needs }} it (@maint, #"+strconv.Itoa(e.pr)+")") {
		t.Fatalf(".remedy.yaml on %s:\n%s", branch, cfg)
	}
	if main, _ := e.forge.ReadFile("acme", "shop", "main", ".remedy.yaml"); main != remedyYAML {
		t.Fatal("the default branch was changed directly")
	}
	var ignorePR *github.PullRequest
	for _, p := range e.fixPRs() {
		if p.GetHead().GetRef() == branch {
			ignorePR = p
		}
	}
	if ignorePR == nil || !strings.Contains(ignorePR.GetBody(), "the CNI agent {{ needs }} it") || !strings.Contains(ignorePR.GetTitle(), "ignore privileged") {
		t.Fatalf("ignore pull request %+v", ignorePR)
	}
	cs := e.comments(t)
	if len(cs) != 1 || !strings.Contains(cs[0], "opened pull request #"+strconv.Itoa(ignorePR.GetNumber())) {
		t.Errorf("answer %q", cs)
	}
	// The fix life cycle keeps its hands off the ignore branch.
	if _, err := e.run(t, KindConverge, "", Request{Source: SourceGitHub, Verb: "push"}); err != nil {
		t.Fatal(err)
	}
	if p := e.forge.PullRequest("acme", "shop", ignorePR.GetNumber()); p.GetState() != "open" {
		t.Errorf("the ignore pull request was %s by a converge", p.GetState())
	}
	// Asked again: the same pull request, no second one.
	if _, err := e.run(t, KindIgnore, "privileged", req); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range e.fixPRs() {
		if p.GetHead().GetRef() == branch {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d ignore pull requests after asking twice", n)
	}
}

func TestScanAndHelpAnswers(t *testing.T) {
	e := setup(t)
	if _, err := e.run(t, KindScan, "", Request{Source: SourceGitHub, Verb: "scan", Requester: "reader", Issue: e.pr}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.run(t, KindReply, "", Request{Source: SourceGitHub, Verb: "help", Requester: "reader", Issue: e.pr, Message: "unknown control \"nope\""}); err != nil {
		t.Fatal(err)
	}
	cs := e.comments(t)
	if len(cs) != 2 {
		t.Fatalf("answers %q", cs)
	}
	if !strings.Contains(cs[0], "1 finding (1 fixable)") || !strings.Contains(cs[0], "`privileged` (high): 1, 1 fixable") {
		t.Errorf("scan answer:\n%s", cs[0])
	}
	if !strings.Contains(cs[1], `unknown control "nope"`) || !strings.Contains(cs[1], "/remedy ignore <control> <reason>") {
		t.Errorf("help answer:\n%s", cs[1])
	}
}

// TestReviewSuggestionsMakeTheRescanClean reviews the developer's pull
// request, applies every suggestion as GitHub's "Commit suggestion" would,
// and reviews again: the new findings are gone, the first review is
// dismissed, none is added, and the status turns green.
func TestReviewSuggestionsMakeTheRescanClean(t *testing.T) {
	e := setup(t)
	req := Request{Source: SourceGitHub, Verb: "review", PR: e.pr}
	res, err := e.run(t, KindReview, strconv.Itoa(e.pr), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	reviews := e.forge.Reviews("acme", "shop", e.pr)
	if len(reviews) != 1 || reviews[0].GetState() != "CHANGES_REQUESTED" || !strings.Contains(reviews[0].GetBody(), review.Marker) {
		t.Fatalf("reviews %+v", reviews)
	}
	comments := e.forge.ReviewComments("acme", "shop", e.pr)
	var cs []review.Comment
	for _, c := range comments {
		body := c.GetBody()
		if c.GetPath() != "deploy/api.yaml" || c.GetSide() != "RIGHT" {
			t.Errorf("comment on %s side %s", c.GetPath(), c.GetSide())
		}
		i := strings.Index(body, "```suggestion\n")
		if i < 0 {
			continue
		}
		text := body[i+len("```suggestion\n"):]
		text = text[:strings.Index(text, "\n```")]
		start := c.GetStartLine()
		if start == 0 {
			start = c.GetLine()
		}
		cs = append(cs, review.Comment{StartLine: start, Line: c.GetLine(), Suggestion: text, HasSuggestion: true})
	}
	if len(cs) == 0 {
		t.Fatalf("no suggestion among %d comments", len(comments))
	}
	head := e.forge.PullRequest("acme", "shop", e.pr).GetHead().GetSHA()
	if st := lastStatus(e, head); st.GetState() != "failure" || st.GetContext() != StatusContext {
		t.Fatalf("status %+v, want failure (host-pid is high)", st)
	}

	fixed := review.Apply([]byte(apiYAML), cs)
	sf, errs := scanner.ParseFile("deploy/api.yaml", fixed)
	if len(errs) > 0 {
		t.Fatalf("suggestions break the file: %v\n%s", errs, fixed)
	}
	e.forge.CommitFiles("acme", "shop", "add-api", map[string]string{"deploy/api.yaml": string(fixed)}, "Apply suggestions from code review")
	if _, err := e.run(t, KindReview, strconv.Itoa(e.pr), req); err != nil {
		t.Fatal(err)
	}
	reviews = e.forge.Reviews("acme", "shop", e.pr)
	if len(reviews) != 1 || reviews[0].GetState() != "DISMISSED" {
		t.Errorf("after the fix: reviews %+v, want the first dismissed and no new one", reviews)
	}
	head = e.forge.PullRequest("acme", "shop", e.pr).GetHead().GetSHA()
	if st := lastStatus(e, head); st.GetState() != "success" {
		t.Errorf("status of the fixed head %+v, want success", st)
	}
	_ = sf
	t.Logf("fixed by the suggestions:\n%s", fixed)
}

func lastStatus(e *env, sha string) *github.RepoStatus {
	st := e.forge.Statuses("acme", "shop", sha)
	if len(st) == 0 {
		return nil
	}
	return st[len(st)-1]
}

// A pull request (anyone may open one) whose changed files are symlinks
// out of the clone — to a manifest beside it and to /dev/zero — gets a
// review that names them as not read, and never quotes the target.
func TestReviewDoesNotFollowSymlinks(t *testing.T) {
	e := setup(t)
	secret := filepath.Join(t.TempDir(), "secret.yaml")
	if err := os.WriteFile(secret, []byte(strings.ReplaceAll(apiYAML, "name: api", "name: "+repofstest.SecretMarker)), 0o644); err != nil {
		t.Fatal(err)
	}
	rel, err := filepath.Rel(os.TempDir(), secret)
	if err != nil {
		t.Fatal(err)
	}
	e.forge.CommitFiles("acme", "shop", "add-api", map[string]string{
		"deploy/leak.yaml": githubtest.Symlink("../../" + filepath.ToSlash(rel)),
		"deploy/zero.yaml": githubtest.Symlink(repofstest.Up(repofstest.Zero)),
	}, "links")
	req := Request{Source: SourceGitHub, Verb: "review", PR: e.pr}
	if _, err := e.run(t, KindReview, strconv.Itoa(e.pr), req); err != nil {
		t.Fatal(err)
	}
	reviews := e.forge.Reviews("acme", "shop", e.pr)
	if len(reviews) != 1 {
		t.Fatalf("%d reviews", len(reviews))
	}
	body := reviews[0].GetBody()
	for _, want := range []string{"`deploy/leak.yaml` could not be read: `it is a symbolic link", "`deploy/zero.yaml` could not be read: `it is a symbolic link"} {
		if !strings.Contains(body, want) {
			t.Errorf("review body does not say %q:\n%s", want, body)
		}
	}
	all := body
	for _, c := range e.forge.ReviewComments("acme", "shop", e.pr) {
		all += c.GetPath() + c.GetBody()
		if c.GetPath() != "deploy/api.yaml" {
			t.Errorf("comment on %s", c.GetPath())
		}
	}
	if strings.Contains(all, repofstest.SecretMarker) {
		t.Error("the review quotes the file outside the clone")
	}
}

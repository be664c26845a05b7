package githubtest

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v89/github"
)

// issue is an issue that is not a pull request. Issues and pull requests
// share a repository's numbers, as on GitHub.
type issue struct {
	id          int64
	number      int
	title, body string
	state       string // open, closed
	stateReason string
	user        string
	created     time.Time
	updated     time.Time
	closedAt    time.Time
}

func (s *Server) plainIssueJSON(rp *repoState, i *issue) *github.Issue {
	api := s.APIURL() + "repos/" + rp.fullName()
	out := &github.Issue{
		ID:        github.Ptr(i.id),
		NodeID:    github.Ptr("I_forgetest" + itoa64(i.id)),
		Number:    github.Ptr(i.number),
		State:     github.Ptr(i.state),
		Title:     github.Ptr(i.title),
		Body:      github.Ptr(i.body),
		User:      s.user(i.user),
		Labels:    []*github.Label{},
		Assignees: []*github.User{},
		Comments:  github.Ptr(0),
		CreatedAt: ts(i.created),
		UpdatedAt: ts(i.updated),
		URL:       github.Ptr(api + "/issues/" + strconv.Itoa(i.number)),
		HTMLURL:   github.Ptr(fmt.Sprintf("%s/%s/issues/%d", s.URL, rp.fullName(), i.number)),
		//lint:ignore SA1019 the fake serves what GitHub's REST API still sends (remedy reads permissions, not this field)
		AuthorAssociation: github.Ptr(s.authorAssociation(rp, i.user)),
	}
	if i.state == "closed" {
		out.ClosedAt = ts(i.closedAt)
		out.StateReason = github.Ptr(i.stateReason)
	}
	return out
}

func findIssue(rp *repoState, number int) *issue {
	for _, i := range rp.issues {
		if i.number == number {
			return i
		}
	}
	return nil
}

// listIssues serves GET /repos/{owner}/{repo}/issues: issues and pull
// requests, filtered by state (default open) and creator, sorted by
// created (default newest first) or updated.
func (s *Server) listIssues(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	s.syncPulls(rp)
	q := c.r.URL.Query()
	state := cmp.Or(q.Get("state"), "open")
	if state != "open" && state != "closed" && state != "all" {
		c.invalid("Issue", "state", "invalid", "")
		return
	}
	creator := q.Get("creator")
	type row struct {
		created, updated time.Time
		is               *github.Issue
	}
	var rows []row
	keep := func(st, user string) bool {
		return (state == "all" || st == state) && (creator == "" || strings.EqualFold(creator, user))
	}
	for _, i := range rp.issues {
		if keep(i.state, i.user) {
			rows = append(rows, row{i.created, i.updated, s.plainIssueJSON(rp, i)})
		}
	}
	for _, p := range rp.pulls {
		if keep(p.state, p.user) {
			rows = append(rows, row{p.created, p.updated, s.issueJSON(rp, p)})
		}
	}
	by := func(r row) time.Time { return r.created }
	if q.Get("sort") == "updated" {
		by = func(r row) time.Time { return r.updated }
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		return cmp.Or(by(a).Compare(by(b)), cmp.Compare(a.is.GetNumber(), b.is.GetNumber()))
	})
	if q.Get("direction") != "asc" {
		slices.Reverse(rows)
	}
	out := make([]*github.Issue, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.is)
	}
	c.json(http.StatusOK, paginate(c, out))
}

// createIssue serves POST /repos/{owner}/{repo}/issues.
func (s *Server) createIssue(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp := c.repo()
	if rp == nil {
		return
	}
	var req github.IssueRequest
	if !c.decode(&req) {
		return
	}
	if strings.TrimSpace(req.GetTitle()) == "" {
		c.invalid("Issue", "title", "missing_field", "")
		return
	}
	t := now()
	i := &issue{id: s.newID(), number: rp.nextNumber, title: req.GetTitle(), body: req.GetBody(), state: "open", user: c.id.login, created: t, updated: t}
	rp.nextNumber++
	rp.issues = append(rp.issues, i)
	out := s.plainIssueJSON(rp, i)
	c.header.Set("Location", out.GetURL())
	c.json(http.StatusCreated, out)
}

// getAnyIssue serves GET /repos/{owner}/{repo}/issues/{number} for issues
// and pull requests alike.
func (s *Server) getAnyIssue(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	if n, err := strconv.Atoi(c.r.PathValue("number")); err == nil {
		if i := findIssue(rp, n); i != nil {
			c.json(http.StatusOK, s.plainIssueJSON(rp, i))
			return
		}
	}
	s.getIssue(c)
}

// editIssue serves PATCH /repos/{owner}/{repo}/issues/{number} of an issue
// (title, body, state and state_reason); that of a pull request edits the
// pull request's title, body and state, as GitHub does.
func (s *Server) editIssue(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp := c.repo()
	if rp == nil {
		return
	}
	n, err := strconv.Atoi(c.r.PathValue("number"))
	i := findIssue(rp, n)
	if err != nil || i == nil {
		s.editPull(c)
		return
	}
	if !s.canPush(c.id, rp) && !strings.EqualFold(c.id.login, i.user) {
		c.fail(http.StatusForbidden, "Must have admin rights to Repository.")
		return
	}
	var req github.IssueRequest
	if !c.decode(&req) {
		return
	}
	if req.State != nil && *req.State != "open" && *req.State != "closed" {
		c.invalid("Issue", "state", "invalid", "")
		return
	}
	t := now()
	if req.Title != nil {
		i.title = *req.Title
	}
	if req.Body != nil {
		i.body = *req.Body
	}
	if req.State != nil && *req.State != i.state {
		i.state = *req.State
		if i.state == "closed" {
			i.closedAt, i.stateReason = t, cmp.Or(req.GetStateReason(), "completed")
		} else {
			i.closedAt, i.stateReason = time.Time{}, "reopened"
		}
	}
	i.updated = t
	c.json(http.StatusOK, s.plainIssueJSON(rp, i))
}

// ---------------------------------------------------------------------------
// test-side inspection and simulation

// Issues returns the issues of owner/repo that are not pull requests, in
// creation order, as the API renders them.
func (s *Server) Issues(owner, repo string) []*github.Issue {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	out := []*github.Issue{}
	for _, i := range rp.issues {
		out = append(out, s.plainIssueJSON(rp, i))
	}
	return out
}

// EditIssueBody sets the body of issue number of owner/repo as login
// would on the web (which keeps the line endings a browser sends: CRLF).
func (s *Server) EditIssueBody(owner, repo string, number int, body string) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	i := findIssue(s.mustRepo(owner, repo), number)
	if i == nil {
		s.t.Fatalf("githubtest: EditIssueBody: no issue %s/%s#%d", owner, repo, number)
	}
	i.body, i.updated = body, now()
}

// CloseIssue closes issue number of owner/repo as a human would.
func (s *Server) CloseIssue(owner, repo string, number int) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	i := findIssue(s.mustRepo(owner, repo), number)
	if i == nil {
		s.t.Fatalf("githubtest: CloseIssue: no issue %s/%s#%d", owner, repo, number)
	}
	i.state, i.stateReason, i.closedAt, i.updated = "closed", "completed", now(), now()
}

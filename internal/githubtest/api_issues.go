package githubtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-github/v89/github"
)

type issueComment struct {
	issue int
	c     *github.IssueComment
}

func (s *Server) newComment(rp *repoState, p *pull, login, body string) *github.IssueComment {
	id := s.newID()
	t := now()
	api := s.APIURL() + "repos/" + rp.fullName()
	cm := &github.IssueComment{
		ID:        github.Ptr(id),
		NodeID:    github.Ptr("IC_forgetest" + itoa64(id)),
		Body:      github.Ptr(body),
		User:      s.user(login),
		CreatedAt: ts(t),
		UpdatedAt: ts(t),
		URL:       github.Ptr(api + "/issues/comments/" + itoa64(id)),
		HTMLURL:   github.Ptr(fmt.Sprintf("%s/%s/pull/%d#issuecomment-%d", s.URL, rp.fullName(), p.number, id)),
		IssueURL:  github.Ptr(api + "/issues/" + strconv.Itoa(p.number)),
		//lint:ignore SA1019 the fake serves what GitHub's REST API still sends (remedy reads permissions, not this field)
		AuthorAssociation: github.Ptr(s.authorAssociation(rp, login)),
	}
	rp.comments = append(rp.comments, &issueComment{issue: p.number, c: cm})
	p.updated = t
	return cm
}

func (s *Server) issueJSON(rp *repoState, p *pull) *github.Issue {
	pr := s.prJSON(rp, p, false)
	comments := 0
	for _, cm := range rp.comments {
		if cm.issue == p.number {
			comments++
		}
	}
	return &github.Issue{
		ID:        pr.ID,
		Number:    pr.Number,
		State:     pr.State,
		Title:     pr.Title,
		Body:      pr.Body,
		User:      pr.User,
		Labels:    pr.Labels,
		Assignee:  pr.Assignee,
		Assignees: pr.Assignees,
		Comments:  github.Ptr(comments),
		ClosedAt:  pr.ClosedAt,
		CreatedAt: pr.CreatedAt,
		UpdatedAt: pr.UpdatedAt,
		URL:       pr.IssueURL,
		HTMLURL:   pr.HTMLURL,
		//lint:ignore SA1019 the fake serves what GitHub's REST API still sends (remedy reads permissions, not this field)
		AuthorAssociation: pr.AuthorAssociation,
		PullRequestLinks: &github.PullRequestLinks{
			URL:      pr.URL,
			HTMLURL:  pr.HTMLURL,
			DiffURL:  pr.DiffURL,
			PatchURL: pr.PatchURL,
			MergedAt: pr.MergedAt,
		},
	}
}

func (s *Server) getIssue(c *call) {
	if rp, p, _ := c.syncedPull(); p != nil {
		c.json(http.StatusOK, s.issueJSON(rp, p))
	}
}

func (s *Server) listComments(c *call) {
	rp, p := c.repoPull()
	if p == nil {
		return
	}
	out := []*github.IssueComment{}
	for _, cm := range rp.comments {
		if cm.issue == p.number {
			out = append(out, cm.c)
		}
	}
	c.json(http.StatusOK, paginate(c, out))
}

func (s *Server) createComment(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp, p := c.repoPull()
	if p == nil {
		return
	}
	body, ok := c.commentBody()
	if !ok {
		return
	}
	cm := s.newComment(rp, p, c.id.login, body)
	c.header.Set("Location", cm.GetURL())
	c.json(http.StatusCreated, cm)
}

// commentBody decodes an issue comment's body, answering 400 or 422 itself
// when ok is false.
func (c *call) commentBody() (body string, ok bool) {
	var req github.IssueComment
	if !c.decode(&req) {
		return "", false
	}
	if req.GetBody() == "" {
		c.invalid("IssueComment", "body", "missing_field", "")
		return "", false
	}
	return req.GetBody(), true
}

func (c *call) comment(rp *repoState) (int, *issueComment) {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err == nil {
		for i, cm := range rp.comments {
			if cm.c.GetID() == id {
				return i, cm
			}
		}
	}
	c.notFound()
	return -1, nil
}

func (s *Server) editComment(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp := c.repo()
	if rp == nil {
		return
	}
	_, cm := c.comment(rp)
	if cm == nil {
		return
	}
	body, ok := c.commentBody()
	if !ok {
		return
	}
	cm.c.Body = github.Ptr(body)
	cm.c.UpdatedAt = ts(now())
	c.json(http.StatusOK, cm.c)
}

func (s *Server) deleteComment(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp := c.repo()
	if rp == nil {
		return
	}
	i, cm := c.comment(rp)
	if cm == nil {
		return
	}
	rp.comments = slices.Delete(rp.comments, i, i+1)
	c.WriteHeader(http.StatusNoContent)
}

// labelNames decodes a labels body: ["a","b"], {"labels":["a"]} or
// {"labels":[{"name":"a"}]}.
func labelNames(r io.Reader) ([]string, bool) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, false
	}
	var names []string
	if json.Unmarshal(raw, &names) == nil {
		return names, true
	}
	var wrapped struct {
		Labels json.RawMessage `json:"labels"`
	}
	if json.Unmarshal(raw, &wrapped) != nil {
		return nil, false
	}
	if json.Unmarshal(wrapped.Labels, &names) == nil {
		return names, true
	}
	var objs []struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(wrapped.Labels, &objs) != nil {
		return nil, false
	}
	for _, o := range objs {
		names = append(names, o.Name)
	}
	return names, true
}

func (s *Server) ensureLabel(rp *repoState, name string) string {
	k := strings.ToLower(name)
	if l := rp.labels[k]; l != nil {
		return l.GetName()
	}
	id := s.newID()
	rp.labels[k] = &github.Label{
		ID:      github.Ptr(id),
		NodeID:  github.Ptr("LA_forgetest" + itoa64(id)),
		Name:    github.Ptr(name),
		Color:   github.Ptr("ededed"),
		Default: github.Ptr(false),
		URL:     github.Ptr(s.APIURL() + "repos/" + rp.fullName() + "/labels/" + name),
	}
	return name
}

func hasFold(list []string, v string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) })
}

func (s *Server) listIssueLabels(c *call) {
	if rp, p := c.repoPull(); p != nil {
		c.json(http.StatusOK, paginate(c, s.labelsJSON(rp, p.labels)))
	}
}

func (s *Server) setLabels(c *call, replace bool) {
	if !c.requireNotApp() {
		return
	}
	rp, p := c.repoPull()
	if p == nil {
		return
	}
	names, ok := labelNames(c.r.Body)
	if !ok {
		c.fail(http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			c.invalid("Label", "name", "invalid", "")
			return
		}
	}
	if replace {
		p.labels = nil
	}
	for _, n := range names {
		n = s.ensureLabel(rp, n)
		if !hasFold(p.labels, n) {
			p.labels = append(p.labels, n)
		}
	}
	p.updated = now()
	c.json(http.StatusOK, s.labelsJSON(rp, p.labels))
}

func (s *Server) addLabels(c *call)     { s.setLabels(c, false) }
func (s *Server) replaceLabels(c *call) { s.setLabels(c, true) }

func (s *Server) removeLabel(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp, p := c.repoPull()
	if p == nil {
		return
	}
	name := c.r.PathValue("name")
	i := slices.IndexFunc(p.labels, func(x string) bool { return strings.EqualFold(x, name) })
	if i < 0 {
		c.fail(http.StatusNotFound, "Label does not exist")
		return
	}
	p.labels = slices.Delete(p.labels, i, i+1)
	p.updated = now()
	c.json(http.StatusOK, s.labelsJSON(rp, p.labels))
}

func (s *Server) addAssignees(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp, p := c.repoPull()
	if p == nil {
		return
	}
	var req struct {
		Assignees []string `json:"assignees"`
	}
	if !c.decode(&req) {
		return
	}
	for _, a := range req.Assignees {
		// GitHub silently drops assignees who cannot be assigned.
		if s.isCollaboratorLogin(rp, a) && !hasFold(p.assignees, a) && len(p.assignees) < 10 {
			p.assignees = append(p.assignees, a)
		}
	}
	p.updated = now()
	c.json(http.StatusCreated, s.issueJSON(rp, p))
}

func (s *Server) getRequestedReviewers(c *call) {
	_, p := c.repoPull()
	if p == nil {
		return
	}
	teams := []*github.Team{}
	for _, t := range p.teams {
		teams = append(teams, &github.Team{Slug: github.Ptr(t), Name: github.Ptr(t)})
	}
	c.json(http.StatusOK, &github.Reviewers{Users: s.usersJSON(p.reviewers), Teams: teams})
}

func (s *Server) requestReviewers(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp, p, _ := c.syncedPull()
	if p == nil {
		return
	}
	var req github.ReviewersRequest
	if !c.decode(&req) {
		return
	}
	for _, u := range req.Reviewers {
		if strings.EqualFold(u, p.user) {
			c.unprocessable("Review cannot be requested from pull request author.")
			return
		}
		if !s.isCollaboratorLogin(rp, u) {
			c.unprocessable(fmt.Sprintf("Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the %s repository.", rp.fullName()))
			return
		}
	}
	for _, u := range req.Reviewers {
		if !hasFold(p.reviewers, u) {
			p.reviewers = append(p.reviewers, u)
		}
	}
	for _, t := range req.TeamReviewers {
		if !hasFold(p.teams, t) {
			p.teams = append(p.teams, t)
		}
	}
	p.updated = now()
	c.json(http.StatusCreated, s.prJSON(rp, p, true))
}

func (s *Server) removeReviewers(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp, p, _ := c.syncedPull()
	if p == nil {
		return
	}
	var req github.ReviewersRequest
	if !c.decode(&req) {
		return
	}
	p.reviewers = slices.DeleteFunc(p.reviewers, func(x string) bool { return hasFold(req.Reviewers, x) })
	p.teams = slices.DeleteFunc(p.teams, func(x string) bool { return hasFold(req.TeamReviewers, x) })
	p.updated = now()
	c.json(http.StatusOK, s.prJSON(rp, p, true))
}

// ---------------------------------------------------------------------------
// test-side inspection and simulation

// Comments returns the issue comments on pull request number of owner/repo.
func (s *Server) Comments(owner, repo string, number int) []*github.IssueComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copiesOf(s.mustRepo(owner, repo).comments, func(cm *issueComment) (*github.IssueComment, bool) {
		return cm.c, cm.issue == number
	})
}

// AddComment posts an issue comment on pull request number as login (a
// human reacting to the bot) and returns it.
func (s *Server) AddComment(owner, repo string, number int, login, body string) *github.IssueComment {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	p := s.findPull(rp, number)
	if p == nil {
		s.t.Fatalf("githubtest: AddComment: no pull request %s#%d", rp.fullName(), number)
	}
	return copyJSON(s.newComment(rp, p, login, body))
}

package githubtest

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v89/github"
)

func (s *Server) routes() {
	s.route("/", s.unimplemented)

	s.route("GET /rate_limit", s.getRateLimit)
	s.route("GET /user", s.getAuthenticatedUser)
	s.route("GET /user/repos", s.listMyRepos)
	s.route("GET /orgs/{org}/repos", s.listOrgRepos)
	s.route("GET /users/{user}/repos", s.listUserRepos)

	s.route("GET /repos/{owner}/{repo}", s.getRepo)
	s.route("GET /repos/{owner}/{repo}/branches", s.listBranches)
	s.route("GET /repos/{owner}/{repo}/branches/{branch...}", s.getBranch)
	s.route("GET /repos/{owner}/{repo}/git/ref/{ref...}", s.getRef)
	s.route("POST /repos/{owner}/{repo}/git/refs", s.createRef)
	s.route("PATCH /repos/{owner}/{repo}/git/refs/{ref...}", s.updateRef)
	s.route("DELETE /repos/{owner}/{repo}/git/refs/{ref...}", s.deleteRef)
	s.route("GET /repos/{owner}/{repo}/commits/{ref...}", s.getCommitSHA)
	s.route("GET /repos/{owner}/{repo}/collaborators/{user}", s.isCollaborator)
	s.route("GET /repos/{owner}/{repo}/collaborators/{user}/permission", s.getPermission)

	s.route("GET /repos/{owner}/{repo}/pulls", s.listPulls)
	s.route("POST /repos/{owner}/{repo}/pulls", s.createPull)
	s.route("GET /repos/{owner}/{repo}/pulls/{number}", s.getPull)
	s.route("PATCH /repos/{owner}/{repo}/pulls/{number}", s.editPull)
	s.route("GET /repos/{owner}/{repo}/pulls/{number}/files", s.listPullFiles)
	s.route("GET /repos/{owner}/{repo}/pulls/{number}/commits", s.listPullCommits)
	s.route("GET /repos/{owner}/{repo}/pulls/{number}/merge", s.isMerged)
	s.route("PUT /repos/{owner}/{repo}/pulls/{number}/merge", s.mergePull)
	s.route("GET /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", s.getRequestedReviewers)
	s.route("POST /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", s.requestReviewers)
	s.route("DELETE /repos/{owner}/{repo}/pulls/{number}/requested_reviewers", s.removeReviewers)

	s.route("GET /repos/{owner}/{repo}/pulls/{number}/reviews", s.listReviews)
	s.route("POST /repos/{owner}/{repo}/pulls/{number}/reviews", s.createReview)
	s.route("GET /repos/{owner}/{repo}/pulls/{number}/reviews/{id}", s.getReview)
	s.route("DELETE /repos/{owner}/{repo}/pulls/{number}/reviews/{id}", s.deleteReview)
	s.route("POST /repos/{owner}/{repo}/pulls/{number}/reviews/{id}/events", s.submitReview)
	s.route("PUT /repos/{owner}/{repo}/pulls/{number}/reviews/{id}/dismissals", s.dismissReview)
	s.route("GET /repos/{owner}/{repo}/pulls/{number}/comments", s.listReviewComments)

	s.route("GET /repos/{owner}/{repo}/issues", s.listIssues)
	s.route("POST /repos/{owner}/{repo}/issues", s.createIssue)
	s.route("GET /repos/{owner}/{repo}/issues/{number}", s.getAnyIssue)
	s.route("PATCH /repos/{owner}/{repo}/issues/{number}", s.editIssue)
	s.route("GET /repos/{owner}/{repo}/issues/{number}/comments", s.listComments)
	s.route("POST /repos/{owner}/{repo}/issues/{number}/comments", s.createComment)
	s.route("PATCH /repos/{owner}/{repo}/issues/comments/{id}", s.editComment)
	s.route("DELETE /repos/{owner}/{repo}/issues/comments/{id}", s.deleteComment)
	s.route("GET /repos/{owner}/{repo}/issues/{number}/labels", s.listIssueLabels)
	s.route("POST /repos/{owner}/{repo}/issues/{number}/labels", s.addLabels)
	s.route("PUT /repos/{owner}/{repo}/issues/{number}/labels", s.replaceLabels)
	s.route("DELETE /repos/{owner}/{repo}/issues/{number}/labels/{name}", s.removeLabel)
	s.route("POST /repos/{owner}/{repo}/issues/{number}/assignees", s.addAssignees)

	s.route("POST /repos/{owner}/{repo}/statuses/{sha}", s.createStatus)
	s.route("POST /repos/{owner}/{repo}/check-runs", s.createCheckRun)
	s.route("PATCH /repos/{owner}/{repo}/check-runs/{id}", s.updateCheckRun)

	s.route("GET /app", s.getApp)
	s.route("GET /app/installations/{id}", s.getInstallation)
	s.route("POST /app/installations/{id}/access_tokens", s.createInstallationToken)
	s.route("GET /repos/{owner}/{repo}/installation", s.findInstallation)
	s.route("GET /orgs/{owner}/installation", s.findInstallation)
	s.route("GET /users/{owner}/installation", s.findInstallation)
	s.route("GET /installation/repositories", s.listInstallationRepos)
}

// ---------------------------------------------------------------------------
// access

// permission is login's effective permission on rp.
func (s *Server) permission(rp *repoState, login string) string {
	if p, ok := rp.perms[strings.ToLower(login)]; ok {
		return p
	}
	if strings.EqualFold(login, rp.owner) {
		return "admin"
	}
	if rp.private {
		return "none"
	}
	return "read"
}

// isCollaboratorLogin: the owner, or anybody given a permission other than none.
func (s *Server) isCollaboratorLogin(rp *repoState, login string) bool {
	if strings.EqualFold(login, rp.owner) {
		return true
	}
	p, ok := rp.perms[strings.ToLower(login)]
	return ok && p != "none"
}

func (s *Server) canRead(id *identity, rp *repoState) bool {
	switch id.kind {
	case identInstallation:
		return strings.EqualFold(id.account, rp.owner)
	case identApp:
		return false
	}
	return s.permission(rp, id.login) != "none"
}

func (s *Server) canPush(id *identity, rp *repoState) bool {
	if id.kind == identInstallation {
		return strings.EqualFold(id.account, rp.owner)
	}
	if p, ok := rp.perms[strings.ToLower(id.login)]; ok {
		return p == "admin" || p == "maintain" || p == "write"
	}
	return true // permissions are only enforced when set explicitly
}

// repo resolves {owner}/{repo} for the caller, answering 404 (or 403 for
// writes to an archived repository) itself when it returns nil.
func (c *call) repo() *repoState {
	rp := c.s.repos[strings.ToLower(c.r.PathValue("owner")+"/"+c.r.PathValue("repo"))]
	if rp == nil || c.id.kind == identApp || !c.s.canRead(c.id, rp) {
		c.notFound()
		return nil
	}
	if rp.archived && c.r.Method != http.MethodGet && c.r.Method != http.MethodHead {
		c.fail(http.StatusForbidden, "Repository was archived so is read-only.")
		return nil
	}
	return rp
}

func (c *call) requireNotApp() bool {
	if c.id.kind == identApp {
		return c.refuse("with an app JWT; use an installation token", http.StatusForbidden, "Resource not accessible by integration")
	}
	return true
}

// refuse logs why the caller's identity may not make this request, answers
// status with msg, and returns false for the require* checks to return.
func (c *call) refuse(why string, status int, msg string) bool {
	c.s.t.Logf("githubtest: %s %s %s", c.r.Method, c.r.URL.Path, why)
	c.fail(status, msg)
	return false
}

// ---------------------------------------------------------------------------
// rendering

func (s *Server) repoJSON(rp *repoState, viewer *identity) *github.Repository {
	api := s.APIURL() + "repos/" + rp.fullName()
	vis := "public"
	if rp.private {
		vis = "private"
	}
	r := &github.Repository{
		ID:            github.Ptr(rp.id),
		NodeID:        github.Ptr("R_forgetest" + itoa64(rp.id)),
		Name:          github.Ptr(rp.name),
		FullName:      github.Ptr(rp.fullName()),
		Owner:         s.ownerUser(rp.owner),
		Private:       github.Ptr(rp.private),
		Visibility:    github.Ptr(vis),
		Archived:      github.Ptr(rp.archived),
		Disabled:      github.Ptr(false),
		Fork:          github.Ptr(rp.fork),
		DefaultBranch: github.Ptr(rp.defaultBranch),
		HTMLURL:       github.Ptr(s.URL + "/" + rp.fullName()),
		CloneURL:      github.Ptr(s.cloneURL(rp)),
		GitURL:        github.Ptr(s.cloneURL(rp)),
		URL:           github.Ptr(api),
		PullsURL:      github.Ptr(api + "/pulls{/number}"),
		CreatedAt:     ts(rp.created),
		UpdatedAt:     ts(rp.updated),
		PushedAt:      ts(rp.updated),
	}
	if viewer != nil && viewer.kind == identUser {
		p := s.permission(rp, viewer.login)
		r.Permissions = &github.RepositoryPermissions{
			Admin:    github.Ptr(p == "admin"),
			Maintain: github.Ptr(p == "admin" || p == "maintain"),
			Push:     github.Ptr(p == "admin" || p == "maintain" || p == "write"),
			Triage:   github.Ptr(p != "read" && p != "none"),
			Pull:     github.Ptr(p != "none"),
		}
	}
	return r
}

// ---------------------------------------------------------------------------
// handlers

func (s *Server) getRateLimit(c *call) {
	b := s.bucketFor(c.id.bucket)
	rate := &github.Rate{Limit: b.limit, Remaining: b.remaining(), Used: b.used, Reset: github.Timestamp{Time: b.reset.Truncate(1e9)}, Resource: "core"}
	search := &github.Rate{Limit: 30, Remaining: 30, Reset: rate.Reset, Resource: "search"}
	c.json(http.StatusOK, map[string]any{
		"resources": &github.RateLimits{Core: rate, Search: search},
		"rate":      rate,
	})
}

func (s *Server) getAuthenticatedUser(c *call) {
	if !c.requireNotApp() {
		return
	}
	if c.id.kind == identInstallation {
		c.fail(http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	c.json(http.StatusOK, s.user(c.id.login))
}

func (s *Server) visibleRepos(c *call, keep func(*repoState) bool) []*github.Repository {
	out := []*github.Repository{}
	for _, rp := range s.repoOrder {
		if s.canRead(c.id, rp) && keep(rp) {
			out = append(out, s.repoJSON(rp, c.id))
		}
	}
	return out
}

func repoTypeFilter(typ string) func(*repoState) bool {
	return func(rp *repoState) bool {
		switch typ {
		case "public":
			return !rp.private
		case "private":
			return rp.private
		case "forks":
			return rp.fork
		case "sources":
			return !rp.fork
		}
		return true
	}
}

func (s *Server) ownerKnown(login string) bool {
	for _, rp := range s.repoOrder {
		if strings.EqualFold(rp.owner, login) {
			return true
		}
	}
	return s.isUserLogin(login)
}

func (s *Server) listOrgRepos(c *call) {
	s.listOwnerRepos(c, c.r.PathValue("org"), true)
}

func (s *Server) listUserRepos(c *call) {
	s.listOwnerRepos(c, c.r.PathValue("user"), false)
}

// listOwnerRepos lists owner's repositories the caller can read. An org
// must not be a user's login: /orgs/{user}/repos is a 404 on GitHub.
func (s *Server) listOwnerRepos(c *call, owner string, org bool) {
	if !c.requireNotApp() {
		return
	}
	if !s.ownerKnown(owner) || (org && s.isUserLogin(owner)) {
		c.notFound()
		return
	}
	typ := repoTypeFilter(c.r.URL.Query().Get("type"))
	c.json(http.StatusOK, paginate(c, s.visibleRepos(c, func(rp *repoState) bool {
		return strings.EqualFold(rp.owner, owner) && typ(rp)
	})))
}

func (s *Server) listMyRepos(c *call) {
	if !c.requireNotApp() {
		return
	}
	if c.id.kind != identUser {
		c.fail(http.StatusForbidden, "Resource not accessible by integration")
		return
	}
	typ := repoTypeFilter(c.r.URL.Query().Get("visibility"))
	c.json(http.StatusOK, paginate(c, s.visibleRepos(c, func(rp *repoState) bool {
		return s.isCollaboratorLogin(rp, c.id.login) && typ(rp)
	})))
}

func (s *Server) getRepo(c *call) {
	if rp := c.repo(); rp != nil {
		c.json(http.StatusOK, s.repoJSON(rp, c.id))
	}
}

func (s *Server) branchJSON(rp *repoState, name, sha string) *github.Branch {
	api := s.APIURL() + "repos/" + rp.fullName()
	return &github.Branch{
		Name: github.Ptr(name),
		Commit: &github.RepositoryCommit{
			SHA: github.Ptr(sha),
			URL: github.Ptr(api + "/commits/" + sha),
		},
		Protected: github.Ptr(false),
	}
}

func (s *Server) listBranches(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	tips := s.tips(rp)
	out := []*github.Branch{}
	for _, name := range slices.Sorted(maps.Keys(tips)) {
		out = append(out, s.branchJSON(rp, name, tips[name]))
	}
	c.json(http.StatusOK, paginate(c, out))
}

func (s *Server) getBranch(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	name := c.r.PathValue("branch")
	sha := s.tips(rp)[name]
	if sha == "" {
		c.fail(http.StatusNotFound, "Branch not found")
		return
	}
	c.json(http.StatusOK, s.branchJSON(rp, name, sha))
}

func (s *Server) refJSON(rp *repoState, ref, sha string) *github.Reference {
	api := s.APIURL() + "repos/" + rp.fullName()
	return &github.Reference{
		Ref: github.Ptr(ref),
		URL: github.Ptr(api + "/git/" + ref),
		Object: &github.GitObject{
			Type: github.Ptr("commit"),
			SHA:  github.Ptr(sha),
			URL:  github.Ptr(api + "/git/commits/" + sha),
		},
	}
}

func (s *Server) getRef(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	ref := "refs/" + c.r.PathValue("ref")
	sha := s.resolveRef(rp, ref)
	if sha == "" {
		c.notFound()
		return
	}
	c.json(http.StatusOK, s.refJSON(rp, ref, sha))
}

func (s *Server) createRef(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	var req struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	}
	if !c.decode(&req) {
		return
	}
	if !strings.HasPrefix(req.Ref, "refs/") || strings.Count(req.Ref, "/") < 2 {
		c.unprocessable("Reference name must start with 'refs/' and have at least two slashes.")
		return
	}
	sha, ok := s.commitExists(rp, req.SHA)
	if !ok {
		c.unprocessable("Object does not exist")
		return
	}
	if s.resolveRef(rp, req.Ref) != "" {
		c.unprocessable("Reference already exists")
		return
	}
	if _, err := s.git(rp.dir, nil, nil, "update-ref", req.Ref, sha, ""); err != nil {
		c.unprocessable("Reference update failed")
		return
	}
	c.json(http.StatusCreated, s.refJSON(rp, req.Ref, sha))
}

func (s *Server) updateRef(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	ref := "refs/" + c.r.PathValue("ref")
	var req struct {
		SHA   string `json:"sha"`
		Force bool   `json:"force"`
	}
	if !c.decode(&req) {
		return
	}
	old := s.resolveRef(rp, ref)
	if old == "" {
		c.unprocessable("Reference does not exist")
		return
	}
	sha, ok := s.commitExists(rp, req.SHA)
	if !ok {
		c.unprocessable("Object does not exist")
		return
	}
	if !req.Force && !s.isAncestor(rp, old, sha) {
		c.unprocessable("Update is not a fast forward")
		return
	}
	if _, err := s.git(rp.dir, nil, nil, "update-ref", ref, sha, old); err != nil {
		c.unprocessable("Reference cannot be updated")
		return
	}
	c.json(http.StatusOK, s.refJSON(rp, ref, sha))
}

// getCommitSHA answers GET /repos/{owner}/{repo}/commits/{ref} in the
// SHA media type (Accept: application/vnd.github.sha, as go-github's
// GetCommitSHA1 asks): the commit SHA alone, as plain text. The full
// commit JSON is not modelled.
func (s *Server) getCommitSHA(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	if !strings.Contains(c.r.Header.Get("Accept"), ".sha") {
		c.fail(http.StatusNotImplemented, "githubtest models only the SHA media type of this endpoint")
		return
	}
	ref := c.r.PathValue("ref")
	sha := s.resolveRef(rp, "refs/heads/"+ref)
	if sha == "" {
		sha = s.resolveRef(rp, ref)
	}
	if sha == "" {
		c.fail(http.StatusUnprocessableEntity, "No commit found for SHA: "+ref)
		return
	}
	c.header.Set("Content-Type", "application/vnd.github.sha; charset=utf-8")
	c.WriteHeader(http.StatusOK)
	c.body.WriteString(sha)
}

func (s *Server) deleteRef(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	ref := "refs/" + c.r.PathValue("ref")
	old := s.resolveRef(rp, ref)
	if old == "" {
		c.unprocessable("Reference does not exist")
		return
	}
	if ref == "refs/heads/"+rp.defaultBranch {
		c.unprocessable("Cannot delete the default branch")
		return
	}
	if _, err := s.git(rp.dir, nil, nil, "update-ref", "-d", ref, old); err != nil {
		c.unprocessable("Reference cannot be deleted")
		return
	}
	s.syncPulls(rp)
	c.WriteHeader(http.StatusNoContent)
}

func (s *Server) isCollaborator(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	if s.isCollaboratorLogin(rp, c.r.PathValue("user")) {
		c.WriteHeader(http.StatusNoContent)
		return
	}
	c.notFound()
}

func (s *Server) getPermission(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	login := c.r.PathValue("user")
	role := s.permission(rp, login)
	perm := role
	switch role {
	case "maintain":
		perm = "write"
	case "triage":
		perm = "read"
	}
	c.json(http.StatusOK, &github.RepositoryPermissionLevel{
		Permission: github.Ptr(perm),
		RoleName:   github.Ptr(role),
		User:       s.user(login),
	})
}

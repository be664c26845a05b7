package githubtest

import (
	"net/http"
	"strconv"

	"github.com/google/go-github/v89/github"
)

type commitStatus struct {
	sha string
	st  *github.RepoStatus
}

func (s *Server) createStatus(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp := c.repo()
	if rp == nil {
		return
	}
	sha, ok := s.commitExists(rp, c.r.PathValue("sha"))
	if !ok {
		c.unprocessable("No commit found for SHA: " + c.r.PathValue("sha"))
		return
	}
	var req github.RepoStatus
	if !c.decode(&req) {
		return
	}
	switch req.GetState() {
	case "error", "failure", "pending", "success":
	default:
		c.invalid("Status", "state", "custom", "state is not included in the list")
		return
	}
	id := s.newID()
	t := now()
	st := &github.RepoStatus{
		ID:          github.Ptr(id),
		NodeID:      github.Ptr("SC_forgetest" + itoa64(id)),
		URL:         github.Ptr(s.APIURL() + "repos/" + rp.fullName() + "/statuses/" + sha),
		State:       req.State,
		TargetURL:   req.TargetURL,
		Description: req.Description,
		Context:     github.Ptr(firstNonEmpty(req.GetContext(), "default")),
		Creator:     s.user(c.id.login),
		CreatedAt:   ts(t),
		UpdatedAt:   ts(t),
	}
	rp.statuses = append(rp.statuses, &commitStatus{sha: sha, st: st})
	c.json(http.StatusCreated, st)
}

func (s *Server) checkRunJSONFor(rp *repoState, c *call, id int64) *github.CheckRun {
	return &github.CheckRun{
		ID:      github.Ptr(id),
		NodeID:  github.Ptr("CR_forgetest" + itoa64(id)),
		URL:     github.Ptr(s.APIURL() + "repos/" + rp.fullName() + "/check-runs/" + itoa64(id)),
		HTMLURL: github.Ptr(s.URL + "/" + rp.fullName() + "/runs/" + itoa64(id)),
		App:     s.appJSON(s.apps[c.id.appID]),
	}
}

func (c *call) requireInstallation() bool {
	if c.id.kind != identInstallation {
		return c.refuse("needs a GitHub App installation token → 403", http.StatusForbidden, "You must authenticate via a GitHub App.")
	}
	return true
}

func (s *Server) createCheckRun(c *call) {
	if !c.requireInstallation() {
		return
	}
	rp := c.repo()
	if rp == nil {
		return
	}
	var req github.CreateCheckRunOptions
	if !c.decode(&req) {
		return
	}
	if req.Name == "" {
		c.invalid("CheckRun", "name", "missing_field", "")
		return
	}
	sha, ok := s.commitExists(rp, req.HeadSHA)
	if !ok || req.HeadSHA == "" {
		c.unprocessable("No commit found for SHA: " + req.HeadSHA)
		return
	}
	status := firstNonEmpty(req.GetStatus(), "queued")
	if req.Conclusion != nil {
		status = "completed"
	}
	if status == "completed" && req.Conclusion == nil {
		c.invalid("CheckRun", "conclusion", "missing_field", "")
		return
	}
	cr := s.checkRunJSONFor(rp, c, s.newID())
	cr.Name, cr.HeadSHA, cr.Status, cr.Conclusion = github.Ptr(req.Name), github.Ptr(sha), github.Ptr(status), req.Conclusion
	cr.DetailsURL, cr.ExternalID, cr.Output = req.DetailsURL, req.ExternalID, req.Output
	cr.StartedAt, cr.CompletedAt = req.StartedAt, req.CompletedAt
	if cr.StartedAt == nil {
		cr.StartedAt = ts(now())
	}
	if status == "completed" && cr.CompletedAt == nil {
		cr.CompletedAt = ts(now())
	}
	rp.checkRuns = append(rp.checkRuns, cr)
	c.json(http.StatusCreated, cr)
}

func (s *Server) updateCheckRun(c *call) {
	if !c.requireInstallation() {
		return
	}
	rp := c.repo()
	if rp == nil {
		return
	}
	id, _ := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	var cr *github.CheckRun
	for _, x := range rp.checkRuns {
		if x.GetID() == id {
			cr = x
		}
	}
	if cr == nil {
		c.notFound()
		return
	}
	var req github.UpdateCheckRunOptions
	if !c.decode(&req) {
		return
	}
	status := firstNonEmpty(req.GetStatus(), cr.GetStatus())
	if req.Conclusion != nil {
		status = "completed"
	}
	if status == "completed" && req.Conclusion == nil && cr.Conclusion == nil {
		c.invalid("CheckRun", "conclusion", "missing_field", "")
		return
	}
	if req.Name != "" {
		cr.Name = github.Ptr(req.Name)
	}
	cr.Status = github.Ptr(status)
	if req.Conclusion != nil {
		cr.Conclusion = req.Conclusion
	}
	if req.DetailsURL != nil {
		cr.DetailsURL = req.DetailsURL
	}
	if req.ExternalID != nil {
		cr.ExternalID = req.ExternalID
	}
	if req.Output != nil {
		cr.Output = req.Output
	}
	if req.CompletedAt != nil {
		cr.CompletedAt = req.CompletedAt
	}
	if status == "completed" && cr.CompletedAt == nil {
		cr.CompletedAt = ts(now())
	}
	c.json(http.StatusOK, cr)
}

// Statuses returns the commit statuses created on sha in owner/repo, oldest
// first.
func (s *Server) Statuses(owner, repo, sha string) []*github.RepoStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copiesOf(s.mustRepo(owner, repo).statuses, func(st *commitStatus) (*github.RepoStatus, bool) {
		return st.st, st.sha == sha
	})
}

// CheckRuns returns the check runs created in owner/repo, oldest first.
func (s *Server) CheckRuns(owner, repo string) []*github.CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copiesOf(s.mustRepo(owner, repo).checkRuns, func(cr *github.CheckRun) (*github.CheckRun, bool) {
		return cr, true
	})
}

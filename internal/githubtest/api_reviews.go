package githubtest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-github/v89/github"
)

type review struct {
	pr int
	r  *github.PullRequestReview
}

type reviewComment struct {
	pr       int
	reviewID int64
	c        *github.PullRequestComment
}

var reviewStates = map[string]string{
	"":                "PENDING",
	"PENDING":         "PENDING",
	"APPROVE":         "APPROVED",
	"REQUEST_CHANGES": "CHANGES_REQUESTED",
	"COMMENT":         "COMMENTED",
}

func (s *Server) reviewPending(rp *repoState, id int64) bool {
	for _, rv := range rp.reviews {
		if rv.r.GetID() == id {
			return rv.r.GetState() == "PENDING"
		}
	}
	return false
}

// checkReviewEvent validates submitting a review of state by login on p; it
// returns a 422 message or "".
func checkReviewEvent(p *pull, login, state, body string, comments int) string {
	switch {
	case state == "APPROVED" && strings.EqualFold(login, p.user):
		return "Can not approve your own pull request"
	case state == "CHANGES_REQUESTED" && strings.EqualFold(login, p.user):
		return "Can not request changes on your own pull request"
	case state == "CHANGES_REQUESTED" && body == "":
		return "Body is required for a review that requests changes"
	case state == "COMMENTED" && body == "" && comments == 0:
		return "Body is required for a comment review"
	}
	return ""
}

// addReview creates a review (state already mapped) with its comments.
func (s *Server) addReview(rp *repoState, p *pull, login, state, body, commitID string, drafts []*github.DraftReviewComment) *github.PullRequestReview {
	id := s.newID()
	api := s.APIURL() + "repos/" + rp.fullName()
	html := fmt.Sprintf("%s/%s/pull/%d", s.URL, rp.fullName(), p.number)
	t := now()
	rv := &github.PullRequestReview{
		ID:             github.Ptr(id),
		NodeID:         github.Ptr("PRR_forgetest" + itoa64(id)),
		User:           s.user(login),
		Body:           github.Ptr(body),
		CommitID:       github.Ptr(commitID),
		State:          github.Ptr(state),
		HTMLURL:        github.Ptr(fmt.Sprintf("%s#pullrequestreview-%d", html, id)),
		PullRequestURL: github.Ptr(api + "/pulls/" + strconv.Itoa(p.number)),
		//lint:ignore SA1019 the fake serves what GitHub's REST API still sends (remedy reads permissions, not this field)
		AuthorAssociation: github.Ptr(s.authorAssociation(rp, login)),
	}
	if state != "PENDING" {
		rv.SubmittedAt = ts(t)
	}
	rp.reviews = append(rp.reviews, &review{pr: p.number, r: rv})
	for _, d := range drafts {
		cid := s.newID()
		rc := &github.PullRequestComment{
			ID:                  github.Ptr(cid),
			NodeID:              github.Ptr("PRRC_forgetest" + itoa64(cid)),
			PullRequestReviewID: github.Ptr(id),
			Body:                d.Body,
			Path:                d.Path,
			Position:            d.Position,
			Line:                d.Line,
			StartLine:           d.StartLine,
			Side:                d.Side,
			StartSide:           d.StartSide,
			CommitID:            github.Ptr(commitID),
			OriginalCommitID:    github.Ptr(commitID),
			User:                s.user(login),
			CreatedAt:           ts(t),
			UpdatedAt:           ts(t),
			//lint:ignore SA1019 the fake serves what GitHub's REST API still sends (remedy reads permissions, not this field)
			AuthorAssociation: rv.AuthorAssociation,
			URL:               github.Ptr(api + "/pulls/comments/" + itoa64(cid)),
			HTMLURL:           github.Ptr(fmt.Sprintf("%s#discussion_r%d", html, cid)),
			PullRequestURL:    rv.PullRequestURL,
		}
		if rc.Side == nil && rc.Line != nil {
			rc.Side = github.Ptr("RIGHT")
		}
		rp.reviewComments = append(rp.reviewComments, &reviewComment{pr: p.number, reviewID: id, c: rc})
	}
	if state != "PENDING" {
		p.reviewers = slices.DeleteFunc(p.reviewers, func(x string) bool { return strings.EqualFold(x, login) })
		p.updated = t
	}
	return rv
}

// sees reports whether the caller may see rv: pending reviews are only
// visible to their author.
func (c *call) sees(rv *review) bool {
	return rv.r.GetState() != "PENDING" || strings.EqualFold(rv.r.GetUser().GetLogin(), c.id.login)
}

func (c *call) review(rp *repoState, p *pull) (int, *review) {
	id, err := strconv.ParseInt(c.r.PathValue("id"), 10, 64)
	if err == nil {
		for i, rv := range rp.reviews {
			if rv.pr == p.number && rv.r.GetID() == id && c.sees(rv) {
				return i, rv
			}
		}
	}
	c.notFound()
	return -1, nil
}

func (s *Server) listReviews(c *call) {
	rp, p := c.repoPull()
	if p == nil {
		return
	}
	out := []*github.PullRequestReview{}
	for _, rv := range rp.reviews {
		if rv.pr == p.number && c.sees(rv) {
			out = append(out, rv.r)
		}
	}
	c.json(http.StatusOK, paginate(c, out))
}

func (s *Server) getReview(c *call) {
	rp, p := c.repoPull()
	if p == nil {
		return
	}
	if _, rv := c.review(rp, p); rv != nil {
		c.json(http.StatusOK, rv.r)
	}
}

func (s *Server) createReview(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp, p, tips := c.syncedPull()
	if p == nil {
		return
	}
	var req github.PullRequestReviewRequest
	if !c.decode(&req) {
		return
	}
	state, ok := reviewStates[req.GetEvent()]
	if !ok {
		c.invalid("PullRequestReview", "event", "invalid", "")
		return
	}
	if msg := checkReviewEvent(p, c.id.login, state, req.GetBody(), len(req.Comments)); msg != "" {
		c.unprocessable(msg)
		return
	}
	if state == "PENDING" {
		for _, rv := range rp.reviews {
			if rv.pr == p.number && rv.r.GetState() == "PENDING" && strings.EqualFold(rv.r.GetUser().GetLogin(), c.id.login) {
				c.unprocessable("User can only have one pending review per pull request")
				return
			}
		}
	}
	commitID := req.GetCommitID()
	if commitID == "" {
		commitID = s.headSHA(rp, p, tips)
	} else if _, ok := s.commitExists(rp, commitID); !ok {
		c.unprocessable("Commit could not be found")
		return
	}
	if len(req.Comments) > 0 {
		files, err := s.pullFiles(rp, p)
		if err != nil {
			c.fail(http.StatusInternalServerError, "Server Error")
			return
		}
		for _, d := range req.Comments {
			if d.GetBody() == "" || !slices.ContainsFunc(files, func(f *github.CommitFile) bool { return f.GetFilename() == d.GetPath() }) {
				c.unprocessable("Unprocessable Entity: Path could not be resolved")
				return
			}
		}
	}
	rv := s.addReview(rp, p, c.id.login, state, req.GetBody(), commitID, req.Comments)
	c.json(http.StatusOK, rv)
}

func (s *Server) submitReview(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp, p := c.repoPull()
	if p == nil {
		return
	}
	_, rv := c.review(rp, p)
	if rv == nil {
		return
	}
	var req github.PullRequestReviewRequest
	if !c.decode(&req) {
		return
	}
	state, ok := reviewStates[req.GetEvent()]
	if !ok || state == "PENDING" {
		c.invalid("PullRequestReview", "event", "invalid", "")
		return
	}
	if rv.r.GetState() != "PENDING" {
		c.unprocessable("Can not submit a non-pending review")
		return
	}
	body := firstNonEmpty(req.GetBody(), rv.r.GetBody())
	n := 0
	for _, rc := range rp.reviewComments {
		if rc.reviewID == rv.r.GetID() {
			n++
		}
	}
	if msg := checkReviewEvent(p, c.id.login, state, body, n); msg != "" {
		c.unprocessable(msg)
		return
	}
	rv.r.State, rv.r.Body, rv.r.SubmittedAt = github.Ptr(state), github.Ptr(body), ts(now())
	p.reviewers = slices.DeleteFunc(p.reviewers, func(x string) bool { return strings.EqualFold(x, c.id.login) })
	p.updated = now()
	c.json(http.StatusOK, rv.r)
}

func (s *Server) dismissReview(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp, p := c.repoPull()
	if p == nil {
		return
	}
	_, rv := c.review(rp, p)
	if rv == nil {
		return
	}
	var req github.PullRequestReviewDismissalRequest
	if !c.decode(&req) {
		return
	}
	if req.GetMessage() == "" {
		c.invalid("PullRequestReview", "message", "missing_field", "")
		return
	}
	switch rv.r.GetState() {
	case "APPROVED", "CHANGES_REQUESTED":
	case "PENDING":
		c.unprocessable("Can not dismiss a pending pull request review")
		return
	default:
		c.unprocessable("Can not dismiss a " + strings.ToLower(rv.r.GetState()) + " pull request review")
		return
	}
	rv.r.State = github.Ptr("DISMISSED")
	p.updated = now()
	c.json(http.StatusOK, rv.r)
}

func (s *Server) deleteReview(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp, p := c.repoPull()
	if p == nil {
		return
	}
	i, rv := c.review(rp, p)
	if rv == nil {
		return
	}
	if rv.r.GetState() != "PENDING" {
		c.unprocessable("Can not delete a non-pending pull request review")
		return
	}
	rp.reviews = slices.Delete(rp.reviews, i, i+1)
	rp.reviewComments = slices.DeleteFunc(rp.reviewComments, func(rc *reviewComment) bool { return rc.reviewID == rv.r.GetID() })
	c.json(http.StatusOK, rv.r)
}

func (s *Server) listReviewComments(c *call) {
	rp, p := c.repoPull()
	if p == nil {
		return
	}
	out := []*github.PullRequestComment{}
	for _, rc := range rp.reviewComments {
		if rc.pr == p.number && !s.reviewPending(rp, rc.reviewID) {
			out = append(out, rc.c)
		}
	}
	c.json(http.StatusOK, paginate(c, out))
}

// ---------------------------------------------------------------------------
// test-side inspection and simulation

// Reviews returns all reviews on pull request number of owner/repo,
// including pending and dismissed ones.
func (s *Server) Reviews(owner, repo string, number int) []*github.PullRequestReview {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copiesOf(s.mustRepo(owner, repo).reviews, func(rv *review) (*github.PullRequestReview, bool) {
		return rv.r, rv.pr == number
	})
}

// ReviewComments returns all review (diff) comments on pull request number of
// owner/repo, including those of pending reviews.
func (s *Server) ReviewComments(owner, repo string, number int) []*github.PullRequestComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copiesOf(s.mustRepo(owner, repo).reviewComments, func(rc *reviewComment) (*github.PullRequestComment, bool) {
		return rc.c, rc.pr == number
	})
}

// AddReview submits a review on pull request number as login (a human), with
// event APPROVE, REQUEST_CHANGES or COMMENT, on the current head.
func (s *Server) AddReview(owner, repo string, number int, login, event, body string) *github.PullRequestReview {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	tips := s.syncPulls(rp)
	p := s.findPull(rp, number)
	if p == nil {
		s.t.Fatalf("githubtest: AddReview: no pull request %s#%d", rp.fullName(), number)
	}
	state, ok := reviewStates[event]
	if !ok || state == "PENDING" {
		s.t.Fatalf("githubtest: AddReview: bad event %q", event)
	}
	return copyJSON(s.addReview(rp, p, login, state, body, s.headSHA(rp, p, tips), nil))
}

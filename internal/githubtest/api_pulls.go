package githubtest

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v89/github"
)

type pull struct {
	id                  int64
	number              int
	title, body         string
	state               string // open, closed
	draft               bool
	head, base          string // branch names
	headSHA, baseSHA    string // last seen; frozen while closed
	user                string
	created, updated    time.Time
	closedAt, mergedAt  time.Time
	merged              bool
	mergeSHA            string
	mergedBy            string
	labels              []string
	assignees           []string
	reviewers           []string
	teams               []string
	maintainerCanModify bool
}

func (s *Server) findPull(rp *repoState, number int) *pull {
	for _, p := range rp.pulls {
		if p.number == number {
			return p
		}
	}
	return nil
}

// pullArg resolves {number}, answering 404 itself when it returns nil.
func (c *call) pull(rp *repoState) *pull {
	n, err := strconv.Atoi(c.r.PathValue("number"))
	if err != nil {
		c.notFound()
		return nil
	}
	p := c.s.findPull(rp, n)
	if p == nil {
		c.notFound()
		return nil
	}
	return p
}

// repoPull resolves {owner}/{repo} and {number}, answering 404 (or 403, see
// repo) itself when the pull request it returns is nil.
func (c *call) repoPull() (*repoState, *pull) {
	rp := c.repo()
	if rp == nil {
		return nil, nil
	}
	return rp, c.pull(rp)
}

// syncedPull is repoPull with the repository's pull requests synced to their
// branches first (syncPulls, even when {number} is not found); tips are the
// branch tips.
func (c *call) syncedPull() (rp *repoState, p *pull, tips map[string]string) {
	rp = c.repo()
	if rp == nil {
		return nil, nil, nil
	}
	tips = c.s.syncPulls(rp)
	return rp, c.pull(rp), tips
}

// syncPulls refreshes head/base SHAs of open pull requests from the bare
// repository, and closes those whose head branch is gone (as GitHub does).
func (s *Server) syncPulls(rp *repoState) map[string]string {
	tips := s.tips(rp)
	for _, p := range rp.pulls {
		if p.state != "open" {
			continue
		}
		if tips[p.head] == "" {
			p.state = "closed"
			p.closedAt = now()
			p.updated = p.closedAt
			continue
		}
		if p.headSHA != tips[p.head] {
			p.updated = now()
		}
		p.headSHA = tips[p.head]
		if tips[p.base] != "" {
			p.baseSHA = tips[p.base]
		}
	}
	return tips
}

func (s *Server) headSHA(rp *repoState, p *pull, tips map[string]string) string {
	if p.state == "open" && tips[p.head] != "" {
		return tips[p.head]
	}
	return p.headSHA
}

func (s *Server) closePull(p *pull) {
	p.state = "closed"
	p.closedAt = now()
	p.updated = p.closedAt
}

func (s *Server) authorAssociation(rp *repoState, login string) string {
	switch {
	case strings.EqualFold(login, rp.owner):
		return "OWNER"
	case s.isCollaboratorLogin(rp, login):
		return "COLLABORATOR"
	}
	return "NONE"
}

func (s *Server) labelsJSON(rp *repoState, names []string) []*github.Label {
	out := []*github.Label{}
	for _, n := range names {
		if l := rp.labels[strings.ToLower(n)]; l != nil {
			out = append(out, copyJSON(l))
		}
	}
	return out
}

func (s *Server) usersJSON(logins []string) []*github.User {
	out := []*github.User{}
	for _, l := range logins {
		out = append(out, s.user(l))
	}
	return out
}

// prJSON renders p. full adds the fields GitHub only sends for a single PR.
func (s *Server) prJSON(rp *repoState, p *pull, full bool) *github.PullRequest {
	api := s.APIURL() + "repos/" + rp.fullName()
	html := s.URL + "/" + rp.fullName() + "/pull/" + strconv.Itoa(p.number)
	repo := s.repoJSON(rp, nil)
	pr := &github.PullRequest{
		ID:                 github.Ptr(p.id),
		NodeID:             github.Ptr("PR_forgetest" + itoa64(p.id)),
		Number:             github.Ptr(p.number),
		State:              github.Ptr(p.state),
		Locked:             github.Ptr(false),
		Title:              github.Ptr(p.title),
		Body:               github.Ptr(p.body),
		Draft:              github.Ptr(p.draft),
		CreatedAt:          ts(p.created),
		UpdatedAt:          ts(p.updated),
		User:               s.user(p.user),
		Labels:             s.labelsJSON(rp, p.labels),
		Assignees:          s.usersJSON(p.assignees),
		RequestedReviewers: s.usersJSON(p.reviewers),
		URL:                github.Ptr(api + "/pulls/" + strconv.Itoa(p.number)),
		HTMLURL:            github.Ptr(html),
		IssueURL:           github.Ptr(api + "/issues/" + strconv.Itoa(p.number)),
		DiffURL:            github.Ptr(html + ".diff"),
		PatchURL:           github.Ptr(html + ".patch"),
		CommitsURL:         github.Ptr(api + "/pulls/" + strconv.Itoa(p.number) + "/commits"),
		CommentsURL:        github.Ptr(api + "/issues/" + strconv.Itoa(p.number) + "/comments"),
		StatusesURL:        github.Ptr(api + "/statuses/" + p.headSHA),
		//lint:ignore SA1019 the fake serves what GitHub's REST API still sends (remedy reads permissions, not this field)
		AuthorAssociation: github.Ptr(s.authorAssociation(rp, p.user)),
		Head: &github.PullRequestBranch{
			Label: github.Ptr(rp.owner + ":" + p.head),
			Ref:   github.Ptr(p.head),
			SHA:   github.Ptr(p.headSHA),
			Repo:  repo,
			User:  s.ownerUser(rp.owner),
		},
		Base: &github.PullRequestBranch{
			Label: github.Ptr(rp.owner + ":" + p.base),
			Ref:   github.Ptr(p.base),
			SHA:   github.Ptr(p.baseSHA),
			Repo:  repo,
			User:  s.ownerUser(rp.owner),
		},
	}
	if len(p.assignees) > 0 {
		pr.Assignee = s.user(p.assignees[0])
	}
	for _, t := range p.teams {
		pr.RequestedTeams = append(pr.RequestedTeams, &github.Team{Slug: github.Ptr(t), Name: github.Ptr(t)})
	}
	if !p.closedAt.IsZero() && p.state == "closed" {
		pr.ClosedAt = ts(p.closedAt)
	}
	if p.merged {
		pr.MergedAt = ts(p.mergedAt)
		pr.MergeCommitSHA = github.Ptr(p.mergeSHA)
	}
	if full {
		pr.Merged = github.Ptr(p.merged)
		pr.MaintainerCanModify = github.Ptr(p.maintainerCanModify)
		if p.merged {
			pr.MergedBy = s.user(p.mergedBy)
		}
		commits, adds, dels, files := s.pullStats(rp, p)
		pr.Commits, pr.Additions, pr.Deletions, pr.ChangedFiles = &commits, &adds, &dels, &files
		comments := 0
		for _, cm := range rp.comments {
			if cm.issue == p.number {
				comments++
			}
		}
		pr.Comments = github.Ptr(comments)
		rc := 0
		for _, cm := range rp.reviewComments {
			if cm.pr == p.number && !s.reviewPending(rp, cm.reviewID) {
				rc++
			}
		}
		pr.ReviewComments = github.Ptr(rc)
		if p.state == "open" {
			ok := s.mergeable(rp, p.baseSHA, p.headSHA)
			pr.Mergeable = github.Ptr(ok)
			pr.Rebaseable = github.Ptr(ok)
			if ok {
				pr.MergeableState = github.Ptr("clean")
			} else {
				pr.MergeableState = github.Ptr("dirty")
			}
		} else {
			pr.MergeableState = github.Ptr("unknown")
		}
	}
	return pr
}

// pullStats counts commits, added and deleted lines and changed files of p.
// Answers depend on the SHAs only and are cached.
func (s *Server) pullStats(rp *repoState, p *pull) (commits, adds, dels, files int) {
	key := "stats " + p.baseSHA + " " + p.headSHA
	if v, ok := rp.cache[key].([4]int); ok {
		return v[0], v[1], v[2], v[3]
	}
	defer func() { rp.cache[key] = [4]int{commits, adds, dels, files} }()
	if out, err := s.git(rp.dir, nil, nil, "rev-list", "--count", p.baseSHA+".."+p.headSHA); err == nil {
		commits, _ = strconv.Atoi(strings.TrimSpace(out))
	}
	mb := s.mergeBase(rp, p.baseSHA, p.headSHA)
	if mb == "" {
		return
	}
	out, err := s.git(rp.dir, nil, nil, "diff", "--numstat", "-M", mb, p.headSHA)
	if err != nil {
		return
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) < 3 {
			continue
		}
		files++
		a, _ := strconv.Atoi(f[0])
		d, _ := strconv.Atoi(f[1])
		adds += a
		dels += d
	}
	return
}

func (s *Server) listPulls(c *call) {
	rp := c.repo()
	if rp == nil {
		return
	}
	s.syncPulls(rp)
	q := c.r.URL.Query()
	state := q.Get("state")
	if state == "" {
		state = "open"
	}
	head, base := q.Get("head"), q.Get("base")
	var headOwner, headRef string
	if o, b, ok := strings.Cut(head, ":"); ok {
		headOwner, headRef = o, b
	} // without "owner:", GitHub silently ignores the head filter
	matched := []*pull{}
	for _, p := range rp.pulls {
		switch {
		case state != "all" && p.state != state:
		case headOwner != "" && (!strings.EqualFold(headOwner, rp.owner) || p.head != headRef):
		case base != "" && p.base != base:
		default:
			matched = append(matched, p)
		}
	}
	sortBy := q.Get("sort")
	// GitHub: direction defaults to desc when sorting by created (the
	// default), asc otherwise.
	desc := q.Get("direction") == "desc"
	if q.Get("direction") == "" {
		desc = sortBy == "" || sortBy == "created"
	}
	key := func(p *pull) time.Time {
		if sortBy == "updated" {
			return p.updated
		}
		return p.created
	}
	sort.SliceStable(matched, func(i, j int) bool {
		a, b := matched[i], matched[j]
		if !key(a).Equal(key(b)) {
			return key(a).Before(key(b)) != desc
		}
		return (a.number < b.number) != desc
	})
	out := []*github.PullRequest{}
	for _, p := range paginate(c, matched) {
		out = append(out, s.prJSON(rp, p, false))
	}
	c.json(http.StatusOK, out)
}

func (s *Server) createPull(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp := c.repo()
	if rp == nil {
		return
	}
	var req github.NewPullRequest
	if !c.decode(&req) {
		return
	}
	head, base, title := req.GetHead(), req.GetBase(), req.GetTitle()
	if title == "" && req.Issue == nil {
		c.invalid("PullRequest", "title", "missing_field", "")
		return
	}
	if o, b, ok := strings.Cut(head, ":"); ok {
		if !strings.EqualFold(o, rp.owner) {
			// Cross-repository (fork) pull requests are not modelled.
			c.invalid("PullRequest", "head", "invalid", "")
			return
		}
		head = b
	}
	tips := s.syncPulls(rp)
	if base == "" || tips[base] == "" {
		c.invalid("PullRequest", "base", "invalid", "")
		return
	}
	if head == "" || tips[head] == "" {
		c.invalid("PullRequest", "head", "invalid", "")
		return
	}
	for _, p := range rp.pulls {
		if p.state == "open" && p.head == head && p.base == base {
			c.invalid("PullRequest", "", "custom", fmt.Sprintf("A pull request already exists for %s:%s.", rp.owner, head))
			return
		}
	}
	if s.isAncestor(rp, tips[head], tips[base]) {
		c.invalid("PullRequest", "", "custom", fmt.Sprintf("No commits between %s and %s", base, head))
		return
	}
	t := now()
	p := &pull{
		id: s.newID(), number: rp.nextNumber, title: title, body: req.GetBody(), state: "open",
		draft: req.GetDraft(), head: head, base: base, headSHA: tips[head], baseSHA: tips[base],
		user: c.id.login, created: t, updated: t, maintainerCanModify: req.GetMaintainerCanModify(),
	}
	rp.nextNumber++
	rp.pulls = append(rp.pulls, p)
	c.header.Set("Location", s.APIURL()+"repos/"+rp.fullName()+"/pulls/"+strconv.Itoa(p.number))
	c.json(http.StatusCreated, s.prJSON(rp, p, true))
}

func (s *Server) getPull(c *call) {
	if rp, p, _ := c.syncedPull(); p != nil {
		c.json(http.StatusOK, s.prJSON(rp, p, true))
	}
}

func (s *Server) editPull(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp, p, tips := c.syncedPull()
	if p == nil {
		return
	}
	var req struct {
		Title               *string `json:"title"`
		Body                *string `json:"body"`
		State               *string `json:"state"`
		Base                *string `json:"base"`
		MaintainerCanModify *bool   `json:"maintainer_can_modify"`
	}
	if !c.decode(&req) {
		return
	}
	// Validate everything first: a rejected edit changes nothing.
	if req.State != nil && *req.State != "open" && *req.State != "closed" {
		c.invalid("PullRequest", "state", "invalid", "")
		return
	}
	if req.Base != nil && tips[*req.Base] == "" {
		c.invalid("PullRequest", "base", "invalid", "")
		return
	}
	reopen := req.State != nil && *req.State == "open" && p.state == "closed"
	if reopen {
		switch {
		case p.merged:
			c.invalid("PullRequest", "state", "custom", "Cannot reopen a merged pull request.")
			return
		case tips[p.head] == "":
			c.invalid("PullRequest", "state", "custom", "state cannot be changed. The "+p.head+" branch has been deleted.")
			return
		}
		for _, o := range rp.pulls {
			if o != p && o.state == "open" && o.head == p.head && o.base == p.base {
				c.invalid("PullRequest", "state", "custom", fmt.Sprintf("state cannot be changed. There is already an open pull request from %s to %s.", p.head, p.base))
				return
			}
		}
	}
	if req.Title != nil {
		p.title = *req.Title
	}
	if req.Body != nil {
		p.body = *req.Body
	}
	if req.Base != nil {
		p.base = *req.Base
		if p.state == "open" {
			p.baseSHA = tips[p.base]
		}
	}
	if req.MaintainerCanModify != nil {
		p.maintainerCanModify = *req.MaintainerCanModify
	}
	if req.State != nil {
		switch {
		case reopen:
			p.state = "open"
			p.closedAt = time.Time{}
			p.headSHA, p.baseSHA = tips[p.head], tips[p.base]
		case *req.State == "closed" && p.state == "open":
			s.closePull(p)
		}
	}
	p.updated = now()
	c.json(http.StatusOK, s.prJSON(rp, p, true))
}

func (s *Server) listPullFiles(c *call) {
	rp, p, _ := c.syncedPull()
	if p == nil {
		return
	}
	files, err := s.pullFiles(rp, p)
	if err != nil {
		s.t.Errorf("githubtest: pull files: %v", err)
		c.fail(http.StatusInternalServerError, "Server Error")
		return
	}
	c.json(http.StatusOK, paginate(c, files))
}

func (s *Server) pullFiles(rp *repoState, p *pull) ([]*github.CommitFile, error) {
	key := "files " + p.baseSHA + " " + p.headSHA
	if v, ok := rp.cache[key].([]*github.CommitFile); ok {
		return v, nil
	}
	out := []*github.CommitFile{}
	defer func() { rp.cache[key] = out }()
	mb := s.mergeBase(rp, p.baseSHA, p.headSHA)
	if mb == "" {
		return out, nil
	}
	raw, err := s.git(rp.dir, nil, nil, "diff", "--raw", "-z", "-M", "--no-abbrev", mb, p.headSHA)
	if err != nil {
		return nil, err
	}
	num, err := s.git(rp.dir, nil, nil, "diff", "--numstat", "-z", "-M", mb, p.headSHA)
	if err != nil {
		return nil, err
	}
	// numstat -z: "add\tdel\tpath\0" or, for renames, "add\tdel\t\0old\0new\0".
	type counts struct{ add, del int }
	stat := map[string]counts{}
	fields := strings.Split(num, "\x00")
	for i := 0; i < len(fields); i++ {
		f := strings.SplitN(fields[i], "\t", 3)
		if len(f) < 3 {
			continue
		}
		a, _ := strconv.Atoi(f[0])
		d, _ := strconv.Atoi(f[1])
		path := f[2]
		if path == "" && i+2 < len(fields) {
			path = fields[i+2]
			i += 2
		}
		stat[path] = counts{a, d}
	}
	// raw -z: ":oldmode newmode oldsha newsha STATUS\0path\0[newpath\0]".
	parts := strings.Split(raw, "\x00")
	for i := 0; i < len(parts); i++ {
		meta := parts[i]
		if !strings.HasPrefix(meta, ":") {
			continue
		}
		m := strings.Fields(meta)
		if len(m) < 5 || i+1 >= len(parts) {
			continue
		}
		status, oldSHA, newSHA := m[4], m[2], m[3]
		path, prev := parts[i+1], ""
		i++
		if status[0] == 'R' || status[0] == 'C' {
			prev, path = path, parts[i+1]
			i++
		}
		f := &github.CommitFile{Filename: github.Ptr(path)}
		sha := newSHA
		switch status[0] {
		case 'A':
			f.Status = github.Ptr("added")
		case 'D':
			f.Status = github.Ptr("removed")
			sha = oldSHA
		case 'R':
			f.Status = github.Ptr("renamed")
			f.PreviousFilename = github.Ptr(prev)
		case 'C':
			f.Status = github.Ptr("copied")
			f.PreviousFilename = github.Ptr(prev)
		case 'T':
			f.Status = github.Ptr("changed")
		default:
			f.Status = github.Ptr("modified")
		}
		st := stat[path]
		f.SHA = github.Ptr(sha)
		f.Additions, f.Deletions, f.Changes = github.Ptr(st.add), github.Ptr(st.del), github.Ptr(st.add+st.del)
		f.BlobURL = github.Ptr(s.URL + "/" + rp.fullName() + "/blob/" + p.headSHA + "/" + path)
		f.RawURL = github.Ptr(s.URL + "/" + rp.fullName() + "/raw/" + p.headSHA + "/" + path)
		f.ContentsURL = github.Ptr(s.APIURL() + "repos/" + rp.fullName() + "/contents/" + path + "?ref=" + p.headSHA)
		args := []string{"diff", "--no-color", "-M", mb, p.headSHA, "--"}
		if prev != "" {
			args = append(args, prev)
		}
		args = append(args, path)
		if diff, err := s.git(rp.dir, nil, nil, args...); err == nil {
			if i := strings.Index(diff, "\n@@"); i >= 0 {
				f.Patch = github.Ptr(strings.TrimSuffix(diff[i+1:], "\n"))
			}
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *Server) listPullCommits(c *call) {
	rp, p, _ := c.syncedPull()
	if p == nil {
		return
	}
	const sep, end = "\x1f", "\x1e"
	format := strings.Join([]string{"%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%T", "%B"}, "%x1f") + "%x1e"
	out, err := s.git(rp.dir, nil, nil, "log", "--reverse", "--format="+format, p.baseSHA+".."+p.headSHA)
	if err != nil {
		s.t.Errorf("githubtest: pull commits: %v", err)
		c.fail(http.StatusInternalServerError, "Server Error")
		return
	}
	api := s.APIURL() + "repos/" + rp.fullName()
	commits := []*github.RepositoryCommit{}
	for _, rec := range strings.Split(out, end) {
		f := strings.Split(strings.TrimLeft(rec, "\n"), sep)
		if len(f) < 10 {
			continue
		}
		at, _ := time.Parse(time.RFC3339, f[4])
		ct, _ := time.Parse(time.RFC3339, f[7])
		rc := &github.RepositoryCommit{
			SHA:     github.Ptr(f[0]),
			URL:     github.Ptr(api + "/commits/" + f[0]),
			HTMLURL: github.Ptr(s.URL + "/" + rp.fullName() + "/commit/" + f[0]),
			Commit: &github.Commit{
				SHA:       github.Ptr(f[0]),
				Message:   github.Ptr(strings.TrimRight(f[9], "\n")),
				Author:    &github.CommitAuthor{Name: github.Ptr(f[2]), Email: github.Ptr(f[3]), Date: ts(at)},
				Committer: &github.CommitAuthor{Name: github.Ptr(f[5]), Email: github.Ptr(f[6]), Date: ts(ct)},
				Tree:      &github.Tree{SHA: github.Ptr(f[8])},
			},
		}
		for _, parent := range strings.Fields(f[1]) {
			rc.Parents = append(rc.Parents, &github.Commit{SHA: github.Ptr(parent), URL: github.Ptr(api + "/commits/" + parent)})
		}
		commits = append(commits, rc)
	}
	c.json(http.StatusOK, paginate(c, commits))
}

func (s *Server) isMerged(c *call) {
	if _, p := c.repoPull(); p != nil {
		if p.merged {
			c.WriteHeader(http.StatusNoContent)
		} else {
			c.notFound()
		}
	}
}

func (s *Server) mergePull(c *call) {
	if !c.requireNotApp() {
		return
	}
	rp, p, tips := c.syncedPull()
	if p == nil {
		return
	}
	var req struct {
		CommitTitle   string `json:"commit_title"`
		CommitMessage string `json:"commit_message"`
		SHA           string `json:"sha"`
		MergeMethod   string `json:"merge_method"`
	}
	if !c.decode(&req) {
		return
	}
	if req.MergeMethod == "" {
		req.MergeMethod = "merge"
	}
	switch {
	case req.MergeMethod != "merge" && req.MergeMethod != "squash" && req.MergeMethod != "rebase":
		c.invalid("PullRequest", "merge_method", "invalid", "")
		return
	case p.state != "open" || p.draft:
		c.fail(http.StatusMethodNotAllowed, "Pull Request is not mergeable")
		return
	case req.SHA != "" && req.SHA != tips[p.head]:
		c.fail(http.StatusConflict, "Head branch was modified. Review and try the merge again.")
		return
	}
	if err := s.doMerge(rp, p, c.id.login, req.MergeMethod, req.CommitTitle, req.CommitMessage); err != nil {
		c.fail(http.StatusMethodNotAllowed, "Pull Request is not mergeable")
		return
	}
	c.json(http.StatusOK, &github.PullRequestMergeResult{
		SHA: github.Ptr(p.mergeSHA), Merged: github.Ptr(true), Message: github.Ptr("Pull Request successfully merged"),
	})
}

func (s *Server) doMerge(rp *repoState, p *pull, by, method, title, message string) error {
	sha, err := s.merge(rp, p, method, title, message)
	if err != nil {
		return err
	}
	s.closePull(p)
	p.merged, p.mergedAt, p.mergeSHA, p.mergedBy = true, p.closedAt, sha, by
	return nil
}

// ---------------------------------------------------------------------------
// test-side inspection and simulation

// PullRequests returns all pull requests of owner/repo (open and closed, in
// creation order) as the API would render a single PR.
func (s *Server) PullRequests(owner, repo string) []*github.PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	s.syncPulls(rp)
	out := []*github.PullRequest{}
	for _, p := range rp.pulls {
		out = append(out, s.prJSON(rp, p, true))
	}
	return out
}

// PullRequest returns pull request number of owner/repo, or nil.
func (s *Server) PullRequest(owner, repo string, number int) *github.PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	s.syncPulls(rp)
	if p := s.findPull(rp, number); p != nil {
		return s.prJSON(rp, p, true)
	}
	return nil
}

// ClosePR closes pull request number as a human would. With merged, it is
// merged for real first: a merge commit of head into base is written to the
// bare repository (the test fails on a conflict).
func (s *Server) ClosePR(owner, repo string, number int, merged bool) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	rp := s.mustRepo(owner, repo)
	s.syncPulls(rp)
	p := s.findPull(rp, number)
	if p == nil {
		s.t.Fatalf("githubtest: ClosePR: no pull request %s#%d", rp.fullName(), number)
	}
	if p.state != "open" {
		s.t.Fatalf("githubtest: ClosePR: %s#%d is not open", rp.fullName(), number)
	}
	if !merged {
		s.closePull(p)
		return
	}
	if err := s.doMerge(rp, p, rp.owner, "merge", "", ""); err != nil {
		s.t.Fatalf("githubtest: ClosePR: merging %s#%d: %v", rp.fullName(), number, err)
	}
}

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }

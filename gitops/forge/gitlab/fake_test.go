package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gl "gitlab.com/gitlab-org/api/client-go/v2"

	"github.com/remedy-bot/remedy/internal/githubtest"
)

// fakeGitLab is an in-process GitLab REST API (the v4 shapes, encoded with
// client-go's own types) for the endpoints the driver calls. Git hosting
// is borrowed from the fake GitHub: a project's http_url_to_repo is its
// repository there, so clones and pushes are real.
type fakeGitLab struct {
	t    *testing.T
	git  *githubtest.Server
	srv  *httptest.Server
	mu   sync.Mutex
	log  []string
	next int64

	projects    map[string]*gl.Project // by full path
	groups      map[string][]string    // group full path → its projects' full paths, subgroups' included
	users       map[string]*gl.User
	members     map[string]map[int64]gl.AccessLevelValue // project → user ID → level
	mrs         map[string][]*gl.MergeRequest
	notes       map[string]map[int64][]*gl.Note // project → MR IID → notes
	statuses    map[string][]gl.SetCommitStatusOptions
	discussions map[string]map[int64][]gl.CreateMergeRequestDiscussionOptions
	issues      map[string][]*gl.Issue
}

const fakeToken = "glpat-remedytest"

func newFakeGitLab(t *testing.T) *fakeGitLab {
	t.Helper()
	f := &fakeGitLab{
		t: t, git: githubtest.New(t), next: 100,
		projects: map[string]*gl.Project{}, groups: map[string][]string{}, users: map[string]*gl.User{},
		members: map[string]map[int64]gl.AccessLevelValue{}, mrs: map[string][]*gl.MergeRequest{},
		notes: map[string]map[int64][]*gl.Note{}, statuses: map[string][]gl.SetCommitStatusOptions{},
		discussions: map[string]map[int64][]gl.CreateMergeRequestDiscussionOptions{},
		issues:      map[string][]*gl.Issue{},
	}
	f.git.AddToken(fakeToken, "remedy-bot")
	f.addUser("remedy-bot")
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeGitLab) id() int64 { f.next++; return f.next }

func (f *fakeGitLab) addUser(name string) *gl.User {
	u := &gl.User{ID: f.id(), Username: name, Name: name}
	f.users[name] = u
	return u
}

// createProject creates group/…/name with files on main; every group on
// its path lists it.
func (f *fakeGitLab) createProject(full string, files map[string]string) *gl.Project {
	ns, name, _ := cutLast(full)
	owner := strings.ReplaceAll(ns, "/", "-") // the fake GitHub's owners have no slashes
	f.git.CreateRepo(owner, name, files)
	p := &gl.Project{
		ID: f.id(), Path: name, PathWithNamespace: full, DefaultBranch: "main",
		HTTPURLToRepo: f.git.CloneURL(owner, name), WebURL: f.srv.URL + "/" + full,
		Namespace: &gl.ProjectNamespace{FullPath: ns, Path: ns[strings.LastIndex(ns, "/")+1:]},
	}
	f.projects[full] = p
	for g := ns; g != ""; g, _, _ = cutLast(g) {
		f.groups[g] = append(f.groups[g], full)
		if !strings.Contains(g, "/") {
			break
		}
	}
	f.members[full] = map[int64]gl.AccessLevelValue{f.users["remedy-bot"].ID: gl.MaintainerPermissions}
	return p
}

// gitOwner is the fake GitHub owner that hosts project full's git.
func gitOwner(full string) (string, string) {
	ns, name, _ := cutLast(full)
	return strings.ReplaceAll(ns, "/", "-"), name
}

func (f *fakeGitLab) client(t *testing.T) *Client {
	t.Helper()
	c, err := New(Options{URL: f.srv.URL, Token: fakeToken, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (f *fakeGitLab) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.log)
}

func (f *fakeGitLab) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fakeGitLab) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("PRIVATE-TOKEN") != fakeToken {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "401 Unauthorized"})
		return
	}
	raw := strings.TrimPrefix(r.URL.EscapedPath(), "/api/v4/")
	var seg []string
	for _, s := range strings.Split(raw, "/") {
		u, _ := url.PathUnescape(s)
		seg = append(seg, u)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = append(f.log, r.Method+" /"+strings.Join(seg, "/"))
	var body map[string]any
	if b, _ := io.ReadAll(r.Body); len(b) > 0 {
		json.Unmarshal(b, &body)
	}
	notFound := func() { writeJSON(w, http.StatusNotFound, map[string]string{"message": "404 Not found"}) }
	q := r.URL.Query()
	switch {
	case r.Method == "GET" && len(seg) == 1 && seg[0] == "user":
		writeJSON(w, 200, f.users["remedy-bot"])
	case r.Method == "GET" && len(seg) == 1 && seg[0] == "users":
		var out []*gl.User
		if u, ok := f.users[q.Get("username")]; ok {
			out = append(out, u)
		}
		writeJSON(w, 200, out)
	case r.Method == "GET" && len(seg) == 3 && seg[0] == "groups" && seg[2] == "projects":
		fulls, ok := f.groups[seg[1]]
		if !ok {
			notFound()
			return
		}
		var out []*gl.Project
		for _, full := range fulls {
			if q.Get("include_subgroups") == "true" || !strings.Contains(strings.TrimPrefix(full, seg[1]+"/"), "/") {
				out = append(out, f.projects[full])
			}
		}
		writeJSON(w, 200, out)
	case r.Method == "GET" && len(seg) == 3 && seg[0] == "users" && seg[2] == "projects":
		var out []*gl.Project
		for full, p := range f.projects {
			if ns, _, _ := cutLast(full); ns == seg[1] {
				out = append(out, p)
			}
		}
		writeJSON(w, 200, out)
	case len(seg) >= 2 && seg[0] == "projects":
		p, ok := f.projects[seg[1]]
		if !ok {
			notFound()
			return
		}
		f.project(w, r, p, seg[2:], body, notFound)
	default:
		notFound()
	}
}

func (f *fakeGitLab) mr(p *gl.Project, iid string) *gl.MergeRequest {
	n, _ := strconv.ParseInt(iid, 10, 64)
	for _, mr := range f.mrs[p.PathWithNamespace] {
		if mr.IID == n {
			return mr
		}
	}
	return nil
}

func strOf(v any) string { s, _ := v.(string); return s }

func (f *fakeGitLab) project(w http.ResponseWriter, r *http.Request, p *gl.Project, seg []string, body map[string]any, notFound func()) {
	full := p.PathWithNamespace
	owner, name := gitOwner(full)
	q := r.URL.Query()
	switch {
	case len(seg) == 0 && r.Method == "GET":
		writeJSON(w, 200, p)
	case len(seg) >= 1 && seg[0] == "issues":
		f.projectIssues(w, r, full, seg, body, notFound)
	case len(seg) == 1 && seg[0] == "merge_requests" && r.Method == "GET":
		out := []*gl.BasicMergeRequest{}
		for _, mr := range f.mrs[full] {
			f.syncHead(mr)
			if (q.Get("source_branch") == "" || q.Get("source_branch") == mr.SourceBranch) && (q.Get("state") == "all" || q.Get("state") == mr.State) {
				out = append(out, &mr.BasicMergeRequest)
			}
		}
		writeJSON(w, 200, out)
	case len(seg) == 1 && seg[0] == "merge_requests" && r.Method == "POST":
		src, tgt := strOf(body["source_branch"]), strOf(body["target_branch"])
		for _, mr := range f.mrs[full] {
			if mr.State == "opened" && mr.SourceBranch == src {
				writeJSON(w, http.StatusConflict, map[string][]string{"message": {"Another open merge request already exists for this source branch: !" + strconv.FormatInt(mr.IID, 10)}})
				return
			}
		}
		if f.git.BranchSHA(owner, name, src) == "" {
			writeJSON(w, http.StatusUnprocessableEntity, map[string][]string{"message": {"Source branch does not exist"}})
			return
		}
		now := time.Now()
		iid := int64(len(f.mrs[full]) + 1)
		mr := &gl.MergeRequest{BasicMergeRequest: gl.BasicMergeRequest{
			ID: f.id(), IID: iid, ProjectID: p.ID, SourceProjectID: p.ID, TargetProjectID: p.ID,
			Title: strOf(body["title"]), Description: strOf(body["description"]), State: "opened",
			SourceBranch: src, TargetBranch: tgt, CreatedAt: &now, Labels: gl.Labels{},
			WebURL: p.WebURL + "/-/merge_requests/" + strconv.FormatInt(iid, 10),
		}}
		f.syncHead(mr)
		f.mrs[full] = append(f.mrs[full], mr)
		writeJSON(w, http.StatusCreated, mr)
	case len(seg) == 2 && seg[0] == "merge_requests":
		mr := f.mr(p, seg[1])
		if mr == nil {
			notFound()
			return
		}
		if r.Method == "PUT" {
			if v, ok := body["title"]; ok {
				mr.Title = strOf(v)
			}
			if v, ok := body["description"]; ok {
				mr.Description = strOf(v)
			}
			if strOf(body["state_event"]) == "close" {
				mr.State = "closed"
			}
			if v := strOf(body["add_labels"]); v != "" {
				for _, l := range strings.Split(v, ",") {
					if !slices.Contains(mr.Labels, l) {
						mr.Labels = append(mr.Labels, l)
					}
				}
			}
			for key, dst := range map[string]*[]*gl.BasicUser{"reviewer_ids": &mr.Reviewers, "assignee_ids": &mr.Assignees} {
				ids, ok := body[key].([]any)
				if !ok {
					continue
				}
				*dst = nil
				for _, id := range ids {
					for _, u := range f.users {
						if float64(u.ID) == id {
							*dst = append(*dst, &gl.BasicUser{ID: u.ID, Username: u.Username})
						}
					}
				}
			}
		}
		f.syncHead(mr)
		mr.DiffRefs = gl.MergeRequestDiffRefs{BaseSha: f.git.BranchSHA(owner, name, mr.TargetBranch), StartSha: f.git.BranchSHA(owner, name, mr.TargetBranch), HeadSha: mr.SHA}
		writeJSON(w, 200, mr)
	case len(seg) >= 3 && seg[0] == "merge_requests" && seg[2] == "notes":
		mr := f.mr(p, seg[1])
		if mr == nil {
			notFound()
			return
		}
		if f.notes[full] == nil {
			f.notes[full] = map[int64][]*gl.Note{}
		}
		switch {
		case r.Method == "POST" && len(seg) == 3:
			n := &gl.Note{ID: f.id(), Body: strOf(body["body"]), Author: gl.NoteAuthor{Username: "remedy-bot"}, NoteableIID: mr.IID}
			f.notes[full][mr.IID] = append(f.notes[full][mr.IID], n)
			writeJSON(w, http.StatusCreated, n)
		case r.Method == "GET" && len(seg) == 3:
			out := f.notes[full][mr.IID]
			if out == nil {
				out = []*gl.Note{}
			}
			writeJSON(w, 200, out)
		case len(seg) == 4:
			id, _ := strconv.ParseInt(seg[3], 10, 64)
			for _, n := range f.notes[full][mr.IID] {
				if n.ID == id {
					if r.Method == "PUT" {
						n.Body = strOf(body["body"])
					}
					writeJSON(w, 200, n)
					return
				}
			}
			notFound()
		default:
			notFound()
		}
	case len(seg) == 3 && seg[0] == "merge_requests" && seg[2] == "discussions" && r.Method == "POST":
		mr := f.mr(p, seg[1])
		var d gl.CreateMergeRequestDiscussionOptions
		b, _ := json.Marshal(body)
		json.Unmarshal(b, &d)
		inDiff := false
		if mr != nil && d.Position != nil && d.Position.NewPath != nil {
			_, inDiff = f.git.ReadFile(owner, name, mr.SourceBranch, *d.Position.NewPath)
		}
		if !inDiff || d.Position.HeadSHA == nil || *d.Position.HeadSHA != mr.SHA {
			writeJSON(w, http.StatusBadRequest, map[string]string{"message": "400 Bad request - Note {:line_code=>[\"can't be blank\"]}"})
			return
		}
		if f.discussions[full] == nil {
			f.discussions[full] = map[int64][]gl.CreateMergeRequestDiscussionOptions{}
		}
		f.discussions[full][mr.IID] = append(f.discussions[full][mr.IID], d)
		writeJSON(w, http.StatusCreated, &gl.Discussion{ID: fmt.Sprint(f.id()), Notes: []*gl.Note{{Body: *d.Body}}})
	case len(seg) == 3 && seg[0] == "repository" && seg[1] == "branches" && r.Method == "GET":
		sha := f.git.BranchSHA(owner, name, seg[2])
		if sha == "" {
			notFound()
			return
		}
		writeJSON(w, 200, &gl.Branch{Name: seg[2], Commit: &gl.Commit{ID: sha}})
	case len(seg) == 3 && seg[0] == "repository" && seg[1] == "branches" && r.Method == "DELETE":
		if f.git.BranchSHA(owner, name, seg[2]) == "" {
			notFound()
			return
		}
		if _, err := f.git.Client(fakeToken).Git.DeleteRef(context.Background(), owner, name, "heads/"+seg[2]); err != nil {
			f.t.Errorf("delete branch: %v", err)
		}
		w.WriteHeader(http.StatusNoContent)
	case len(seg) == 3 && seg[0] == "members" && seg[1] == "all" && r.Method == "GET":
		id, _ := strconv.ParseInt(seg[2], 10, 64)
		lvl, ok := f.members[full][id]
		if !ok {
			notFound()
			return
		}
		writeJSON(w, 200, &gl.ProjectMember{ID: id, AccessLevel: lvl})
	case len(seg) == 2 && seg[0] == "statuses" && r.Method == "POST":
		var st gl.SetCommitStatusOptions
		b, _ := json.Marshal(body)
		json.Unmarshal(b, &st)
		f.statuses[seg[1]] = append(f.statuses[seg[1]], st)
		writeJSON(w, http.StatusCreated, &gl.CommitStatus{ID: f.id(), SHA: seg[1], Status: string(st.State)})
	default:
		notFound()
	}
}

// syncHead keeps an open merge request's head at its branch's tip.
func (f *fakeGitLab) syncHead(mr *gl.MergeRequest) {
	if mr.State != "opened" {
		return
	}
	for full, p := range f.projects {
		if p.ID == mr.ProjectID {
			owner, name := gitOwner(full)
			if sha := f.git.BranchSHA(owner, name, mr.SourceBranch); sha != "" {
				mr.SHA = sha
			} else {
				// GitLab keeps a merge request open without its branch.
				mr.SHA = ""
			}
		}
	}
}

// projectIssues serves a project's issues: the list (author_username,
// state, order_by created_at, sort), create, and update (title,
// description, state_event), in client-go's types. Issue IIDs are the
// project's own sequence, apart from merge requests', as on GitLab.
func (f *fakeGitLab) projectIssues(w http.ResponseWriter, r *http.Request, full string, seg []string, body map[string]any, notFound func()) {
	q := r.URL.Query()
	switch {
	case len(seg) == 1 && r.Method == "GET":
		out := []*gl.Issue{}
		for _, i := range f.issues[full] {
			if (q.Get("author_username") == "" || q.Get("author_username") == i.Author.Username) && (q.Get("state") == "" || q.Get("state") == "all" || q.Get("state") == i.State) {
				out = append(out, i)
			}
		}
		if q.Get("sort") != "asc" {
			slices.Reverse(out)
		}
		writeJSON(w, 200, out)
	case len(seg) == 1 && r.Method == "POST":
		now := time.Now()
		u := f.users["remedy-bot"]
		i := &gl.Issue{
			ID: f.id(), IID: int64(len(f.issues[full]) + 1), State: "opened", Title: strOf(body["title"]), Description: strOf(body["description"]),
			Author: &gl.IssueAuthor{ID: u.ID, Username: u.Username, Name: u.Name}, CreatedAt: &now, UpdatedAt: &now,
		}
		i.WebURL = fmt.Sprintf("%s/%s/-/issues/%d", f.srv.URL, full, i.IID)
		f.issues[full] = append(f.issues[full], i)
		writeJSON(w, http.StatusCreated, i)
	case len(seg) == 2 && r.Method == "PUT":
		n, _ := strconv.ParseInt(seg[1], 10, 64)
		for _, i := range f.issues[full] {
			if i.IID != n {
				continue
			}
			if v, ok := body["title"]; ok {
				i.Title = strOf(v)
			}
			if v, ok := body["description"]; ok {
				i.Description = strOf(v)
			}
			switch strOf(body["state_event"]) {
			case "close":
				i.State = "closed"
			case "reopen":
				i.State = "opened"
			}
			writeJSON(w, 200, i)
			return
		}
		notFound()
	default:
		notFound()
	}
}

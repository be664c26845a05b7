// Package giteatest connects end-to-end tests to a real Gitea server that
// hack/gitea.sh started (.ci/run does), and seeds repositories on it
// through Gitea's own API.
//
//	eval "$(hack/gitea.sh start | sed 's/^/export /')"
//	go test -tags e2e -run '^TestE2E' ./...
package giteatest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Environment set by hack/gitea.sh start.
const (
	EnvURL   = "REMEDY_E2E_GITEA_URL"
	EnvToken = "REMEDY_E2E_GITEA_TOKEN"
	EnvUser  = "REMEDY_E2E_GITEA_USER"
)

// Server is a running Gitea, as its admin sees it.
type Server struct {
	URL   string // web base URL, ending in "/"
	Token string // the admin's token, also its git password
	User  string // the admin's login
	t     *testing.T
}

// Connect returns the server that the environment names, or skips the
// test when there is none.
func Connect(t *testing.T) *Server {
	t.Helper()
	u, tok := os.Getenv(EnvURL), os.Getenv(EnvToken)
	if u == "" || tok == "" {
		t.Skipf("%s and %s are unset: start Gitea with hack/gitea.sh start (the gitea binary is built once by hack/gitea.sh build) and export what it prints", EnvURL, EnvToken)
	}
	user := os.Getenv(EnvUser)
	if user == "" {
		user = "remedy-admin"
	}
	return &Server{URL: strings.TrimSuffix(u, "/") + "/", Token: tok, User: user, t: t}
}

// API calls the API as the admin, failing the test on an error answer
// unless status lists the answer's code; it returns the code.
func (s *Server) API(method, path string, in, out any, status ...int) int {
	s.t.Helper()
	return s.APIAs("", method, path, in, out, status...)
}

// APIAs calls the API as user (the admin acting for them with Gitea's
// Sudo header; "" is the admin).
func (s *Server) APIAs(user, method, path string, in, out any, status ...int) int {
	s.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			s.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.URL+"api/v1/"+strings.TrimPrefix(path, "/"), body)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+s.Token)
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.Header.Set("Sudo", user)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	ok := resp.StatusCode < 300
	for _, st := range status {
		ok = ok || resp.StatusCode == st
	}
	if !ok {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	if out != nil && resp.StatusCode < 300 && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
	return resp.StatusCode
}

var seq atomic.Int64

// CreateRepo creates a repository of the admin, with a unique name that
// starts with prefix and files (path → content) committed on main, and
// returns its name.
func (s *Server) CreateRepo(prefix string, files map[string]string) string {
	s.t.Helper()
	name := fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, seq.Add(1))
	s.API(http.MethodPost, "user/repos", map[string]any{"name": name, "auto_init": true, "default_branch": "main", "readme": "Default"}, nil)
	s.Commit(name, "main", files, "add the manifests")
	return name
}

// Commit commits files (path → content; "" deletes) on branch of the
// admin's repository name through the contents API.
func (s *Server) Commit(name, branch string, files map[string]string, message string) {
	s.t.Helper()
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var ops []map[string]any
	for _, p := range paths {
		var existing struct {
			SHA string `json:"sha"`
		}
		code := s.API(http.MethodGet, "repos/"+s.User+"/"+name+"/contents/"+p+"?ref="+url.QueryEscape(branch), nil, &existing, http.StatusNotFound)
		op := map[string]any{"path": p, "content": base64.StdEncoding.EncodeToString([]byte(files[p]))}
		switch {
		case files[p] == "":
			op["operation"], op["sha"] = "delete", existing.SHA
		case code == http.StatusNotFound:
			op["operation"] = "create"
		default:
			op["operation"], op["sha"] = "update", existing.SHA
		}
		ops = append(ops, op)
	}
	s.API(http.MethodPost, "repos/"+s.User+"/"+name+"/contents", map[string]any{"branch": branch, "message": message, "files": ops}, nil)
}

// CreateUser creates a user with a unique name that starts with prefix and
// makes them a collaborator of the admin's repository repo with
// permission (read, write, admin); it returns the login.
func (s *Server) CreateUser(prefix, repo, permission string) string {
	s.t.Helper()
	login := fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e9, seq.Add(1))
	s.API(http.MethodPost, "admin/users", map[string]any{
		"username": login, "email": login + "@example.test", "password": "remedy-e2e-Passw0rd!", "must_change_password": false,
	}, nil)
	s.API(http.MethodPut, "repos/"+s.User+"/"+repo+"/collaborators/"+login, map[string]string{"permission": permission}, nil)
	return login
}

// PullRequest is what tests read of a pull request.
type PullRequest struct {
	Number int    `json:"number"`
	State  string `json:"state"`
	Title  string `json:"title"`
	Body   string `json:"body"`
	Head   struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	} `json:"head"`
	Labels []struct {
		Name string `json:"name"`
	} `json:"labels"`
}

// PullRequests lists every pull request of the admin's repository name.
func (s *Server) PullRequests(name string) []PullRequest {
	s.t.Helper()
	var out []PullRequest
	s.API(http.MethodGet, "repos/"+s.User+"/"+name+"/pulls?state=all&limit=50", nil, &out)
	return out
}

// BranchSHA is the head of branch, or "" when there is none.
func (s *Server) BranchSHA(name, branch string) string {
	s.t.Helper()
	var b struct {
		Commit struct {
			ID string `json:"id"`
		} `json:"commit"`
	}
	if s.API(http.MethodGet, "repos/"+s.User+"/"+name+"/branches/"+branch, nil, &b, http.StatusNotFound) == http.StatusNotFound {
		return ""
	}
	return b.Commit.ID
}

// File reads path at ref.
func (s *Server) File(name, ref, path string) string {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"api/v1/repos/"+s.User+"/"+name+"/raw/"+path+"?ref="+url.QueryEscape(ref), nil)
	req.Header.Set("Authorization", "token "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

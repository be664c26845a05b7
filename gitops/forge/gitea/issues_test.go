package gitea

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/remedy-bot/remedy/gitops"
)

// The issue calls of the dashboard, against answers in the shapes Gitea
// 1.26 sends (recorded from the e2e server, trimmed to the fields read).
func TestIssues(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.Path+"?"+r.URL.RawQuery+" "+string(b))
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch r.Method + " " + r.URL.Path {
		case "GET /api/v1/user":
			w.Write([]byte(`{"id":1,"login":"remedy-bot","full_name":"","email":"remedy-bot@example.com"}`))
		case "GET /api/v1/repos/acme/shop/issues":
			w.Header().Set("X-Total-Count", "3")
			w.Write([]byte(`[
 {"id":9,"number":5,"user":{"id":1,"login":"remedy-bot"},"title":"remedy security dashboard","body":"x\n<!-- remedy:dashboard -->\n","state":"open","html_url":"http://gitea/acme/shop/issues/5","pull_request":null},
 {"id":8,"number":4,"user":{"id":2,"login":"alice"},"title":"copy","body":"<!-- remedy:dashboard -->","state":"open","html_url":"http://gitea/acme/shop/issues/4","pull_request":null},
 {"id":7,"number":2,"user":{"id":1,"login":"remedy-bot"},"title":"old","body":"<!-- remedy:dashboard -->","state":"closed","html_url":"http://gitea/acme/shop/issues/2","pull_request":null}]`))
		case "POST /api/v1/repos/acme/shop/issues":
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"id":10,"number":6,"user":{"login":"remedy-bot"},"title":"t","body":"b","state":"open","html_url":"http://gitea/acme/shop/issues/6","pull_request":null}`))
		case "PATCH /api/v1/repos/acme/shop/issues/5":
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"number":5,"state":"open"}`))
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"not found"}`))
		}
	}))
	defer srv.Close()
	c, err := New(Options{URL: srv.URL, Token: "tok", Sleep: noSleep})
	if err != nil {
		t.Fatal(err)
	}
	f := c.Repo("acme", "shop")
	ctx := context.Background()
	found, err := f.FindIssues(ctx, gitops.DashboardMarker)
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	for _, i := range found {
		nums = append(nums, i.Number)
	}
	if !slices.Equal(nums, []int{2, 5}) || found[1].URL != "http://gitea/acme/shop/issues/5" || found[0].State != "closed" {
		t.Errorf("found %+v", found)
	}
	if is, err := f.CreateIssue(ctx, "t", "b"); err != nil || is.Number != 6 {
		t.Errorf("create: %+v, %v", is, err)
	}
	for _, err := range []error{f.EditIssue(ctx, 5, "t", "b"), f.CloseIssue(ctx, 5), f.ReopenIssue(ctx, 5)} {
		if err != nil {
			t.Error(err)
		}
	}
	// A second search does not ask who the bot is again.
	if _, err := f.FindIssues(ctx, gitops.DashboardMarker); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /api/v1/user? ",
		"GET /api/v1/repos/acme/shop/issues?created_by=remedy-bot&limit=50&page=1&state=all&type=issues ",
		`POST /api/v1/repos/acme/shop/issues? {"body":"b","title":"t"}`,
		`PATCH /api/v1/repos/acme/shop/issues/5? {"body":"b","title":"t"}`,
		`PATCH /api/v1/repos/acme/shop/issues/5? {"state":"closed"}`,
		`PATCH /api/v1/repos/acme/shop/issues/5? {"state":"open"}`,
		"GET /api/v1/repos/acme/shop/issues?created_by=remedy-bot&limit=50&page=1&state=all&type=issues ",
	}
	if !slices.Equal(calls, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(calls, "\n"), strings.Join(want, "\n"))
	}
	if tr := f.Traits(); tr.BlobPath != "/src/branch/" || tr.PullRequestPrefix != "#" {
		t.Errorf("traits %+v", tr)
	}
}

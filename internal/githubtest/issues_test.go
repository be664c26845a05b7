package githubtest_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-github/v89/github"
)

// Issues as GitHub serves them: numbered with the pull requests, listed
// with them (filtered by state and creator), edited, closed and reopened;
// a person without push access cannot edit someone else's.
func TestIssues(t *testing.T) {
	s, gh := setup(t)
	ctx := context.Background()
	s.CommitFiles("acme", "widget", "fix", map[string]string{"README.md": "# fixed\n"}, "fix")
	if _, _, err := gh.PullRequests.Create(ctx, "acme", "widget", &github.NewPullRequest{Title: github.Ptr("fix"), Head: github.Ptr("fix"), Base: github.Ptr("main")}); err != nil {
		t.Fatal(err)
	}
	is, resp, err := gh.Issues.Create(ctx, "acme", "widget", &github.IssueRequest{Title: github.Ptr("dash"), Body: github.Ptr("body")})
	if err != nil || resp.StatusCode != http.StatusCreated || is.GetNumber() != 2 || is.GetUser().GetLogin() != "remedy-bot" || is.IsPullRequest() {
		t.Fatalf("create: %+v, %v", is, err)
	}
	if _, _, err := gh.Issues.Create(ctx, "acme", "widget", &github.IssueRequest{Title: github.Ptr(" ")}); err == nil {
		t.Error("an issue without a title was created")
	}
	list := func(o *github.IssueListByRepoOptions) (n []int) {
		t.Helper()
		got, _, err := gh.Issues.ListByRepo(ctx, "acme", "widget", o)
		if err != nil {
			t.Fatal(err)
		}
		for _, i := range got {
			n = append(n, i.GetNumber())
		}
		return n
	}
	if got := list(&github.IssueListByRepoOptions{State: "all", Direction: "asc"}); len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("all, oldest first: %v", got)
	}
	if got := list(&github.IssueListByRepoOptions{State: "all", Creator: "alice"}); len(got) != 0 {
		t.Errorf("by alice: %v", got)
	}
	if _, _, err := gh.Issues.Edit(ctx, "acme", "widget", 2, &github.IssueRequest{State: github.Ptr("closed"), StateReason: github.Ptr("not_planned")}); err != nil {
		t.Fatal(err)
	}
	if got := list(&github.IssueListByRepoOptions{}); len(got) != 1 || got[0] != 1 {
		t.Errorf("open: %v", got)
	}
	got, _, err := gh.Issues.Get(ctx, "acme", "widget", 2)
	if err != nil || got.GetState() != "closed" || got.GetStateReason() != "not_planned" {
		t.Errorf("closed issue: %+v, %v", got, err)
	}
	s.AddToken("reader-token", "reader")
	s.SetPermission("acme", "widget", "reader", "read")
	if _, resp, err := s.Client("reader-token").Issues.Edit(ctx, "acme", "widget", 2, &github.IssueRequest{Body: github.Ptr("mine")}); err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("a reader edited remedy's issue: %v", err)
	}
	s.EditIssueBody("acme", "widget", 2, "edited on the web")
	if i := s.Issues("acme", "widget"); len(i) != 1 || i[0].GetBody() != "edited on the web" {
		t.Errorf("Issues: %+v", i)
	}
}

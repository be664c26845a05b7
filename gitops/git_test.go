package gitops

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/githubtest"
)

// testToken authenticates against the fake GitHub.
const testToken = "ghp_remedytest"

func newGitServer(t *testing.T) *githubtest.Server {
	t.Helper()
	s := githubtest.New(t)
	s.AddToken(testToken, "remedy-bot")
	s.CreateRepo("acme", "widget", map[string]string{
		"README.md":           "# widget\n",
		"deploy/web.yaml":     "kind: Deployment\n",
		"deploy/db/db.yaml":   "kind: StatefulSet\n",
		"deploy/zz/keep.yaml": "keep: true\n",
	})
	return s
}

func cloneWidget(t *testing.T, s *githubtest.Server) *Workspace {
	t.Helper()
	w, err := Clone(context.Background(), CloneOptions{URL: s.CloneURL("acme", "widget"), Branch: "main", Token: testToken})
	if err != nil {
		t.Fatalf("clone: %v", err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestCloneCommitPush(t *testing.T) {
	s := newGitServer(t)
	ctx := context.Background()
	w := cloneWidget(t, s)

	if w.BaseHead() != s.BranchSHA("acme", "widget", "main") {
		t.Fatalf("base head %s, want main's %s", w.BaseHead(), s.BranchSHA("acme", "widget", "main"))
	}
	if b, err := w.ReadFile("deploy/web.yaml"); err != nil || string(b) != "kind: Deployment\n" {
		t.Fatalf("working tree: %q, %v", b, err)
	}
	if _, err := w.ReadFile("../../etc/passwd"); err == nil {
		t.Error("ReadFile escaped the repository")
	}
	cfg, err := os.ReadFile(filepath.Join(w.Dir, ".git", "config"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cfg), testToken) {
		t.Fatalf(".git/config holds the token:\n%s", cfg)
	}

	files := map[string][]byte{
		"deploy/web.yaml":   []byte("kind: Deployment\nfixed: true\n"),
		"deploy/db/db.yaml": []byte("kind: StatefulSet\nfixed: true\n"),
	}
	c1, err := w.Commit(files, "fix(security): harden\n", DefaultBot())
	if err != nil {
		t.Fatal(err)
	}
	c2, err := w.Commit(files, "fix(security): harden\n", DefaultBot())
	if err != nil {
		t.Fatal(err)
	}
	if c1.SHA != c2.SHA {
		t.Errorf("the same commit twice gave %s and %s; commits must be deterministic", c1.SHA, c2.SHA)
	}
	if len(c1.Parents) != 1 || c1.Parents[0] != w.BaseHead() || c1.Author != DefaultBot() || c1.Committer != DefaultBot() {
		t.Errorf("commit %+v: want one parent (the base) and the bot as author and committer", c1)
	}

	if err := w.Push(ctx, "remedy/security-fixes", c1.SHA, ""); err != nil {
		t.Fatalf("push: %v", err)
	}
	if got := s.BranchSHA("acme", "widget", "remedy/security-fixes"); got != c1.SHA {
		t.Fatalf("remote branch at %s, pushed %s", got, c1.SHA)
	}
	for p, want := range map[string]string{
		"deploy/web.yaml": "kind: Deployment\nfixed: true\n", "deploy/db/db.yaml": "kind: StatefulSet\nfixed: true\n",
		"deploy/zz/keep.yaml": "keep: true\n", "README.md": "# widget\n",
	} {
		if got, ok := s.ReadFile("acme", "widget", "remedy/security-fixes", p); !ok || got != want {
			t.Errorf("%s on the branch = %q, want %q", p, got, want)
		}
	}

	// A second run sees the branch, and the same fixes give the same commit.
	w2 := cloneWidget(t, s)
	if head, ok := w2.RemoteHead("remedy/security-fixes"); !ok || head != c1.SHA {
		t.Fatalf("remote head %q %v", head, ok)
	}
	if got := w2.RemoteBranches("remedy/"); len(got) != 1 || got[0] != "remedy/security-fixes" {
		t.Errorf("remote branches %v", got)
	}
	info, err := w2.Inspect(ctx, "remedy/security-fixes")
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA != c1.SHA || info.Tree != c1.Tree || info.Author != DefaultBot() || info.Message != "fix(security): harden\n" {
		t.Errorf("inspected %+v, want %+v", info, c1)
	}
	if c3, err := w2.Commit(files, "fix(security): harden\n", DefaultBot()); err != nil || c3.SHA != c1.SHA {
		t.Errorf("recomputed commit %s, %v; want %s", c3.SHA, err, c1.SHA)
	}

	// The base moves: the branch is rebuilt on it and force-pushed.
	s.CommitFiles("acme", "widget", "main", map[string]string{"README.md": "# widget 2\n"}, "docs")
	w3 := cloneWidget(t, s)
	c4, err := w3.Commit(files, "fix(security): harden\n", DefaultBot())
	if err != nil {
		t.Fatal(err)
	}
	if c4.Parents[0] != s.BranchSHA("acme", "widget", "main") || c4.SHA == c1.SHA {
		t.Fatalf("rebuilt commit %+v", c4)
	}
	if err := w3.Push(ctx, "remedy/security-fixes", c4.SHA, c1.SHA); err != nil {
		t.Fatalf("force push: %v", err)
	}
	if got, _ := s.ReadFile("acme", "widget", "remedy/security-fixes", "README.md"); got != "# widget 2\n" {
		t.Errorf("rebuilt branch README %q", got)
	}

	// Somebody pushes meanwhile: the lease refuses to overwrite them.
	human := s.CommitFiles("acme", "widget", "remedy/security-fixes", map[string]string{"deploy/web.yaml": "human\n"}, "tweak")
	c5, err := w.Commit(map[string][]byte{"deploy/web.yaml": []byte("other\n")}, "x\n", DefaultBot())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Push(ctx, "remedy/security-fixes", c5.SHA, c4.SHA); !errors.Is(err, ErrLeaseBroken) {
		t.Errorf("push over a human commit: %v, want ErrLeaseBroken", err)
	}
	if err := w.Push(ctx, "remedy/security-fixes", c5.SHA, ""); err == nil {
		t.Error("creating a branch that exists succeeded")
	}
	if got := s.BranchSHA("acme", "widget", "remedy/security-fixes"); got != human {
		t.Errorf("branch at %s, want the human's %s", got, human)
	}
}

func TestCloneKeepsTheTokenOutOfErrors(t *testing.T) {
	s := newGitServer(t)
	_, err := Clone(context.Background(), CloneOptions{URL: s.CloneURL("acme", "widget"), Branch: "main", Token: "ghp_wrongsecret"})
	if err == nil || strings.Contains(err.Error(), "ghp_wrongsecret") {
		t.Errorf("clone with a bad token: %v", err)
	}
	u := strings.Replace(s.CloneURL("acme", "widget"), "http://", "http://x:"+testToken+"@", 1)
	_, err = Clone(context.Background(), CloneOptions{URL: u, Branch: "main", Token: testToken})
	if err == nil || strings.Contains(err.Error(), testToken) {
		t.Errorf("clone URL with credentials: %v", err)
	}
	_, err = Clone(context.Background(), CloneOptions{URL: s.CloneURL("acme", "widget"), Branch: "nope", Token: testToken})
	if err == nil {
		t.Error("cloning a missing branch succeeded")
	}
}

// Two overlapping runs that push the same commit both succeed: the second
// one's lease is stale, but the branch is at its very commit. (When the two
// pushes meet inside the server, receive-pack refuses the second with
// "failed to update ref"; Push then lists the remote again and finds its
// commit there, which this sequential test cannot provoke.) A different
// commit is still refused.
func TestPushOfTheSameCommitByTwoRuns(t *testing.T) {
	s := newGitServer(t)
	old := s.CommitFiles("acme", "widget", "remedy/security-fixes", map[string]string{"deploy/web.yaml": "kind: Deployment # old fix\n"}, "old fix")
	a, b := cloneWidget(t, s), cloneWidget(t, s)
	defer a.Close()
	defer b.Close()
	files := map[string][]byte{"deploy/web.yaml": []byte("kind: Deployment # fixed\n")}
	ca, err := a.Commit(files, "fix", DefaultBot())
	if err != nil {
		t.Fatal(err)
	}
	cb, err := b.Commit(files, "fix", DefaultBot())
	if err != nil || cb.SHA != ca.SHA {
		t.Fatalf("commits %s and %s differ (%v)", ca.SHA, cb.SHA, err)
	}
	ctx := context.Background()
	if err := a.Push(ctx, "remedy/security-fixes", ca.SHA, old); err != nil {
		t.Fatal(err)
	}
	if err := b.Push(ctx, "remedy/security-fixes", cb.SHA, old); err != nil {
		t.Errorf("the second push of the same commit: %v", err)
	}
	other, err := b.Commit(map[string][]byte{"deploy/web.yaml": []byte("other\n")}, "fix", DefaultBot())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Push(ctx, "remedy/security-fixes", other.SHA, old); !errors.Is(err, ErrLeaseBroken) {
		t.Errorf("a push of another commit over a moved branch: %v, want ErrLeaseBroken", err)
	}
}

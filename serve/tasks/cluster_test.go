package tasks

import (
	"context"
	"testing"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/clustersweep"
)

// nullHost is a gitops.Host for tests that never call it.
type nullHost struct{ name string }

func (nullHost) Repository(context.Context, string, string) (gitops.RepoInfo, error) {
	return gitops.RepoInfo{}, nil
}
func (nullHost) Forge(string, string) gitops.Forge { return nil }

// A cluster sweep gives each source the forge its URL's host names, and
// a GitLab project its whole namespace.
func TestForgeOfClusterTargets(t *testing.T) {
	gh, gl, gt := nullHost{"github"}, nullHost{"gitlab"}, nullHost{"gitea"}
	h := NewHandler(Options{
		Forge: gh, ForgeHost: "github.com",
		Forges:     map[string]gitops.Host{SourceGitLab: gl, SourceGitea: gt},
		ForgeHosts: map[string]string{SourceGitLab: "gitlab.example.com", SourceGitea: "git.example.com:3000"},
	})
	for _, tc := range []struct {
		url, forge, owner, name string
	}{
		{"https://github.com/acme/shop.git", "github", "acme", "shop"},
		{"git@github.com:acme/shop.git", "github", "acme", "shop"},
		{"https://gitlab.example.com/acme/platform/shop.git", "gitlab", "acme/platform", "shop"},
		{"ssh://git@gitlab.example.com/acme/platform/shop.git", "gitlab", "acme/platform", "shop"},
		{"http://git.example.com:3000/acme/shop", "gitea", "acme", "shop"},
		{"https://bitbucket.org/acme/shop.git", "", "", ""},
	} {
		f, tg, ok := h.forgeOf(clustersweep.Target{RepoURL: tc.url})
		got := ""
		if ok {
			got = f.client.(nullHost).name
		}
		if got != tc.forge || tg.Owner != tc.owner || tg.Name != tc.name {
			t.Errorf("%s: forge %q %s/%s, want %q %s/%s", tc.url, got, tg.Owner, tg.Name, tc.forge, tc.owner, tc.name)
		}
	}
}

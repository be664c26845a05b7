package serviceconfig

import (
	"strings"
	"testing"
)

func TestForges(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, wantErr string
	}{
		{"gitea and gitlab", "forges:\n  - {kind: gitea, url: 'https://git.example.com/'}\n  - {kind: gitlab}\n", ""},
		{"forgejo reads as gitea", "forges:\n  - {kind: Forgejo, url: 'https://codeberg.example/'}\n", ""},
		{"gitea without url", "forges:\n  - {kind: gitea}\n", "needs its url"},
		{"unknown kind", "forges:\n  - {kind: bitbucket, url: 'https://b.example/'}\n", `kind "bitbucket"`},
		{"github is not a forge entry", "forges:\n  - {kind: github}\n", "under github:"},
		{"two of a kind", "forges:\n  - {kind: gitlab}\n  - {kind: gitlab, url: 'https://gitlab.example.com/'}\n", "one per kind"},
		{"credentials in the url", "forges:\n  - {kind: gitea, url: 'https://u:p@git.example.com/'}\n", "without credentials"},
		{"a token by value", "forges:\n  - {kind: gitlab, token: glpat-x}\n", ""},
	} {
		c, err := Parse([]byte(tc.yaml))
		switch {
		case tc.wantErr == "" && tc.name == "a token by value":
			if err == nil {
				t.Errorf("%s: a secret written in the config was accepted", tc.name)
			}
		case tc.wantErr == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.wantErr)
		case tc.name == "gitea and gitlab":
			if c.Forges[1].URL != "https://gitlab.com/" || c.Forges[0].Token.Env != EnvGiteaToken || c.Forges[1].WebhookSecret.Env != EnvGitLabWebhookSecret {
				t.Errorf("defaults: %+v %+v", c.Forges[0], c.Forges[1])
			}
		}
	}
}

func TestResolveForges(t *testing.T) {
	c, err := Parse([]byte("forges:\n  - {kind: gitea, url: 'https://git.example.com/'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvGiteaToken: "tok"}
	s, missing, err := c.Resolve(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	// No GitHub token: a Gitea-only server; no webhook secret: its endpoint
	// answers 503.
	if string(s.Forges["gitea"].Token) != "tok" || len(s.GitHubToken) != 0 || len(missing) != 4 {
		t.Errorf("secrets %+v, missing %q", s.Forges, missing)
	}
	delete(env, EnvGiteaToken)
	if _, _, err := c.Resolve(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "token") {
		t.Errorf("no Gitea token: %v", err)
	}
}

package main

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/clustersweep"
	"github.com/remedy-bot/remedy/gitops/forge/gitea"
	"github.com/remedy-bot/remedy/gitops/forge/gitlab"
)

// Forge kinds of --forge.
const (
	forgeGitHub = "github"
	forgeGitLab = "gitlab"
	forgeGitea  = "gitea"
)

// forgeFlags choose the forge of pr and sweep.
type forgeFlags struct {
	kind, url string
}

func (f *forgeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.kind, "forge", "", "the forge the repositories are on: github, gitlab or gitea (Forgejo too) (env REMEDY_FORGE; default github)")
	cmd.Flags().StringVar(&f.url, "forge-url", "", "the forge's web base URL, e.g. https://gitlab.example.com/ (env REMEDY_FORGE_URL; GitHub: GITHUB_API_URL keeps working; default gitlab.com for GitLab; required for Gitea)")
}

// resolve reads the flags, then the environment.
func (f forgeFlags) resolve(inv *invocation) (kind, url string, err error) {
	kind = strings.ToLower(cmp.Or(f.kind, inv.getenv("REMEDY_FORGE"), forgeGitHub))
	url = cmp.Or(f.url, inv.getenv("REMEDY_FORGE_URL"))
	switch kind {
	case forgeGitHub, forgeGitLab, forgeGitea:
	case "forgejo":
		kind = forgeGitea
	default:
		return "", "", fmt.Errorf("--forge %q: want github, gitlab or gitea", kind)
	}
	return kind, url, nil
}

// newForge builds the chosen forge's client. The token source is returned
// for git, which authenticates separately, and host is the forge's host,
// whose repositories a cluster sweep gives pull requests. Every command
// that talks to a forge clones from it, so the temporary clones of killed
// runs are removed once the client is built.
func newForge(inv *invocation, auth authFlags, ff forgeFlags) (client forgeClient, tokens gitops.TokenSource, host string, err error) {
	client, tokens, host, err = newForgeClient(inv, auth, ff)
	if err == nil {
		inv.removeStaleClones()
	}
	return client, tokens, host, err
}

// newForgeClient builds the client of newForge.
func newForgeClient(inv *invocation, auth authFlags, ff forgeFlags) (client forgeClient, tokens gitops.TokenSource, host string, err error) {
	kind, url, err := ff.resolve(inv)
	if err != nil {
		return nil, nil, "", err
	}
	if kind != forgeGitHub && (auth.appID != 0 || auth.keyFile != "") {
		return nil, nil, "", errors.New("--app-id and --app-key-file authenticate a GitHub App; other forges take a token")
	}
	ua := "remedy/" + versionString()
	switch kind {
	case forgeGitea:
		if url == "" {
			return nil, nil, "", errors.New("--forge gitea needs --forge-url (or REMEDY_FORGE_URL), the Gitea server's web address")
		}
		tok := inv.getenv("GITEA_TOKEN")
		c, err := gitea.New(gitea.Options{URL: url, Token: tok, UserAgent: ua, Log: inv.log})
		if err != nil {
			return nil, nil, "", err
		}
		return c, gitops.StaticToken(tok), clustersweep.ForgeHost(url), nil
	case forgeGitLab:
		url = cmp.Or(url, gitlab.DefaultURL)
		tok := inv.getenv("GITLAB_TOKEN")
		c, err := gitlab.New(gitlab.Options{URL: url, Token: tok, UserAgent: ua, Log: inv.log})
		if err != nil {
			return nil, nil, "", err
		}
		return c, gitops.StaticToken(tok), clustersweep.ForgeHost(url), nil
	}
	if url != "" && inv.getenv("GITHUB_API_URL") == "" {
		// --forge-url is the web address; GitHub's API is beside it.
		api := githubAPIURL(url)
		inv = inv.withEnv("GITHUB_API_URL", api)
	}
	gh, tokens, err := newGitHubClient(inv, auth)
	if err != nil {
		return nil, nil, "", err
	}
	return gh, tokens, forgeHost(inv), nil
}

// githubAPIURL is the REST API root of a GitHub at web address web:
// api.github.com for github.com, /api/v3 of an Enterprise Server.
func githubAPIURL(web string) string {
	w := strings.TrimSuffix(web, "/")
	if h := clustersweep.ForgeHost(w); h == "github.com" || h == "api.github.com" {
		return "https://api.github.com"
	}
	return w + "/api/v3"
}

// withEnv is inv with key set to value in its environment.
func (inv *invocation) withEnv(key, value string) *invocation {
	c := *inv
	get := inv.getenv
	c.getenv = func(k string) string {
		if k == key {
			return value
		}
		return get(k)
	}
	return &c
}

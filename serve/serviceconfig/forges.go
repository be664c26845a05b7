package serviceconfig

import (
	"fmt"
	"net/url"
	"strings"
)

// Forge kinds besides GitHub, which has its own section (github:).
const (
	ForgeGitLab = "gitlab"
	ForgeGitea  = "gitea"
)

// Forge is a GitLab or Gitea (Forgejo) instance whose repositories remedy
// serves beside GitHub's: its deliveries come to /webhooks/<kind>, and
// jobs for its repositories use its token.
type Forge struct {
	// Kind is gitlab or gitea (forgejo reads as gitea).
	Kind string `yaml:"kind"`
	// URL is the web base URL; gitlab.com when empty for GitLab, required
	// for Gitea.
	URL string `yaml:"url"`
	// Token authenticates API and git requests; nil means GITLAB_TOKEN or
	// GITEA_TOKEN.
	Token *Secret `yaml:"token"`
	// WebhookSecret verifies deliveries (X-Gitlab-Token, X-Gitea-Signature);
	// nil means REMEDY_GITLAB_WEBHOOK_SECRET or REMEDY_GITEA_WEBHOOK_SECRET.
	// Without one, the endpoint answers 503.
	WebhookSecret *Secret `yaml:"webhookSecret"`
}

// Environment variables of the forges' secrets.
const (
	EnvGitLabToken         = "GITLAB_TOKEN"
	EnvGiteaToken          = "GITEA_TOKEN"
	EnvGitLabWebhookSecret = "REMEDY_GITLAB_WEBHOOK_SECRET"
	EnvGiteaWebhookSecret  = "REMEDY_GITEA_WEBHOOK_SECRET"
)

// checkForges validates forges and fills defaults. One forge per kind:
// its endpoint has one secret to check.
func (c *Config) checkForges() error {
	seen := map[string]bool{}
	for i := range c.Forges {
		f := &c.Forges[i]
		f.Kind = strings.ToLower(f.Kind)
		if f.Kind == "forgejo" {
			f.Kind = ForgeGitea
		}
		switch f.Kind {
		case ForgeGitLab:
			if f.URL == "" {
				f.URL = "https://gitlab.com/"
			}
			if f.Token == nil {
				f.Token = &Secret{Env: EnvGitLabToken}
			}
			if f.WebhookSecret == nil {
				f.WebhookSecret = &Secret{Env: EnvGitLabWebhookSecret}
			}
		case ForgeGitea:
			if f.URL == "" {
				return fmt.Errorf("forges[%d]: a gitea forge needs its url", i)
			}
			if f.Token == nil {
				f.Token = &Secret{Env: EnvGiteaToken}
			}
			if f.WebhookSecret == nil {
				f.WebhookSecret = &Secret{Env: EnvGiteaWebhookSecret}
			}
		case "github":
			return fmt.Errorf("forges[%d]: GitHub is configured under github:, not forges", i)
		default:
			return fmt.Errorf("forges[%d]: kind %q: want gitlab or gitea", i, f.Kind)
		}
		if u, err := url.Parse(f.URL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil {
			return fmt.Errorf("forges[%d]: url %q: want an http(s) URL without credentials", i, f.URL)
		}
		if seen[f.Kind] {
			return fmt.Errorf("forges[%d]: a second %s forge: one per kind", i, f.Kind)
		}
		seen[f.Kind] = true
	}
	return nil
}

// ForgeSecrets are a forge's resolved secrets.
type ForgeSecrets struct {
	Token, WebhookSecret []byte
}

// resolveForges reads the forges' secrets: a token is required, a missing
// webhook secret disables the endpoint (reported in missing).
func (c *Config) resolveForges(getenv func(string) string) (map[string]ForgeSecrets, []string, error) {
	out := map[string]ForgeSecrets{}
	var missing []string
	for _, f := range c.Forges {
		var fs ForgeSecrets
		var err error
		if fs.Token, err = f.Token.Resolve(getenv); err != nil {
			return nil, nil, fmt.Errorf("forges (%s): token: %w", f.Kind, err)
		}
		if fs.WebhookSecret, err = f.WebhookSecret.Resolve(getenv); err != nil {
			missing = append(missing, fmt.Sprintf("forges (%s): webhookSecret: %v", f.Kind, err))
		}
		out[f.Kind] = fs
	}
	return out, missing, nil
}

package serviceconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadDeployConfig(t *testing.T) {
	c, err := Load("../../deploy/serve.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Store != "/var/lib/remedy/remedy.db" || c.Listen != ":8080" {
		t.Errorf("store %q listen %q", c.Store, c.Listen)
	}
	if c.GitHub.Token == nil || c.GitHub.Token.File != "/var/run/secrets/remedy/github-token" {
		t.Errorf("token %+v", c.GitHub.Token)
	}
	if len(c.Schedules) != 1 || time.Duration(c.Schedules[0].Jitter) != 30*time.Minute {
		t.Errorf("schedules %+v", c.Schedules)
	}
	if !c.SlackAllows("U0123ABCD", "C0456EFGH", "fix", "acme/shop") {
		t.Error("the deploy example grants nothing")
	}
	if c.Limits.Workers != 4 || time.Duration(c.Limits.JobTimeout) != 15*time.Minute {
		t.Errorf("limits %+v", c.Limits)
	}
}

// A schedule sweeps every cluster unless it names some, or none.
func TestScheduledClusters(t *testing.T) {
	c, err := Parse([]byte(`clusters:
  - {name: prod, context: prod-eu, namespace: shop}
  - {name: staging, kubeconfig: /etc/remedy/staging.kubeconfig}
schedules:
  - {name: all, cron: "@daily"}
  - {name: prod-only, cron: "@hourly", clusters: [prod]}
  - {name: repositories-only, cron: "@weekly", clusters: []}
`))
	if err != nil {
		t.Fatal(err)
	}
	names := func(cs []Cluster) string {
		var n []string
		for _, c := range cs {
			n = append(n, c.Name)
		}
		return strings.Join(n, ",")
	}
	for schedule, want := range map[string]string{"all": "prod,staging", "prod-only": "prod", "repositories-only": "", "unknown": ""} {
		if got := names(c.ScheduledClusters(schedule)); got != want {
			t.Errorf("%s sweeps %q, want %q", schedule, got, want)
		}
	}
	if p := c.ScheduledClusters("prod-only")[0]; p.Context != "prod-eu" || p.Namespace != "shop" {
		t.Errorf("prod %+v", p)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "listen: :8080\nstroe: x.db\n", "field stroe not found"},
		{"secret written in the config", "github:\n  token: ghp_abcdef\n", "never written in the config"},
		{"secret with both sources", "slack:\n  signingSecret: {env: A, file: /b}\n", "exactly one of env or file"},
		{"secret with no source", "github:\n  webhookSecret: {}\n", "exactly one of env or file"},
		{"bad cron", "schedules:\n  - name: n\n    cron: \"0 25 * * *\"\n", "schedule n"},
		{"bad time zone", "schedules:\n  - name: n\n    cron: \"CRON_TZ=Nowhere/Land 0 2 * * *\"\n", "Nowhere/Land"},
		{"duplicate schedule", "schedules:\n  - {name: n, cron: \"@daily\"}\n  - {name: n, cron: \"@hourly\"}\n", "unique"},
		{"bad jitter", "schedules:\n  - {name: n, cron: \"@daily\", jitter: soon}\n", "not a duration"},
		{"repository not owner/name", "repositories: [shop]\n", "want owner/name"},
		{"owner without name", "owners:\n  - include: [\"*\"]\n", "no name"},
		{"grant without repos", "slack:\n  allow:\n    - commands: [fix]\n", "names repos and commands"},
		{"grant of status", "slack:\n  allow:\n    - {repos: [\"a/*\"], commands: [status]}\n", "only fix and scan"},
		{"grant glob not owner/name", "slack:\n  allow:\n    - {repos: [\"*\"], commands: [fix]}\n", "want owner/name"},
		{"response URL without scheme", "slack:\n  responseURLPrefixes: [hooks.slack.com/]\n", "https://"},
		{"response URL host not closed", "slack:\n  responseURLPrefixes: [\"https://hooks.slack.com\"]\n", "end the host with a slash"},
		{"bad severity", "review:\n  failOn: severe\n", "review.failOn"},
		{"negative workers", "limits:\n  workers: -1\n", "negative"},
		{"bad job memory", "limits:\n  jobMemory: lots\n", "not a size such as 512Mi"},
		{"job memory typo", "limits:\n  jobMemroy: 1Gi\n", "field jobMemroy not found"},
		{"token and app", "github:\n  token: {env: T}\n  app: {id: 1, privateKey: {file: /k}}\n", "use one"},
		{"app without key", "github:\n  app: {id: 1}\n", "needs id"},
		{"cluster without name", "clusters:\n  - {context: prod}\n", "clusters[0]: name"},
		{"cluster name with a slash", "clusters:\n  - {name: eu/prod}\n", "without spaces or slashes"},
		{"cluster named twice", "clusters:\n  - {name: prod}\n  - {name: prod}\n", "used twice"},
		{"schedule of an unknown cluster", "clusters:\n  - {name: prod}\nschedules:\n  - {name: n, cron: \"@daily\", clusters: [staging]}\n", "cluster \"staging\" is not under clusters"},
		{"unknown cluster key", "clusters:\n  - {name: prod, kubecontext: x}\n", "kubecontext"},
		{"typo under images", "images:\n  resolved: true\n", "field resolved not found"},
		{"bad image timeout", "images:\n  timeout: -1s\n", "not a duration"},
		{"budget typo", "limits:\n  workers: 2\n  maxDocument: 10\n", "line 3: field maxDocument not found"},
		{"zero budget", "limits:\n  maxDocuments: 0\n", "line 2: \"0\" is not a positive whole number"},
		{"negative budget", "limits:\n  maxContainers: -5\n", "line 2: \"-5\" is not a positive whole number"},
		{"fractional budget", "limits:\n  maxObjects: 1.5\n", "line 2: \"1.5\" is not a positive whole number"},
		{"budget past its maximum", "limits:\n  maxObjects: 50000000\n", "limits.maxObjects: 50000000 is over the maximum 5000000"},
		{"size budget past its maximum", "limits:\n  helmMaxMemory: 64Gi\n", "limits.helmMaxMemory: 64Gi is over the maximum 16Gi"},
		{"unbounded budget", "limits:\n  maxFileSize: none\n", "limits.maxFileSize: none is not a budget"},
		{"bad size budget", "limits:\n  helmMaxOutput: big\n", "line 2: \"big\" is not a size"},
		{"render timeout past the job's", "limits:\n  jobTimeout: 1m\n  helmRenderTimeout: 2m\n", "limits.helmRenderTimeout: 2m0s is not under limits.jobTimeout (1m0s)"},
		{"render timeout too short", "limits:\n  helmRenderTimeout: 1ms\n", "at least 100ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	for name, c := range map[string]*Config{"no file": Default(), "empty file": mustParse(t, "")} {
		if c.Store != DefaultStore || c.GitHub.Token.Env != EnvGitHubToken || c.GitHub.WebhookSecret.Env != EnvWebhookSecret || c.Slack.SigningSecret.Env != EnvSlackSecret {
			t.Errorf("%s: %+v", name, c)
		}
		if len(c.Schedules) != 1 || c.Schedules[0].Name != "nightly" || c.Review.FailOn != "high" {
			t.Errorf("%s: schedules %+v review %+v", name, c.Schedules, c.Review)
		}
		if c.SlackAllows("U1", "C1", "fix", "acme/shop") || c.SlackAllows("", "", "scan", "a/b") {
			t.Errorf("%s: Slack fix or scan allowed without a grant", name)
		}
	}
	for text, want := range map[string]Size{"1536Mi": 1536 << 20, "2G": 2e9, "none": -1} {
		if c := mustParse(t, "limits:\n  jobMemory: "+text+"\n"); c.Limits.JobMemory != want {
			t.Errorf("jobMemory %s: %d, want %d", text, c.Limits.JobMemory, want)
		}
	}
	if c := Default(); c.Images.Resolve || time.Duration(c.Images.Timeout) != 20*time.Second || c.Images.CacheDir != "images" {
		t.Errorf("images defaults: %+v", c.Images)
	}
	if c := mustParse(t, "store: /var/lib/remedy/remedy.db\nimages: {resolve: true, timeout: 5s}\n"); !c.Images.Resolve ||
		time.Duration(c.Images.Timeout) != 5*time.Second || c.Images.CacheDir != "/var/lib/remedy/images" {
		t.Errorf("images: %+v", c.Images)
	}
	if c := mustParse(t, "schedules: []\n"); len(c.Schedules) != 0 {
		t.Errorf("an empty list of schedules became %+v", c.Schedules)
	}
}

// The load budgets are read as written; omitted ones stay zero (the
// scanner's defaults).
func TestBudgets(t *testing.T) {
	c := mustParse(t, `limits:
  maxFileSize: 1Mi
  maxDocuments: 20_000
  maxContainers: 50
  maxObjects: 100000
  helmRenderTimeout: 30s
  helmMaxOutput: 64Mi
  helmMaxMemory: 1Gi
`)
	l := c.Limits
	if l.MaxFileSize != 1<<20 || l.MaxDocuments != 20000 || l.MaxContainers != 50 || l.MaxObjects != 100000 ||
		time.Duration(l.HelmRenderTimeout) != 30*time.Second || l.HelmMaxOutput != 64<<20 || l.HelmMaxMemory != 1<<30 {
		t.Errorf("limits %+v", l)
	}
	if l := Default().Limits; l.MaxFileSize != 0 || l.MaxDocuments != 0 || l.MaxContainers != 0 || l.MaxObjects != 0 ||
		l.HelmRenderTimeout != 0 || l.HelmMaxOutput != 0 || l.HelmMaxMemory != 0 {
		t.Errorf("default budgets %+v, want all zero (the scanner's defaults)", l)
	}
}

func mustParse(t *testing.T, s string) *Config {
	t.Helper()
	c, err := Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSlackAllows(t *testing.T) {
	c := mustParse(t, `
slack:
  allow:
    - users: [U1]
      repos: ["acme/*"]
      commands: [fix, scan]
    - channels: [COPS]
      repos: ["acme/shop", "Other/Web"]
      commands: [scan]
`)
	tests := []struct {
		user, channel, verb, repo string
		want                      bool
	}{
		{"U1", "CANY", "fix", "acme/shop", true},
		{"U1", "CANY", "fix", "ACME/Shop", true},
		{"U1", "CANY", "fix", "evil/shop", false},
		{"U2", "CANY", "fix", "acme/shop", false},
		{"U2", "COPS", "scan", "acme/shop", true},
		{"U2", "COPS", "scan", "other/web", true},
		{"U2", "COPS", "fix", "acme/shop", false},
		{"U2", "COPS", "scan", "acme/shop-legacy", false},
		{"U1", "CANY", "fix", "acme/shop/extra", false},
	}
	for _, tt := range tests {
		if got := c.SlackAllows(tt.user, tt.channel, tt.verb, tt.repo); got != tt.want {
			t.Errorf("%s in %s: %s %s = %v, want %v", tt.user, tt.channel, tt.verb, tt.repo, got, tt.want)
		}
	}
	for u, want := range map[string]bool{
		"https://hooks.slack.com/commands/T1/2/x": true,
		"https://hooks.slack.com.evil.example/x":  false,
		"http://hooks.slack.com/commands/T1":      false,
		"https://169.254.169.254/latest":          false,
	} {
		if got := c.SlackResponseURLAllowed(u); got != want {
			t.Errorf("response URL %s allowed = %v", u, got)
		}
	}
}

func TestResolveSecrets(t *testing.T) {
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte("ghp_fromfile\n"), 0o600)
	c := mustParse(t, "github:\n  token: {file: "+tokenFile+"}\n  webhookSecret: {env: HOOK}\n")
	env := map[string]string{"HOOK": "hook-secret"}
	s, missing, err := c.Resolve(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if string(s.GitHubToken) != "ghp_fromfile" || string(s.WebhookSecret) != "hook-secret" || s.SlackSigningSecret != nil {
		t.Errorf("secrets %q %q %q", s.GitHubToken, s.WebhookSecret, s.SlackSigningSecret)
	}
	if len(missing) != 1 || !strings.Contains(missing[0], "SLACK_SIGNING_SECRET") {
		t.Errorf("missing %v", missing)
	}
	os.WriteFile(tokenFile, []byte("\n"), 0o600)
	if _, _, err := c.Resolve(func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty token file: %v", err)
	}
	os.Remove(tokenFile)
	_, _, err = c.Resolve(func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "github.token") {
		t.Errorf("missing token file: %v", err)
	}
}

func TestResolveApp(t *testing.T) {
	key := filepath.Join(t.TempDir(), "app.pem")
	os.WriteFile(key, []byte("-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----\n"), 0o600)
	c := mustParse(t, "github:\n  app: {id: 42, privateKey: {file: "+key+"}}\n")
	s, _, err := c.Resolve(func(string) string { return "" })
	if err != nil || s.AppID != 42 || !strings.HasPrefix(string(s.AppKey), "-----BEGIN") || s.GitHubToken != nil {
		t.Errorf("app from the config: %+v %v", s.AppID, err)
	}
	env := map[string]string{EnvAppID: "7", EnvAppKeyFile: key}
	s, _, err = Default().Resolve(func(k string) string { return env[k] })
	if err != nil || s.AppID != 7 || s.AppKey == nil {
		t.Errorf("app from the environment: %+v %v", s.AppID, err)
	}
	env[EnvGitHubToken] = "ghp_x"
	s, _, err = Default().Resolve(func(k string) string { return env[k] })
	if err != nil || s.AppID != 0 || string(s.GitHubToken) != "ghp_x" {
		t.Errorf("GITHUB_TOKEN set: %+v %v; want the token", s.AppID, err)
	}
}

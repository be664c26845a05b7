// Package serviceconfig reads the configuration of remedy serve: where to
// listen and keep the job store, how to reach the forges, which secrets to
// verify deliveries with, which repositories the schedules sweep, and who
// may run which Slack command on which repositories.
//
// The file is strict (an unknown key is an error naming its line) and holds
// no secret: a secret is a reference, {env: NAME} or {file: PATH}, resolved
// when the server starts. With no file at all, Default gives a
// twelve-factor setup from environment variables.
//
// Data enters as a YAML file (Load, Parse) or none (Default); it leaves
// as a validated Config, and as the Secrets its references name
// (Config.Resolve, reading the environment and files) that the server and
// the forges' clients need.
package serviceconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/serve/schedule"
)

// Environment variables read when the config does not say otherwise.
const (
	EnvGitHubToken   = "GITHUB_TOKEN"
	EnvGitHubAPIURL  = "GITHUB_API_URL"
	EnvWebhookSecret = "REMEDY_WEBHOOK_SECRET"
	EnvSlackSecret   = "SLACK_SIGNING_SECRET"
	// EnvDatabaseURL, set when serve runs without a config, selects the
	// PostgreSQL store at that connection URL.
	EnvDatabaseURL = "REMEDY_DATABASE_URL"
)

// DefaultStore is the job store file, relative to the working directory.
const DefaultStore = "remedy.db"

// Config is the server configuration.
type Config struct {
	// Listen is the HTTP address, e.g. ":8080" or "127.0.0.1:8080".
	Listen string `yaml:"listen"`
	// MetricsListen, when set, serves /metrics on an address of its own
	// and not on Listen, so that the Ingress in front of the webhooks
	// never exposes it. Empty means /metrics on Listen.
	MetricsListen string `yaml:"metricsListen"`
	// Store is the SQLite file of the job queue and history.
	Store  string `yaml:"store"`
	GitHub GitHub `yaml:"github"`
	// Forges are GitLab and Gitea instances served beside GitHub.
	Forges []Forge `yaml:"forges"`
	Slack  Slack   `yaml:"slack"`
	// Repositories and Owners select what the schedules sweep, in the
	// shape of the remedy sweep config.
	Repositories []string `yaml:"repositories"`
	Owners       []Owner  `yaml:"owners"`
	// Clusters are swept too: their live objects are mapped to their
	// sources in git (Argo CD, Flux), and each source repository on the
	// forge gets a fix pull request on the cluster's own branches.
	Clusters []Cluster `yaml:"clusters"`
	// Schedules; nil means one nightly sweep (DefaultSchedule), an empty
	// list none.
	Schedules []Schedule `yaml:"schedules"`
	Review    Review     `yaml:"review"`
	Limits    Limits     `yaml:"limits"`
	Images    Images     `yaml:"images"`
	// Defaults are the settings of every repository the server fixes
	// whose .remedy.yaml does not set them.
	Defaults RepositoryDefaults `yaml:"defaults"`

	// Database, when set, is the PostgreSQL connection URL (by reference:
	// it may carry a password) of the job store shared by several
	// replicas; Store is then unused (it is the SQLite store of one
	// server).
	Database *Secret `yaml:"database"`

	// Posture is the fleet posture page: off unless it has a token.
	Posture Posture `yaml:"posture"`
}

// RepositoryDefaults are what a repository's .remedy.yaml may set, for
// those that do not.
type RepositoryDefaults struct {
	// Dashboard keeps remedy's dashboard issue in every repository whose
	// .remedy.yaml does not say `dashboard: false`.
	Dashboard bool `yaml:"dashboard"`
}

// Images configures reading container images from their registries for
// every repository the server fixes (what --resolve-images does for the
// CLI). Off by default; a repository's .remedy.yaml cannot turn it on, so
// that only the operator decides which registries the server contacts.
type Images struct {
	Resolve bool `yaml:"resolve"`
	// Timeout bounds one image lookup; default 20s.
	Timeout Duration `yaml:"timeout"`
	// CacheDir keeps image configs across jobs, one file per digest;
	// default "images" beside the store.
	CacheDir string `yaml:"cacheDir"`
}

// GitHub is how remedy reaches GitHub and verifies its deliveries.
type GitHub struct {
	// APIURL is the REST root; empty means GITHUB_API_URL, then github.com.
	APIURL string `yaml:"apiURL"`
	// Token authenticates API and git traffic; nil means GITHUB_TOKEN.
	Token *Secret `yaml:"token"`
	// App authenticates as a GitHub App's installation on each
	// repository owner instead of a token.
	App *App `yaml:"app"`
	// WebhookSecret verifies X-Hub-Signature-256; nil means
	// REMEDY_WEBHOOK_SECRET.
	WebhookSecret *Secret `yaml:"webhookSecret"`
	// BotLogin is the account remedy comments as; its own comments are
	// never read as commands. Empty means the token's user, asked at start.
	BotLogin string `yaml:"botLogin"`
}

// App is a GitHub App: its ID and private key (PEM).
type App struct {
	ID         int64   `yaml:"id"`
	PrivateKey *Secret `yaml:"privateKey"`
}

// Environment variables of a GitHub App, as for remedy pr.
const (
	EnvAppID      = "REMEDY_APP_ID"
	EnvAppKeyFile = "REMEDY_APP_KEY_FILE"
)

// Slack is the slash command's verification and authorization.
type Slack struct {
	// SigningSecret verifies X-Slack-Signature; nil means
	// SLACK_SIGNING_SECRET.
	SigningSecret *Secret `yaml:"signingSecret"`
	// Allow grants commands that act on repositories (fix, scan). help and
	// status are open to every signed request; anything not granted here
	// is denied.
	Allow []Grant `yaml:"allow"`
	// ResponseURLPrefixes are where result messages may be posted: a
	// response_url elsewhere is not followed. Default https://hooks.slack.com/.
	ResponseURLPrefixes []string `yaml:"responseURLPrefixes"`
}

// Grant lets Slack users, in channels, run commands on repositories.
type Grant struct {
	// Users and Channels are Slack IDs (U…, C…); empty means any.
	Users    []string `yaml:"users"`
	Channels []string `yaml:"channels"`
	// Repos are owner/name globs (path.Match), e.g. "acme/*".
	Repos []string `yaml:"repos"`
	// Commands are verbs: fix, scan.
	Commands []string `yaml:"commands"`
}

// Owner selects repositories of an organization or user, as in the sweep
// config: globs on the repository name.
type Owner struct {
	Name            string   `yaml:"name"`
	Include         []string `yaml:"include"`
	Exclude         []string `yaml:"exclude"`
	IncludeArchived bool     `yaml:"includeArchived"`
	IncludeForks    bool     `yaml:"includeForks"`
}

// Cluster is a Kubernetes cluster whose live objects the schedules sweep.
// Reading it takes the read-only ClusterRole of deploy/base/clusterrole.yaml.
type Cluster struct {
	// Name names the cluster in job history, branch names
	// (remedy/live/<name>/…) and pull requests.
	Name string `yaml:"name"`
	// Kubeconfig is a kubeconfig file; empty means $KUBECONFIG, then
	// ~/.kube/config, then the pod's own service account (in-cluster).
	// Context is the kubeconfig context; empty means its current one.
	Kubeconfig string `yaml:"kubeconfig"`
	Context    string `yaml:"context"`
	// Namespace limits the sweep to one namespace; empty means all.
	Namespace string `yaml:"namespace"`
	// ArgoCDNamespace is where Argo CD's Applications live; default argocd.
	ArgoCDNamespace string `yaml:"argocdNamespace"`
}

// Schedule is a cron schedule of sweeps.
type Schedule struct {
	Name string `yaml:"name"`
	// Cron is a robfig/cron expression, optionally "CRON_TZ=Zone …"; UTC
	// otherwise.
	Cron string `yaml:"cron"`
	// Jitter spreads the repositories over this window.
	Jitter Duration `yaml:"jitter"`
	// Clusters names the clusters this schedule sweeps; omitted means
	// every configured cluster, an empty list none.
	Clusters []string `yaml:"clusters"`
}

// DefaultSchedule is the nightly sweep used when the config sets none.
func DefaultSchedule() Schedule {
	return Schedule{Name: "nightly", Cron: "0 2 * * *", Jitter: Duration(30 * time.Minute)}
}

// Review configures the review of pull requests.
type Review struct {
	// FailOn is the severity from which a finding fails the commit status;
	// default high.
	FailOn string `yaml:"failOn"`
	// Disabled turns pull request reviews off.
	Disabled bool `yaml:"disabled"`
}

// Limits bound the work.
type Limits struct {
	// Workers is how many jobs run at once; default 4.
	Workers int `yaml:"workers"`
	// MaxQueued bounds waiting jobs; default 10000.
	MaxQueued int `yaml:"maxQueued"`
	// JobTimeout bounds one job; default 15m.
	JobTimeout Duration `yaml:"jobTimeout"`
	// ShutdownGrace is how long running jobs may finish after SIGTERM;
	// default 90s (keep it under terminationGracePeriodSeconds).
	ShutdownGrace Duration `yaml:"shutdownGrace"`
	// History is how long finished jobs are kept; default 30 days.
	History Duration `yaml:"history"`
	// JobLease is how long a running job stays its replica's without a
	// renewal (every quarter of it); a replica that dies loses its jobs to
	// the others after it. Default 1m.
	JobLease Duration `yaml:"jobLease"`
	// JobMemory stops and fails the running jobs when the server's live
	// heap passes it ("1536Mi", "2Gi", or bytes; "none" turns it off);
	// default 80% of GOMEMLIMIT, none without one.
	JobMemory Size `yaml:"jobMemory"`

	// The budgets of every job's load, as remedy scan's flags of the
	// same names (README "Budgets"); omitted means the default. A
	// repository cannot raise them.
	//
	// MaxFileSize bounds each file read (default 5Mi).
	MaxFileSize Size `yaml:"maxFileSize"`
	// MaxDocuments bounds the YAML documents of one file or render
	// (default 10000).
	MaxDocuments Count `yaml:"maxDocuments"`
	// MaxContainers bounds the containers of one pod template (default
	// 500).
	MaxContainers Count `yaml:"maxContainers"`
	// MaxObjects bounds the objects of one job's load (default 50000).
	MaxObjects Count `yaml:"maxObjects"`
	// HelmRenderTimeout bounds one chart render (default 10s).
	HelmRenderTimeout Duration `yaml:"helmRenderTimeout"`
	// HelmMaxOutput bounds the bytes one chart render produces (default
	// 20Mi).
	HelmMaxOutput Size `yaml:"helmMaxOutput"`
	// HelmMaxMemory bounds the memory of the child process that renders
	// a chart (default 512Mi).
	HelmMaxMemory Size `yaml:"helmMaxMemory"`
}

// Maxima of the load budgets: past them a budget bounds nothing a job
// could finish within its timeout and the pod's memory, and is more
// likely a typo (an extra zero) than a wish.
const (
	MaxMaxFileSize       = 1 << 30
	MaxMaxDocuments      = 1_000_000
	MaxMaxContainers     = 10_000
	MaxMaxObjects        = 5_000_000
	MaxHelmRenderTimeout = 10 * time.Minute
	MaxHelmMaxOutput     = 1 << 30
	MaxHelmMaxMemory     = 16 << 30
)

// Count is a positive whole number: zero, a negative or a fraction is an
// error naming its line (omit the key for the default).
type Count int

// UnmarshalYAML reads a positive integer.
func (c *Count) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.Atoi(strings.ReplaceAll(n.Value, "_", ""))
	if n.Kind != yaml.ScalarNode || err != nil || v <= 0 {
		return fmt.Errorf("line %d: %q is not a positive whole number", n.Line, n.Value)
	}
	*c = Count(v)
	return nil
}

// Size is a number of bytes written like a Kubernetes quantity ("512Mi",
// "2G", "1073741824"), or "none": -1.
type Size int64

// UnmarshalYAML reads a quantity.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Value == "none" {
		*s = -1
		return nil
	}
	q, err := resource.ParseQuantity(n.Value)
	if err != nil || q.Sign() <= 0 {
		return fmt.Errorf("line %d: %q is not a size such as 512Mi, 2Gi or none", n.Line, n.Value)
	}
	*s = Size(q.Value())
	return nil
}

// Duration is a time.Duration written like "30m" or "1h30m".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration such as 30s, 15m or 1h30m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// Secret refers to a secret held outside the config.
type Secret struct {
	// Env names an environment variable holding the value.
	Env string `yaml:"env"`
	// File is a file holding the value (a trailing newline is dropped), as
	// mounted from a Kubernetes Secret.
	File string `yaml:"file"`
}

// UnmarshalYAML refuses a secret written in the config itself.
func (s *Secret) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a secret is never written in the config: use {env: NAME} or {file: PATH}", n.Line)
	}
	type plain Secret
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	if (p.Env == "") == (p.File == "") {
		return fmt.Errorf("line %d: a secret names exactly one of env or file", n.Line)
	}
	*s = Secret(p)
	return nil
}

// Resolve reads the secret's value.
func (s *Secret) Resolve(getenv func(string) string) ([]byte, error) {
	if s.Env != "" {
		v := getenv(s.Env)
		if v == "" {
			return nil, fmt.Errorf("environment variable %s is empty", s.Env)
		}
		return []byte(v), nil
	}
	b, err := os.ReadFile(s.File)
	if err != nil {
		// The path is not secret; the content never appears in an error.
		return nil, fmt.Errorf("read secret file: %w", err)
	}
	b = bytes.TrimRight(b, "\r\n")
	if len(b) == 0 {
		return nil, fmt.Errorf("secret file %s is empty", s.File)
	}
	return b, nil
}

// Load reads and checks the config file at p.
func Load(p string) (*Config, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read server config: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("server config %s: %w", p, err)
	}
	return c, nil
}

// Parse reads and checks a config.
func Parse(b []byte) (*Config, error) {
	c := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return nil, errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return c, nil
}

// Default is the config of a server started without a file: secrets from
// the environment, the store in the working directory, no repositories to
// sweep, Slack fix and scan denied.
func Default() *Config {
	c := &Config{}
	if err := c.check(); err != nil {
		panic(err) // the zero config is valid
	}
	return c
}

// check validates and fills defaults.
func (c *Config) check() error {
	if c.Store == "" {
		c.Store = DefaultStore
	}
	if strings.HasPrefix(c.Store, "postgres://") || strings.HasPrefix(c.Store, "postgresql://") {
		return errors.New("store: a database URL is not written in the config (it may carry a password): use database: {env: NAME} or database: {file: PATH}")
	}
	if c.GitHub.App != nil {
		if c.GitHub.Token != nil {
			return errors.New("github: token and app are both set: use one")
		}
		if c.GitHub.App.ID <= 0 || c.GitHub.App.PrivateKey == nil {
			return errors.New("github.app: needs id (the App's numeric ID) and privateKey")
		}
	} else if c.GitHub.Token == nil {
		c.GitHub.Token = &Secret{Env: EnvGitHubToken}
	}
	if c.GitHub.WebhookSecret == nil {
		c.GitHub.WebhookSecret = &Secret{Env: EnvWebhookSecret}
	}
	if c.Slack.SigningSecret == nil {
		c.Slack.SigningSecret = &Secret{Env: EnvSlackSecret}
	}
	if err := c.checkForges(); err != nil {
		return err
	}
	if len(c.Slack.ResponseURLPrefixes) == 0 {
		c.Slack.ResponseURLPrefixes = []string{"https://hooks.slack.com/"}
	}
	for _, p := range c.Slack.ResponseURLPrefixes {
		if !strings.HasPrefix(p, "https://") && !strings.HasPrefix(p, "http://127.0.0.1:") {
			return fmt.Errorf("slack.responseURLPrefixes: %q: want an https:// prefix", p)
		}
		if strings.Count(p, "/") < 3 {
			return fmt.Errorf("slack.responseURLPrefixes: %q: end the host with a slash, so that %q cannot match", p, p+".evil.example/")
		}
	}
	for i, g := range c.Slack.Allow {
		if len(g.Repos) == 0 || len(g.Commands) == 0 {
			return fmt.Errorf("slack.allow[%d]: a grant names repos and commands", i)
		}
		for _, r := range g.Repos {
			if err := checkGlob(r); err != nil {
				return fmt.Errorf("slack.allow[%d]: %w", i, err)
			}
		}
		for _, cmd := range g.Commands {
			if cmd != "fix" && cmd != "scan" {
				return fmt.Errorf("slack.allow[%d]: command %q: only fix and scan are granted (help and status are open)", i, cmd)
			}
		}
	}
	for _, r := range c.Repositories {
		if o, n, ok := strings.Cut(r, "/"); !ok || o == "" || n == "" || strings.Contains(n, "/") {
			return fmt.Errorf("repositories: %q: want owner/name", r)
		}
	}
	for i, o := range c.Owners {
		if o.Name == "" {
			return fmt.Errorf("owners[%d]: no name", i)
		}
		for _, g := range append(append([]string{}, o.Include...), o.Exclude...) {
			if _, err := path.Match(g, ""); err != nil {
				return fmt.Errorf("owners[%d] (%s): bad glob %q", i, o.Name, g)
			}
		}
	}
	clusters := map[string]bool{}
	for i, cl := range c.Clusters {
		if cl.Name == "" || strings.ContainsAny(cl.Name, " \t/") {
			return fmt.Errorf("clusters[%d]: name %q: want a name without spaces or slashes", i, cl.Name)
		}
		if clusters[cl.Name] {
			return fmt.Errorf("clusters[%d]: name %q is used twice", i, cl.Name)
		}
		clusters[cl.Name] = true
	}
	if c.Schedules == nil {
		c.Schedules = []Schedule{DefaultSchedule()}
	}
	for _, s := range c.Schedules {
		for _, n := range s.Clusters {
			if !clusters[n] {
				return fmt.Errorf("schedules: %s: cluster %q is not under clusters", s.Name, n)
			}
		}
	}
	var specs []schedule.Spec
	for _, s := range c.Schedules {
		specs = append(specs, schedule.Spec{Name: s.Name, Cron: s.Cron, Jitter: time.Duration(s.Jitter)})
	}
	if _, err := schedule.New(specs, nil, nil, nil); err != nil {
		return fmt.Errorf("schedules: %w", err)
	}
	if c.Review.FailOn == "" {
		c.Review.FailOn = "high"
	}
	if _, err := scanner.ParseSeverity(c.Review.FailOn); err != nil {
		return fmt.Errorf("review.failOn: %w", err)
	}
	l := &c.Limits
	if l.Workers < 0 || l.MaxQueued < 0 {
		return errors.New("limits: workers and maxQueued cannot be negative")
	}
	if l.Workers == 0 {
		l.Workers = 4
	}
	if l.MaxQueued == 0 {
		l.MaxQueued = 10000
	}
	if l.JobTimeout == 0 {
		l.JobTimeout = Duration(15 * time.Minute)
	}
	if l.ShutdownGrace == 0 {
		l.ShutdownGrace = Duration(90 * time.Second)
	}
	if l.History == 0 {
		l.History = Duration(30 * 24 * time.Hour)
	}
	if l.JobLease < 0 || (l.JobLease > 0 && l.JobLease < Duration(time.Second)) {
		return errors.New("limits.jobLease: at least 1s")
	}
	if l.JobLease == 0 {
		l.JobLease = Duration(time.Minute)
	}
	if err := l.checkBudgets(); err != nil {
		return err
	}
	if c.Images.Timeout < 0 {
		return errors.New("images.timeout cannot be negative")
	}
	if c.Images.Timeout == 0 {
		c.Images.Timeout = Duration(20 * time.Second)
	}
	if c.Images.CacheDir == "" {
		c.Images.CacheDir = filepath.Join(filepath.Dir(c.Store), "images")
	}
	return c.checkPosture()
}

// checkBudgets refuses a load budget past its maximum, "none" (a load is
// always bounded), and a Helm render timeout the job's own would cut.
func (l *Limits) checkBudgets() error {
	for _, b := range []struct {
		key    string
		v, max int64
	}{
		{"maxFileSize", int64(l.MaxFileSize), MaxMaxFileSize},
		{"maxDocuments", int64(l.MaxDocuments), MaxMaxDocuments},
		{"maxContainers", int64(l.MaxContainers), MaxMaxContainers},
		{"maxObjects", int64(l.MaxObjects), MaxMaxObjects},
		{"helmRenderTimeout", int64(l.HelmRenderTimeout), int64(MaxHelmRenderTimeout)},
		{"helmMaxOutput", int64(l.HelmMaxOutput), MaxHelmMaxOutput},
		{"helmMaxMemory", int64(l.HelmMaxMemory), MaxHelmMaxMemory},
	} {
		switch {
		case b.v < 0:
			return fmt.Errorf("limits.%s: none is not a budget: omit the key for the default", b.key)
		case b.v > b.max:
			return fmt.Errorf("limits.%s: %s is over the maximum %s", b.key, budgetString(b.key, b.v), budgetString(b.key, b.max))
		}
	}
	if l.HelmRenderTimeout > 0 && l.HelmRenderTimeout < Duration(100*time.Millisecond) {
		return errors.New("limits.helmRenderTimeout: at least 100ms (starting the render's child process takes some)")
	}
	if l.HelmRenderTimeout > 0 && l.HelmRenderTimeout >= l.JobTimeout {
		return fmt.Errorf("limits.helmRenderTimeout: %s is not under limits.jobTimeout (%s)", time.Duration(l.HelmRenderTimeout), time.Duration(l.JobTimeout))
	}
	return nil
}

// budgetString writes a budget's value as its key reads it.
func budgetString(key string, v int64) string {
	switch key {
	case "helmRenderTimeout":
		return time.Duration(v).String()
	case "maxFileSize", "helmMaxOutput", "helmMaxMemory":
		return resource.NewQuantity(v, resource.BinarySI).String()
	}
	return strconv.FormatInt(v, 10)
}

func checkGlob(g string) error {
	if _, err := path.Match(g, ""); err != nil || strings.Count(g, "/") != 1 {
		return fmt.Errorf("repository glob %q: want owner/name, * allowed", g)
	}
	return nil
}

// ScheduledClusters are the clusters the schedule named name sweeps.
func (c *Config) ScheduledClusters(name string) []Cluster {
	for _, s := range c.Schedules {
		if s.Name != name {
			continue
		}
		if s.Clusters == nil {
			return c.Clusters
		}
		var out []Cluster
		for _, cl := range c.Clusters {
			if slices.Contains(s.Clusters, cl.Name) {
				out = append(out, cl)
			}
		}
		return out
	}
	return nil
}

// Specs are the schedules for the schedule package.
func (c *Config) Specs() []schedule.Spec {
	var out []schedule.Spec
	for _, s := range c.Schedules {
		out = append(out, schedule.Spec{Name: s.Name, Cron: s.Cron, Jitter: time.Duration(s.Jitter)})
	}
	return out
}

// SlackAllows reports whether the Slack user in channel may run verb on
// repo (owner/name, compared case-insensitively).
func (c *Config) SlackAllows(user, channel, verb, repo string) bool {
	repo = strings.ToLower(repo)
	for _, g := range c.Slack.Allow {
		if !anyOf(g.Users, user) || !anyOf(g.Channels, channel) || !contains(g.Commands, verb) {
			continue
		}
		for _, r := range g.Repos {
			if ok, _ := path.Match(strings.ToLower(r), repo); ok {
				return true
			}
		}
	}
	return false
}

// SlackResponseURLAllowed reports whether u may receive result messages.
func (c *Config) SlackResponseURLAllowed(u string) bool {
	for _, p := range c.Slack.ResponseURLPrefixes {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

func anyOf(list []string, v string) bool { return len(list) == 0 || contains(list, v) }

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Secrets are the resolved secret values. They are kept apart from Config
// so that printing or logging a Config can never show one.
type Secrets struct {
	// GitHubToken, or AppID and AppKey (PEM) for a GitHub App.
	GitHubToken []byte
	AppID       int64
	AppKey      []byte

	WebhookSecret, SlackSigningSecret []byte

	// Forges are the secrets of the forges besides GitHub, by kind.
	Forges map[string]ForgeSecrets

	// DatabaseURL is the PostgreSQL store's connection URL; empty means
	// the SQLite store.
	DatabaseURL string

	// PostureToken is the posture page's bearer token; empty means the
	// page is off (Config.PostureState says why).
	PostureToken []byte
}

// Resolve reads the secrets. GitHub credentials are required: the token,
// or the App's key; without a config, REMEDY_APP_ID and
// REMEDY_APP_KEY_FILE select an App when GITHUB_TOKEN is unset. A missing
// webhook or Slack secret disables that endpoint (it answers 503), which
// is reported in missing.
func (c *Config) Resolve(getenv func(string) string) (s Secrets, missing []string, err error) {
	app := c.GitHub.App
	if app == nil && c.GitHub.Token != nil && c.GitHub.Token.Env == EnvGitHubToken && getenv(EnvGitHubToken) == "" && getenv(EnvAppID) != "" {
		id, perr := strconv.ParseInt(getenv(EnvAppID), 10, 64)
		if perr != nil || id <= 0 {
			return Secrets{}, nil, fmt.Errorf("%s %q: want the GitHub App's numeric ID", EnvAppID, getenv(EnvAppID))
		}
		if getenv(EnvAppKeyFile) == "" {
			return Secrets{}, nil, fmt.Errorf("%s needs %s, the App's private key", EnvAppID, EnvAppKeyFile)
		}
		app = &App{ID: id, PrivateKey: &Secret{File: getenv(EnvAppKeyFile)}}
	}
	if app != nil {
		s.AppID = app.ID
		if s.AppKey, err = app.PrivateKey.Resolve(getenv); err != nil {
			return Secrets{}, nil, fmt.Errorf("github.app.privateKey: %w", err)
		}
	} else if len(c.Forges) > 0 && c.GitHub.Token.Env == EnvGitHubToken && getenv(EnvGitHubToken) == "" {
		// A server of other forges only: GitHub is not configured.
		missing = append(missing, "github: no GITHUB_TOKEN, GitHub repositories are not served")
	} else if s.GitHubToken, err = c.GitHub.Token.Resolve(getenv); err != nil {
		return Secrets{}, nil, fmt.Errorf("github.token: %w", err)
	}
	if c.Database != nil {
		u, err := c.Database.Resolve(getenv)
		if err != nil {
			return Secrets{}, nil, fmt.Errorf("database: %w", err)
		}
		s.DatabaseURL = string(u)
	}
	if s.WebhookSecret, err = c.GitHub.WebhookSecret.Resolve(getenv); err != nil {
		missing = append(missing, fmt.Sprintf("github.webhookSecret: %v", err))
	}
	if s.SlackSigningSecret, err = c.Slack.SigningSecret.Resolve(getenv); err != nil {
		missing = append(missing, fmt.Sprintf("slack.signingSecret: %v", err))
	}
	var fmissing []string
	if s.Forges, fmissing, err = c.resolveForges(getenv); err != nil {
		return Secrets{}, nil, err
	}
	if err := c.resolvePosture(getenv, &s); err != nil {
		return Secrets{}, nil, err
	}
	return s, append(missing, fmissing...), nil
}

// APIURL is the GitHub REST root: the config's, else GITHUB_API_URL.
func (c *Config) APIURL(getenv func(string) string) string {
	if c.GitHub.APIURL != "" {
		return c.GitHub.APIURL
	}
	return getenv(EnvGitHubAPIURL)
}

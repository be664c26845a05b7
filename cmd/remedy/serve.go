package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/clustersweep"
	"github.com/remedy-bot/remedy/gitops/forge/gitea"
	ghforge "github.com/remedy-bot/remedy/gitops/forge/github"
	"github.com/remedy-bot/remedy/gitops/forge/gitlab"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/helm"
	"github.com/remedy-bot/remedy/scanner/render"
	"github.com/remedy-bot/remedy/serve/clock"
	"github.com/remedy-bot/remedy/serve/jobs"
	"github.com/remedy-bot/remedy/serve/metrics"
	"github.com/remedy-bot/remedy/serve/posture"
	"github.com/remedy-bot/remedy/serve/schedule"
	"github.com/remedy-bot/remedy/serve/server"
	"github.com/remedy-bot/remedy/serve/serviceconfig"
	"github.com/remedy-bot/remedy/serve/tasks"
)

// serveOptions are the flags of remedy serve.
type serveOptions struct {
	configPath    string
	listen        string
	metricsListen string
	checkConfig   bool
	bot           botFlags
}

func newServeCommand(inv *invocation) *cobra.Command {
	opts := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [--config FILE]",
		Short: "Run remedy as a service: chat commands, pull request reviews, nightly sweeps",
		Long: `Run an HTTP server that takes GitHub webhooks and Slack slash commands, and
a schedule that sweeps the configured repositories.

  POST /webhooks/github   issue_comment "/remedy fix|rebase|ignore|scan|help",
                          pull_request opened/synchronize/reopened (a review
                          with one-click suggestions and a commit status),
                          push to the default branch (re-converge the fix PR)
  POST /slack/commands    /remedy fix|scan|status|help
  GET  /healthz /readyz /metrics (/metrics on --metrics-listen when set)

Every delivery is verified (X-Hub-Signature-256; Slack's v0 signature
within five minutes) before it is read, and acknowledged once its job is
written to the store (SQLite, or PostgreSQL shared by several replicas). Jobs run on a bounded pool, one at a time
per repository; requests for a repository that already has a job waiting
join it. On SIGTERM the server stops taking deliveries, lets running jobs
finish for limits.shutdownGrace, and queues the rest again for the next
start.

Commands that change a repository (fix, rebase, ignore) run only for
GitHub users with write access, asked of the GitHub API; Slack fix and
scan only as slack.allow in the config grants.

Without --config the server is configured from the environment:
  GITHUB_TOKEN            token (or REMEDY_APP_ID and REMEDY_APP_KEY_FILE
                          for a GitHub App)
  GITHUB_API_URL          REST root for GitHub Enterprise Server
  REMEDY_WEBHOOK_SECRET   the GitHub webhook's secret
  SLACK_SIGNING_SECRET    the Slack app's signing secret
  REMEDY_DATABASE_URL     a PostgreSQL URL: the store shared by replicas
with the store in ./remedy.db, a nightly sweep of no repository, and Slack
fix and scan denied until a config grants them.`,
		Example: `  # Twelve-factor: everything from the environment
  GITHUB_TOKEN=... REMEDY_WEBHOOK_SECRET=... remedy serve --listen 127.0.0.1:8080

  # With a config file (see deploy/serve.yaml), checked first
  remedy serve --config serve.yaml --check-config
  remedy serve --config serve.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return opts.run(cmd.Context(), inv)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.configPath, "config", "", "server config file (default: none, configure from the environment)")
	f.StringVar(&opts.listen, "listen", "", `address to listen on (default: the config's listen, else ":8080")`)
	f.StringVar(&opts.metricsListen, "metrics-listen", "", "serve /metrics on this address of its own instead of on --listen (default: the config's metricsListen)")
	f.BoolVar(&opts.checkConfig, "check-config", false, "check the config and its secrets, print a summary and exit")
	opts.bot.register(cmd)
	return cmd
}

func (o *serveOptions) loadConfig() (*serviceconfig.Config, error) {
	cfg := serviceconfig.Default()
	if o.configPath != "" {
		var err error
		if cfg, err = serviceconfig.Load(o.configPath); err != nil {
			return nil, err
		}
	}
	if o.listen != "" {
		cfg.Listen = o.listen
	}
	if cfg.Listen == "" {
		cfg.Listen = ":8080"
	}
	if o.metricsListen != "" {
		cfg.MetricsListen = o.metricsListen
	}
	return cfg, nil
}

func (o *serveOptions) run(ctx context.Context, inv *invocation) error {
	cfg, err := o.loadConfig()
	if err != nil {
		return err
	}
	if o.configPath == "" && inv.getenv(serviceconfig.EnvDatabaseURL) != "" {
		cfg.Database = &serviceconfig.Secret{Env: serviceconfig.EnvDatabaseURL}
	}
	if o.checkConfig {
		return checkServeConfig(inv.stdout, cfg, inv.getenv, time.Now())
	}
	inv.removeStaleClones()
	svc, err := startServe(ctx, inv, cfg, serveDeps{Bot: o.bot.identity()})
	if err != nil {
		return err
	}
	return svc.Wait()
}

// checkServeConfig prints what the server would run with, or why it
// cannot start. It never prints a secret.
func checkServeConfig(w io.Writer, cfg *serviceconfig.Config, getenv func(string) string, now time.Time) error {
	s, missing, err := cfg.Resolve(getenv)
	if err != nil {
		return err
	}
	auth := "token"
	if s.AppID != 0 {
		if _, err := ghforge.ParseAppKey(s.AppKey); err != nil {
			return fmt.Errorf("github.app.privateKey: %w", err)
		}
		auth = fmt.Sprintf("GitHub App %d", s.AppID)
	}
	fmt.Fprintf(w, "listen         %s\n", cfg.Listen)
	if cfg.MetricsListen != "" {
		fmt.Fprintf(w, "metrics        %s\n", cfg.MetricsListen)
	}
	fmt.Fprintf(w, "store          %s\ngithub         %s", storeName(cfg), auth)
	if api := cfg.APIURL(getenv); api != "" {
		fmt.Fprintf(w, " at %s", api)
	}
	fmt.Fprintf(w, "\nwebhooks       %s\nslack          %s (%d grants)\n", onOff(s.WebhookSecret), onOff(s.SlackSigningSecret), len(cfg.Slack.Allow))
	fmt.Fprintf(w, "repositories   %d, owners %d\nworkers        %d, job timeout %s, shutdown grace %s\n",
		len(cfg.Repositories), len(cfg.Owners), cfg.Limits.Workers, time.Duration(cfg.Limits.JobTimeout), time.Duration(cfg.Limits.ShutdownGrace))
	b := serveBudgets(cfg.Limits).WithDefaults()
	fmt.Fprintf(w, "budgets        files %s, %d documents a file, %d containers a pod, %d objects a job\n",
		byteSize(b.MaxFileSize), b.Load.MaxDocuments, b.Load.MaxContainers, b.Load.MaxObjects)
	fmt.Fprintf(w, "helm renders   %s, output %s, memory %s\n", b.Helm.Timeout, byteSize(b.Helm.MaxOutput), byteSize(b.Helm.MaxMemory))
	sched, err := schedule.New(cfg.Specs(), nil, nil, nil)
	if err != nil {
		return err
	}
	next := sched.Next(now)
	for _, f := range cfg.Forges {
		fmt.Fprintf(w, "forge          %s at %s, webhooks %s (/webhooks/%s)\n", f.Kind, f.URL, onOff(s.Forges[f.Kind].WebhookSecret), f.Kind)
	}
	for _, c := range cfg.Clusters {
		where := cmp.Or(c.Kubeconfig, "in-cluster (or $KUBECONFIG)")
		if c.Context != "" {
			where += ", context " + c.Context
		}
		fmt.Fprintf(w, "cluster        %s: %s, namespace %s\n", c.Name, where, cmp.Or(c.Namespace, "all"))
	}
	for _, sp := range cfg.Specs() {
		fmt.Fprintf(w, "schedule       %s %q jitter %s, next %s", sp.Name, sp.Cron, sp.Jitter, next[sp.Name].UTC().Format(time.RFC3339))
		if cs := cfg.ScheduledClusters(sp.Name); len(cs) > 0 {
			var names []string
			for _, c := range cs {
				names = append(names, c.Name)
			}
			fmt.Fprintf(w, ", clusters %s", strings.Join(names, ", "))
		}
		fmt.Fprintln(w)
	}
	_, postureState := cfg.PostureState(s)
	fmt.Fprintf(w, "posture page   %s\n", postureState)
	for _, m := range missing {
		fmt.Fprintf(w, "warning        %s: that endpoint answers 503\n", m)
	}
	fmt.Fprintln(w, "config OK")
	return nil
}

// serveBudgets are the load budgets of limits: (zero fields take the
// defaults), for every job.
func serveBudgets(l serviceconfig.Limits) render.Budgets {
	return render.Budgets{
		MaxFileSize: int64(l.MaxFileSize),
		Load:        scanner.Budgets{MaxDocuments: int(l.MaxDocuments), MaxContainers: int(l.MaxContainers), MaxObjects: int(l.MaxObjects)},
		Helm:        helm.Budget{Timeout: time.Duration(l.HelmRenderTimeout), MaxOutput: int64(l.HelmMaxOutput), MaxMemory: int64(l.HelmMaxMemory)},
	}
}

// byteSize writes n bytes as the config does: "5Mi", "512Mi".
func byteSize(n int64) string { return resource.NewQuantity(n, resource.BinarySI).String() }

// storeName says which store the server uses, never the database URL.
func storeName(cfg *serviceconfig.Config) string {
	if d := cfg.Database; d != nil {
		if d.Env != "" {
			return "PostgreSQL (URL in $" + d.Env + ")"
		}
		return "PostgreSQL (URL in " + d.File + ")"
	}
	return "SQLite " + cfg.Store
}

func onOff(secret []byte) string {
	if len(secret) == 0 {
		return "off (no secret)"
	}
	return "on"
}

// serveDeps are what a test replaces.
type serveDeps struct {
	Bot gitops.Identity
	// Clock drives the schedules and delayed jobs; nil means the real one.
	Clock clock.Clock
	// Remedy wraps the fix life cycle; nil means gitops.RemedyRepository.
	Remedy tasks.RemedyFunc
	// SlackClient posts Slack answers; nil means a client with a timeout.
	SlackClient *http.Client
}

// service is a running remedy serve.
type service struct {
	// Addr is the address the HTTP server listens on.
	Addr string
	// MetricsAddr is where /metrics is served when it has an address of
	// its own; empty means on Addr.
	MetricsAddr string
	Store       *jobs.Store
	Pool        *jobs.Pool
	done        chan error
}

// Wait blocks until the service has shut down.
func (s *service) Wait() error { return <-s.done }

// startServe starts the server, the job pool and the schedules; they stop
// when ctx is done.
func startServe(ctx context.Context, inv *invocation, cfg *serviceconfig.Config, d serveDeps) (*service, error) {
	log := inv.log
	clk := d.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	secrets, missing, err := cfg.Resolve(inv.getenv)
	if err != nil {
		return nil, err
	}
	for _, m := range missing {
		log.Warn("endpoint disabled", "reason", m)
	}
	m := metrics.New()
	apiURL := cfg.APIURL(inv.getenv)
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.ResponseHeaderTimeout = time.Minute
	transport := &metrics.RateLimitTransport{Base: base, Metrics: m}
	ua := "remedy/" + versionString()
	var tokens gitops.TokenSource = gitops.StaticToken(secrets.GitHubToken)
	if secrets.AppID != 0 {
		key, err := ghforge.ParseAppKey(secrets.AppKey)
		if err != nil {
			return nil, fmt.Errorf("github.app.privateKey: %w", err)
		}
		if tokens, err = ghforge.NewAppTokenSource(ghforge.AppOptions{APIURL: apiURL, AppID: secrets.AppID, Key: key, Transport: transport, UserAgent: ua, Log: log}); err != nil {
			return nil, err
		}
	}
	gh, err := ghforge.New(ghforge.Options{APIURL: apiURL, Tokens: tokens, Transport: transport, UserAgent: ua, Log: log})
	if err != nil {
		return nil, err
	}
	// The logins are learnt when first needed, not at start: a server
	// that must reach every forge to start crash-loops through any one's
	// outage.
	login := &botLogin{forge: "GitHub", client: gh, fixed: cfg.GitHub.BotLogin, none: secrets.AppID != 0 || len(secrets.GitHubToken) == 0,
		skip: "set github.botLogin to skip asking"}
	forges, err := serveForges(cfg, secrets, transport, ua, log)
	if err != nil {
		return nil, err
	}
	logins := append(botLogins{login}, forges.bots...)

	storeOpts := jobs.Options{MaxQueued: cfg.Limits.MaxQueued, Now: clk.Now, Log: log, Lease: time.Duration(cfg.Limits.JobLease)}
	var store *jobs.Store
	if secrets.DatabaseURL != "" {
		store, err = jobs.OpenPostgres(ctx, secrets.DatabaseURL, storeOpts)
	} else {
		store, err = jobs.Open(ctx, cfg.Store, storeOpts)
	}
	if err != nil {
		return nil, err
	}
	history := time.Duration(cfg.Limits.History)
	if n, err := store.Prune(ctx, clk.Now().Add(-history)); err == nil && n > 0 {
		log.Info("pruned job history", "jobs", n)
	}
	failOn, _ := scanner.ParseSeverity(cfg.Review.FailOn)
	images, err := serveImages(cfg.Images, log)
	if err != nil {
		return nil, err
	}
	handler := tasks.NewHandler(tasks.Options{
		Version: versionString(), Forge: gh, Tokens: tokens, Forges: forges.hosts, ForgeTokens: forges.tokens, ForgeHosts: forges.webHosts, Bot: d.Bot, BotLogin: login.fixed, LearnBotLogin: login.Get, ForgeBotLogins: forges.learn(), FailOn: failOn, Images: images, Budgets: serveBudgets(cfg.Limits),
		Dashboard:        cfg.Defaults.Dashboard,
		AllowResponseURL: cfg.SlackResponseURLAllowed, HTTPClient: d.SlackClient, Remedy: d.Remedy,
		Clusters: clusterSpecs(cfg.Clusters), ForgeHost: clustersweep.ForgeHost(apiURL),
		Metrics: m, Now: clk.Now, Log: log, Postures: store,
	})
	pool := jobs.NewPool(store, handler, jobs.PoolOptions{
		Workers: cfg.Limits.Workers, Timeout: time.Duration(cfg.Limits.JobTimeout), Grace: time.Duration(cfg.Limits.ShutdownGrace),
		Clock: clk, Log: log, MemoryCeiling: int64(cfg.Limits.JobMemory), Retryable: retryable,
		Observe: func(j jobs.Job, outcome string, took time.Duration) { m.JobFinished(j.Kind, outcome, took) },
	})
	for _, st := range []jobs.State{jobs.Queued, jobs.Running} {
		st := st
		m.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "remedy_jobs_" + string(st), Help: "Jobs " + string(st) + " now.",
		}, func() float64 {
			c, err := store.Counts(context.Background())
			if err != nil {
				return -1
			}
			return float64(c[st])
		}))
	}

	sweep := sweeper{gh: gh, store: store, cfg: cfg, metrics: m, history: history, now: clk.Now, log: log}
	// Every replica runs the schedules; the store lets one fire each tick.
	fireOnce := func(ctx context.Context, sp schedule.Spec, at time.Time) error {
		won, err := store.FireOnce(ctx, sp.Name, at)
		if err != nil {
			return err
		}
		if !won {
			log.Info("schedule tick fired by another replica", "schedule", sp.Name, "tick", at)
			return nil
		}
		return sweep.fire(ctx, sp, at)
	}
	sched, err := schedule.New(cfg.Specs(), clk, fireOnce, log)
	if err != nil {
		store.Close()
		return nil, err
	}
	cat := scanner.DefaultCatalog()
	// /metrics on the webhooks' address, unless it has one of its own.
	var metricsOnMain http.Handler = m.Handler()
	if cfg.MetricsListen != "" {
		metricsOnMain = nil
	}
	page, err := servePosture(cfg, secrets, store, clk, log)
	if err != nil {
		store.Close()
		return nil, err
	}
	srv := server.New(server.Options{
		Config: cfg, Secrets: secrets, BotLogin: login.fixed, LearnBotLogin: login.Get, ForgeBotLogins: forges.learn(), Queue: store, Ready: store.Ping,
		Degraded:       logins.degraded,
		MetricsHandler: metricsOnMain, Metrics: m, Known: func(id string) bool { return cat.Get(id) != nil },
		Clock: clk, Log: log, Posture: page,
	})
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	hs := newHTTPServer(srv, log)
	svc := &service{Addr: ln.Addr().String(), Store: store, Pool: pool, done: make(chan error, 1)}
	var metricsLn net.Listener
	var metricsHS *http.Server
	if cfg.MetricsListen != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			ln.Close()
			store.Close()
			return nil, fmt.Errorf("listen on %s (metricsListen): %w", cfg.MetricsListen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", m.Handler())
		metricsHS = newHTTPServer(mux, log)
		svc.MetricsAddr = metricsLn.Addr().String()
	}
	log.Info("remedy serve listening", "addr", svc.Addr, "metrics", cmp.Or(svc.MetricsAddr, svc.Addr), "store", storeName(cfg), "owner", store.Owner(), "workers", cfg.Limits.Workers, "bot", login.fixed)

	// Pool and schedules outlive ctx: they are stopped in order below.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	schedCtx, stopSched := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	serveErr := make(chan error, 1)
	wg.Add(2)
	go func() { defer wg.Done(); pool.Run(workCtx) }()
	go func() { defer wg.Done(); sched.Run(schedCtx) }()
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			serveErr <- err
		}
		close(serveErr)
	}()
	if metricsHS != nil {
		go func() {
			if err := metricsHS.Serve(metricsLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("metrics server stopped", "addr", svc.MetricsAddr, "error", err)
			}
		}()
	}
	go func() {
		var err error
		select {
		case <-ctx.Done():
		case err = <-serveErr:
		}
		log.Info("remedy serve shutting down")
		// Not ready first, so the load balancer stops sending; deliveries
		// in flight are still taken and stored.
		srv.Drain()
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if serr := hs.Shutdown(sctx); serr != nil {
			log.Warn("HTTP shutdown", "error", serr)
		}
		if metricsHS != nil {
			if serr := metricsHS.Shutdown(sctx); serr != nil {
				log.Warn("metrics HTTP shutdown", "error", serr)
			}
		}
		cancel()
		stopSched()
		stopWork() // running jobs get shutdownGrace, then are queued again
		wg.Wait()
		if cerr := store.Close(); cerr != nil && err == nil {
			err = cerr
		}
		log.Info("remedy serve stopped")
		svc.done <- err
	}()
	return svc, nil
}

// servePosture is the fleet posture page, or nil (its routes answer 404)
// when it has no token; the log says why, once, at start.
func servePosture(cfg *serviceconfig.Config, secrets serviceconfig.Secrets, store *jobs.Store, clk clock.Clock, log *slog.Logger) (server.PosturePage, error) {
	on, state := cfg.PostureState(secrets)
	if !on {
		log.Info("posture page "+state, "routes", "/, /repos/…, /api/v1/posture answer 404")
		return nil, nil
	}
	var clusters []string
	for _, c := range cfg.Clusters {
		clusters = append(clusters, c.Name)
	}
	page, err := posture.New(posture.Options{Store: store, Token: secrets.PostureToken, Repositories: cfg.Repositories, Clusters: clusters, Now: clk.Now, Log: log})
	if err != nil {
		return nil, err
	}
	log.Info("posture page "+state, "routes", "/, /repos/…, /api/v1/posture")
	return page, nil
}

// servedForges are the clients of the forges besides GitHub, by kind
// (tasks.Source…), with their git tokens and remedy's login on each.
type servedForges struct {
	hosts    map[string]gitops.Host
	tokens   map[string]gitops.TokenSource
	bots     botLogins
	webHosts map[string]string
}

// learn asks for remedy's login on each forge, by kind.
func (f servedForges) learn() map[string]func(context.Context) (string, error) {
	out := make(map[string]func(context.Context) (string, error), len(f.bots))
	for _, b := range f.bots {
		out[b.kind] = b.Get
	}
	return out
}

// serveForges makes the clients of the configured forges. Who remedy is
// on each (so that its own comments are never taken for commands) is
// asked when first needed, as on GitHub: nothing is asked at start.
func serveForges(cfg *serviceconfig.Config, secrets serviceconfig.Secrets, transport http.RoundTripper, ua string, log *slog.Logger) (servedForges, error) {
	out := servedForges{hosts: map[string]gitops.Host{}, tokens: map[string]gitops.TokenSource{}, webHosts: map[string]string{}}
	for _, f := range cfg.Forges {
		tok := string(secrets.Forges[f.Kind].Token)
		var c interface {
			gitops.Host
			BotLogin(ctx context.Context) (string, error)
		}
		var err error
		name := ""
		switch f.Kind {
		case serviceconfig.ForgeGitea:
			name = "Gitea"
			c, err = gitea.New(gitea.Options{URL: f.URL, Token: tok, Transport: transport, UserAgent: ua, Log: log})
		case serviceconfig.ForgeGitLab:
			name = "GitLab"
			c, err = gitlab.New(gitlab.Options{URL: f.URL, Token: tok, Transport: transport, UserAgent: ua, Log: log})
		}
		if err != nil {
			return servedForges{}, fmt.Errorf("forges (%s): %w", f.Kind, err)
		}
		out.hosts[f.Kind], out.tokens[f.Kind] = c, gitops.StaticToken(tok)
		out.bots = append(out.bots, &botLogin{forge: name, kind: f.Kind, client: c})
		out.webHosts[f.Kind] = clustersweep.ForgeHost(f.URL)
		log.Info("forge configured", "kind", f.Kind, "url", f.URL)
	}
	return out, nil
}

// newHTTPServer bounds what one client can hold of the server.
func newHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// botLogin is the account remedy comments as on one forge (GitHub,
// Gitea, GitLab): the config's, else the token's user, asked of the forge
// when first needed and kept once known. An App's installations comment
// as "<slug>[bot]", which every "[bot]" check covers, so an App needs
// none.
type botLogin struct {
	// forge names the forge for people ("GitHub"); kind is its key
	// (tasks.Source…), lower case when empty.
	forge, kind string
	client      interface {
		BotLogin(context.Context) (string, error)
	}
	fixed string
	none  bool
	// skip says how to do without asking, in the error; "" when there is
	// no way.
	skip string

	// mu guards the fields below: the login once learnt, the last error
	// of asking, and the ask in flight (closed when it ends), so that
	// one question is asked at a time and waiting for it heeds ctx.
	mu      sync.Mutex
	learnt  string
	lastErr error
	asking  chan struct{}
}

// Get returns the login, asking the forge if it is not known yet. One
// ask is in flight at a time: a caller that finds one waits for its
// answer, or for the end of ctx, whichever comes first.
func (b *botLogin) Get(ctx context.Context) (string, error) {
	if b.fixed != "" || b.none {
		return b.fixed, nil
	}
	b.mu.Lock()
	if b.learnt != "" {
		defer b.mu.Unlock()
		return b.learnt, nil
	}
	if wait := b.asking; wait != nil {
		b.mu.Unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return "", b.explain(ctx.Err())
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.learnt != "" {
			return b.learnt, nil
		}
		return "", b.explain(b.lastErr)
	}
	done := make(chan struct{})
	b.asking = done
	b.mu.Unlock()
	login, err := b.client.BotLogin(ctx)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.asking, b.lastErr = nil, err
	close(done)
	if err != nil {
		return "", b.explain(err)
	}
	b.learnt = login
	return login, nil
}

// explain is the error of an ask that failed with err.
func (b *botLogin) explain(err error) error {
	if b.skip != "" {
		return fmt.Errorf("who is the token's user (%s): %w", b.skip, err)
	}
	return fmt.Errorf("who is the token's user: %w", err)
}

// botLogins are remedy's logins on every forge served.
type botLogins []*botLogin

// Timeouts of the asks degraded starts: the ask itself may take its
// time (GitLab's client retries with backoff) and goes on after the
// probe is answered, but the probe waits for it only briefly, well
// within a kubelet's default probe timeout of one second.
const (
	botLoginAskTimeout   = 10 * time.Second
	botLoginProbeTimeout = 500 * time.Millisecond
)

// degraded is what /readyz reports while a login is unknown: that
// forge's comments are refused until it answers (reviews, pushes, Slack
// and the other forges still work). Each unknown login is asked at once,
// in the background; the probe reports the forges that have not answered
// within botLoginProbeTimeout, and the next probe sees the answers that
// came later.
func (bs botLogins) degraded(ctx context.Context) []string {
	wait, cancel := context.WithTimeout(ctx, botLoginProbeTimeout)
	defer cancel()
	lines := make([]string, len(bs))
	var wg sync.WaitGroup
	for i, b := range bs {
		answer := make(chan error, 1)
		go func() {
			ask, cancel := context.WithTimeout(context.WithoutCancel(ctx), botLoginAskTimeout)
			defer cancel()
			_, err := b.Get(ask)
			answer <- err
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			select {
			case err = <-answer:
			case <-wait.Done():
				err = errors.New("no answer yet")
			}
			if err != nil {
				lines[i] = fmt.Sprintf("%s: bot login unknown, comment commands refused until %s answers: %v", cmp.Or(b.kind, strings.ToLower(b.forge)), b.forge, err)
			}
		}()
	}
	wg.Wait()
	return slices.DeleteFunc(lines, func(l string) bool { return l == "" })
}

// sweeper is the schedules' work: queue a converge job per repository,
// each at its own offset in the schedule's jitter window.
type sweeper struct {
	gh      forgeClient
	store   *jobs.Store
	cfg     *serviceconfig.Config
	metrics *metrics.Metrics
	history time.Duration
	now     func() time.Time
	log     *slog.Logger
}

func (s sweeper) fire(ctx context.Context, sp schedule.Spec, at time.Time) error {
	s.metrics.ScheduleRun(sp.Name)
	if _, err := s.store.Prune(ctx, s.now().Add(-s.history)); err != nil {
		s.log.Warn("could not prune the job history", "error", err)
	}
	var errs []error
	req := tasks.Request{Source: tasks.SourceSchedule, Verb: "sweep", Schedule: sp.Name}
	clusters := s.cfg.ScheduledClusters(sp.Name)
	for _, c := range clusters {
		// One job per cluster, at the schedule's time: its repositories
		// are converged one after another within it.
		r := req
		r.Cluster = c.Name
		_, err := s.store.Enqueue(ctx, jobs.Request{Repo: tasks.ClusterJobRepo(c.Name), Kind: tasks.KindClusterSweep, Payload: r.Payload(), RunAfter: at})
		if err != nil {
			errs = append(errs, err)
		}
	}
	sc := &sweepConfig{Repositories: s.cfg.Repositories}
	for _, o := range s.cfg.Owners {
		sc.Owners = append(sc.Owners, sweepOwner{Name: o.Name, Include: o.Include, Exclude: o.Exclude, IncludeArchived: o.IncludeArchived, IncludeForks: o.IncludeForks})
	}
	if len(sc.Repositories) == 0 && len(sc.Owners) == 0 {
		if len(clusters) == 0 {
			s.log.Info("schedule fired with no repositories or clusters configured", "schedule", sp.Name)
		}
		return errors.Join(errs...)
	}
	// The same selection as remedy sweep.
	repos, err := selectRepositories(ctx, s.gh, sc)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, r := range repos {
		_, err := s.store.Enqueue(ctx, jobs.Request{
			Repo: r, Kind: tasks.KindConverge, Payload: req.Payload(),
			RunAfter: at.Add(schedule.Offset(sp.Name, r, sp.Jitter)),
		})
		if err != nil {
			errs = append(errs, err)
		}
	}
	s.log.Info("sweep queued", "schedule", sp.Name, "repositories", len(repos), "clusters", len(clusters), "window", sp.Jitter)
	return errors.Join(errs...)
}

// retryable says whether a failed job is tried again: transport errors
// (jobs.Transient), GitHub's 5xx answers and its rate limits.
func retryable(err error) bool {
	return jobs.Transient(err) || ghforge.Transient(err)
}

// clusterSpecs are the configured clusters as the tasks read them.
func clusterSpecs(cs []serviceconfig.Cluster) map[string]clustersweep.Cluster {
	out := make(map[string]clustersweep.Cluster, len(cs))
	for _, c := range cs {
		out[c.Name] = clustersweep.Cluster{
			Name: c.Name, Kubeconfig: c.Kubeconfig, Context: c.Context,
			Namespace: c.Namespace, AllNamespaces: c.Namespace == "", ArgoNamespace: c.ArgoCDNamespace,
		}
	}
	return out
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/remedy-bot/remedy/gitops"
	ghforge "github.com/remedy-bot/remedy/gitops/forge/github"
	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/remediate"
)

// botFlags are the commit identity flags of pr and sweep.
type botFlags struct{ name, email string }

func (b *botFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&b.name, "bot-name", gitops.DefaultBotName, "author and committer name of fix commits")
	cmd.Flags().StringVar(&b.email, "bot-email", gitops.DefaultBotEmail, "author and committer email of fix commits; a branch head by anyone else is left alone")
}

func (b botFlags) identity() gitops.Identity { return gitops.Identity{Name: b.name, Email: b.email} }

// authFlags are the GitHub App flags of pr and sweep; without them,
// GITHUB_TOKEN authenticates.
type authFlags struct {
	appID     int64
	keyFile   string
	tokenFile string
}

func (a *authFlags) register(cmd *cobra.Command) {
	cmd.Flags().Int64Var(&a.appID, "app-id", 0, "authenticate as this GitHub App's installation on each repository owner, instead of with GITHUB_TOKEN (env REMEDY_APP_ID)")
	cmd.Flags().StringVar(&a.keyFile, "app-key-file", "", "the GitHub App's private key, PEM, PKCS#1 or PKCS#8 (env REMEDY_APP_KEY_FILE)")
	cmd.Flags().StringVar(&a.tokenFile, "token-file", "", "read the GitHub token from this file instead of GITHUB_TOKEN, e.g. a mounted Secret (env GITHUB_TOKEN_FILE)")
}

// envTokenFile names the file holding the token, for runs (a CronJob) that
// keep credentials in files rather than in the environment.
const envTokenFile = "GITHUB_TOKEN_FILE"

// readTokenFile returns the token held in path, without its trailing
// newline. Errors name the file, never its contents.
func readTokenFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("GitHub token file: %w", err)
	}
	tok := strings.TrimRight(string(b), "\r\n")
	if tok == "" {
		return "", fmt.Errorf("GitHub token file %s is empty", path)
	}
	if strings.ContainsAny(tok, " \t\r\n") {
		return "", fmt.Errorf("GitHub token file %s: want one token on one line", path)
	}
	return tok, nil
}

// tokenSource chooses the credentials: GITHUB_TOKEN, or a GitHub App from
// the flags or else the environment; never both, never neither.
func (a authFlags) tokenSource(inv *invocation, o ghforge.Options) (gitops.TokenSource, error) {
	appID, keyFile := a.appID, a.keyFile
	if appID == 0 {
		if v := inv.getenv("REMEDY_APP_ID"); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("REMEDY_APP_ID %q: want the GitHub App's numeric ID", v)
			}
			appID = id
		}
	}
	if keyFile == "" {
		keyFile = inv.getenv("REMEDY_APP_KEY_FILE")
	}
	tokenFile := a.tokenFile
	if tokenFile == "" {
		tokenFile = inv.getenv(envTokenFile)
	}
	if tokenFile != "" {
		if o.Token != "" {
			return nil, errors.New("both GITHUB_TOKEN and a token file (--token-file or GITHUB_TOKEN_FILE) are set: use one")
		}
		tok, err := readTokenFile(tokenFile)
		if err != nil {
			return nil, err
		}
		o.Token = tok
	}
	app := appID != 0 || keyFile != ""
	switch {
	case app && o.Token != "":
		return nil, errors.New("both GITHUB_TOKEN and a GitHub App (--app-id, --app-key-file or REMEDY_APP_ID, REMEDY_APP_KEY_FILE) are set: use one")
	case !app:
		if o.Token == "" {
			return nil, fmt.Errorf("%w, or --app-id and --app-key-file for a GitHub App", ghforge.ErrNoToken)
		}
		return gitops.StaticToken(o.Token), nil
	case appID == 0:
		return nil, errors.New("--app-key-file needs --app-id (or REMEDY_APP_ID), the GitHub App's ID")
	case appID < 0:
		return nil, fmt.Errorf("--app-id %d: want the GitHub App's ID, a positive number", appID)
	case keyFile == "":
		return nil, errors.New("--app-id needs --app-key-file (or REMEDY_APP_KEY_FILE), the App's private key")
	}
	key, err := ghforge.ReadAppKey(keyFile)
	if err != nil {
		return nil, err
	}
	return ghforge.NewAppTokenSource(ghforge.AppOptions{
		APIURL: o.APIURL, AppID: appID, Key: key, Transport: o.Transport, UserAgent: o.UserAgent, Log: o.Log,
	})
}

// prOptions are the flags of remedy pr.
type prOptions struct {
	base   string
	dryRun bool
	bot    botFlags
	auth   authFlags
	images imageFlags
	forge  forgeFlags
}

func newPRCommand(inv *invocation) *cobra.Command {
	opts := &prOptions{}
	cmd := &cobra.Command{
		Use:   "pr OWNER/REPO",
		Short: "Open or update the fix pull request of a GitHub repository",
		Long: `Clone the base branch of OWNER/REPO (its default branch unless --base),
scan it with the repository's own .remedy.yaml, fix what can be fixed, and
bring the fix pull request in line: open it, rebuild its branch when the
fixes or the base changed, close it when nothing is left to fix. A run that
finds nothing new writes nothing.

Fixes go to the branch remedy/security-fixes, or one branch per control
(remedy/<control-id>) with "group: per-control"; for a --base other than
the default branch, under remedy/<base>/. Closing a fix pull request
without merging tells remedy not to propose those fixes again. Once someone
else pushes to a fix branch, remedy leaves that pull request alone.

A GitHub App authenticates instead of a token with --app-id and
--app-key-file: remedy acts as the App's installation on the repository's
owner, with a token it creates and renews before it expires. The App needs
read and write access to contents and pull requests, and to issues for
labels and assignees.

Environment:
  GITHUB_TOKEN         token with contents and pull-requests write access
                       (required unless a GitHub App or a token file is given)
  GITHUB_TOKEN_FILE    file holding the token (a mounted Secret), when
                       --token-file is not given; instead of GITHUB_TOKEN
  REMEDY_APP_ID        GitHub App ID, when --app-id is not given
  REMEDY_APP_KEY_FILE  GitHub App private key file, when --app-key-file is not
  GITHUB_API_URL       REST API root for GitHub Enterprise Server,
                       e.g. https://ghe.example.com/api/v3 (default github.com)
  REMEDY_CACHE_DIR     where GET answers are kept for conditional requests
                       (default: the user cache folder; "off" disables; a
                       GitHub App's tokens last one run, so it keeps them in
                       memory only)`,
		Example: `  # What would the pull request be?
  GITHUB_TOKEN=... remedy pr acme/shop --dry-run

  # Open or update it, against a release branch
  remedy pr acme/shop --base release-1.4

  # As a GitHub App
  remedy pr acme/shop --app-id 123456 --app-key-file remedy.private-key.pem`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return interruptible(cmd.Context(), inv, func(ctx context.Context) error { return opts.run(ctx, inv, args[0]) })
		},
	}
	cmd.Flags().StringVar(&opts.base, "base", "", "branch to fix (default: the repository's default branch)")
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "push and write nothing; print the diff and the pull request remedy would open")
	opts.images.register(cmd.Flags())
	opts.bot.register(cmd)
	opts.auth.register(cmd)
	opts.forge.register(cmd)
	return cmd
}

func (o *prOptions) run(ctx context.Context, inv *invocation, arg string) error {
	kind, _, err := o.forge.resolve(inv)
	if err != nil {
		return err
	}
	if err := o.images.check(); err != nil {
		return err
	}
	owner, name, err := splitRepoOn(kind, arg)
	if err != nil {
		return err
	}
	gh, tokens, _, err := newForge(inv, o.auth, o.forge)
	if err != nil {
		return err
	}
	// git authenticates with the owner's token too; it stays valid for the
	// run (an App's is renewed minutes before it expires).
	token, err := tokens.Token(ctx, owner)
	if err != nil {
		return err
	}
	res, err := gitops.RemedyRepository(ctx, gh, owner, name, gitops.RunOptions{
		Token: token, Base: o.base, Bot: o.bot.identity(), Version: versionString(), DryRun: o.dryRun, Log: inv.log,
		Images: o.images.resolver(inv.log, false), RepoImages: true,
	})
	if o.dryRun {
		if werr := writeDryRun(inv.stdout, res); werr != nil {
			return werr
		}
	} else if res.Repo.FullName != "" {
		writePRSummary(inv.stdout, res)
		writeDashboardSummary(inv.stdout, res)
	}
	return err
}

// splitRepo reads OWNER/REPO.
func splitRepo(s string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(strings.TrimSuffix(s, ".git"), "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("repository %q: want OWNER/REPO", s)
	}
	return owner, name, nil
}

// forgeClient is what the commands need of a forge driver's client: the
// life cycle's gitops.Host and the listing of an owner's repositories.
type forgeClient interface {
	gitops.Host
	ListRepositories(ctx context.Context, owner string) ([]gitops.RepoInfo, error)
}

// splitRepoOn reads OWNER/REPO of a forge of kind; on GitLab, OWNER is the
// project's namespace, which may hold slashes (group/subgroup/project).
func splitRepoOn(kind, s string) (owner, name string, err error) {
	if kind != forgeGitLab {
		return splitRepo(s)
	}
	full := strings.TrimSuffix(s, ".git")
	i := strings.LastIndex(full, "/")
	if i <= 0 || i == len(full)-1 || strings.HasPrefix(full, "/") || strings.Contains(full, "//") {
		return "", "", fmt.Errorf("project %q: want GROUP[/SUBGROUP…]/PROJECT", s)
	}
	return full[:i], full[i+1:], nil
}

// newGitHubClient builds the API client from the environment and auth. The
// token source is returned for git, which authenticates separately.
func newGitHubClient(inv *invocation, auth authFlags) (forgeClient, gitops.TokenSource, error) {
	o := ghforge.OptionsFromEnv(inv.getenv)
	o.Log = inv.log
	o.UserAgent = "remedy/" + versionString()
	tokens, err := auth.tokenSource(inv, o)
	if err != nil {
		return nil, nil, err
	}
	o.Tokens = tokens
	// Answers are cached per token; an App's tokens never outlive the
	// process, so its answers are not worth keeping on disk.
	if _, static := tokens.(gitops.StaticToken); static {
		switch dir := inv.getenv("REMEDY_CACHE_DIR"); dir {
		case "off":
		case "":
			if base, err := os.UserCacheDir(); err == nil {
				o.Cache = ghforge.DirCache{Dir: filepath.Join(base, "remedy", "github")}
			}
		default:
			o.Cache = ghforge.DirCache{Dir: dir}
		}
	}
	gh, err := ghforge.New(o)
	if err != nil {
		return nil, nil, err
	}
	return gh, tokens, nil
}

// writePRSummary prints one line per fix branch.
func writePRSummary(w io.Writer, res gitops.RunResult) {
	fmt.Fprintf(w, "%s (%s): %s, %d fixable\n", res.Repo.FullName, res.Base, plural.Count(res.Findings, "finding"), res.Fixable)
	if len(res.Branches) == 0 {
		fmt.Fprintln(w, "nothing to fix, no fix pull request")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, b := range res.Branches {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", b.Action, b.Branch, prRef(b), b.Reason)
		for _, warn := range b.Warnings {
			fmt.Fprintf(tw, "\t\twarning: %s\t\n", warn)
		}
	}
	tw.Flush()
}

func prRef(b gitops.BranchResult) string {
	if b.PR == 0 {
		return "-"
	}
	return fmt.Sprintf("#%d %s", b.PR, b.URL)
}

// writeDryRun prints, per branch, what remedy would push and open: the
// diff, then the pull request's title and body.
func writeDryRun(w io.Writer, res gitops.RunResult) error {
	if res.Repo.FullName == "" {
		return nil
	}
	if len(res.Branches) == 0 {
		fmt.Fprintf(w, "%s (%s): %s, nothing to fix\n", res.Repo.FullName, res.Base, plural.Count(res.Findings, "finding"))
		return nil
	}
	for _, b := range res.Branches {
		fmt.Fprintf(w, "# %s: would be %s", b.Branch, b.Action)
		if b.PR != 0 {
			fmt.Fprintf(w, " (#%d)", b.PR)
		}
		if b.Reason != "" {
			fmt.Fprintf(w, ": %s", b.Reason)
		}
		fmt.Fprintln(w)
		if len(b.Changes) == 0 {
			continue
		}
		for _, c := range b.Changes {
			if err := remediate.UnifiedDiff(w, c.Path, c.Before, c.After); err != nil {
				return err
			}
		}
		fmt.Fprintf(w, "\n# pull request %s → %s\nTitle: %s\n\n%s\n", b.Branch, res.Base, b.Title, b.Body)
	}
	return nil
}

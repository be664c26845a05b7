// Package clustersweep fixes what runs in a cluster where it is written:
// it reads the cluster (scanner/cluster), finds each object's source in git
// (gitops/sourcemap), groups the objects by source repository and branch,
// and converges one fix pull request per repository through the gitops
// life cycle, whose body names the live objects.
//
// A cluster sweep fixes only what the cluster runs, so its pull requests
// live on branches of their own, remedy/live/<cluster>/…: a repository
// sweep (every finding of the repository) and a cluster sweep never
// rebuild each other's branch, and two clusters deployed from one
// repository never fight over one either.
//
// Data enters as a Cluster to read (Read: its objects scanned, and with
// ReadOptions.Sources each mapped to its file in git) and leaves as Live,
// whose Targets are the repositories and revisions to fix. Remedy takes
// one Target through the gitops skeleton (open, clone, scan the target's
// source paths keeping the live objects' findings, converge) and returns
// its gitops.RunResult; the pull requests are its effect on the forge.
package clustersweep

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/sourcemap"
	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/cluster"
	"github.com/remedy-bot/remedy/scanner/render"
)

// Cluster selects the cluster, and the part of it, to read.
type Cluster struct {
	// Name names the cluster in branch names and pull request bodies;
	// empty means the kubeconfig context's name ("in-cluster" in a pod).
	Name string
	// Kubeconfig is the kubeconfig file; empty means $KUBECONFIG, then
	// ~/.kube/config, then the in-cluster service account. Context
	// overrides its current context.
	Kubeconfig, Context string
	// Namespace is the one namespace read; empty reads the context's
	// namespace unless AllNamespaces.
	Namespace     string
	AllNamespaces bool
	// ArgoNamespace is where Argo CD's Applications live; empty means
	// sourcemap.DefaultArgoNamespace.
	ArgoNamespace string
	// PageSize is the objects per list call; 0 means cluster.DefaultPageSize.
	PageSize int64
}

// ReadOptions configure Read.
type ReadOptions struct {
	// Scan are the controls and config the live objects are scanned with.
	Scan scanner.Options
	// Sources maps each object to its file in git; without it only the
	// live scan is done.
	Sources bool
	// ForgeHost is the configured forge's host: only repositories there
	// are cloned with a token (from Tokens, per owner), all others
	// anonymously.
	ForgeHost string
	Tokens    gitops.TokenSource
	Log       *slog.Logger
	// Images, when set, reads the live containers' images before they are
	// scanned (cluster.Options.Images).
	Images *imageinfo.Resolver
	// Budgets bound the load of each source tree the mapping reads.
	Budgets render.Budgets
}

// Live is one read of a cluster: its objects, their findings and, with
// ReadOptions.Sources, where each is written in git.
type Live struct {
	Cluster  Cluster
	Snapshot *cluster.Snapshot
	Report   *scanner.Report
	// Mapping is nil without ReadOptions.Sources.
	Mapping *sourcemap.Mapping
	// Host is the API server read.
	Host string

	cloner *ownerCloner
}

// Close removes the source checkouts.
func (l *Live) Close() error {
	if l.cloner == nil {
		return nil
	}
	return l.cloner.Close()
}

// Read lists the cluster's objects, scans them with the same controls and
// code as files, and maps them to their sources. A source that cannot be
// cloned or loaded leaves its objects unplaced, as input errors of the
// report: never the end of the read.
func Read(ctx context.Context, c Cluster, o ReadOptions) (*Live, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g, kc, ns, err := cluster.Connect(cluster.KubeconfigOptions{Path: c.Kubeconfig, Context: c.Context}, c.Namespace, c.AllNamespaces)
	if err != nil {
		return nil, err
	}
	pageSize := c.PageSize
	if pageSize == 0 {
		pageSize = cluster.DefaultPageSize
	}
	snap, err := cluster.Scan(ctx, g, cluster.Options{Namespace: ns, PageSize: pageSize, Log: log, Images: o.Images}, o.Scan)
	if err != nil {
		return nil, err
	}
	log.Debug("cluster read", "host", kc.REST.Host, "namespace", ns, "objects", len(snap.Objects), "collapsed", snap.Collapsed)
	if c.Name == "" {
		c.Name = cmp.Or(kc.Context, "in-cluster")
	}
	l := &Live{Cluster: c, Snapshot: snap, Report: snap.Report, Host: kc.REST.Host}
	if !o.Sources {
		return l, nil
	}
	l.cloner = &ownerCloner{forgeHost: o.ForgeHost, tokens: o.Tokens, log: log}
	m := &sourcemap.Mapper{
		Resolver: &sourcemap.Resolver{Getter: g, ArgoNamespace: c.ArgoNamespace},
		Cloner:   l.cloner, Scan: o.Scan, Budgets: o.Budgets, Log: log,
	}
	if l.Mapping, err = m.Map(ctx, snap, l.Report); err != nil {
		l.Close()
		return nil, err
	}
	for _, obj := range snap.Objects {
		if p := l.Mapping.Objects[obj.File]; p != nil && p.LoadErr != nil {
			l.Report.Errors = append(l.Report.Errors, scanner.FileError{File: obj.File, Message: "source: " + p.LoadErr.Error()})
		}
	}
	return l, nil
}

// ownerCloner clones forge repositories with the token of their owner (a
// GitHub App has one installation token per owner), each owner through a
// sourcemap.GitCloner of its own, and every other repository anonymously.
type ownerCloner struct {
	forgeHost string
	tokens    gitops.TokenSource
	log       *slog.Logger

	mu      sync.Mutex
	byOwner map[string]*sourcemap.GitCloner
}

// Checkout implements sourcemap.Cloner.
func (c *ownerCloner) Checkout(ctx context.Context, repoURL, revision string) (string, error) {
	return c.cloner(ctx, repoURL).Checkout(ctx, repoURL, revision)
}

func (c *ownerCloner) cloner(ctx context.Context, repoURL string) *sourcemap.GitCloner {
	owner := ""
	if o, _, ok := ForgeRepo(repoURL, c.forgeHost); ok {
		owner = strings.ToLower(o)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byOwner == nil {
		c.byOwner = map[string]*sourcemap.GitCloner{}
	}
	if gc := c.byOwner[owner]; gc != nil {
		return gc
	}
	gc := &sourcemap.GitCloner{ForgeHost: c.forgeHost}
	if owner != "" && c.tokens != nil {
		token, err := c.tokens.Token(ctx, owner)
		switch {
		case err == nil:
			gc.Token = token
		case !errors.Is(err, gitops.ErrNoToken):
			// Public repositories still clone; a private one fails
			// with git's own error on its objects.
			c.log.Warn("no token for the owner's repositories: cloning anonymously", "owner", owner, "error", err)
		}
	}
	c.byOwner[owner] = gc
	return gc
}

// Close removes every checkout.
func (c *ownerCloner) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	for _, gc := range c.byOwner {
		errs = append(errs, gc.Close())
	}
	c.byOwner = nil
	return errors.Join(errs...)
}

// ForgeHost is the host of the forge whose REST root is apiURL (as
// GITHUB_API_URL names it): github.com for api.github.com or an empty URL,
// the URL's own host for GitHub Enterprise Server.
func ForgeHost(apiURL string) string {
	if apiURL == "" || sourcemap.RepoHost(apiURL) == "api.github.com" {
		return "github.com"
	}
	return sourcemap.RepoHost(apiURL)
}

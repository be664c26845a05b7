package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/gitops/clustersweep"
	"github.com/remedy-bot/remedy/gitops/sourcemap"
	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/report"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/cluster"
)

// clusterFlags are the flags of remedy scan --cluster.
type clusterFlags struct {
	enabled       bool
	kubeconfig    string
	context       string
	namespace     string
	allNamespaces bool
	pageSize      int64
	// sources maps each object to its file in git (gitops/sourcemap).
	sources bool
	// name names the cluster in remedy sweep --cluster's branches.
	name          string
	argoNamespace string
}

func (c *clusterFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&c.enabled, "cluster", false, "scan the live cluster of the kubeconfig instead of files (read-only: list on workloads, Services and RBAC)")
	f.StringVar(&c.kubeconfig, "kubeconfig", "", "with --cluster: kubeconfig file (default $KUBECONFIG, then ~/.kube/config, then in-cluster)")
	f.StringVar(&c.context, "context", "", "with --cluster: kubeconfig context (default its current context)")
	f.StringVarP(&c.namespace, "namespace", "n", "", "with --cluster: scan this namespace only (default the context's namespace)")
	f.BoolVarP(&c.allNamespaces, "all-namespaces", "A", false, "with --cluster: scan every namespace, and cluster-scoped RBAC")
	f.Int64Var(&c.pageSize, "page-size", cluster.DefaultPageSize, "with --cluster: objects per list call")
	_ = f.MarkHidden("page-size")
	f.BoolVar(&c.sources, "sources", true, "with --cluster: find each object's file and line in the git repository Argo CD or Flux deploys it from, and drift from it (clones those repositories; GITHUB_TOKEN is sent only to the GITHUB_API_URL host)")
	f.StringVar(&c.argoNamespace, "argocd-namespace", sourcemap.DefaultArgoNamespace, "with --cluster: the namespace of Argo CD's Applications")
}

// errClusterFlagsAlone is returned when a cluster flag comes without --cluster.
var errClusterFlagsAlone = errors.New("--kubeconfig, --context, --namespace, --all-namespaces, --sources, --argocd-namespace and --cluster-name need --cluster")

// check validates the flags, whether or not --cluster is set.
func (c *clusterFlags) check(f *pflag.FlagSet) error {
	if !c.enabled {
		for _, n := range []string{"kubeconfig", "context", "namespace", "all-namespaces", "sources", "argocd-namespace", "cluster-name"} {
			if f.Changed(n) {
				return errClusterFlagsAlone
			}
		}
		return nil
	}
	if c.allNamespaces && c.namespace != "" {
		return errors.New("--namespace and --all-namespaces exclude each other")
	}
	if c.pageSize < 1 {
		return fmt.Errorf("--page-size %d: want at least 1", c.pageSize)
	}
	return nil
}

// spec is the cluster the flags select.
func (c *clusterFlags) spec() clustersweep.Cluster {
	return clustersweep.Cluster{
		Name: c.name, Kubeconfig: c.kubeconfig, Context: c.context, Namespace: c.namespace,
		AllNamespaces: c.allNamespaces, ArgoNamespace: c.argoNamespace, PageSize: c.pageSize,
	}
}

// scanCluster reads the cluster, scans it, and maps the objects to their
// sources unless --sources=false, cloning forge repositories with tokens.
// Close the result when done.
func (c *clusterFlags) scanCluster(ctx context.Context, inv *invocation, opts scanner.Options, tokens gitops.TokenSource, images *imageinfo.Resolver) (*clustersweep.Live, error) {
	return clustersweep.Read(ctx, c.spec(), clustersweep.ReadOptions{
		Scan: opts, Sources: c.sources, ForgeHost: forgeHost(inv), Tokens: tokens, Log: inv.log, Images: images,
	})
}

// forgeHost is the host of the configured forge (GITHUB_API_URL, default
// github.com): only repositories there are cloned with a token.
func forgeHost(inv *invocation) string {
	return clustersweep.ForgeHost(inv.getenv("GITHUB_API_URL"))
}

// runCluster is remedy scan --cluster: the same controls and report formats
// over the cluster's live objects, each rendered under a cluster/… name.
func (o *scanOptions) runCluster(ctx context.Context, inv *invocation, paths []string) error {
	if len(paths) > 0 {
		return fmt.Errorf("--cluster scans the cluster, not paths; drop %q", paths)
	}
	switch o.format {
	case formatTable, formatJSON, formatSARIF:
	default:
		return fmt.Errorf("--format %q: want table, json or sarif", o.format)
	}
	catalog := scanner.DefaultCatalog()
	for _, id := range o.controls {
		if catalog.Get(id) == nil {
			return fmt.Errorf("--control %q: no such control (remedy controls lists them)", id)
		}
	}
	cfg := &config.Config{}
	if o.configPath != "" {
		var err error
		if cfg, err = loadConfig(o.configPath, "", catalog); err != nil {
			return err
		}
	}
	if err := o.images.check(); err != nil {
		return err
	}
	ls, err := o.cluster.scanCluster(ctx, inv, scanner.Options{Config: cfg, Catalog: catalog, Only: o.controls},
		gitops.StaticToken(inv.getenv("GITHUB_TOKEN")), o.images.resolver(inv.log, cfg.Images.Resolve))
	if err != nil {
		return err
	}
	defer ls.Close()
	snap, rep := ls.Snapshot, ls.Report
	for _, e := range rep.Errors {
		inv.log.Warn("not scanned", "what", e.File, "error", e.Message)
	}

	var out bytes.Buffer
	switch o.format {
	case formatJSON:
		enc := json.NewEncoder(&out)
		enc.SetIndent("", "  ")
		err = enc.Encode(sourcemap.Report{Scan: rep, Mapping: ls.Mapping})
	case formatSARIF:
		err = report.WriteSARIF(&out, rep, catalog, report.SARIFOptions{ToolVersion: versionString()})
	default:
		color := o.outputFile == "" && isTerminal(inv.stdout) && inv.getenv("NO_COLOR") == ""
		err = report.WriteTable(&out, rep, report.TableOptions{Color: color, Files: len(snap.Objects)})
		if err == nil && ls.Mapping != nil {
			writeSources(&out, snap, ls.Mapping)
		}
	}
	if err != nil {
		return err
	}
	return o.emit(inv, out.Bytes(), rep)
}

// writeSources prints, after the findings table, where each object is
// written in git and the drift between the two.
func writeSources(w io.Writer, snap *cluster.Snapshot, m *sourcemap.Mapping) {
	fmt.Fprintln(w, "\nSources:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, obj := range snap.Objects {
		p := m.Objects[obj.File]
		if p == nil {
			continue
		}
		s := p.Source
		where := s.Error
		if s.File != "" {
			where = fmt.Sprintf("%s@%s %s:%d", s.Repo, orHEAD(s.Revision), s.File, s.Line)
		}
		if s.Deployer != "" {
			where += " (" + s.Deployer + ")"
		}
		if s.Note != "" {
			where += "; " + s.Note
		}
		fmt.Fprintf(tw, "  %s\t%s\n", obj.File, where)
	}
	tw.Flush()
	if len(m.Drift) == 0 {
		fmt.Fprintln(w, "\nNo drift: every checked field is as git has it.")
		return
	}
	fmt.Fprintf(w, "\nDrift (%s changed in the cluster, not in git):\n", plural.Count(len(m.Drift), "field"))
	for _, d := range m.Drift {
		live, _ := json.Marshal(d.Live)
		src, _ := json.Marshal(d.Source)
		fmt.Fprintf(w, "  %s %s/%s %s: live %s, git %s (%s:%d)\n", d.Kind, d.Namespace, d.Name, d.Path, live, src, d.File, d.Line)
	}
}

func orHEAD(rev string) string {
	if rev == "" {
		return "HEAD"
	}
	return rev
}

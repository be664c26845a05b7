package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/remedy-bot/remedy/config"
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
}

func (c *clusterFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&c.enabled, "cluster", false, "scan the live cluster of the kubeconfig instead of files (read-only: list on workloads, Services and RBAC)")
	f.StringVar(&c.kubeconfig, "kubeconfig", "", "with --cluster: kubeconfig file (default $KUBECONFIG, then ~/.kube/config, then in-cluster)")
	f.StringVar(&c.context, "context", "", "with --cluster: kubeconfig context (default its current context)")
	f.StringVarP(&c.namespace, "namespace", "n", "", "with --cluster: scan this namespace only (default the context's namespace)")
	f.BoolVarP(&c.allNamespaces, "all-namespaces", "A", false, "with --cluster: scan every namespace, and cluster-scoped RBAC")
	f.Int64Var(&c.pageSize, "page-size", cluster.DefaultPageSize, "with --cluster: objects per list call")
	_ = f.MarkHidden("page-size")
}

// errClusterFlagsAlone is returned when a cluster flag comes without --cluster.
var errClusterFlagsAlone = errors.New("--kubeconfig, --context, --namespace and --all-namespaces need --cluster")

// check validates the flags, whether or not --cluster is set.
func (c *clusterFlags) check(f *pflag.FlagSet) error {
	if !c.enabled {
		for _, n := range []string{"kubeconfig", "context", "namespace", "all-namespaces"} {
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

// loadCluster reads the cluster the flags select.
func (c *clusterFlags) loadCluster(ctx context.Context, inv *invocation) (*cluster.Snapshot, *cluster.Kubeconfig, error) {
	kc, err := cluster.LoadKubeconfig(cluster.KubeconfigOptions{Path: c.kubeconfig, Context: c.context})
	if err != nil {
		return nil, nil, err
	}
	ns := c.namespace
	switch {
	case c.allNamespaces:
		ns = ""
	case ns == "":
		ns = kc.Namespace
	}
	g, err := cluster.NewRESTGetter(kc.REST)
	if err != nil {
		return nil, nil, err
	}
	snap, err := cluster.Load(ctx, g, cluster.Options{Namespace: ns, PageSize: c.pageSize, Log: inv.log})
	if err != nil {
		return nil, nil, err
	}
	inv.log.Debug("cluster read", "host", kc.REST.Host, "namespace", ns, "objects", len(snap.Objects), "collapsed", snap.Collapsed)
	return snap, kc, nil
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
		if cfg, err = loadConfig(o.configPath, "."); err != nil {
			return err
		}
	}
	snap, _, err := o.cluster.loadCluster(ctx, inv)
	if err != nil {
		return err
	}
	rep := scanner.ScanInputs(snap.Inputs, scanner.Options{Config: cfg, Catalog: catalog, Only: o.controls})
	for _, e := range rep.Errors {
		inv.log.Warn("not scanned", "what", e.File, "error", e.Message)
	}

	var out bytes.Buffer
	switch o.format {
	case formatJSON:
		err = report.WriteJSON(&out, rep)
	case formatSARIF:
		err = report.WriteSARIF(&out, rep, catalog, report.SARIFOptions{ToolVersion: versionString()})
	default:
		color := o.outputFile == "" && isTerminal(inv.stdout) && inv.getenv("NO_COLOR") == ""
		err = report.WriteTable(&out, rep, report.TableOptions{Color: color, Files: len(snap.Inputs.Files)})
	}
	if err != nil {
		return err
	}
	if err := o.write(inv.stdout, out.Bytes()); err != nil {
		return err
	}
	if code := scanExitCode(rep, o.failOn); code != exitOK {
		return exitStatus(code)
	}
	return nil
}

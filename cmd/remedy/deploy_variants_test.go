package main

import (
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/serve/serviceconfig"
)

// rendered is one variant of deploy/ as kustomize builds it.
type rendered []*resource.Resource

func renderDeploy(t *testing.T, dir string) rendered {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), abs)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	return m.Resources()
}

func (r rendered) get(kind, name string) *yaml.RNode {
	for _, res := range r {
		if res.GetKind() == kind && res.GetName() == name {
			return &res.RNode
		}
	}
	return nil
}

func (r rendered) kinds() []string {
	var out []string
	for _, res := range r {
		out = append(out, res.GetKind()+"/"+res.GetName())
	}
	return out
}

func lookup(t *testing.T, n *yaml.RNode, path ...string) string {
	t.Helper()
	v, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || v == nil {
		return ""
	}
	return strings.TrimSpace(v.MustString())
}

// TestDeployVariants builds both variants as kubectl apply -k would and
// checks what a platform team checks: replicas and their roll-out, the
// store, /metrics off the webhooks' Service and Ingress, egress limited,
// probes, and the CronJob's token in a file.
func TestDeployVariants(t *testing.T) {
	tests := []struct {
		dir      string
		replicas int
		strategy string
		pvc      bool
		pdb      bool
		store    string // what serve.yaml's store (or database) line says
	}{
		{deployDir, 1, "Recreate", true, false, "/var/lib/remedy/remedy.db"},
		{deployHADir, 3, "RollingUpdate", false, true, "database: {file: /var/run/secrets/remedy/postgres-dsn}"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.dir), func(t *testing.T) {
			r := renderDeploy(t, tt.dir)
			dep := r.get("Deployment", "remedy")
			if dep == nil {
				t.Fatalf("no Deployment remedy in %v", r.kinds())
			}
			if got := lookup(t, dep, "spec", "replicas"); got != strconv.Itoa(tt.replicas) {
				t.Errorf("replicas %s, want %d", got, tt.replicas)
			}
			if got := lookup(t, dep, "spec", "strategy", "type"); got != tt.strategy {
				t.Errorf("strategy %s, want %s", got, tt.strategy)
			}
			if tt.replicas > 1 && lookup(t, dep, "spec", "strategy", "rollingUpdate", "maxUnavailable") != "0" {
				t.Error("a rolling update may take a replica down before its successor is ready")
			}
			if (r.get("PersistentVolumeClaim", "remedy-store") != nil) != tt.pvc {
				t.Errorf("PersistentVolumeClaim present: %v, want %v", !tt.pvc, tt.pvc)
			}
			hasStoreVolume := lookup(t, dep, "spec", "template", "spec", "volumes", "[name=store]") != ""
			if hasStoreVolume != tt.pvc {
				t.Errorf("store volume present: %v, want %v", hasStoreVolume, tt.pvc)
			}
			if pdb := r.get("PodDisruptionBudget", "remedy"); (pdb != nil) != tt.pdb {
				t.Errorf("PodDisruptionBudget present: %v, want %v", pdb != nil, tt.pdb)
			} else if pdb != nil && lookup(t, pdb, "spec", "selector", "matchLabels", "app.kubernetes.io/component") != "server" {
				t.Error("the PodDisruptionBudget does not select the server's pods")
			}

			c, _ := dep.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=remedy]"))
			if c == nil {
				t.Fatal("no container remedy")
			}
			if got := lookup(t, c, "startupProbe", "httpGet", "path"); got != "/healthz" {
				t.Errorf("startupProbe %q", got)
			}
			if got := lookup(t, c, "ports", "[name=metrics]", "containerPort"); got != "9090" {
				t.Errorf("metrics port %q", got)
			}

			// serve.yaml: /metrics on the metrics port, and the store.
			var cm *yaml.RNode
			for _, res := range r {
				if res.GetKind() == "ConfigMap" && strings.HasPrefix(res.GetName(), "remedy-config") {
					cm = &res.RNode
				}
			}
			if cm == nil {
				t.Fatal("no remedy-config ConfigMap")
			}
			serve := cm.GetDataMap()["serve.yaml"]
			if !strings.Contains(serve, `metricsListen: ":9090"`) {
				t.Error("serve.yaml does not put /metrics on :9090")
			}
			if !strings.Contains(serve, "\nstore: "+tt.store) && !strings.Contains(serve, "\n"+tt.store) {
				t.Errorf("serve.yaml's store is not %q", tt.store)
			}
			if _, err := serviceconfig.Parse([]byte(serve)); err != nil {
				t.Errorf("serve.yaml: %v", err)
			}

			// The webhooks' Service has no route to /metrics; the metrics
			// Service is what the ServiceMonitor scrapes.
			svc := r.get("Service", "remedy")
			if got := lookup(t, svc, "spec", "ports"); strings.Contains(got, "metrics") || strings.Contains(got, "9090") {
				t.Errorf("the webhooks' Service exposes metrics:\n%s", got)
			}
			ms := r.get("Service", "remedy-metrics")
			if ms == nil || lookup(t, ms, "spec", "ports", "[name=metrics]", "targetPort") != "metrics" {
				t.Fatal("no metrics Service on the metrics port")
			}
			if sm := r.get("ServiceMonitor", "remedy"); sm != nil || tt.pdb {
				if sm == nil {
					t.Fatal("no ServiceMonitor")
				}
				if lookup(t, sm, "spec", "endpoints", "[port=metrics]", "path") != "/metrics" {
					t.Error("the ServiceMonitor does not scrape /metrics on the metrics port")
				}
				for k, v := range lookup2(sm, "spec", "selector", "matchLabels") {
					if ms.GetLabels()[k] != v {
						t.Errorf("the ServiceMonitor selects %s=%s; the metrics Service has %q", k, v, ms.GetLabels()[k])
					}
				}
			}
			if ing := r.get("Ingress", "remedy"); ing != nil || tt.pdb {
				if ing == nil {
					t.Fatal("no Ingress")
				}
				paths, _ := ing.Pipe(yaml.Lookup("spec", "rules", "0", "http", "paths"))
				elems, _ := paths.Elements()
				var got []string
				for _, p := range elems {
					got = append(got, lookup(t, p, "path")+" "+lookup(t, p, "pathType")+" "+lookup(t, p, "backend", "service", "name")+":"+lookup(t, p, "backend", "service", "port", "name"))
				}
				want := []string{"/webhooks/github Exact remedy:http", "/slack/commands Exact remedy:http"}
				if !slices.Equal(got, want) {
					t.Errorf("Ingress routes %q, want %q", got, want)
				}
			}

			// Egress limited: DNS, 443 out; nothing else for the sweep.
			for _, name := range []string{"remedy", "remedy-sweep"} {
				np := r.get("NetworkPolicy", name)
				if np == nil {
					t.Fatalf("no NetworkPolicy %s", name)
				}
				types := lookup(t, np, "spec", "policyTypes")
				if !strings.Contains(types, "Egress") || !strings.Contains(types, "Ingress") {
					t.Errorf("%s: policyTypes %s, want Ingress and Egress", name, types)
				}
				egress := lookup(t, np, "spec", "egress")
				for _, want := range []string{"port: 53", "protocol: UDP", "port: 443", "kube-dns"} {
					if !strings.Contains(egress, want) {
						t.Errorf("%s: egress lacks %q:\n%s", name, want, egress)
					}
				}
				if strings.Contains(egress, "to: []") || !strings.Contains(egress, "ports:") {
					t.Errorf("%s: egress allows any port:\n%s", name, egress)
				}
			}
			egress := lookup(t, r.get("NetworkPolicy", "remedy"), "spec", "egress")
			if strings.Contains(egress, "port: 5432") != tt.pdb {
				t.Errorf("egress to PostgreSQL: %v, want %v", !tt.pdb, tt.pdb)
			}

			// The CronJob reads its token from a file of the Secret.
			cj := r.get("CronJob", "remedy-sweep")
			sc, _ := cj.Pipe(yaml.Lookup("spec", "jobTemplate", "spec", "template", "spec", "containers", "[name=sweep]"))
			if env := lookup(t, sc, "env"); strings.Contains(env, "GITHUB_TOKEN") && !strings.Contains(env, "GITHUB_TOKEN_FILE") {
				t.Errorf("the sweep's token is in its environment:\n%s", env)
			}
			if !strings.Contains(lookup(t, sc, "args"), "--token-file=/var/run/secrets/remedy/github-token") {
				t.Error("the sweep does not read its token from the mounted Secret")
			}
			if lookup(t, sc, "volumeMounts", "[name=secrets]", "mountPath") != "/var/run/secrets/remedy" {
				t.Error("the Secret is not mounted in the sweep")
			}
		})
	}
}

func lookup2(n *yaml.RNode, path ...string) map[string]string {
	v, err := n.Pipe(yaml.Lookup(path...))
	if err != nil || v == nil {
		return nil
	}
	out := map[string]string{}
	_ = v.VisitFields(func(f *yaml.MapNode) error {
		out[f.Key.YNode().Value] = f.Value.YNode().Value
		return nil
	})
	return out
}

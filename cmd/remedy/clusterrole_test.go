package main

import (
	"os"
	"slices"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/scanner/cluster"
)

// clusterRoleRules reads the rules of deploy/base/clusterrole.yaml by
// group/resource: the verbs granted.
func clusterRoleRules(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(deployBaseDir + "/clusterrole.yaml")
	if err != nil {
		t.Fatal(err)
	}
	nodes, err := yaml.Parse(string(b))
	if err != nil {
		t.Fatal(err)
	}
	var role struct {
		Kind  string `yaml:"kind"`
		Rules []struct {
			APIGroups []string `yaml:"apiGroups"`
			Resources []string `yaml:"resources"`
			Verbs     []string `yaml:"verbs"`
		} `yaml:"rules"`
	}
	if err := nodes.YNode().Decode(&role); err != nil || role.Kind != "ClusterRole" {
		t.Fatalf("deploy/base/clusterrole.yaml: first document is not a ClusterRole: %v", err)
	}
	out := map[string][]string{}
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				out[g+"/"+res] = append(out[g+"/"+res], r.Verbs...)
			}
		}
	}
	return out
}

// TestClusterRoleIsExact: the deployed ClusterRole grants what the cluster
// features read, read-only, and nothing else.
func TestClusterRoleIsExact(t *testing.T) {
	want := map[string][]string{}
	for _, k := range cluster.Kinds() {
		want[k.Group+"/"+k.Resource] = []string{"list", "watch"}
	}
	want["apps/replicasets"] = append(want["apps/replicasets"], "get") // Trivy findings moved to the Deployment
	want["batch/jobs"] = append(want["batch/jobs"], "get")             // … and to the CronJob
	for _, gr := range []string{"argoproj.io/applications", "kustomize.toolkit.fluxcd.io/kustomizations",
		"source.toolkit.fluxcd.io/gitrepositories", "helm.toolkit.fluxcd.io/helmreleases"} {
		want[gr] = []string{"get"}
	}
	for _, gr := range []string{"aquasecurity.github.io/configauditreports", "aquasecurity.github.io/clusterconfigauditreports"} {
		want[gr] = []string{"list"}
	}
	got := clusterRoleRules(t)
	for gr, verbs := range got {
		for _, v := range verbs {
			if !slices.Contains([]string{"get", "list", "watch"}, v) {
				t.Errorf("%s: verb %q is not read-only", gr, v)
			}
		}
		slices.Sort(verbs)
		w := slices.Clone(want[gr])
		slices.Sort(w)
		if !slices.Equal(verbs, w) {
			t.Errorf("%s: verbs %v, want %v", gr, verbs, w)
		}
	}
	for gr := range want {
		if _, ok := got[gr]; !ok {
			t.Errorf("%s: not granted", gr)
		}
	}
}

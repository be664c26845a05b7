package clustersweep

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/remedy-bot/remedy/gitops/sourcemap"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/cluster"
)

func TestBranchPrefix(t *testing.T) {
	for _, tc := range []struct {
		cluster, base, def, want string
	}{
		{"prod", "main", "main", "remedy/live/prod/"},
		{"prod", "", "main", "remedy/live/prod/"},
		{"prod", "release-1", "main", "remedy/live/prod/release-1/"},
		{"arn:aws:eks:eu-west-1:123:cluster/Prod", "main", "main", "remedy/live/arn-aws-eks-eu-west-1-123-cluster-prod/"},
		{"kind-kind", "main", "main", "remedy/live/kind-kind/"},
		{"..", "main", "main", "remedy/live/cluster/"},
		{"", "main", "main", "remedy/live/cluster/"},
	} {
		if got := BranchPrefix(tc.cluster, tc.base, tc.def); got != tc.want {
			t.Errorf("BranchPrefix(%q, %q, %q) = %q, want %q", tc.cluster, tc.base, tc.def, got, tc.want)
		}
	}
}

func TestForgeRepo(t *testing.T) {
	for _, tc := range []struct {
		url, host, owner, name string
		ok                     bool
	}{
		{"https://github.com/acme/shop.git", "github.com", "acme", "shop", true},
		{"https://github.com/acme/shop", "github.com", "acme", "shop", true},
		{"https://github.com/acme/shop/", "github.com", "acme", "shop", true},
		{"https://GitHub.com/acme/shop", "github.com", "acme", "shop", true},
		{"https://ghe.example.com/acme/shop.git", "ghe.example.com", "acme", "shop", true},
		{"https://gitlab.com/acme/shop.git", "github.com", "", "", false},
		{"https://github.com/acme", "github.com", "", "", false},
		{"https://github.com/acme/shop.git", "", "", "", false},
		{"git@github.com:acme/shop.git", "github.com", "acme", "shop", true},
		{"ssh://git@github.com/acme/shop", "github.com", "acme", "shop", true},
		{"ssh://git@ghe.example.com:2222/acme/shop.git", "ghe.example.com", "acme", "shop", true},
		{"git@gitlab.com:acme/shop.git", "github.com", "", "", false},
		{"/srv/git/shop", "github.com", "", "", false},
	} {
		owner, name, ok := ForgeRepo(tc.url, tc.host)
		if owner != tc.owner || name != tc.name || ok != tc.ok {
			t.Errorf("ForgeRepo(%q, %q) = %q, %q, %v; want %q, %q, %v", tc.url, tc.host, owner, name, ok, tc.owner, tc.name, tc.ok)
		}
	}
}

// Targets group the placed objects by repository and revision, each path
// once with its objects, and leave out objects without a source.
func TestTargetsGroupByRepositoryAndRevision(t *testing.T) {
	res := func() *scanner.Resource { return &scanner.Resource{} }
	tree := func(path string) *sourcemap.Tree {
		return &sourcemap.Tree{Origin: sourcemap.Origin{Repo: "x", Path: path, Render: sourcemap.RenderDirectory,
			Sources: []sourcemap.Origin{{Path: "other"}}}}
	}
	obj := func(kind, ns, name string) *cluster.Object {
		return &cluster.Object{APIVersion: "apps/v1", Kind: kind, Namespace: ns, Name: name, File: cluster.FileName(kind, ns, name)}
	}
	objs := []*cluster.Object{
		obj("Deployment", "shop", "web"), obj("Deployment", "shop", "api"), obj("Deployment", "ops", "tool"),
		obj("Deployment", "shop", "web-staging"), obj("Deployment", "kube-system", "dns"),
	}
	placed := map[string]*sourcemap.Placed{
		objs[0].File: {Object: objs[0], Tree: tree("apps/shop"), Resource: res(), Source: sourcemap.Source{Repo: "https://github.com/acme/shop.git", Revision: "main"}},
		objs[1].File: {Object: objs[1], Tree: tree("apps/shop"), Resource: res(), Source: sourcemap.Source{Repo: "https://github.com/acme/shop.git", Revision: "main"}},
		objs[2].File: {Object: objs[2], Tree: tree("tools"), Resource: res(), Source: sourcemap.Source{Repo: "https://gitlab.com/ops/tools.git"}},
		objs[3].File: {Object: objs[3], Tree: tree("apps/shop"), Resource: res(), Source: sourcemap.Source{Repo: "https://github.com/acme/shop.git", Revision: "staging"}},
		objs[4].File: {Object: objs[4], Source: sourcemap.Source{Error: sourcemap.ErrNoDeployer.Error()}},
	}
	l := &Live{Cluster: Cluster{Name: "prod"}, Snapshot: &cluster.Snapshot{Objects: objs}, Mapping: &sourcemap.Mapping{Objects: placed}}
	got := l.Targets("github.com")
	dir := sourcemap.Origin{Repo: "x", Path: "apps/shop", Render: sourcemap.RenderDirectory}
	want := []Target{
		{Cluster: "prod", RepoURL: "https://github.com/acme/shop.git", Owner: "acme", Name: "shop", Revision: "main",
			Paths: []Source{{Origin: dir, Objects: []Object{{"apps/v1", "Deployment", "shop", "web"}, {"apps/v1", "Deployment", "shop", "api"}}}}},
		{Cluster: "prod", RepoURL: "https://gitlab.com/ops/tools.git",
			Paths: []Source{{Origin: sourcemap.Origin{Repo: "x", Path: "tools", Render: sourcemap.RenderDirectory}, Objects: []Object{{"apps/v1", "Deployment", "ops", "tool"}}}}},
		{Cluster: "prod", RepoURL: "https://github.com/acme/shop.git", Owner: "acme", Name: "shop", Revision: "staging",
			Paths: []Source{{Origin: dir, Objects: []Object{{"apps/v1", "Deployment", "shop", "web-staging"}}}}},
	}
	if !reflect.DeepEqual(got, want) {
		a, _ := json.MarshalIndent(got, "", "  ")
		b, _ := json.MarshalIndent(want, "", "  ")
		t.Errorf("targets:\n%s\nwant:\n%s", a, b)
	}
	if got[1].FullName() != "https://gitlab.com/ops/tools.git" || got[0].FullName() != "acme/shop" {
		t.Errorf("full names %q, %q", got[0].FullName(), got[1].FullName())
	}
	// A target is a job payload: it survives a JSON round trip.
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back []Target
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, got) {
		t.Errorf("JSON round trip changed the targets:\n%s", b)
	}
}

func TestObjectString(t *testing.T) {
	if got := (Object{Kind: "ClusterRole", Name: "admin"}).String(); got != "ClusterRole admin" {
		t.Errorf("cluster-scoped: %q", got)
	}
	if got := (Object{Kind: "Deployment", Namespace: "shop", Name: "web"}).String(); got != "Deployment shop/web" {
		t.Errorf("namespaced: %q", got)
	}
}

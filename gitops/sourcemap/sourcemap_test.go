package sourcemap

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/githubtest"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/helm"
	"github.com/remedy-bot/remedy/scanner/render"
)

func TestArgoAppFromTrackingID(t *testing.T) {
	tests := []struct {
		id, want string
		ok       bool
	}{
		{"shop:apps/Deployment:shop/web", "shop", true},
		{"team-a_shop:apps/Deployment:shop/web", "team-a_shop", true},
		{"shop:/Service:shop/web", "shop", true},
		{"shop", "", false},
		{":apps/Deployment:shop/web", "", false},
		{"shop:Deployment", "", false},
	}
	for _, tt := range tests {
		got, ok := argoAppFromTrackingID(tt.id)
		if got != tt.want || ok != tt.ok {
			t.Errorf("argoAppFromTrackingID(%q) = %q, %v; want %q, %v", tt.id, got, ok, tt.want, tt.ok)
		}
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{"./apps/web/": "apps/web", ".": "", "": "", "/x/../y": "y", "../../etc": "etc"} {
		if got := cleanPath(in); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestClonerSendsTheTokenOnlyToTheForge(t *testing.T) {
	c := &GitCloner{ForgeHost: "GitHub.com", Token: "tok"}
	tests := []struct {
		url       string
		wantToken bool
	}{
		{"https://github.com/acme/shop.git", true},
		{"https://GITHUB.COM/acme/shop", true},
		{"https://gitlab.com/acme/shop.git", false},
		{"https://github.com.evil.example/acme/shop.git", false},
		{"https://evil.example/github.com/acme/shop.git", false},
	}
	for _, tt := range tests {
		if got := c.auth(tt.url) != nil; got != tt.wantToken {
			t.Errorf("auth(%s) sends token: %v, want %v", tt.url, got, tt.wantToken)
		}
	}
	if (&GitCloner{ForgeHost: "github.com"}).auth("https://github.com/a/b") != nil {
		t.Error("no token configured, yet auth is sent")
	}
}

func TestClonerCheckout(t *testing.T) {
	srv := githubtest.New(t)
	srv.AddToken("tok", "remedy-bot")
	repo := srv.CreateRepo("acme", "shop", map[string]string{"a.yaml": "v: 1\n"})
	first := srv.BranchSHA("acme", "shop", "main")
	srv.CommitFiles("acme", "shop", "main", map[string]string{"a.yaml": "v: 2\n"}, "second")
	srv.CommitFiles("acme", "shop", "release", map[string]string{"a.yaml": "v: 3\n"}, "release")
	if out, err := exec.Command("git", "-C", repo.Dir, "tag", "v1.0.0", first).CombinedOutput(); err != nil {
		t.Fatalf("tag: %v\n%s", err, out)
	}
	c := &GitCloner{ForgeHost: strings.TrimPrefix(srv.URL, "http://"), Token: "tok"}
	defer c.Close()

	tests := []struct{ revision, want string }{
		{"", "v: 2\n"},
		{"main", "v: 2\n"},
		{"release", "v: 3\n"},
		{"v1.0.0", "v: 1\n"},
		{first, "v: 1\n"},
		{first[:10], "v: 1\n"},
	}
	for _, tt := range tests {
		dir, err := c.Checkout(context.Background(), repo.CloneURL, tt.revision)
		if err != nil {
			t.Errorf("Checkout(%q): %v", tt.revision, err)
			continue
		}
		b, _ := os.ReadFile(filepath.Join(dir, "a.yaml"))
		if string(b) != tt.want {
			t.Errorf("Checkout(%q): a.yaml = %q, want %q", tt.revision, b, tt.want)
		}
	}
	if _, err := c.Checkout(context.Background(), repo.CloneURL, "no-such-branch"); err == nil {
		t.Error("Checkout of a missing branch: want an error")
	}
	// Another host gets no token, and this forge refuses anonymous clones.
	anon := &GitCloner{ForgeHost: "github.com", Token: "tok"}
	defer anon.Close()
	if _, err := anon.Checkout(context.Background(), repo.CloneURL, "main"); err == nil {
		t.Error("anonymous clone of a private forge: want an error")
	}
}

func TestLoadTreeFindsObjects(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		p = filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("plain/web.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec: {}\n---\n"+
		"apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  type: NodePort\n")
	write("base/api.yaml", "# the api\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n    spec:\n      containers:\n      - name: api\n        image: api:1\n")
	write("base/kustomization.yaml", "resources: [api.yaml]\n")
	write("overlay/kustomization.yaml", "namespace: prod\nnamePrefix: prod-\nresources: [../base]\n")
	write("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")
	write("chart/values.yaml", "image: nginx:1.27\n")
	write("chart/templates/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n"+
		"spec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: {{ .Values.image }}\n")

	tests := []struct {
		path                       string
		apiVersion, kind, ns, name string
		wantFile                   string
		wantLine                   int
		wantErr                    string
	}{
		{"plain", "apps/v1", "Deployment", "shop", "web", "plain/web.yaml", 3, ""},
		{"plain", "v1", "Service", "shop", "web", "plain/web.yaml", 10, ""}, // no namespace in git: the only one of its name
		{"plain", "apps/v1", "Deployment", "shop", "api", "", 0, ""},
		{"overlay", "apps/v1", "Deployment", "prod", "prod-api", "base/api.yaml", 4, ""},
		{"chart", "apps/v1", "Deployment", "shop", "shop-web", "chart/templates/deployment.yaml", 3, ""},
		{"../outside", "", "", "", "", "", 0, "leaves the repository"},
	}
	for _, tt := range tests {
		t.Run(tt.path+" "+tt.name, func(t *testing.T) {
			tree, err := LoadTree(dir, Origin{Path: tt.path, Release: "shop-web", ReleaseNamespace: "shop"}, scanner.Options{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadTree: %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := tree.Find(tt.apiVersion, tt.kind, tt.ns, tt.name)
			if tt.wantFile == "" {
				if r != nil {
					t.Errorf("Find = %s, want none", r.ID())
				}
				return
			}
			if r == nil {
				t.Fatal("Find = nil")
			}
			if file, line := ObjectLocation(r); file != tt.wantFile || line != tt.wantLine {
				t.Errorf("ObjectLocation = %s:%d, want %s:%d", file, line, tt.wantFile, tt.wantLine)
			}
		})
	}
}

// TestLoadTreeBudgets: a source tree is loaded within the operator's
// budgets: a file, a build's output or a render over one is refused.
func TestLoadTreeBudgets(t *testing.T) {
	dir := t.TempDir()
	write := func(p, s string) {
		p = filepath.Join(dir, p)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	deployment := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\nspec:\n  template:\n    spec:\n      containers:\n      - name: a\n        image: a:1\n      - name: b\n        image: b:1\n"
	two := fmt.Sprintf(deployment, "web") + "---\n" + fmt.Sprintf(deployment, "api")
	write("plain/all.yaml", two)
	write("base/all.yaml", two)
	write("base/kustomization.yaml", "resources: [all.yaml]\n")
	write("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")
	write("chart/templates/deployment.yaml", fmt.Sprintf(deployment, "{{ .Release.Name }}"))

	tests := []struct {
		name, path string
		budgets    render.Budgets
		// found says whether the web Deployment is loaded; refused is
		// what the tree's error or load error says.
		found   bool
		refused string
	}{
		{"plain, defaults", "plain", render.Budgets{}, true, ""},
		{"plain, one document a file", "plain", render.Budgets{Load: scanner.Budgets{MaxDocuments: 1}}, false, "over the 1-document budget"},
		{"plain, one container a pod", "plain", render.Budgets{Load: scanner.Budgets{MaxContainers: 1}}, false, "over the 1-container budget"},
		{"plain, small files", "plain", render.Budgets{MaxFileSize: 64}, false, "64"},
		{"kustomization, defaults", "base", render.Budgets{}, true, ""},
		{"kustomization, one object", "base", render.Budgets{Load: scanner.Budgets{MaxObjects: 1}}, false, "1-object budget"},
		{"chart, defaults", "chart", render.Budgets{}, true, ""},
		{"chart, small output", "chart", render.Budgets{Helm: helm.Budget{MaxOutput: 16}}, false, "16"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := LoadTreeWith(context.Background(), nil, dir, Origin{Path: tt.path, Release: "web"}, scanner.Options{}, tt.budgets)
			var refused []string
			if err != nil {
				refused = append(refused, err.Error())
			} else {
				for _, e := range tree.Report.Errors {
					refused = append(refused, e.Message)
				}
				for _, s := range tree.In.Skipped {
					refused = append(refused, s.Reason)
				}
			}
			got := strings.Join(refused, "; ")
			if (tt.refused == "") != (got == "") || !strings.Contains(got, tt.refused) {
				t.Errorf("refused %q, want %q", got, tt.refused)
			}
			if found := err == nil && tree.Find("apps/v1", "Deployment", "", "web") != nil; found != tt.found {
				t.Errorf("web found = %v, want %v", found, tt.found)
			}
		})
	}
}

func TestFieldLocation(t *testing.T) {
	src := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    securityContext:\n      privileged: false\n"
	sf, errs := scanner.ParseFile("p.yaml", []byte(src))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	r := sf.Docs[0].Resources()[0]
	tests := []struct {
		path scanner.Path
		want int
	}{
		{scanner.Path{"spec", "containers", "[0]", "securityContext", "privileged"}, 9},
		{scanner.Path{"spec", "containers", "[0]", "securityContext", "runAsNonRoot"}, 8},
		{scanner.Path{"spec", "containers", "[3]", "image"}, 6},
		{scanner.Path{"spec", "hostNetwork"}, 5},
		{scanner.Path{"nothing"}, 3},
	}
	for _, tt := range tests {
		if file, line := FieldLocation(r, tt.path); file != "p.yaml" || line != tt.want {
			t.Errorf("FieldLocation(%s) = %s:%d, want p.yaml:%d", tt.path, file, line, tt.want)
		}
	}
}

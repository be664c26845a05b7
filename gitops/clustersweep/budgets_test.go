package clustersweep

import (
	"context"
	"testing"

	"github.com/remedy-bot/remedy/gitops"
	ghforge "github.com/remedy-bot/remedy/gitops/forge/github"
	"github.com/remedy-bot/remedy/gitops/sourcemap"
	"github.com/remedy-bot/remedy/internal/githubtest"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/render"
)

// TestRemedyWithinBudgets: a cluster sweep loads each source path within
// Options.Budgets (remedy serve's limits:): a file over the documents
// budget is an input error, and its objects are neither found nor fixed.
func TestRemedyWithinBudgets(t *testing.T) {
	deployment := func(name string) string {
		return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name + "\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: nginx:1.27.3\n          securityContext:\n            privileged: true\n"
	}
	s := githubtest.New(t)
	s.AddToken("ghp_bot", "remedy-bot")
	s.CreateRepo("acme", "fleet", map[string]string{
		".remedy.yaml":    "controls:\n  enable: [privileged]\n",
		"deploy/all.yaml": deployment("web") + "---\n" + deployment("api") + "---\n" + deployment("worker"),
	})
	s.SetPermission("acme", "fleet", "remedy-bot", "write")
	gh, err := ghforge.New(ghforge.Options{APIURL: s.APIURL(), Tokens: gitops.StaticToken("ghp_bot")})
	if err != nil {
		t.Fatal(err)
	}
	target := Target{Cluster: "prod", RepoURL: s.CloneURL("acme", "fleet"), Owner: "acme", Name: "fleet", Paths: []Source{{
		Origin:  sourcemap.Origin{Repo: s.CloneURL("acme", "fleet"), Path: "deploy", Render: sourcemap.RenderDirectory},
		Objects: []Object{{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}},
	}}}
	tests := []struct {
		name                           string
		budgets                        render.Budgets
		findings, fixable, inputErrors int
	}{
		{"default budgets", render.Budgets{}, 1, 1, 0},
		{"two documents a file", render.Budgets{Load: scanner.Budgets{MaxDocuments: 2}}, 0, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Remedy(context.Background(), gh, gitops.StaticToken("ghp_bot"), target, Options{DryRun: true, Budgets: tt.budgets})
			if err != nil {
				t.Fatal(err)
			}
			if res.Findings != tt.findings || res.Fixable != tt.fixable || res.InputErrors != tt.inputErrors {
				t.Errorf("%d findings, %d fixable, %d input errors; want %d, %d, %d", res.Findings, res.Fixable, res.InputErrors, tt.findings, tt.fixable, tt.inputErrors)
			}
		})
	}
}

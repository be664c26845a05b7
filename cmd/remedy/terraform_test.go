package main

import (
	"strings"
	"testing"
)

// TestPRCommandMixedTerraform: a repository that mixes plain YAML,
// Kustomize, Helm and Terraform gets one fix PR; the Terraform value set
// in terraform.tfvars is fixed there, not in the resource.
func TestPRCommandMixedTerraform(t *testing.T) {
	s := forge(t)
	tfMain := `variable "privileged" {
  type    = bool
  default = false
}

resource "kubernetes_deployment_v1" "api" {
  metadata {
    name      = "api"
    namespace = "shop"
  }
  spec {
    template {
      metadata {}
      spec {
        container {
          name  = "api"
          image = "nginx:1.27.3"
          security_context {
            privileged = var.privileged
          }
        }
      }
    }
  }
}
`
	s.CreateRepo("acme", "shop", map[string]string{
		".remedy.yaml":                          onlyPrivileged,
		"deploy/web.yaml":                       privilegedDeployment,
		"kustomize/base/kustomization.yaml":     "resources:\n  - deployment.yaml\n",
		"kustomize/base/deployment.yaml":        strings.ReplaceAll(privilegedDeployment, "name: web", "name: shop"),
		"charts/cart/Chart.yaml":                "apiVersion: v2\nname: cart\nversion: 0.1.0\n",
		"charts/cart/values.yaml":               "privileged: true\n",
		"charts/cart/templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cart\n  namespace: shop\nspec:\n  template:\n    spec:\n      containers:\n        - name: cart\n          image: nginx:1.27.3\n          securityContext:\n            privileged: {{ .Values.privileged }}\n",
		"terraform/main.tf":                     tfMain,
		"terraform/terraform.tfvars":            "# production\nprivileged = true\n",
	})
	r := runCLI(t, "", "pr", "acme/shop")
	assertNoToken(t, r)
	if r.code != exitOK {
		t.Fatalf("pr: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if prs := s.PullRequests("acme", "shop"); len(prs) != 1 {
		t.Fatalf("%d PRs, want one", len(prs))
	}
	for path, want := range map[string]string{
		"deploy/web.yaml":                "privileged: false",
		"kustomize/base/deployment.yaml": "privileged: false",
		"charts/cart/values.yaml":        "privileged: false",
		"terraform/terraform.tfvars":     "# production\nprivileged = false\n",
		"terraform/main.tf":              tfMain,
	} {
		c, _ := s.ReadFile("acme", "shop", "remedy/security-fixes", path)
		if !strings.Contains(c, want) {
			t.Errorf("%s on the fix branch:\n%s\nwant it to hold:\n%s", path, c, want)
		}
	}
}

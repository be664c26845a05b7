package remediate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/remedy-bot/remedy/scanner/terraform"
)

// hclComments returns the comments of an HCL file, in order.
func hclComments(b []byte) []string {
	toks, _ := hclsyntax.LexConfig(b, "", hcl.InitialPos)
	var out []string
	for _, t := range toks {
		if t.Type == hclsyntax.TokenComment {
			out = append(out, strings.TrimSpace(string(t.Bytes)))
		}
	}
	return out
}

// TestTerraformFixturesFix fixes the Terraform files of the Kubernetes
// provider's own repository and proves on each edited file what a
// reviewer relies on: it parses, no comment is lost, it is `terraform
// fmt`-clean when it was, and the rescan of the written fix is clean of
// every fixed finding with no new one. Findings and diffs are golden; the
// corpus totals are in testdata/rendered/terraform-totals.golden.
func TestTerraformFixturesFix(t *testing.T) {
	src := filepath.Join("..", "..", "shared", "fixtures", "terraform")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("terraform fixtures not found at %s: %v", src, err)
	}
	dir := copyTree(t, src)
	// The one file that does not parse as published is reported by the
	// scanner's own test; here it would only stop the rescan check.
	if err := os.Remove(filepath.Join(dir, "examples", "data-sources", "service_v1", "example_2.tf")); err != nil {
		t.Fatal(err)
	}
	opts := Options{ResourceDefaults: map[string]map[string]string{
		"limits": fixtureDefaults.Defaults.Resources.Limits, "requests": fixtureDefaults.Defaults.Resources.Requests,
	}}
	run := fixDeployed(t, dir, fixtureDefaults, opts)
	if len(run.in.Errors) > 0 {
		t.Errorf("load errors: %v", run.in.Errors)
	}
	files, tfFiles := 0, 0
	for _, f := range run.in.Files {
		if f.Rendered != nil && f.Rendered.Tool == terraform.Tool {
			files++
			tfFiles += len(f.Rendered.Sources)
		}
	}
	var edited, parsed, fmtKept, fmtClean, comments int
	fixedCount, notFixable := 0, 0
	for _, fx := range run.fixes {
		for _, o := range fx.Outcomes {
			switch o.Status {
			case StatusFixed:
				fixedCount++
			case StatusNotFixable:
				notFixable++
			}
		}
		if !fx.Changed() {
			continue
		}
		edited++
		if _, err := terraform.Parse(fx.File.Path, fx.After); err != nil {
			t.Errorf("%s: the fix does not parse: %v", fx.File.Path, err)
		} else {
			parsed++
		}
		before, after := hclComments(fx.Before), hclComments(fx.After)
		comments += len(before)
		if strings.Join(before, "\n") != strings.Join(after, "\n") {
			t.Errorf("%s: comments changed:\n%q\n%q", fx.File.Path, before, after)
		}
		if bytes.Equal(hclwrite.Format(fx.Before), fx.Before) {
			fmtClean++
			if !bytes.Equal(hclwrite.Format(fx.After), fx.After) {
				t.Errorf("%s: was terraform fmt-clean, is not after the fix:\n%s", fx.File.Path, fx.After)
			} else {
				fmtKept++
			}
		}
	}
	resources := 0
	for _, f := range run.in.Files {
		if f.Rendered != nil && f.Rendered.Tool == terraform.Tool {
			resources += len(f.Docs)
		}
	}
	checkRenderedGolden(t, "terraform-fixtures", findingsGolden(run.rep)+run.golden(t))
	totals := fmt.Sprintf("modules %d\nterraform files read %d\nobjects %d\nfindings %d\nfixed %d\nnot fixable %d\nedited files %d\nedited files that parse %d\nfmt-clean before %d, still clean %d\ncomments in edited files %d (all kept)\n",
		files, tfFiles, resources, len(run.rep.Findings), fixedCount, notFixable, edited, parsed, fmtClean, fmtKept, comments)
	checkRenderedGolden(t, "terraform-totals", totals)
	run.applyAndRescan(t, dir, fixtureDefaults)
}

// TestTerraformFixWhereWritten covers where a fix of a Terraform object
// lands: a literal in the resource, the terraform.tfvars line that sets a
// variable (not the resource, not the default), a module call's argument,
// a local; and a computed value, reported not fixable.
func TestTerraformFixWhereWritten(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"main.tf": `variable "pull_policy" {
  default = "IfNotPresent"
}

variable "privileged" {
  type    = bool
  default = false
}

locals {
  escalate = true
}

resource "kubernetes_deployment_v1" "web" {
  metadata {
    name      = "web"
    namespace = "shop"
  }
  spec {
    template {
      metadata {}
      spec {
        automount_service_account_token = false
        security_context {
          run_as_non_root = true
          seccomp_profile {
            type = "RuntimeDefault"
          }
        }
        # the web server
        container {
          name              = "web"
          image             = "nginx:1.27"
          image_pull_policy = var.pull_policy
          security_context {
            privileged                 = var.privileged
            allow_privilege_escalation = local.escalate
            read_only_root_filesystem  = true
            capabilities {
              add  = ["NET_ADMIN", "SYS_TIME"] // both needed?
              drop = ["ALL"]
            }
          }
          resources {
            limits = {
              cpu = "1"
            }
            requests = {
              cpu    = "100m"
              memory = "64Mi"
            }
          }
        }
      }
    }
  }
}

module "app" {
  source      = "./modules/app"
  pull_policy = "IfNotPresent"
}
`,
		"terraform.tfvars": "# production\nprivileged = true\n",
		"modules/app/main.tf": `variable "pull_policy" {}

variable "tag" {}

resource "kubernetes_pod_v1" "app" {
    metadata {
        name      = "app"
        namespace = "app"
    }
    spec {
        automount_service_account_token = false
        container {
            name              = "app"
            image             = "busybox:${var.tag}"
            image_pull_policy = var.pull_policy
        }
    }
}
`,
	})
	opts := Options{ResourceDefaults: map[string]map[string]string{
		"limits": fixtureDefaults.Defaults.Resources.Limits, "requests": fixtureDefaults.Defaults.Resources.Requests,
	}}
	run := fixDeployed(t, dir, fixtureDefaults, opts)
	if len(run.in.Errors) > 0 {
		t.Fatalf("load errors: %v", run.in.Errors)
	}
	got := findingsGolden(run.rep) + run.golden(t)
	checkRenderedGolden(t, "terraform-where-written", got)
	changed := map[string]bool{}
	for _, fx := range run.fixes {
		if fx.Changed() {
			changed[fx.File.Path] = true
		}
	}
	for _, want := range []string{"terraform.tfvars", "main.tf", "modules/app/main.tf"} {
		if !changed[want] {
			t.Errorf("%s was not edited; edited: %v", want, keys(changed))
		}
	}
	if !strings.Contains(got, "privileged = false") {
		t.Errorf("the tfvars line was not fixed:\n%s", got)
	}
	run.applyAndRescan(t, dir, fixtureDefaults)
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

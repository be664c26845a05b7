//go:build e2e

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/remedy-bot/remedy/internal/clustertest"
	"github.com/remedy-bot/remedy/internal/githubtest"
	"github.com/remedy-bot/remedy/scanner/cluster"
	"github.com/remedy-bot/remedy/serve/clock"
	"github.com/remedy-bot/remedy/serve/jobs"
)

// webSource is the Argo CD-deployed Deployment as git has it.
const webSource = `# web, deployed by Argo CD from plain manifests
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext:
          privileged: false
`

// apiSource is the Flux-deployed Deployment, written without a namespace
// (the Kustomization's namespace sets it).
const apiSource = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      automountServiceAccountToken: false
      containers:
      - name: api
        image: ghcr.io/acme/api:2.1
`

// gitopsCluster is a cluster whose objects are deployed from the forge's
// acme/shop: web by an Argo CD Application, api by a Flux Kustomization,
// other by an Application whose repository cannot be cloned, and debug by
// nobody. web was changed by hand after the sync: it runs privileged.
type gitopsCluster struct {
	env  *clustertest.Env
	srv  *githubtest.Server
	repo *githubtest.Repo
}

func newGitOpsCluster(t *testing.T) *gitopsCluster {
	t.Helper()
	env := clustertest.Start(t)
	srv := githubtest.New(t)
	srv.AddToken("tok", "remedy-bot")
	repo := srv.CreateRepo("acme", "shop", map[string]string{
		"plain/deployment.yaml":   webSource,
		"kust/kustomization.yaml": "namespace: shop\nresources:\n- deployment.yaml\n",
		"kust/deployment.yaml":    apiSource,
		"chart/Chart.yaml":        "apiVersion: v2\nname: chartweb\nversion: 0.1.0\n",
		"chart/values.yaml":       "image: nginx:1.27\n",
		"chart/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: chartweb}
  template:
    metadata:
      labels: {app: chartweb}
    spec:
      containers:
      - name: web
        image: {{ .Values.image }}
`,
	})
	srv.SetPermission("acme", "shop", "remedy-bot", "write")
	elsewhere := githubtest.New(t) // another host: cloned anonymously, which it refuses
	other := elsewhere.CreateRepo("acme", "other", map[string]string{"x.yaml": "a: 1\n"})

	env.Apply(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop, namespace: argocd}
spec:
  source: {repoURL: %q, path: plain, targetRevision: main}
  destination: {server: "https://kubernetes.default.svc", namespace: shop}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: other, namespace: argocd}
spec:
  sources:
  - {repoURL: %q, path: ., targetRevision: HEAD}
---
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: shop, namespace: flux-system}
spec: {url: %q, ref: {branch: main}, interval: 1m}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: api, namespace: flux-system}
spec: {path: ./kust, sourceRef: {kind: GitRepository, name: shop}, interval: 1m, prune: true}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: chartweb, namespace: flux-system}
spec:
  interval: 1m
  chart:
    spec: {chart: ./chart, sourceRef: {kind: GitRepository, name: shop}}
`, repo.CloneURL, other.CloneURL, repo.CloneURL))
	env.Apply(t, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: chartweb
  namespace: shop
  labels:
    helm.toolkit.fluxcd.io/name: chartweb
    helm.toolkit.fluxcd.io/namespace: flux-system
spec:
  selector:
    matchLabels: {app: chartweb}
  template:
    metadata:
      labels: {app: chartweb}
    spec:
      containers:
      - name: web
        image: nginx:1.27
`)

	web := env.Apply(t, strings.Replace(webSource, "  namespace: shop\n",
		"  namespace: shop\n  annotations:\n    argocd.argoproj.io/tracking-id: shop:apps/Deployment:shop/web\n", 1))[0]
	env.Apply(t, strings.Replace(apiSource, "  name: api\n", `  name: api
  namespace: shop
  labels:
    kustomize.toolkit.fluxcd.io/name: api
    kustomize.toolkit.fluxcd.io/namespace: flux-system
`, 1))
	env.Apply(t, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: other
  namespace: shop
  annotations: {argocd.argoproj.io/tracking-id: "other:apps/Deployment:shop/other"}
spec:
  selector: {matchLabels: {app: other}}
  template:
    metadata: {labels: {app: other}}
    spec:
      containers: [{name: other, image: "busybox:1.36"}]
---
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: shop}
spec:
  containers: [{name: sh, image: "busybox:1.36"}]
`)
	// kubectl edit: web now runs privileged, which git does not say.
	containers, _, _ := unstructuredSlice(web.Object, "spec", "template", "spec", "containers")
	containers[0].(map[string]any)["securityContext"] = map[string]any{"privileged": true}
	env.Update(t, web)

	t.Setenv("GITHUB_API_URL", srv.APIURL())
	t.Setenv("GITHUB_TOKEN", "tok")
	t.Setenv("REMEDY_CACHE_DIR", "off")
	return &gitopsCluster{env: env, srv: srv, repo: repo}
}

func unstructuredSlice(obj map[string]any, path ...string) ([]any, bool, error) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, fmt.Errorf("%s: not an object", p)
		}
		cur = m[p]
	}
	s, ok := cur.([]any)
	return s, ok, nil
}

// clusterReport is the JSON of remedy scan --cluster.
type clusterReport struct {
	Findings []struct {
		Control, File, Path string
		Source              struct {
			Repo, Revision, Path, File, Deployer, Error string
			Line                                        int
		}
	}
	Errors []struct{ File, Message string }
	Drift  []struct {
		Control, Kind, Namespace, Name, Path, Repo, File string
		Live, Source                                     any
		Line                                             int
	}
}

func lineText(content string, line int) string {
	lines := strings.Split(content, "\n")
	if line < 1 || line > len(lines) {
		return fmt.Sprintf("<no line %d>", line)
	}
	return strings.TrimSpace(lines[line-1])
}

func TestE2EScanClusterMapsSourcesAndDrift(t *testing.T) {
	c := newGitOpsCluster(t)
	r := runCLI(t, "", "scan", "--cluster", "--kubeconfig", c.env.Kubeconfig, "-n", "shop", "-o", "json")
	if r.code != exitError {
		t.Errorf("exit %d, want %d (the unclonable repository is an input error)\nstderr:\n%s", r.code, exitError, r.stderr)
	}
	var rep clusterReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not the cluster JSON report: %v\n%s", err, r.stdout)
	}
	files := map[string]string{"plain/deployment.yaml": webSource, "kust/deployment.yaml": apiSource}
	files["chart/templates/deployment.yaml"], _ = c.srv.ReadFile("acme", "shop", "main", "chart/templates/deployment.yaml")

	tests := []struct {
		object, control string
		wantFile        string
		wantDeployer    string
		wantLine        string // text of the source line the finding points at
		wantError       string
	}{
		{"cluster/shop/Deployment/web", "privileged", "plain/deployment.yaml", "Application argocd/shop", "privileged: false", ""},
		{"cluster/shop/Deployment/web", "read-only-root-filesystem", "plain/deployment.yaml", "Application argocd/shop", "- name: web", ""},
		{"cluster/shop/Deployment/api", "run-as-non-root", "kust/deployment.yaml", "Kustomization flux-system/api", "- name: api", ""},
		{"cluster/shop/Deployment/chartweb", "run-as-non-root", "chart/templates/deployment.yaml", "HelmRelease flux-system/chartweb", "spec:", ""}, // Helm places a missing field at the pod spec
		{"cluster/shop/Pod/debug", "run-as-non-root", "", "", "", "no source: fix in the cluster by hand"},
		{"cluster/shop/Deployment/other", "run-as-non-root", "", "Application argocd/other", "", "clone " + c.srv.URL},
	}
	for _, tt := range tests {
		t.Run(tt.object+" "+tt.control, func(t *testing.T) {
			for _, f := range rep.Findings {
				if f.File != tt.object || f.Control != tt.control {
					continue
				}
				s := f.Source
				if tt.wantError != "" {
					if !strings.Contains(s.Error, tt.wantError) && !strings.Contains(s.Error, "clone") {
						t.Errorf("source error %q, want %q", s.Error, tt.wantError)
					}
					if s.File != "" || s.Deployer != tt.wantDeployer {
						t.Errorf("source %+v, want no file and deployer %q", s, tt.wantDeployer)
					}
					return
				}
				if s.Repo != c.repo.CloneURL || s.Revision != "main" || s.File != tt.wantFile || s.Deployer != tt.wantDeployer || s.Error != "" {
					t.Errorf("source %+v, want %s@main %s by %s", s, c.repo.CloneURL, tt.wantFile, tt.wantDeployer)
				}
				if got := lineText(files[s.File], s.Line); got != tt.wantLine {
					t.Errorf("source line %d is %q, want %q", s.Line, got, tt.wantLine)
				}
				return
			}
			t.Errorf("no %s finding on %s", tt.control, tt.object)
		})
	}

	var otherErr bool
	for _, e := range rep.Errors {
		if e.File == "cluster/shop/Deployment/other" && strings.Contains(e.Message, "clone") {
			otherErr = true
		}
	}
	if !otherErr {
		t.Errorf("errors %+v, want one for the Deployment whose source cannot be cloned", rep.Errors)
	}

	if len(rep.Drift) != 1 {
		t.Fatalf("drift %+v, want exactly web's privileged", rep.Drift)
	}

	// The table says the same for people.
	table := runCLI(t, "", "scan", "--cluster", "--kubeconfig", c.env.Kubeconfig, "-n", "shop")
	for _, want := range []string{
		"cluster/shop/Deployment/web       " + c.repo.CloneURL + "@main plain/deployment.yaml:4 (Application argocd/shop)",
		"cluster/shop/Pod/debug",
		"no source: fix in the cluster by hand",
		"Drift (1 field changed in the cluster, not in git):",
		"cluster/shop/Deployment/other     clone ", // one line, aligned
		"Deployment shop/web spec.template.spec.containers[0].securityContext.privileged: live true, git false (plain/deployment.yaml:18)",
	} {
		if !strings.Contains(table.stdout, want) {
			t.Errorf("table output lacks %q:\n%s", want, table.stdout)
		}
	}
	d := rep.Drift[0]
	if d.Kind != "Deployment" || d.Namespace != "shop" || d.Name != "web" || d.Control != "privileged" ||
		d.Path != "spec.template.spec.containers[0].securityContext.privileged" || d.Live != true || d.Source != false ||
		d.File != "plain/deployment.yaml" || lineText(webSource, d.Line) != "privileged: false" {
		t.Errorf("drift %+v, want web's privileged: live true, git false at plain/deployment.yaml's privileged line", d)
	}
}

// TestE2EScanClusterWithDeployedClusterRole runs the cluster scan as a user
// that holds only deploy/base/clusterrole.yaml: it must read everything it needs
// (no error entry beyond the repository that cannot be cloned) and nothing
// it does not (Secrets stay forbidden).
func TestE2EScanClusterWithDeployedClusterRole(t *testing.T) {
	c := newGitOpsCluster(t)
	role, err := os.ReadFile(deployBaseDir + "/clusterrole.yaml")
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(role), "\n---")
	c.env.Apply(t, first+`
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: remedy-scanner}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: remedy-runtime-scan}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: remedy-scanner}]
`)
	kubeconfig := c.env.AddUser(t, "remedy-scanner")

	r := runCLI(t, "", "scan", "--cluster", "--kubeconfig", kubeconfig, "-A", "-o", "json")
	var rep clusterReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("not the cluster JSON report: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	for _, e := range rep.Errors {
		if e.File != "cluster/shop/Deployment/other" {
			t.Errorf("error entry with the deployed ClusterRole: %s: %s", e.File, e.Message)
		}
	}
	mapped := 0
	for _, f := range rep.Findings {
		if f.Source.File != "" {
			mapped++
		}
	}
	if mapped == 0 {
		t.Error("no finding mapped to its source: the ClusterRole does not let remedy read the GitOps objects")
	}

	// RBAC is enforced: what the role does not grant is refused.
	g, err := clusterGetter(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Get(context.Background(), "/api/v1/secrets", nil); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("listing Secrets with the deployed ClusterRole: %v, want forbidden", err)
	}
}

func clusterGetter(kubeconfig string) (*cluster.RESTGetter, error) {
	kc, err := cluster.LoadKubeconfig(cluster.KubeconfigOptions{Path: kubeconfig})
	if err != nil {
		return nil, err
	}
	return cluster.NewRESTGetter(kc.REST)
}

// TestE2ESweepClusterOpensTheFixPullRequest: remedy sweep --cluster opens
// one fix pull request on the forge repository the cluster is deployed from,
// fixing both source paths, its body naming the live objects.
func TestE2ESweepClusterOpensTheFixPullRequest(t *testing.T) {
	c := newGitOpsCluster(t)
	r := runCLI(t, "", "sweep", "--cluster", "--cluster-name", "prod", "--kubeconfig", c.env.Kubeconfig, "-n", "shop", "-o", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	var rows []sweepRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if len(rows) != 1 || rows[0].Repo != "acme/shop" || rows[0].Status != "ok" || len(rows[0].Branches) != 1 || rows[0].Branches[0].PR == 0 {
		t.Fatalf("rows %+v, want one pull request on acme/shop", rows)
	}
	pr := c.srv.PullRequest("acme", "shop", rows[0].Branches[0].PR)
	if ref := pr.GetHead().GetRef(); ref != "remedy/live/prod/security-fixes" {
		t.Errorf("branch %q, want the cluster's own remedy/live/prod/security-fixes", ref)
	}
	if !strings.HasSuffix(pr.GetTitle(), "(live in prod)") {
		t.Errorf("title %q does not name the cluster", pr.GetTitle())
	}
	body := pr.GetBody()
	for _, want := range []string{"3 live objects", "`Deployment shop/api`", "`Deployment shop/chartweb`", "`Deployment shop/web`"} {
		if !strings.Contains(body, want) {
			t.Errorf("pull request body lacks %q:\n%s", want, body)
		}
	}
	// Both source paths are fixed on the bot branch, by the verified editor.
	for file, want := range map[string]string{
		"plain/deployment.yaml": "readOnlyRootFilesystem: true",
		"kust/deployment.yaml":  "readOnlyRootFilesystem: true",
	} {
		got, ok := c.srv.ReadFile("acme", "shop", pr.GetHead().GetRef(), file)
		if !ok || !strings.Contains(got, want) {
			t.Errorf("%s on %s lacks %q:\n%s", file, pr.GetHead().GetRef(), want, got)
		}
	}

	// A second sweep finds its fixes proposed already: no new pull request.
	again := runCLI(t, "", "sweep", "--cluster", "--cluster-name", "prod", "--kubeconfig", c.env.Kubeconfig, "-n", "shop", "-o", "json")
	if again.code != exitOK || len(c.srv.PullRequests("acme", "shop")) != 1 {
		t.Errorf("second sweep: exit %d, %d pull requests, want 0 and 1\n%s", again.code, len(c.srv.PullRequests("acme", "shop")), again.stdout)
	}
	head := c.srv.PullRequest("acme", "shop", pr.GetNumber()).GetHead().GetSHA()

	// The repository's own life cycle (remedy pr) keeps its branch apart:
	// one more pull request, and the cluster's is left as it was.
	if r := runCLI(t, "", "pr", "acme/shop"); r.code != exitOK {
		t.Fatalf("remedy pr: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	prs := c.srv.PullRequests("acme", "shop")
	if len(prs) != 2 {
		t.Fatalf("%d pull requests after remedy pr, want the cluster's and the repository's", len(prs))
	}
	for _, p := range prs {
		if p.GetNumber() == pr.GetNumber() && (p.GetState() != "open" || p.GetHead().GetSHA() != head) {
			t.Errorf("remedy pr touched the cluster's pull request: %s at %s, was open at %s", p.GetState(), p.GetHead().GetSHA(), head)
		}
	}
	// And the cluster's sweep leaves the repository's alone in turn.
	if r := runCLI(t, "", "sweep", "--cluster", "--cluster-name", "prod", "--kubeconfig", c.env.Kubeconfig, "-n", "shop", "-o", "json"); r.code != exitOK {
		t.Fatalf("third sweep: exit %d\n%s", r.code, r.stderr)
	}
	if got := c.srv.PullRequest("acme", "shop", pr.GetNumber()).GetHead().GetSHA(); got != head {
		t.Errorf("the cluster's branch moved to %s with nothing new to fix", got)
	}
}

// TestE2EImportTrivyReportsFromTheCluster: Trivy Operator reports on the
// ReplicaSet; remedy import --cluster reads the report from the API server
// and moves the finding to the Deployment that owns the ReplicaSet.
func TestE2EImportTrivyReportsFromTheCluster(t *testing.T) {
	env := clustertest.Start(t)
	dep := env.Apply(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`)[0]
	env.Apply(t, fmt.Sprintf(`apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-6d4f8c9b7
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: %s, controller: true}]
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
`, dep.GetUID()))
	b, err := os.ReadFile(importTestdata + "trivy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env.Apply(t, string(b))

	r := runCLI(t, "", "import", "--from", "trivy-operator", "--cluster", "--kubeconfig", env.Kubeconfig, "-n", "shop", "-o", "json")
	if r.code != exitFindings {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.code, exitFindings, r.stdout, r.stderr)
	}
	var out struct {
		Findings []struct {
			Control, Kind, Namespace, Name, Container string
			Original                                  struct{ Tool, ID string }
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	var got []string
	for _, f := range out.Findings {
		got = append(got, fmt.Sprintf("%s %s/%s/%s %s %s", f.Control, f.Kind, f.Namespace, f.Name, f.Container, f.Original.ID))
	}
	want := []string{
		"read-only-root-filesystem Deployment/shop/web web KSV014",
		"trivy-operator:KSV0125 Deployment/shop/web  KSV0125",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("imported:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestE2EServeScheduleSweepsTheCluster: remedy serve with a cluster under
// clusters: its schedule queues one cluster sweep, which reads the real
// API server, maps the objects to acme/shop and opens the cluster's fix
// pull request there; the next firing changes nothing.
func TestE2EServeScheduleSweepsTheCluster(t *testing.T) {
	c := newGitOpsCluster(t)
	const token = "ghp_cluster_sweep_secret_value"
	c.srv.AddToken(token, "remedy-bot")
	e := newServeEnvOn(t, c.srv, token)
	start := time.Date(2025, 6, 10, 1, 59, 0, 0, time.UTC)
	fake := clock.NewFake(start)
	cfg := e.config(fmt.Sprintf("clusters:\n  - {name: prod, kubeconfig: %q, namespace: shop}\nschedules:\n  - {name: nightly, cron: \"0 2 * * *\"}\n", c.env.Kubeconfig))
	svc, stop := e.start(cfg, serveDeps{Clock: fake})
	defer stop()
	done := make(chan struct{})
	defer close(done)
	at := time.Date(2025, 6, 10, 2, 0, 0, 0, time.UTC)
	if !fake.WaitForWaiter(at, done) {
		t.Fatal("the schedule is not waiting for 02:00")
	}
	fake.Set(at)
	waitForJob(t, svc, "cluster:prod", 1)
	e.idle(svc)
	h, _ := svc.Store.History(context.Background(), "cluster:prod", 10)
	if len(h) != 1 || h[0].State != jobs.Succeeded || !strings.Contains(h[0].Result, "acme/shop") {
		t.Fatalf("cluster sweep jobs %+v, want one that succeeded on acme/shop", h)
	}
	prs := c.srv.PullRequests("acme", "shop")
	if len(prs) != 1 || prs[0].GetHead().GetRef() != "remedy/live/prod/security-fixes" {
		t.Fatalf("pull requests %d, want the cluster's one on remedy/live/prod/security-fixes", len(prs))
	}
	if body := prs[0].GetBody(); !strings.Contains(body, "in cluster `prod`") || !strings.Contains(body, "`Deployment shop/web`") {
		t.Errorf("body does not name the cluster and its objects:\n%s", body)
	}
	head := prs[0].GetHead().GetSHA()

	next := at.Add(24 * time.Hour)
	if !fake.WaitForWaiter(next, done) {
		t.Fatal("the schedule is not waiting for the next night")
	}
	fake.Set(next)
	waitForJob(t, svc, "cluster:prod", 2)
	e.idle(svc)
	if prs := c.srv.PullRequests("acme", "shop"); len(prs) != 1 || prs[0].GetHead().GetSHA() != head {
		t.Errorf("the second night changed the pull requests: %d, head %s (was %s)", len(prs), prs[0].GetHead().GetSHA(), head)
	}
}

// waitForJob waits until repo has n jobs in the store's history.
func waitForJob(t *testing.T, svc *service, repo string, n int) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if h, _ := svc.Store.History(context.Background(), repo, 10); len(h) >= n {
			return
		}
	}
	t.Fatalf("no %d jobs for %s", n, repo)
}

// TestE2EInlineHelmValues: an Argo CD Application with two sources, the
// chart and a `ref: values` source whose envs/prod.yaml it names as
// $values/envs/prod.yaml, and inline valuesObject that makes the container
// privileged. remedy scan --cluster renders the chart as Argo CD does (the
// live object has no drift); remedy sweep --cluster fixes what is in the
// repository's values and leaves the inline value, which it cannot edit,
// alone.
func TestE2EInlineHelmValues(t *testing.T) {
	env := clustertest.Start(t)
	srv := githubtest.New(t)
	srv.AddToken("tok", "remedy-bot")
	repo := srv.CreateRepo("acme", "charts", map[string]string{
		"chart/Chart.yaml":  "apiVersion: v2\nname: web\nversion: 0.1.0\n",
		"chart/values.yaml": "image: nginx:1.27\n# the container's securityContext\nsecurityContext:\n  runAsNonRoot: true\n",
		"chart/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: {{ .Values.image }}
        securityContext:
          {{- toYaml .Values.securityContext | nindent 10 }}
`,
		"envs/prod.yaml": "image: nginx:1.27-alpine\n",
	})
	srv.SetPermission("acme", "charts", "remedy-bot", "write")
	env.Apply(t, fmt.Sprintf(`apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: web, namespace: argocd}
spec:
  sources:
  - repoURL: %[1]q
    path: chart
    targetRevision: main
    helm:
      valueFiles: [$values/envs/prod.yaml]
      valuesObject: {securityContext: {privileged: true}}
  - {repoURL: %[1]q, targetRevision: main, ref: values}
  destination: {server: "https://kubernetes.default.svc", namespace: shop}
`, repo.CloneURL))
	env.Apply(t, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations: {argocd.argoproj.io/tracking-id: "web:apps/Deployment:shop/web"}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27-alpine
        securityContext:
          privileged: true
          runAsNonRoot: true
`)
	t.Setenv("GITHUB_API_URL", srv.APIURL())
	t.Setenv("GITHUB_TOKEN", "tok")
	t.Setenv("REMEDY_CACHE_DIR", "off")

	r := runCLI(t, "", "scan", "--cluster", "--kubeconfig", env.Kubeconfig, "-n", "shop", "-o", "json")
	var rep clusterReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("exit %d: %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	if len(rep.Errors) != 0 || len(rep.Drift) != 0 {
		t.Errorf("errors %+v, drift %+v: want the chart rendered with the inline and $values values, as Argo CD does", rep.Errors, rep.Drift)
	}
	found := map[string]string{}
	for _, f := range rep.Findings {
		found[f.Control] = f.Source.File
	}
	if found["privileged"] == "" || found["privileged"] == "chart/values.yaml" {
		t.Errorf("privileged traced to %q: the inline value is not in values.yaml", found["privileged"])
	}
	if found["read-only-root-filesystem"] != "chart/values.yaml" {
		t.Errorf("read-only-root-filesystem traced to %q, want chart/values.yaml (the securityContext map)", found["read-only-root-filesystem"])
	}

	r = runCLI(t, "", "sweep", "--cluster", "--cluster-name", "prod", "--kubeconfig", env.Kubeconfig, "-n", "shop", "-o", "json")
	var rows []sweepRow
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil || len(rows) != 1 || rows[0].Status != "ok" || len(rows[0].Branches) != 1 {
		t.Fatalf("sweep: exit %d, rows %s\n%s", r.code, r.stdout, r.stderr)
	}
	pr := srv.PullRequest("acme", "charts", rows[0].Branches[0].PR)
	values, _ := srv.ReadFile("acme", "charts", pr.GetHead().GetRef(), "chart/values.yaml")
	if !strings.Contains(values, "readOnlyRootFilesystem: true") || strings.Contains(values, "privileged") {
		t.Errorf("values.yaml on the fix branch:\n%s\nwant readOnlyRootFilesystem added and privileged left to the Application", values)
	}
	if !strings.HasPrefix(values, "image: nginx:1.27\n# the container's securityContext\n") {
		t.Errorf("values.yaml lost its head:\n%s", values)
	}
	if prod, _ := srv.ReadFile("acme", "charts", pr.GetHead().GetRef(), "envs/prod.yaml"); prod != "image: nginx:1.27-alpine\n" {
		t.Errorf("envs/prod.yaml changed:\n%s", prod)
	}
}

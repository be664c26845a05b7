package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// deployDir is the single-pod default, deployBaseDir what it shares with
// deployHADir, the variant for several replicas on PostgreSQL.
const (
	deployDir     = "../../deploy"
	deployBaseDir = deployDir + "/base"
	deployHADir   = deployDir + "/ha"
)

// TestDeployPassesOwnControls is remedy scanning the manifests that deploy
// it: every control must pass, or be suppressed with a reason. deploy/
// holds two kustomize roots (itself and ha/, both on base/); each is also
// scanned alone, so that neither hides behind the other.
func TestDeployPassesOwnControls(t *testing.T) {
	for _, dir := range []string{deployDir, deployHADir} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			r := runCLI(t, "", "scan", dir, "-o", "json")
			rep := decodeReport(t, []byte(r.stdout))
			for _, f := range rep.Findings {
				if !f.Suppressed {
					t.Errorf("%s:%d: %s: %s", f.File, f.Line, f.Control, f.Message)
				}
			}
			for _, e := range rep.Errors {
				t.Errorf("unreadable: %v", e)
			}
			if r.code != exitOK {
				t.Errorf("remedy scan %s: exit %d\n%s", dir, r.code, r.stderr)
			}
		})
	}
}

// kustomization is the part of deploy/kustomization.yaml the tests read.
type kustomization struct {
	Namespace          string   `yaml:"namespace"`
	Resources          []string `yaml:"resources"`
	Components         []string `yaml:"components"`
	ConfigMapGenerator []struct {
		Name  string   `yaml:"name"`
		Files []string `yaml:"files"`
	} `yaml:"configMapGenerator"`
	Patches []struct {
		Path string `yaml:"path"`
	} `yaml:"patches"`
}

// TestDeployKustomization checks that each kustomization lists every
// manifest of its folder, and each one it lists exists, so `kubectl apply
// -k` applies them.
func TestDeployKustomization(t *testing.T) {
	for _, dir := range []string{deployDir, deployBaseDir, deployHADir} {
		var k kustomization
		readYAML(t, filepath.Join(dir, "kustomization.yaml"), &k)
		listed := append([]string(nil), k.Resources...)
		for _, g := range k.ConfigMapGenerator {
			listed = append(listed, g.Files...)
		}
		for _, p := range k.Patches {
			if p.Path != "" {
				listed = append(listed, p.Path)
			}
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
		for _, f := range files {
			if b := filepath.Base(f); b != "kustomization.yaml" && !slices.Contains(listed, b) {
				t.Errorf("%s is in %s but not in its kustomization.yaml", b, dir)
			}
		}
		for _, l := range append(listed, k.Components...) {
			if _, err := os.Stat(filepath.Join(dir, l)); err != nil {
				t.Errorf("%s/kustomization.yaml lists %s: %v", dir, l, err)
			}
		}
		if k.Namespace == "" || k.Namespace == "default" {
			t.Errorf("%s: namespace %q: want a namespace of its own", dir, k.Namespace)
		}
	}
	// The CronJob of both variants sweeps the same repositories.
	a, _ := os.ReadFile(filepath.Join(deployDir, "sweep.yaml"))
	b, _ := os.ReadFile(filepath.Join(deployHADir, "sweep.yaml"))
	if strip := func(b []byte) string { return string(b[bytes.Index(b, []byte("\nrepositories:")):]) }; len(a) == 0 || len(b) == 0 || strip(a) != strip(b) {
		t.Error("deploy/sweep.yaml and deploy/ha/sweep.yaml differ")
	}
}

// TestDeployShape checks what the scan cannot: one replica replaced (not
// rolled, the store has one writer), a writable /tmp for clones, probes on
// the server's routes, and a sweep sharded like its Indexed Job.
func TestDeployShape(t *testing.T) {
	dep := readNode(t, filepath.Join(deployBaseDir, "deployment.yaml"))
	str := func(n *yaml.RNode, path ...string) string {
		t.Helper()
		v, err := n.Pipe(yaml.Lookup(path...))
		if err != nil || v == nil {
			t.Fatalf("%s: no %s", n.GetKind(), strings.Join(path, "."))
		}
		return strings.TrimSpace(v.MustString())
	}
	if got := str(dep, "spec", "replicas"); got != "1" {
		t.Errorf("replicas %s, want 1", got)
	}
	if got := str(dep, "spec", "strategy", "type"); got != "Recreate" {
		t.Errorf("strategy %s, want Recreate", got)
	}
	c, err := dep.Pipe(yaml.Lookup("spec", "template", "spec", "containers", "[name=remedy]"))
	if err != nil || c == nil {
		t.Fatal("no container remedy")
	}
	if got := str(c, "livenessProbe", "httpGet", "path"); got != "/healthz" {
		t.Errorf("liveness probe %s", got)
	}
	if got := str(c, "readinessProbe", "httpGet", "path"); got != "/readyz" {
		t.Errorf("readiness probe %s", got)
	}
	if got := str(c, "volumeMounts", "[name=tmp]", "mountPath"); got != "/tmp" {
		t.Errorf("tmp mounted at %s", got)
	}
	if _, err := dep.Pipe(yaml.Lookup("spec", "template", "spec", "volumes", "[name=tmp]", "emptyDir")); err != nil {
		t.Error("tmp is not an emptyDir")
	}
	if got := str(c, "securityContext", "capabilities", "drop"); got != "[ALL]" {
		t.Errorf("drop %s", got)
	}
	// serve.yaml sweeps this cluster: client-go's in-cluster config reads
	// the service account's token where it is projected, while
	// automountServiceAccountToken stays false.
	if got := str(c, "volumeMounts", "[name=kube-api-access]", "mountPath"); got != "/var/run/secrets/kubernetes.io/serviceaccount" {
		t.Errorf("service account token mounted at %s", got)
	}
	if got := str(dep, "spec", "template", "spec", "volumes", "[name=kube-api-access]", "projected", "sources"); !strings.Contains(got, "serviceAccountToken:") || !strings.Contains(got, "expirationSeconds:") {
		t.Errorf("no short-lived token projected:\n%s", got)
	}
	if got := str(dep, "spec", "template", "spec", "automountServiceAccountToken"); got != "false" {
		t.Errorf("automountServiceAccountToken %s", got)
	}

	cj := readNode(t, filepath.Join(deployBaseDir, "cronjob-sweep.yaml"))
	if got := str(cj, "spec", "jobTemplate", "spec", "completionMode"); got != "Indexed" {
		t.Errorf("completionMode %s", got)
	}
	completions := str(cj, "spec", "jobTemplate", "spec", "completions")
	args := str(cj, "spec", "jobTemplate", "spec", "template", "spec", "containers", "[name=sweep]", "args")
	for _, want := range []string{"- sweep", "--shard-index=$(JOB_COMPLETION_INDEX)", "--shard-count=" + completions} {
		if !strings.Contains(args, want) {
			t.Errorf("sweep args lack %q:\n%s", want, args)
		}
	}
	if n, _ := strconv.Atoi(completions); n < 2 {
		t.Errorf("completions %s: a sharded sweep wants at least 2", completions)
	}
}

func readNode(t *testing.T, path string) *yaml.RNode {
	t.Helper()
	n, err := yaml.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return n
}

func readYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

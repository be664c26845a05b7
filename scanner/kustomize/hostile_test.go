package kustomize

import (
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/remedy-bot/remedy/internal/repofs/repofstest"
	"github.com/remedy-bot/remedy/internal/testfiles"
)

func TestIsRemote(t *testing.T) {
	for _, v := range []string{
		"https://github.com/acme/platform//monitoring?ref=v1.2.0",
		"HTTP://127.0.0.1:8080/pod.yaml", "Https://example.com/pod.yaml", "hTtPs://x/y",
		"http:pod.yaml", "file:///srv/repo", "FILE:///srv/repo", "file:/srv/repo",
		"ssh://git@example.com/acme/repo.git", "SSH://example.com/r", "git::https://example.com/r",
		"GIT::HTTPS://example.com/r", "git@github.com:acme/repo.git", "deploy@example.com:acme/repo",
		"github.com/acme/repo/base?ref=main", "GitHub.com/acme/repo", "github.com:acme/repo",
		"gitlab.com/acme/repo", "example.com/acme/repo//base?ref=v1", "s3://bucket/x", " https://x/y",
	} {
		if !isRemote(v) {
			t.Errorf("isRemote(%q) = false", v)
		}
	}
	for _, v := range []string{"../base", "deployment.yaml", "base/github", "./http/pod.yaml", "a@b.yaml", "configs/team@acme.yaml", "..data/x.yaml"} {
		if isRemote(v) {
			t.Errorf("isRemote(%q) = true", v)
		}
	}
}

// A remote resource in any case is skipped, with its URL named, and the
// server behind it gets no request at all.
func TestRemoteResourcesAreNeverFetched(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(repofstest.PrivilegedPod))
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	for _, u := range []string{"HTTP://" + host + "/pod.yaml", "Http://" + host + "/pod.yaml", "http://" + host + "/pod.yaml", "HTTPS://" + host + "/pod.yaml"} {
		t.Run(u, func(t *testing.T) {
			dir := testfiles.WriteTree(t, map[string]string{
				"prod/kustomization.yaml": "resources:\n- deployment.yaml\n- " + u + "\n",
				"prod/deployment.yaml":    baseDeployment,
			})
			res, err := Build(filepath.Join(dir, "prod"), Options{Root: dir})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, "remote base "+u+" is not fetched (line 3)") {
				t.Errorf("skipped %+v", res.Skipped)
			}
			if strings.Contains(string(res.File.Bytes), "privileged") {
				t.Errorf("the remote pod is in the output:\n%s", res.File.Bytes)
			}
		})
	}
	// Remote files a build needs fail it, still without a request.
	for _, tc := range []struct{ name, kustomization, want string }{
		{"patch", "resources:\n- deployment.yaml\npatches:\n- path: HTTP://" + host + "/p.yaml\n", "patches[0].path HTTP://" + host + "/p.yaml (line 4)"},
		{"generator file", "configMapGenerator:\n- name: c\n  files:\n  - k=Http://" + host + "/f\n", "configMapGenerator[0].files Http://" + host + "/f"},
		{"openapi", "resources:\n- deployment.yaml\nopenapi:\n  path: https://" + host + "/s.json\n", "openapi.path https://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := testfiles.WriteTree(t, map[string]string{
				"prod/kustomization.yaml": tc.kustomization,
				"prod/deployment.yaml":    baseDeployment,
			})
			_, err := Build(filepath.Join(dir, "prod"), Options{Root: dir})
			if err == nil || !strings.Contains(err.Error(), "remote files are not fetched") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v; want it to name %q", err, tc.want)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server got %d requests; want none", n)
	}
}

// file:// (and every git URL) is skipped without running git: a git on
// PATH that records its calls is never called, and kustomize leaves no
// clone folder in the temporary folder.
func TestGitResourcesAreNeverCloned(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	bin, tmp := t.TempDir(), t.TempDir()
	calls := filepath.Join(t.TempDir(), "git-calls")
	if err := os.WriteFile(filepath.Join(bin, "git"), []byte("#!/bin/sh\necho \"$@\" >> "+calls+"\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("TMPDIR", tmp)
	other := testfiles.WriteTree(t, map[string]string{"kustomization.yaml": "resources:\n- pod.yaml\n", "pod.yaml": repofstest.PrivilegedPod})
	for _, u := range []string{"file://" + other, "FILE://" + other, "git::file://" + other, "ssh://git@127.0.0.1/acme/repo", "git@127.0.0.1:acme/repo.git", "github.com/acme/repo?ref=main"} {
		for _, field := range []string{"resources", "components"} {
			dir := testfiles.WriteTree(t, map[string]string{
				"prod/kustomization.yaml": "resources:\n- deployment.yaml\n" + strings.Replace(field+":\n- "+u+"\n", "resources:\n", "", 1),
				"prod/deployment.yaml":    baseDeployment,
			})
			res, err := Build(filepath.Join(dir, "prod"), Options{Root: dir})
			if err != nil {
				t.Errorf("%s %s: %v", field, u, err)
				continue
			}
			if len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Reason, u+" is not fetched") {
				t.Errorf("%s %s: skipped %+v", field, u, res.Skipped)
			}
		}
	}
	if b, err := os.ReadFile(calls); err == nil {
		t.Errorf("git was run:\n%s", b)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "kustomize-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// A kustomization used for plugin configs is built as written: a remote
// entry in it fails the build rather than reach the network.
func TestPluginConfigKustomizationsAreVetted(t *testing.T) {
	dir := testfiles.WriteTree(t, map[string]string{
		"prod/kustomization.yaml":         "resources:\n- deployment.yaml\ntransformers:\n- ../transformers\n",
		"prod/deployment.yaml":            baseDeployment,
		"transformers/kustomization.yaml": "resources:\n- HTTPS://127.0.0.1:1/t.yaml\n",
	})
	_, err := Build(filepath.Join(dir, "prod"), Options{Root: dir})
	if err == nil || !strings.Contains(err.Error(), "transformers/kustomization.yaml: used for plugin configs, names what remedy does not fetch or render: resources HTTPS://127.0.0.1:1/t.yaml (line 2)") {
		t.Errorf("error %v", err)
	}
}

func TestHelmChartsInAKustomizationAreSkipped(t *testing.T) {
	dir := testfiles.WriteTree(t, map[string]string{
		"prod/kustomization.yaml": "resources:\n- deployment.yaml\nhelmCharts:\n- name: redis\n  repo: https://charts.example.com\n  version: 1.0.0\n",
		"prod/deployment.yaml":    baseDeployment,
	})
	res, err := Build(filepath.Join(dir, "prod"), Options{Root: dir})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 1 || res.Skipped[0].File != "prod/kustomization.yaml" ||
		!strings.Contains(res.Skipped[0].Reason, "helmCharts (line 3): remedy does not render Helm charts inside kustomizations") {
		t.Errorf("skipped %+v", res.Skipped)
	}
	if !strings.Contains(string(res.File.Bytes), "kind: Deployment") {
		t.Errorf("the rest is not built:\n%s", res.File.Bytes)
	}
}

// The hostile tree's kustomizations: a FIFO, a link to /dev/zero and a
// link out of the repository. Discovery and builds return, with errors
// naming the file, and never read outside.
func TestHostileKustomizations(t *testing.T) {
	repo := repofstest.Tree(t)
	roots := Roots([]string{repo})
	for name, want := range map[string]string{
		"kfifo": "read kfifo/kustomization.yaml: not a regular file (named pipe (FIFO))",
		"kzero": "read kzero/kustomization.yaml: leads outside the repository",
		"kout":  "read kout/kustomization.yaml: leads outside the repository",
	} {
		_, err := Build(filepath.Join(repo, name), Options{Root: repo})
		if err == nil || err.Error() != want {
			t.Errorf("%s: error %v; want %q", name, err, want)
		}
	}
	if len(roots) != 3 {
		t.Errorf("roots %v; want the three hostile ones, each to fail its build", roots)
	}
	// A resource that is a link out of the repository.
	repofstest.WriteFile(t, repo, "kres/kustomization.yaml", "resources:\n- secret.yaml\n")
	repofstest.Symlink(t, repo, "kres/secret.yaml", "../"+repofstest.Secret(t, repo))
	if res, err := Build(filepath.Join(repo, "kres"), Options{Root: repo}); err == nil {
		t.Errorf("built a resource outside the repository:\n%s", res.File.Bytes)
	}
}

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/internal/registrytest"
)

// TestResolveImagesCLI: with --resolve-images, remedy fix pins image-tag
// by the digest a real registry serves, refuses runAsNonRoot for a root
// image with the reason, and notes an unreachable registry without
// failing; without the flag nothing is read and image-tag stays unfixable.
func TestResolveImagesCLI(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials of the developer's
	reg := registrytest.Start(t, registrytest.Options{})
	appDigest := reg.Push(t, "app:latest", registrytest.Image{User: "1000"})
	reg.Push(t, "nginx:latest", registrytest.Image{Ports: []string{"80/tcp"}})
	down := registrytest.Unreachable(t)
	dir := t.TempDir()
	manifest := `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: ` + reg.Ref("app") + `
  - name: nginx
    image: ` + reg.Ref("nginx:latest") + `
  - name: gone
    image: ` + down + `/gone:latest
`
	if err := os.WriteFile(filepath.Join(dir, "pod.yaml"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	only := []string{"--control", "image-tag", "--control", "run-as-non-root"}

	type outcome struct {
		Control, Container, Status, Why, Note, Risk string
		Image                                       *struct{ Digest, Detail string }
	}
	fix := func(extra ...string) map[string]outcome {
		args := append([]string{"fix", "--dry-run", "-o", "json", "--image-timeout", "5s", dir}, append(only, extra...)...)
		r := runCLI(t, "", args...)
		if r.code == exitError {
			t.Fatalf("fix %v: exit %d: %s", extra, r.code, r.stderr)
		}
		var out struct {
			Outcomes []outcome `json:"outcomes"`
			Diff     string    `json:"diff"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v: %s", err, r.stdout)
		}
		m := map[string]outcome{"diff": {Why: out.Diff}}
		for _, o := range out.Outcomes {
			m[o.Container+" "+o.Control] = o
		}
		return m
	}

	got := fix("--resolve-images")
	for key, want := range map[string]string{
		"app image-tag":         "fixed",
		"nginx image-tag":       "fixed",
		"gone image-tag":        "not-fixable",
		"app run-as-non-root":   "fixed",
		"nginx run-as-non-root": "not-fixable",
		"gone run-as-non-root":  "fixed",
	} {
		if got[key].Status != want {
			t.Errorf("%s: %s (%s), want %s", key, got[key].Status, got[key].Why, want)
		}
	}
	if !strings.Contains(got["diff"].Why, "image: "+reg.Ref("app")+"@"+appDigest) {
		t.Errorf("app not pinned to %s:\n%s", appDigest, got["diff"].Why)
	}
	if w := got["nginx run-as-non-root"].Why; !strings.Contains(w, "the image runs as root") {
		t.Errorf("root image refusal: %q", w)
	}
	if n := got["gone image-tag"].Note; !strings.Contains(n, "registry unreachable") {
		t.Errorf("unreachable registry note: %q", n)
	}
	if o := got["app run-as-non-root"]; o.Risk != "none" || o.Image == nil || o.Image.Digest != appDigest {
		t.Errorf("app run-as-non-root: risk %q image %+v", o.Risk, o.Image)
	}
	if o := got["gone run-as-non-root"]; o.Risk != "review" {
		t.Errorf("unverified fix has risk %q", o.Risk)
	}

	offline := fix()
	if offline["app image-tag"].Status != "not-fixable" || !strings.Contains(offline["app image-tag"].Why, "--resolve-images") {
		t.Errorf("offline image-tag: %+v", offline["app image-tag"])
	}
	if o := offline["nginx run-as-non-root"]; o.Status != "fixed" || o.Risk != "review" {
		t.Errorf("offline run-as-non-root: %+v", o)
	}

	// images.resolve in .remedy.yaml does what the flag does.
	if err := os.WriteFile(filepath.Join(dir, ".remedy.yaml"), []byte("images:\n  resolve: true\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := fix(); got["app image-tag"].Status != "fixed" {
		t.Errorf("images.resolve: app image-tag %+v", got["app image-tag"])
	}
}

func TestControlsJSONShowsRisk(t *testing.T) {
	r := runCLI(t, "", "controls", "-o", "json")
	var cs []struct {
		ID      string
		Fixable bool
		Risk    *struct{ Level, Breaks, Check string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Fixable != (c.Risk != nil) {
			t.Errorf("%s: fixable %v, risk %+v", c.ID, c.Fixable, c.Risk)
		}
		if c.ID == "run-as-non-root" && (c.Risk.Level != "image" || !strings.Contains(c.Risk.Breaks, "kubelet")) {
			t.Errorf("run-as-non-root risk: %+v", c.Risk)
		}
	}
}

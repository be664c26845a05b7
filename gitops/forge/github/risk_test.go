package github

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/internal/registrytest"
)

// TestRiskGroupsWithImages: with group: risk and images read from a real
// registry, the fixes that cannot change what a working container does
// (image-pull-policy; run-as-non-root verified against a non-root image)
// get one pull request, those a human must check (read-only root
// filesystem) another; each body says what was checked against the image.
// A second run leaves both alone.
func TestRiskGroupsWithImages(t *testing.T) {
	t.Parallel()
	reg := registrytest.Start(t, registrytest.Options{})
	reg.Push(t, "app:1.0", registrytest.Image{User: "1000", Volumes: []string{"/cache"}})
	deploy := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          image: ` + reg.Ref("app:1.0") + `
`
	h := newHarness(t, map[string]string{
		".remedy.yaml":    "controls:\n  enable: [image-pull-policy, run-as-non-root, read-only-root-filesystem]\ngroup: risk\n",
		"deploy/app.yaml": deploy,
	})
	opts := gitops.RunOptions{Images: &imageinfo.Resolver{Keychain: authn.NewMultiKeychain(), Timeout: 10 * time.Second}}
	res, _ := h.mustRun(opts)
	want := []string{"remedy/risk-none:created", "remedy/risk-review:created"}
	if got := actions(res); !slices.Equal(got, want) {
		t.Fatalf("actions %v, want %v", got, want)
	}
	bodies := map[string]string{}
	for _, pr := range h.prs() {
		bodies[pr.GetHead().GetRef()] = pr.GetBody()
	}
	none, review := bodies["remedy/risk-none"], bodies["remedy/risk-review"]
	for _, c := range []struct {
		body, want string
		has        bool
	}{
		{none, "**Cannot change what a working container does**", true},
		{none, "`run-as-non-root` (1 fix): checked against the container's image", true},
		{none, "run-as-non-root: the image runs as uid 1000", true},
		{none, "read-only-root-filesystem", false},
		{review, "**Needs a human check before merging**", true},
		{review, "emptyDir mounted at /cache, /tmp", true},
		{review, "run-as-non-root", false},
	} {
		if strings.Contains(c.body, c.want) != c.has {
			t.Errorf("body has %q = %v, want %v:\n%s", c.want, !c.has, c.has, c.body)
		}
	}
	if f := h.file("remedy/risk-none", "deploy/app.yaml"); !strings.Contains(f, "runAsNonRoot: true") || strings.Contains(f, "readOnlyRootFilesystem") {
		t.Errorf("risk-none branch file:\n%s", f)
	}

	res, _ = h.mustRun(opts)
	for _, b := range res.Branches {
		if b.Action != gitops.ActionUnchanged {
			t.Errorf("second run: %s %s", b.Branch, b.Action)
		}
	}
}

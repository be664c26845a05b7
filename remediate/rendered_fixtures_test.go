package remediate

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/scanner"
)

// copyTree copies the regular files below src into a new temporary folder.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// findingsGolden lists findings of rendered output: where each points,
// what kind of source that is, and the builds that deploy it.
func findingsGolden(rep *scanner.Report) string {
	var b strings.Builder
	b.WriteString("# findings\n")
	for _, f := range rep.Findings {
		if !f.IsRendered() {
			continue
		}
		var roots []string
		for _, r := range f.Rendered {
			root := r.Root
			if r.Release != "" {
				root += "@" + r.Release
			}
			roots = append(roots, root)
		}
		obj := f.Kind + "/" + f.Name
		if f.Container != "" {
			obj += " [" + f.Container + "]"
		}
		suppressed := ""
		if f.Suppressed {
			suppressed = " (suppressed)"
		}
		fmt.Fprintf(&b, "%s:%d %s %s %s <- %s%s\n", f.File, f.Line, f.Source, f.Control, obj, strings.Join(roots, " "), suppressed)
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(&b, "error %s\n", e.Error())
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(&b, "skipped %s: %s\n", s.File, s.Reason)
	}
	return b.String()
}

// fixtureDefaults lets the resource controls be fixed too.
var fixtureDefaults = &config.Config{Defaults: config.Defaults{Resources: config.Resources{
	Limits:   map[string]string{"cpu": "1", "memory": "512Mi"},
	Requests: map[string]string{"cpu": "100m", "memory": "128Mi"},
}}}

// TestFixturesRenderedFixAndRescan runs the real layouts of the shared
// corpus as deployed: golden findings (with the source file and line each
// points at), golden fix diff; then the fix is written to a copy, which is
// built and scanned again and must be clean of every fixed finding.
func TestFixturesRenderedFixAndRescan(t *testing.T) {
	corpus := corpusRoot(t)
	for _, tc := range []struct {
		name, dir string
		// stubs are files the layout needs that the corpus, which keeps
		// manifests only, left out (configMapGenerator inputs).
		stubs map[string]string
		cfg   *config.Config
	}{
		{name: "microservices-demo-kustomize", dir: "microservices-demo/kustomize"},
		{name: "podinfo-kustomize", dir: "podinfo/kustomize"},
		{name: "podinfo-deploy", dir: "podinfo/deploy", stubs: map[string]string{
			"bases/cache/redis.conf":                    "maxmemory 64mb\n",
			"bases/database/scripts/rollup.sh":          "#!/bin/sh\n",
			"bases/database/scripts/backup.sh":          "#!/bin/sh\n",
			"bases/frontend/scripts/warm-cache.sh":      "#!/bin/sh\n",
			"bases/frontend/scripts/warm-cache-init.sh": "#!/bin/sh\n",
		}},
		{name: "flux-apps", dir: "flux2-kustomize-helm-example/apps"},
		{name: "podinfo-chart", dir: "podinfo/charts",
			stubs: map[string]string{"podinfo/templates/_helpers.tpl": podinfoHelpers(t)},
			// The chart rendered as two releases: defaults, and production
			// values on top.
			cfg: &config.Config{Defaults: fixtureDefaults.Defaults, Helm: config.Helm{Releases: []config.Release{
				{Name: "podinfo", Namespace: "podinfo", Chart: "podinfo"},
				{Name: "prod", Namespace: "prod", Chart: "podinfo", ValuesFiles: []string{"podinfo/values-prod.yaml"}},
			}}}},
		{name: "microservices-demo-helm", dir: "microservices-demo/helm-chart"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyTree(t, filepath.Join(corpus, filepath.FromSlash(tc.dir)))
			for p, c := range tc.stubs {
				full := filepath.Join(dir, filepath.FromSlash(p))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := tc.cfg
			if cfg == nil {
				cfg = fixtureDefaults
			}
			opts := Options{ResourceDefaults: map[string]map[string]string{
				"limits": cfg.Defaults.Resources.Limits, "requests": cfg.Defaults.Resources.Requests,
			}}
			run := fixDeployed(t, dir, cfg, opts)
			if len(run.in.Errors) > 0 {
				t.Errorf("load errors: %v", run.in.Errors)
			}
			checkRenderedGolden(t, "fixture-"+tc.name, findingsGolden(run.rep)+run.golden(t))
			run.applyAndRescan(t, dir, cfg)
		})
	}
}

// podinfoHelpers is podinfo's _helpers.tpl, which the corpus (YAML only)
// does not hold.
func podinfoHelpers(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "rendered", "podinfo-helpers.tpl"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

package helm

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkRenderChild compares one render of a real chart in process
// (what remedy did before budgets) with the same render in a render child
// (what it does now), and a whole Render with its marker renders.
func BenchmarkRenderChild(b *testing.B) {
	for _, c := range []struct{ name, dir string }{
		// podinfo's chart in the fixtures lacks its _helpers.tpl; remediate's
		// BenchmarkRenderScanPodinfoChart adds one.
		{"microservices-demo", "microservices-demo/helm-chart"},
	} {
		manifests, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "fixtures", "manifests"))
		if err != nil {
			b.Fatal(err)
		}
		dir := filepath.Join(manifests, c.dir)
		if !IsChart(dir) {
			b.Skipf("no chart at %s", dir)
		}
		r, err := newRenderer(dir, Release{Name: c.name}, Options{Root: manifests})
		if err != nil {
			b.Fatal(err)
		}
		req, err := r.request(mergedUserValues(r.userValues, nil), nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name+"/in-process", func(b *testing.B) {
			for b.Loop() {
				if resp := renderInChild(req); resp.Error != "" {
					b.Fatal(resp.Error)
				}
			}
		})
		b.Run(c.name+"/child", func(b *testing.B) {
			for b.Loop() {
				s := NewChild(r.budget)
				resp, err := s.render(context.Background(), req)
				if err != nil || resp.Error != "" {
					b.Fatal(err, resp)
				}
				s.close()
			}
		})
		b.Run(c.name+"/child-kept", func(b *testing.B) {
			for b.Loop() {
				resp, err := r.child.render(context.Background(), req)
				if err != nil || resp.Error != "" {
					b.Fatal(err, resp)
				}
			}
		})
		b.Run(c.name+"/Render", func(b *testing.B) {
			for b.Loop() {
				if _, err := Render(dir, Release{Name: c.name}, Options{Root: manifests}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package imageinfo_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/internal/registrytest"
)

// BenchmarkResolve reads 20 images, half with a named user (so their
// layers are read for /etc/passwd), from a registry on loopback: cold, and
// with the disk cache serve keeps (tags are still resolved).
func BenchmarkResolve(b *testing.B) {
	reg := registrytest.Start(b, registrytest.Options{})
	var refs []string
	for i := range 20 {
		spec := registrytest.Image{User: "1000", Ports: []string{"8080/tcp"}}
		if i%2 == 0 {
			spec = registrytest.Image{User: "nginx", Passwd: passwd}
		}
		repo := fmt.Sprintf("app%d:latest", i)
		reg.Push(b, repo, spec)
		refs = append(refs, reg.Ref(repo))
	}
	cache, err := imageinfo.NewDiskCache(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		r    *imageinfo.Resolver
	}{
		{"cold", &imageinfo.Resolver{Keychain: anonymous}},
		{"disk-cache", &imageinfo.Resolver{Keychain: anonymous, Cache: cache}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			bc.r.ResolveRefs(context.Background(), refs) // warm the cache
			b.ResetTimer()
			for b.Loop() {
				set := bc.r.ResolveRefs(context.Background(), refs)
				if len(set.Notes()) > 0 {
					b.Fatal(set.Notes()[0].Note)
				}
			}
		})
	}
}

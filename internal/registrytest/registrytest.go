// Package registrytest serves container images from a real registry
// (go-containerregistry's pkg/registry) on 127.0.0.1 for tests: images are
// built with pkg/v1/random and mutate, with the user, ports, volumes and
// /etc/passwd a test needs, and pushed by tag. A registry can require basic
// auth (to answer 401) or answer slowly (to time out).
package registrytest

import (
	"archive/tar"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Image describes an image to build.
type Image struct {
	User       string
	Ports      []string // "80/tcp"
	Volumes    []string
	WorkingDir string
	// Passwd, when set, is the text of an /etc/passwd layer on top.
	Passwd string
}

// Registry is a running registry.
type Registry struct {
	// Host is "127.0.0.1:port", the registry part of references.
	Host string
	srv  *httptest.Server
	auth remote.Option
	// delay holds manifest and blob answers back (see SetDelay).
	delay atomic.Int64
	// requests counts manifest and blob requests (not the /v2/ ping).
	requests atomic.Int64
}

// Requests is how many manifest and blob requests the registry received.
func (r *Registry) Requests() int { return int(r.requests.Load()) }

// Options of a registry.
type Options struct {
	// User and Password, when set, are required as basic auth.
	User, Password string
}

// Start serves a registry until the test ends.
func Start(t testing.TB, opts Options) *Registry {
	t.Helper()
	r := &Registry{auth: remote.WithAuth(authn.Anonymous)}
	var h http.Handler = registry.New(registry.Logger(discardLogger()))
	if opts.User != "" {
		h = basicAuth(h, opts.User, opts.Password)
	}
	r.srv = httptest.NewServer(r.delayed(h))
	t.Cleanup(r.srv.Close)
	r.Host = strings.TrimPrefix(r.srv.URL, "http://")
	if opts.User != "" {
		r.auth = remote.WithAuth(&authn.Basic{Username: opts.User, Password: opts.Password})
	}
	return r
}

// Unreachable returns a host:port on 127.0.0.1 where nothing listens.
func Unreachable(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Ref is the reference of repo (with ":tag" or not) on this registry.
func (r *Registry) Ref(repo string) string { return r.Host + "/" + repo }

// Build makes an image of spec.
func Build(t testing.TB, spec Image) v1.Image {
	t.Helper()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}
	if spec.Passwd != "" {
		layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(tarOf(t, "etc/passwd", spec.Passwd))), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, layer); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.User = spec.User
	cf.Config.WorkingDir = spec.WorkingDir
	if len(spec.Ports) > 0 {
		cf.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range spec.Ports {
			cf.Config.ExposedPorts[p] = struct{}{}
		}
	}
	if len(spec.Volumes) > 0 {
		cf.Config.Volumes = map[string]struct{}{}
		for _, v := range spec.Volumes {
			cf.Config.Volumes[v] = struct{}{}
		}
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// Push builds spec and pushes it as repoTag ("app:1.0"); it returns the
// image's digest.
func (r *Registry) Push(t testing.TB, repoTag string, spec Image) string {
	t.Helper()
	img := Build(t, spec)
	ref, err := name.ParseReference(r.Ref(repoTag))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, r.auth); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// PushIndex pushes a multi-platform index of one image per platform
// ("linux/amd64", "linux/arm64") as repoTag; it returns the index digest.
func (r *Registry) PushIndex(t testing.TB, repoTag string, platforms map[string]Image) string {
	t.Helper()
	var idx v1.ImageIndex = empty.Index
	for p, spec := range platforms {
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			t.Fatal(err)
		}
		img := Build(t, spec)
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: plat}})
	}
	ref, err := name.ParseReference(r.Ref(repoTag))
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx, r.auth); err != nil {
		t.Fatalf("push index %s: %v", ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func tarOf(t testing.TB, name, content string) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func basicAuth(h http.Handler, user, password string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		u, p, ok := req.BasicAuth()
		if !ok || u != user || p != password {
			w.Header().Set("WWW-Authenticate", `Basic realm="registrytest"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, req)
	})
}

// SetDelay makes the registry hold every manifest and blob answer back by d
// (the /v2/ ping stays fast, as a registry's front end answers it), until
// d passes or the client gives up. Push first, then slow it down.
func (r *Registry) SetDelay(d time.Duration) { r.delay.Store(int64(d)) }

func (r *Registry) delayed(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/v2/" {
			r.requests.Add(1)
		}
		if d := time.Duration(r.delay.Load()); d > 0 && req.URL.Path != "/v2/" {
			select {
			case <-time.After(d):
			case <-req.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, req)
	})
}

package imageinfo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/internal/registrytest"
)

const passwd = "root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101:nginx:/nonexistent:/bin/false\n"

// anonymous keeps the tests away from the developer's ~/.docker/config.json.
var anonymous = authn.NewMultiKeychain()

func TestResolve(t *testing.T) {
	reg := registrytest.Start(t, registrytest.Options{})
	digests := map[string]string{
		"root:latest":  reg.Push(t, "root:latest", registrytest.Image{Ports: []string{"80/tcp"}, Volumes: []string{"/var/cache/nginx", "/data"}}),
		"num:1":        reg.Push(t, "num:1", registrytest.Image{User: "1000:1000", Ports: []string{"8080/tcp"}, WorkingDir: "/app"}),
		"named:latest": reg.Push(t, "named:latest", registrytest.Image{User: "nginx", Passwd: passwd, Ports: []string{"80/tcp"}}),
		"ghost:latest": reg.Push(t, "ghost:latest", registrytest.Image{User: "ghost", Passwd: passwd}),
		"multi:latest": reg.PushIndex(t, "multi:latest", map[string]registrytest.Image{
			"linux/amd64": {User: "65532"},
			"linux/arm64": {User: "0"},
		}),
	}
	r := &imageinfo.Resolver{Keychain: anonymous, Timeout: 10 * time.Second}
	set := r.Resolve(context.Background(), []imageinfo.Request{
		{Ref: reg.Ref("root")}, {Ref: reg.Ref("num:1")}, {Ref: reg.Ref("named:latest")},
		{Ref: reg.Ref("ghost:latest")}, {Ref: reg.Ref("multi")}, {Ref: reg.Ref("missing:1")},
		{Ref: reg.Ref("num@" + digests["num:1"])},
	})
	tests := []struct {
		ref, digest, user, platform string
		uid                         int64
		known                       bool
		ports                       []int
		volumes                     []string
		note                        string
	}{
		{ref: "root", digest: digests["root:latest"], uid: 0, known: true, ports: []int{80}, volumes: []string{"/data", "/var/cache/nginx"}},
		{ref: "num:1", digest: digests["num:1"], user: "1000:1000", uid: 1000, known: true},
		{ref: "num@" + digests["num:1"], digest: digests["num:1"], user: "1000:1000", uid: 1000, known: true},
		{ref: "named:latest", digest: digests["named:latest"], user: "nginx", uid: 101, known: true, ports: []int{80}},
		{ref: "ghost:latest", digest: digests["ghost:latest"], user: "ghost", known: false},
		{ref: "multi", digest: digests["multi:latest"], user: "65532", uid: 65532, known: true, platform: "linux/amd64"},
		{ref: "missing:1", note: "the registry does not have it"},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			info, ok := set.Lookup(reg.Ref(tc.ref))
			if !ok {
				t.Fatal("not looked up")
			}
			if tc.note != "" {
				if info.OK() || !strings.Contains(info.Note, tc.note) {
					t.Fatalf("note = %q, want it to say %q", info.Note, tc.note)
				}
				return
			}
			if !info.OK() {
				t.Fatalf("note: %s", info.Note)
			}
			if info.Digest != tc.digest || info.User != tc.user || info.Platform != tc.platform {
				t.Errorf("got digest %s user %q platform %q, want %s %q %q", info.Digest, info.User, info.Platform, tc.digest, tc.user, tc.platform)
			}
			uid, known := info.UID()
			if uid != tc.uid || known != tc.known {
				t.Errorf("UID() = %d, %v; want %d, %v", uid, known, tc.uid, tc.known)
			}
			if got := info.LowPorts(); len(got) != len(tc.ports) || (len(got) > 0 && got[0] != tc.ports[0]) {
				t.Errorf("LowPorts() = %v, want %v", got, tc.ports)
			}
			if strings.Join(info.Volumes, ",") != strings.Join(tc.volumes, ",") {
				t.Errorf("Volumes = %v, want %v", info.Volumes, tc.volumes)
			}
		})
	}
}

// TestResolveFailuresAreNotes: an unreachable registry, a 401 and a slow
// registry each give a note, and Resolve still returns in bounded time.
func TestResolveFailuresAreNotes(t *testing.T) {
	private := registrytest.Start(t, registrytest.Options{User: "bot", Password: "s3cret-token"})
	private.Push(t, "app:1", registrytest.Image{User: "1000"})
	slow := registrytest.Start(t, registrytest.Options{})
	slow.Push(t, "app:1", registrytest.Image{User: "1000"})
	slow.SetDelay(time.Minute)
	down := registrytest.Unreachable(t) + "/app:1"

	// Five images on the slow registry, looked up one at a time, cost one
	// timeout: the registry is skipped once it did not answer.
	r := &imageinfo.Resolver{Keychain: anonymous, Timeout: 2 * time.Second, Parallel: 1}
	reqs := []imageinfo.Request{{Ref: private.Ref("app:1")}, {Ref: slow.Ref("app:1")}, {Ref: down}}
	for i := range 4 {
		reqs = append(reqs, imageinfo.Request{Ref: slow.Ref(fmt.Sprintf("other%d:1", i))})
	}
	before := slow.Requests()
	set := r.Resolve(context.Background(), reqs)
	if n := slow.Requests() - before; n != 1 {
		t.Errorf("the slow registry got %d requests, want 1: it is skipped once it did not answer", n)
	}
	if info, _ := set.Lookup(slow.Ref("other3:1")); !strings.Contains(info.Note, "did not answer in time") {
		t.Errorf("skipped lookup note: %q", info.Note)
	}
	for ref, want := range map[string]string{
		private.Ref("app:1"): "refused access (401)",
		slow.Ref("app:1"):    "did not answer in time",
		down:                 "registry unreachable",
	} {
		info, _ := set.Lookup(ref)
		if info.OK() || !strings.Contains(info.Note, want) {
			t.Errorf("%s: note %q, want %q", ref, info.Note, want)
		}
	}
	if len(set.Notes()) != 7 {
		t.Errorf("Notes() = %d, want 7", len(set.Notes()))
	}

	// With the pod's pull secret as the request's keychain, the private
	// image is read; the secret never shows in a note.
	secret := `{"auths":{"` + private.Host + `":{"username":"bot","password":"s3cret-token"}}}`
	kc, err := imageinfo.PullSecretKeychain([][]byte{[]byte(secret)})
	if err != nil {
		t.Fatal(err)
	}
	set = r.Resolve(context.Background(), []imageinfo.Request{{Ref: private.Ref("app:1"), Keychain: kc}})
	if info, _ := set.Lookup(private.Ref("app:1")); !info.OK() || info.User != "1000" {
		t.Fatalf("with pull secret: %+v", info)
	}
	bad, _ := imageinfo.PullSecretKeychain([][]byte{[]byte(strings.Replace(secret, "s3cret-token", "wrong", 1))})
	set = r.Resolve(context.Background(), []imageinfo.Request{{Ref: private.Ref("app:1"), Keychain: bad}})
	if info, _ := set.Lookup(private.Ref("app:1")); info.OK() || strings.Contains(info.Note, "wrong") {
		t.Fatalf("wrong secret: %+v", info)
	}
}

// TestDiskCache: a second run reads configs from the cache, yet still
// resolves the tag (it may have moved).
func TestDiskCache(t *testing.T) {
	reg := registrytest.Start(t, registrytest.Options{})
	first := reg.Push(t, "app:latest", registrytest.Image{User: "nginx", Passwd: passwd})
	dir := t.TempDir()
	cache, err := imageinfo.NewDiskCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := &imageinfo.Resolver{Keychain: anonymous, Cache: cache}
	ref := reg.Ref("app:latest")
	r.Resolve(context.Background(), []imageinfo.Request{{Ref: ref}})
	entries, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(entries) != 1 {
		t.Fatalf("cache has %d entries, want 1", len(entries))
	}
	// Poison the entry: a hit must come from the cache, not the registry.
	b, _ := os.ReadFile(entries[0])
	os.WriteFile(entries[0], []byte(strings.Replace(string(b), `"nginx"`, `"cached"`, 1)), 0o600)
	info, _ := r.Resolve(context.Background(), []imageinfo.Request{{Ref: ref}}).Lookup(ref)
	if info.Digest != first || info.User != "cached" {
		t.Fatalf("second run: %+v", info)
	}
	second := reg.Push(t, "app:latest", registrytest.Image{User: "2000"})
	info, _ = r.Resolve(context.Background(), []imageinfo.Request{{Ref: ref}}).Lookup(ref)
	if info.Digest != second || info.User != "2000" {
		t.Fatalf("after the tag moved: %+v", info)
	}
}

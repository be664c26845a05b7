package cluster

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/internal/registrytest"
	"github.com/remedy-bot/remedy/scanner"
)

// secretGetter serves single secrets beside pagedGetter's lists.
type secretGetter struct {
	pagedGetter
	secrets map[string]string
}

func (g *secretGetter) Get(ctx context.Context, path string, params map[string]string) ([]byte, error) {
	if s, ok := g.secrets[path]; ok {
		return []byte(s), nil
	}
	return g.pagedGetter.Get(ctx, path, params)
}

// TestLiveImages: in cluster mode a pod's image is read with its
// imagePullSecrets from a registry that needs them, and the image read is
// the digest the pod's status says it runs, not what the tag serves now.
// Without a readable secret the lookup is a note, and the scan goes on.
func TestLiveImages(t *testing.T) {
	reg := registrytest.Start(t, registrytest.Options{User: "bot", Password: "pull-token"})
	runningDigest := reg.Push(t, "app:latest", registrytest.Image{User: "1000"})
	tagDigest := reg.Push(t, "app:latest", registrytest.Image{User: "0"})
	ref := reg.Ref("app:latest")
	pod := obj("bare", "shop", "p1", "", fmt.Sprintf(
		`,"spec":{"imagePullSecrets":[{"name":"regcred"}],"containers":[{"name":"c","image":%q}]},"status":{"containerStatuses":[{"name":"c","imageID":%q}]}`,
		ref, reg.Ref("app")+"@"+runningDigest))
	dockercfg := base64.StdEncoding.EncodeToString([]byte(`{"auths":{"` + reg.Host + `":{"auth":"` +
		base64.StdEncoding.EncodeToString([]byte("bot:pull-token")) + `"}}}`))
	var podKind []Kind
	for _, k := range Kinds() {
		if k.Kind == "Pod" {
			podKind = append(podKind, k)
		}
	}
	resolver := &imageinfo.Resolver{Keychain: authn.NewMultiKeychain(), Timeout: 5 * time.Second}
	scan := scanner.Options{Only: []string{"image-tag"}}

	for _, tc := range []struct {
		name    string
		secrets map[string]string
		fixable bool
		note    string
	}{
		{"with the pull secret", map[string]string{"/api/v1/namespaces/shop/secrets/regcred": `{"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"` + dockercfg + `"}}`}, true, ""},
		{"secret not readable", nil, false, "refused access (401)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &secretGetter{pagedGetter: pagedGetter{items: map[string][]string{"/api/v1/pods": {pod}}}, secrets: tc.secrets}
			snap, err := Scan(context.Background(), g, Options{Kinds: podKind, Images: resolver}, scan)
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Report.Findings) != 1 {
				t.Fatalf("findings %+v", snap.Report.Findings)
			}
			f := snap.Report.Findings[0]
			if f.Fixable != tc.fixable || !strings.Contains(f.Note, tc.note) {
				t.Errorf("image-tag fixable %v note %q; want %v, %q", f.Fixable, f.Note, tc.fixable, tc.note)
			}
			if strings.Contains(f.Note, "pull-token") {
				t.Error("the note shows the secret")
			}
		})
	}

	g := &secretGetter{pagedGetter: pagedGetter{items: map[string][]string{}}, secrets: map[string]string{
		"/api/v1/namespaces/shop/secrets/regcred": `{"data":{".dockerconfigjson":"` + dockercfg + `"}}`}}
	li := &liveImages{g: g, resolver: resolver, log: discard(), secrets: map[string][]byte{}}
	file, _ := scanner.ParseFile("cluster/shop/Pod/bare", []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: bare, namespace: shop}\nspec:\n  imagePullSecrets: [{name: regcred}]\n  containers: [{name: c, image: \""+ref+"\"}]\n"))
	set := li.resolve(context.Background(), []*scanner.SourceFile{file}, map[string]map[string]string{file.Path: {"c": runningDigest}})
	info, _ := set.Lookup(ref)
	if !info.OK() || info.Digest != runningDigest || !info.Running || info.User != "1000" {
		t.Errorf("running image: %+v (the tag serves %s now)", info, tagDigest)
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

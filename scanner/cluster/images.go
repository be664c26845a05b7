package cluster

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/remedy-bot/remedy/imageinfo"
	"github.com/remedy-bot/remedy/scanner"
)

// liveImages reads the images of the live objects for --resolve-images:
// each container's image with its pod's imagePullSecrets as credentials
// (read from the API when remedy may; otherwise the Docker config's) and,
// for a Pod, the digest its status says each container runs.
type liveImages struct {
	g        Getter
	resolver *imageinfo.Resolver
	log      *slog.Logger
	// secrets caches the .dockerconfigjson of each pull secret by
	// namespace/name; nil for one that could not be read.
	secrets map[string][]byte
}

// running reads a Pod's status: container name to the repo digest it runs,
// when the imageID names one ("…@sha256:…"; a bare config ID does not).
func running(raw json.RawMessage) map[string]string {
	var pod struct {
		Status struct {
			ContainerStatuses, InitContainerStatuses []struct {
				Name    string `json:"name"`
				ImageID string `json:"imageID"`
			}
		} `json:"status"`
	}
	if json.Unmarshal(raw, &pod) != nil {
		return nil
	}
	out := map[string]string{}
	for _, cs := range append(pod.Status.ContainerStatuses, pod.Status.InitContainerStatuses...) {
		if _, d, ok := strings.Cut(cs.ImageID, "@"); ok && strings.HasPrefix(d, "sha256:") {
			out[cs.Name] = d
		}
	}
	return out
}

// resolve reads the images of one page. runningByFile holds, per file of a
// Pod, what running gave.
func (li *liveImages) resolve(ctx context.Context, files []*scanner.SourceFile, runningByFile map[string]map[string]string) *imageinfo.Set {
	var reqs []imageinfo.Request
	seen := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Docs {
			for _, r := range d.Resources() {
				ps := scanner.PodSpecOf(r)
				if ps == nil {
					continue
				}
				var secrets [][]byte
				for _, s := range scanner.Items(scanner.Field(ps.Node, "imagePullSecrets")) {
					if b := li.secret(ctx, r.Namespace, scanner.ScalarValue(scanner.Field(s, "name"))); b != nil {
						secrets = append(secrets, b)
					}
				}
				var kc authn.Keychain
				if len(secrets) > 0 {
					if k, err := imageinfo.PullSecretKeychain(secrets); err == nil {
						kc = k
					} else {
						li.log.Warn("image pull secret not read", "namespace", r.Namespace, "error", err)
					}
				}
				for _, c := range ps.Containers {
					ref := scanner.ScalarValue(scanner.Field(c.Node, "image"))
					if ref == "" || seen[ref] {
						continue
					}
					seen[ref] = true
					reqs = append(reqs, imageinfo.Request{Ref: ref, Keychain: kc, Running: runningByFile[f.Path][c.Name]})
				}
			}
		}
	}
	return li.resolver.Resolve(ctx, reqs)
}

// secret returns the docker config of a pull secret, or nil when it cannot
// be read (remedy's role may not get secrets: the Docker config's
// credentials are used then). Its content never reaches a log.
func (li *liveImages) secret(ctx context.Context, namespace, name string) []byte {
	if name == "" {
		return nil
	}
	key := namespace + "/" + name
	if b, ok := li.secrets[key]; ok {
		return b
	}
	li.secrets[key] = nil
	raw, err := li.g.Get(ctx, "/api/v1/namespaces/"+namespace+"/secrets/"+name, nil)
	if err != nil {
		li.log.Warn("image pull secret not readable; using the Docker config's credentials", "secret", key, "error", err)
		return nil
	}
	var s struct {
		Data map[string]string `json:"data"`
	}
	if json.Unmarshal(raw, &s) != nil {
		return nil
	}
	for _, k := range []string{".dockerconfigjson", ".dockercfg"} {
		if v, ok := s.Data[k]; ok {
			if b, err := base64.StdEncoding.DecodeString(v); err == nil {
				li.secrets[key] = b
				return b
			}
		}
	}
	return nil
}

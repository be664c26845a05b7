package imageinfo

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// PullSecretKeychain reads the credentials of image pull secrets, each the
// `.dockerconfigjson` (or legacy `.dockercfg`) data of a Secret, as the
// kubelet uses them: by registry host. Secrets are tried in order.
func PullSecretKeychain(secrets [][]byte) (authn.Keychain, error) {
	kc := pullSecrets{}
	for i, b := range secrets {
		var cfg struct {
			Auths map[string]dockerAuth `json:"auths"`
		}
		if err := json.Unmarshal(b, &cfg); err != nil {
			return nil, fmt.Errorf("image pull secret %d: not a docker config: %w", i+1, err)
		}
		if cfg.Auths == nil {
			// .dockercfg: the auths map itself.
			if err := json.Unmarshal(b, &cfg.Auths); err != nil {
				return nil, fmt.Errorf("image pull secret %d: not a docker config: %w", i+1, err)
			}
		}
		for host, a := range cfg.Auths {
			host = registryHost(host)
			if _, seen := kc[host]; !seen {
				kc[host] = a.config()
			}
		}
	}
	return kc, nil
}

type dockerAuth struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Auth     string `json:"auth"`
}

func (a dockerAuth) config() authn.AuthConfig {
	c := authn.AuthConfig{Username: a.Username, Password: a.Password}
	if a.Auth != "" && c.Username == "" {
		if b, err := base64.StdEncoding.DecodeString(a.Auth); err == nil {
			c.Username, c.Password, _ = strings.Cut(string(b), ":")
		}
	}
	return c
}

// registryHost turns a docker config key ("https://index.docker.io/v1/",
// "ghcr.io") into a registry host.
func registryHost(k string) string {
	k = strings.TrimPrefix(strings.TrimPrefix(k, "https://"), "http://")
	k, _, _ = strings.Cut(k, "/")
	if k == "docker.io" || k == "index.docker.io" || k == "registry-1.docker.io" {
		return "index.docker.io"
	}
	return k
}

type pullSecrets map[string]authn.AuthConfig

// Resolve implements authn.Keychain: a registry without a secret is
// anonymous here, so the next keychain of a multi-keychain is asked.
func (p pullSecrets) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if c, ok := p[registryHost(r.RegistryStr())]; ok {
		return authn.FromConfig(c), nil
	}
	return authn.Anonymous, nil
}

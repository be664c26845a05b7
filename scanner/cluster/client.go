package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Getter reads one URL path of the API server with query parameters and
// returns the raw JSON body. *RESTGetter implements it; Load and the source
// mapper need nothing else.
type Getter interface {
	Get(ctx context.Context, path string, params map[string]string) ([]byte, error)
}

// RESTGetter is a Getter over client-go's REST client: the kubeconfig's
// authentication, TLS, client-side rate limiting and retries.
type RESTGetter struct {
	client *rest.RESTClient
}

// NewRESTGetter returns a Getter for cfg. A zero QPS becomes 50 (client-go's
// default of 5 would make paging through a big cluster crawl; list calls are
// cheap and paged).
func NewRESTGetter(cfg *rest.Config) (*RESTGetter, error) {
	c := rest.CopyConfig(cfg)
	if c.QPS == 0 {
		c.QPS, c.Burst = 50, 100
	}
	// The body is read raw (DoRaw), so no type needs registering; the
	// serializer only has to exist.
	c.NegotiatedSerializer = serializer.NewCodecFactory(runtime.NewScheme()).WithoutConversion()
	c.AcceptContentTypes = "application/json"
	client, err := rest.UnversionedRESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("API client for %s: %w", cfg.Host, err)
	}
	return &RESTGetter{client: client}, nil
}

// Get reads path.
func (g *RESTGetter) Get(ctx context.Context, path string, params map[string]string) ([]byte, error) {
	req := g.client.Get().AbsPath(path)
	for k, v := range params {
		req = req.Param(k, v)
	}
	b, err := req.DoRaw(ctx)
	if err != nil {
		// The error of a raw request knows the HTTP status (so
		// apierrors.IsForbidden works) but not the Status' message.
		var status struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(b, &status) == nil && status.Message != "" {
			return nil, fmt.Errorf("GET %s: %s: %w", path, status.Message, err)
		}
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	return b, nil
}

// KubeconfigOptions select a cluster the way kubectl does.
type KubeconfigOptions struct {
	// Path is the kubeconfig file; empty means $KUBECONFIG, then
	// ~/.kube/config, then the in-cluster service account.
	Path string
	// Context overrides the kubeconfig's current context.
	Context string
}

// Kubeconfig is a loaded client configuration.
type Kubeconfig struct {
	REST *rest.Config
	// Namespace is the context's namespace ("default" when it sets none),
	// which a scan without -n or -A reads, as kubectl does.
	Namespace string
	// Context is the kubeconfig context used; empty in a pod's own
	// (in-cluster) configuration.
	Context string
}

// LoadKubeconfig reads the client configuration.
func LoadKubeconfig(o KubeconfigOptions) (*Kubeconfig, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Path
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: o.Context})
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: %w", err)
	}
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig: namespace: %w", err)
	}
	cfg.UserAgent = "remedy"
	kc := &Kubeconfig{REST: cfg, Namespace: ns, Context: o.Context}
	if raw, err := cc.RawConfig(); err == nil && kc.Context == "" {
		kc.Context = raw.CurrentContext
	}
	return kc, nil
}

// Connect loads the kubeconfig and returns a getter for its cluster and
// the namespace a read selects: namespace if set, every namespace ("")
// with all, else the context's own, as kubectl does.
func Connect(o KubeconfigOptions, namespace string, all bool) (*RESTGetter, *Kubeconfig, string, error) {
	kc, err := LoadKubeconfig(o)
	if err != nil {
		return nil, nil, "", err
	}
	switch {
	case all:
		namespace = ""
	case namespace == "":
		namespace = kc.Namespace
	}
	g, err := NewRESTGetter(kc.REST)
	if err != nil {
		return nil, nil, "", err
	}
	return g, kc, namespace, nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Package clustertest starts a real kube-apiserver and etcd for tests
// (controller-runtime's envtest) and applies objects to it. Nothing is
// faked: what the API server accepts, defaults and lists is what a cluster
// would.
//
// The binaries come from KUBEBUILDER_ASSETS, or from the cache folder that
// hack/envtest-assets.sh fills; Start skips the test with a message saying
// how to build them when neither has them. envtest runs no controllers: a
// Deployment gets no ReplicaSet unless the test creates one.
package clustertest

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Versions of the assets hack/envtest-assets.sh builds by default.
const (
	KubeVersion = "v1.37.2"
	EtcdVersion = "v3.7.3"
)

// HowToRun tells a reader of a skipped test how to run it.
const HowToRun = "needs a real kube-apiserver and etcd: run .ci/run, or " +
	"`KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test -tags e2e ./...` (a cold build of the assets takes about 13 minutes)"

//go:embed crds/*.yaml
var crds embed.FS

// AssetsDir returns the folder holding kube-apiserver and etcd:
// $KUBEBUILDER_ASSETS, else hack/envtest-assets.sh's cache folder when both
// binaries are there.
func AssetsDir() (string, bool) {
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		return d, true
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false
		}
		cache = filepath.Join(home, ".cache")
	}
	d := filepath.Join(cache, "remedy", "envtest", "kube-apiserver-"+KubeVersion+"-etcd-"+EtcdVersion)
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(d, b)); err != nil {
			return "", false
		}
	}
	return d, true
}

// Env is a running API server.
type Env struct {
	// Config is an admin's client configuration.
	Config *rest.Config
	// Kubeconfig is the path of a kubeconfig file for Config (context
	// "envtest"), for the CLI's --kubeconfig.
	Kubeconfig string

	dyn    dynamic.Interface
	mapper meta.ResettableRESTMapper
	te     *envtest.Environment
}

// Start starts kube-apiserver and etcd, with the CRDs of Argo CD's
// Application, Flux's Kustomization, GitRepository and HelmRelease, and
// Trivy Operator's (Cluster)ConfigAuditReport installed, and stops them when the test ends. It skips tb when no assets
// are found.
func Start(tb testing.TB) *Env {
	tb.Helper()
	dir, ok := AssetsDir()
	if !ok {
		tb.Skip(HowToRun)
	}
	crdDir := tb.TempDir()
	entries, err := crds.ReadDir("crds")
	if err != nil {
		tb.Fatal(err)
	}
	for _, e := range entries {
		b, _ := crds.ReadFile("crds/" + e.Name())
		if err := os.WriteFile(filepath.Join(crdDir, e.Name()), b, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	existing := false
	te := &envtest.Environment{
		BinaryAssetsDirectory: dir,
		CRDDirectoryPaths:     []string{crdDir},
		ErrorIfCRDPathMissing: true,
		UseExistingCluster:    &existing,
	}
	if _, err := te.Start(); err != nil {
		tb.Fatalf("start envtest from %s: %v", dir, err)
	}
	tb.Cleanup(func() {
		if err := te.Stop(); err != nil {
			tb.Logf("stop envtest: %v", err)
		}
	})
	user, err := te.AddUser(envtest.User{Name: "remedy-test-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		tb.Fatalf("envtest user: %v", err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		tb.Fatalf("envtest kubeconfig: %v", err)
	}
	path := filepath.Join(tb.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		tb.Fatal(err)
	}
	env := &Env{Config: user.Config(), Kubeconfig: path, te: te}
	env.Config.QPS, env.Config.Burst = 500, 1000
	// Deprecation warnings of corpus objects (cephfs volumes, …) are not
	// the test's business.
	env.Config.WarningHandler = rest.NoWarnings{}
	if env.dyn, err = dynamic.NewForConfig(env.Config); err != nil {
		tb.Fatal(err)
	}
	dc, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		tb.Fatal(err)
	}
	env.mapper = restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	return env
}

// AddUser adds a user with no permissions beyond what the test grants it
// (RBAC is enforced) and returns the path of a kubeconfig for it.
func (e *Env) AddUser(tb testing.TB, name string) string {
	tb.Helper()
	user, err := e.te.AddUser(envtest.User{Name: name}, nil)
	if err != nil {
		tb.Fatalf("envtest user %s: %v", name, err)
	}
	kc, err := user.KubeConfig()
	if err != nil {
		tb.Fatal(err)
	}
	path := filepath.Join(tb.TempDir(), "kubeconfig-"+name)
	if err := os.WriteFile(path, kc, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// Objects splits a YAML stream into objects, skipping empty documents and
// putting the items of a List in its place.
func Objects(stream []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(stream), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.IsList() {
			if err := u.EachListItem(func(o runtime.Object) error {
				out = append(out, o.(*unstructured.Unstructured))
				return nil
			}); err != nil {
				return out, err
			}
			continue
		}
		out = append(out, u)
	}
}

// Resource returns the client of obj's kind, in its namespace when the kind
// is namespaced. ErrNoKind wraps the error of a kind the server does not serve.
func (e *Env) Resource(obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := obj.GroupVersionKind()
	m, err := e.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", gvk, ErrNoKind, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ns := obj.GetNamespace()
		if ns == "" {
			ns = metav1.NamespaceDefault
		}
		return e.dyn.Resource(m.Resource).Namespace(ns), nil
	}
	return e.dyn.Resource(m.Resource), nil
}

// ErrNoKind marks an object whose kind the API server does not serve.
var ErrNoKind = errors.New("kind not served")

// Apply creates every object of the YAML stream (namespaces they name are
// created first) and returns them as the server stored them.
func (e *Env) Apply(tb testing.TB, stream string) []*unstructured.Unstructured {
	tb.Helper()
	objs, err := Objects([]byte(stream))
	if err != nil {
		tb.Fatalf("apply: %v", err)
	}
	var out []*unstructured.Unstructured
	for _, o := range objs {
		e.EnsureNamespace(tb, o.GetNamespace())
		got, err := e.Create(context.Background(), o, false)
		if err != nil {
			tb.Fatalf("apply %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
		out = append(out, got)
	}
	return out
}

// Create creates obj, or only validates it (server-side dry run) when dryRun is set.
func (e *Env) Create(ctx context.Context, obj *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	r, err := e.Resource(obj)
	if err != nil {
		return nil, err
	}
	opts := metav1.CreateOptions{FieldManager: "remedy-test"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return r.Create(ctx, obj, opts)
}

// Update replaces obj (as kubectl edit does).
func (e *Env) Update(tb testing.TB, obj *unstructured.Unstructured) *unstructured.Unstructured {
	tb.Helper()
	r, err := e.Resource(obj)
	if err != nil {
		tb.Fatal(err)
	}
	got, err := r.Update(context.Background(), obj, metav1.UpdateOptions{FieldManager: "kubectl-edit"})
	if err != nil {
		tb.Fatalf("update %s %s/%s: %v", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return got
}

// EnsureNamespace creates namespace ns unless it is empty or exists.
func (e *Env) EnsureNamespace(tb testing.TB, ns string) {
	tb.Helper()
	if err := e.CreateNamespace(context.Background(), ns); err != nil {
		tb.Fatal(err)
	}
}

// CreateNamespace creates namespace ns unless it is empty or exists.
func (e *Env) CreateNamespace(ctx context.Context, ns string) error {
	if ns == "" {
		return nil
	}
	obj := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": ns},
	}}
	_, err := e.dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx, obj, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("namespace %s: %w", ns, err)
	}
	return nil
}

// Dynamic is the dynamic client, for what Apply does not cover.
func (e *Env) Dynamic() dynamic.Interface { return e.dyn }

// IsInvalid reports whether err is the API server refusing an object as
// invalid or forbidden by admission, rather than a transport problem.
func IsInvalid(err error) bool {
	return apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || apierrors.IsForbidden(err) ||
		strings.Contains(err.Error(), "admission")
}

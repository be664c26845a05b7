package sourcemap

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/remedy-bot/remedy/scanner/cluster"
)

// Marks GitOps tools leave on the objects they apply.
const (
	ArgoTrackingAnnotation = "argocd.argoproj.io/tracking-id"
	ArgoInstanceLabel      = "app.kubernetes.io/instance"
	FluxKustomizationName  = "kustomize.toolkit.fluxcd.io/name"
	FluxKustomizationNS    = "kustomize.toolkit.fluxcd.io/namespace"
	FluxHelmReleaseName    = "helm.toolkit.fluxcd.io/name"
	FluxHelmReleaseNS      = "helm.toolkit.fluxcd.io/namespace"
)

// DefaultArgoNamespace is where Argo CD keeps its Applications by default.
const DefaultArgoNamespace = "argocd"

// Render modes of a source path.
const (
	RenderDirectory = "directory" // plain manifests, or a kustomization when the folder has one
	RenderHelm      = "helm"
)

// Origin is what deploys a live object: the GitOps object and the git
// source it reads.
type Origin struct {
	// Deployer names the GitOps object: "Application argocd/shop",
	// "Kustomization flux-system/apps", "HelmRelease shop/web".
	Deployer string
	// Repo is the git URL, Revision the branch, tag or commit it follows
	// (empty: the default branch), Path the folder within the repository.
	Repo, Revision, Path string
	// Render is RenderDirectory or RenderHelm.
	Render string
	// Release and ReleaseNamespace name the Helm release a chart is
	// rendered for, ValuesFiles its values files beyond values.yaml
	// (repository-relative), lowest precedence first. Inline values of an
	// Application or HelmRelease are not in the repository and are not used.
	Release, ReleaseNamespace string
	ValuesFiles               []string
	// Sources lists further sources of a multi-source Application, tried
	// in order when the object is not found in the first.
	Sources []Origin
}

// ErrNoDeployer is returned for an object that no GitOps tool claims.
var ErrNoDeployer = errors.New("no source: fix in the cluster by hand")

// Getter reads an object of the API server as JSON; cluster.RESTGetter
// implements it. Reading Applications, Kustomizations, GitRepositories and
// HelmReleases needs get on them, nothing more.
type Getter interface {
	Get(ctx context.Context, path string, params map[string]string) ([]byte, error)
}

// Resolver finds the Origin of live objects, reading each GitOps object once.
type Resolver struct {
	Getter Getter
	// ArgoNamespace is where Applications live; empty means DefaultArgoNamespace.
	ArgoNamespace string

	cache map[string]cached
}

type cached struct {
	origin Origin
	err    error
}

// Resolve returns the Origin of o, ErrNoDeployer when no tool marks it, or
// an error naming the GitOps object that could not be read.
func (r *Resolver) Resolve(ctx context.Context, o *cluster.Object) (Origin, error) {
	argoNS := r.ArgoNamespace
	if argoNS == "" {
		argoNS = DefaultArgoNamespace
	}
	switch {
	case o.Annotations[ArgoTrackingAnnotation] != "":
		app, ok := argoAppFromTrackingID(o.Annotations[ArgoTrackingAnnotation])
		if !ok {
			return Origin{}, fmt.Errorf("annotation %s=%q: not <app>:<group>/<kind>:<namespace>/<name>",
				ArgoTrackingAnnotation, o.Annotations[ArgoTrackingAnnotation])
		}
		ns, name := argoNS, app
		if before, after, found := strings.Cut(app, "_"); found {
			ns, name = before, after
		}
		return r.once(ctx, "Application "+ns+"/"+name, func() (Origin, error) { return r.argo(ctx, ns, name) })
	case o.Labels[FluxKustomizationName] != "":
		ns, name := o.Labels[FluxKustomizationNS], o.Labels[FluxKustomizationName]
		return r.once(ctx, "Kustomization "+ns+"/"+name, func() (Origin, error) { return r.fluxKustomization(ctx, ns, name) })
	case o.Labels[FluxHelmReleaseName] != "":
		ns, name := o.Labels[FluxHelmReleaseNS], o.Labels[FluxHelmReleaseName]
		return r.once(ctx, "HelmRelease "+ns+"/"+name, func() (Origin, error) { return r.fluxHelmRelease(ctx, ns, name) })
	case o.Labels[ArgoInstanceLabel] != "":
		// Argo CD's older label tracking; many charts set this label too,
		// so an Application of that name must exist.
		name := o.Labels[ArgoInstanceLabel]
		return r.once(ctx, "Application "+argoNS+"/"+name, func() (Origin, error) { return r.argo(ctx, argoNS, name) })
	}
	return Origin{}, ErrNoDeployer
}

func (r *Resolver) once(_ context.Context, key string, fn func() (Origin, error)) (Origin, error) {
	if r.cache == nil {
		r.cache = map[string]cached{}
	}
	if c, ok := r.cache[key]; ok {
		return c.origin, c.err
	}
	o, err := fn()
	if err != nil {
		err = fmt.Errorf("%s: %w", key, err)
	}
	o.Deployer = key
	for i := range o.Sources {
		o.Sources[i].Deployer = key
	}
	r.cache[key] = cached{o, err}
	return o, err
}

// argoAppFromTrackingID reads the app of <app>:<group>/<kind>:<namespace>/<name>.
func argoAppFromTrackingID(id string) (string, bool) {
	app, rest, ok := strings.Cut(id, ":")
	if !ok || app == "" || !strings.Contains(rest, "/") {
		return "", false
	}
	return app, true
}

func (r *Resolver) get(ctx context.Context, p string, into any) error {
	b, err := r.Getter.Get(ctx, p, nil)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("decode %s: %w", p, err)
	}
	return nil
}

// argoSource is spec.source of an Application.
type argoSource struct {
	RepoURL        string `json:"repoURL"`
	Path           string `json:"path"`
	TargetRevision string `json:"targetRevision"`
	Chart          string `json:"chart"`
	Helm           *struct {
		ReleaseName string   `json:"releaseName"`
		ValueFiles  []string `json:"valueFiles"`
	} `json:"helm"`
	Ref string `json:"ref"`
}

func (r *Resolver) argo(ctx context.Context, ns, name string) (Origin, error) {
	var app struct {
		Spec struct {
			Source      *argoSource  `json:"source"`
			Sources     []argoSource `json:"sources"`
			Destination struct {
				Namespace string `json:"namespace"`
			} `json:"destination"`
		} `json:"spec"`
	}
	if err := r.get(ctx, "/apis/argoproj.io/v1alpha1/namespaces/"+ns+"/applications/"+name, &app); err != nil {
		return Origin{}, err
	}
	srcs := app.Spec.Sources
	if app.Spec.Source != nil {
		srcs = append([]argoSource{*app.Spec.Source}, srcs...)
	}
	var origins []Origin
	for _, s := range srcs {
		if s.Chart != "" || s.Path == "" && s.Ref != "" {
			continue // a chart from a Helm repository, or only a values reference: not a git folder
		}
		o := Origin{Repo: s.RepoURL, Revision: s.TargetRevision, Path: cleanPath(s.Path), Render: RenderDirectory}
		if o.Revision == "HEAD" {
			o.Revision = ""
		}
		// A chart is rendered for the release Argo CD installs: the
		// Application's name unless helm.releaseName says otherwise.
		o.Release, o.ReleaseNamespace = name, app.Spec.Destination.Namespace
		if s.Helm != nil {
			o.Render = RenderHelm
			o.Release = cmp.Or(s.Helm.ReleaseName, name)
			for _, f := range s.Helm.ValueFiles {
				o.ValuesFiles = append(o.ValuesFiles, cleanPath(path.Join(o.Path, f)))
			}
		}
		origins = append(origins, o)
	}
	if len(origins) == 0 {
		return Origin{}, errors.New("no git source (a chart from a Helm repository is not in git)")
	}
	first := origins[0]
	first.Sources = origins[1:]
	return first, nil
}

func (r *Resolver) fluxKustomization(ctx context.Context, ns, name string) (Origin, error) {
	var k struct {
		Spec struct {
			Path      string    `json:"path"`
			SourceRef sourceRef `json:"sourceRef"`
		} `json:"spec"`
	}
	if err := r.get(ctx, "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/"+ns+"/kustomizations/"+name, &k); err != nil {
		return Origin{}, err
	}
	o, err := r.gitRepository(ctx, k.Spec.SourceRef, ns)
	if err != nil {
		return Origin{}, err
	}
	o.Path, o.Render = cleanPath(k.Spec.Path), RenderDirectory
	return o, nil
}

func (r *Resolver) fluxHelmRelease(ctx context.Context, ns, name string) (Origin, error) {
	var hr struct {
		Spec struct {
			Chart struct {
				Spec struct {
					Chart       string    `json:"chart"`
					SourceRef   sourceRef `json:"sourceRef"`
					ValuesFiles []string  `json:"valuesFiles"`
				} `json:"spec"`
			} `json:"chart"`
			ChartRef        *sourceRef `json:"chartRef"`
			ReleaseName     string     `json:"releaseName"`
			TargetNamespace string     `json:"targetNamespace"`
		} `json:"spec"`
	}
	if err := r.get(ctx, "/apis/helm.toolkit.fluxcd.io/v2/namespaces/"+ns+"/helmreleases/"+name, &hr); err != nil {
		return Origin{}, err
	}
	if hr.Spec.ChartRef != nil {
		return Origin{}, fmt.Errorf("chart from %s %s: not a git folder", hr.Spec.ChartRef.Kind, hr.Spec.ChartRef.Name)
	}
	o, err := r.gitRepository(ctx, hr.Spec.Chart.Spec.SourceRef, ns)
	if err != nil {
		return Origin{}, err
	}
	o.Path, o.Render = cleanPath(hr.Spec.Chart.Spec.Chart), RenderHelm
	// Flux's release name: spec.releaseName, else <targetNamespace>-<name>
	// with a target namespace, else the HelmRelease's name.
	o.Release, o.ReleaseNamespace = name, cmp.Or(hr.Spec.TargetNamespace, ns)
	if hr.Spec.TargetNamespace != "" {
		o.Release = hr.Spec.TargetNamespace + "-" + name
	}
	o.Release = cmp.Or(hr.Spec.ReleaseName, o.Release)
	for _, f := range hr.Spec.Chart.Spec.ValuesFiles {
		o.ValuesFiles = append(o.ValuesFiles, cleanPath(f)) // relative to the repository root
	}
	return o, nil
}

// sourceRef is a Flux cross-object reference.
type sourceRef struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

func (r *Resolver) gitRepository(ctx context.Context, ref sourceRef, defaultNS string) (Origin, error) {
	if ref.Kind != "GitRepository" {
		return Origin{}, fmt.Errorf("source %s %s: not a GitRepository", ref.Kind, ref.Name)
	}
	ns := ref.Namespace
	if ns == "" {
		ns = defaultNS
	}
	var gr struct {
		Spec struct {
			URL string `json:"url"`
			Ref struct {
				Branch string `json:"branch"`
				Tag    string `json:"tag"`
				SemVer string `json:"semver"`
				Name   string `json:"name"`
				Commit string `json:"commit"`
			} `json:"ref"`
		} `json:"spec"`
		Status struct {
			Artifact struct {
				Revision string `json:"revision"`
			} `json:"artifact"`
		} `json:"status"`
	}
	if err := r.get(ctx, "/apis/source.toolkit.fluxcd.io/v1/namespaces/"+ns+"/gitrepositories/"+ref.Name, &gr); err != nil {
		return Origin{}, fmt.Errorf("GitRepository %s/%s: %w", ns, ref.Name, err)
	}
	ref2 := gr.Spec.Ref
	rev := ref2.Commit
	switch {
	case rev != "":
	case ref2.Name != "":
		rev = strings.TrimPrefix(strings.TrimPrefix(ref2.Name, "refs/heads/"), "refs/tags/")
	case ref2.Tag != "":
		rev = ref2.Tag
	case ref2.SemVer != "":
		// The tag a semver range resolved to is in the artifact's
		// revision, "<tag>@sha1:<commit>".
		rev, _, _ = strings.Cut(gr.Status.Artifact.Revision, "@")
	default:
		rev = ref2.Branch
	}
	return Origin{Repo: gr.Spec.URL, Revision: rev}, nil
}

// cleanPath makes a source path repository-relative: "./apps/web/" → "apps/web".
func cleanPath(p string) string {
	p = path.Clean("/" + p)
	return strings.TrimPrefix(p, "/")
}

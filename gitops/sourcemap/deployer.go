package sourcemap

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/strvals"

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
// source it reads. It is plain data, JSON and all.
type Origin struct {
	// Deployer names the GitOps object: "Application argocd/shop",
	// "Kustomization flux-system/apps", "HelmRelease shop/web".
	Deployer string `json:"deployer,omitempty"`
	// Repo is the git URL as the GitOps object writes it (an SSH URL is
	// cloned over HTTPS, but named as written), Revision the branch, tag
	// or commit it follows (empty: the default branch), Path the folder
	// within the repository.
	Repo     string `json:"repo"`
	Revision string `json:"revision,omitempty"`
	Path     string `json:"path,omitempty"`
	// Render is RenderDirectory or RenderHelm.
	Render string `json:"render"`

	// Release and ReleaseNamespace name the Helm release a chart is
	// rendered for.
	Release          string `json:"release,omitempty"`
	ReleaseNamespace string `json:"releaseNamespace,omitempty"`
	// ValuesFiles are its values files beyond values.yaml, lowest
	// precedence first: repository-relative paths, or "$<ref>/<path>" for
	// a file of another repository, named by ValuesRefs[<ref>] (Argo CD's
	// $values of a multi-source Application). Those are read, never fixed.
	ValuesFiles []string `json:"valuesFiles,omitempty"`
	// ValuesRefs are the other repositories values files name, by ref.
	ValuesRefs map[string]RepoRef `json:"valuesRefs,omitempty"`
	// IgnoreMissingValuesFiles skips a values file that does not exist,
	// as Argo CD's helm.ignoreMissingValueFiles does.
	IgnoreMissingValuesFiles bool `json:"ignoreMissingValuesFiles,omitempty"`
	// Values are the release's inline values, over its values files: an
	// Application's helm.valuesObject (or else helm.values) with
	// helm.parameters set over them, a HelmRelease's spec.values. They
	// are not in the repository: a field they set is fixed in the GitOps
	// object, by hand, never in a values file they override.
	Values map[string]any `json:"values,omitempty"`
	// ValuesFrom names what else the release takes values from that
	// remedy does not read (a HelmRelease's valuesFrom ConfigMaps and
	// Secrets: remedy reads no Secret; an Application's
	// helm.fileParameters, a values file URL): its render may differ
	// from the cluster's.
	ValuesFrom []string `json:"valuesFrom,omitempty"`

	// Sources lists further sources of a multi-source Application, tried
	// in order when the object is not found in the first.
	Sources []Origin `json:"sources,omitempty"`
}

// RepoRef is a repository at a revision.
type RepoRef struct {
	Repo     string `json:"repo"`
	Revision string `json:"revision,omitempty"`
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
	RepoURL        string    `json:"repoURL"`
	Path           string    `json:"path"`
	TargetRevision string    `json:"targetRevision"`
	Chart          string    `json:"chart"`
	Helm           *argoHelm `json:"helm"`
	Ref            string    `json:"ref"`
}

// argoHelm is the helm field of an Application's source.
type argoHelm struct {
	ReleaseName             string          `json:"releaseName"`
	ValueFiles              []string        `json:"valueFiles"`
	IgnoreMissingValueFiles bool            `json:"ignoreMissingValueFiles"`
	Values                  string          `json:"values"`
	ValuesObject            json.RawMessage `json:"valuesObject"`
	Parameters              []struct {
		Name        string `json:"name"`
		Value       string `json:"value"`
		ForceString bool   `json:"forceString"`
	} `json:"parameters"`
	FileParameters []struct {
		Name string `json:"name"`
		Path string `json:"path"`
	} `json:"fileParameters"`
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
	// Argo CD ignores spec.source when spec.sources is set.
	srcs := app.Spec.Sources
	if len(srcs) == 0 && app.Spec.Source != nil {
		srcs = []argoSource{*app.Spec.Source}
	}
	// Sources with a ref lend their repository to the others' values
	// files: $<ref>/<path>.
	refs := map[string]RepoRef{}
	for _, s := range srcs {
		if s.Ref != "" {
			refs[s.Ref] = RepoRef{Repo: s.RepoURL, Revision: argoRevision(s.TargetRevision)}
		}
	}
	var origins []Origin
	for _, s := range srcs {
		if s.Chart != "" || s.Path == "" && s.Ref != "" {
			continue // a chart from a Helm repository, or only a values reference: not a git folder
		}
		o := Origin{Repo: s.RepoURL, Revision: argoRevision(s.TargetRevision), Path: cleanPath(s.Path), Render: RenderDirectory}
		// A chart is rendered for the release Argo CD installs: the
		// Application's name unless helm.releaseName says otherwise.
		o.Release, o.ReleaseNamespace = name, app.Spec.Destination.Namespace
		if s.Helm != nil {
			if err := argoHelmSource(&o, s.Helm, refs); err != nil {
				return Origin{}, err
			}
			o.Release = cmp.Or(s.Helm.ReleaseName, name)
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

// argoRevision is a targetRevision, "" for the default branch.
func argoRevision(rev string) string {
	if rev == "HEAD" {
		return ""
	}
	return rev
}

// argoHelmSource reads a source's helm field into o, as Argo CD's repo
// server renders it: the values files (relative to the source's path, or
// $<ref>/<path> in the repository of the source with that ref), then the
// inline values (valuesObject, or else the values string), then the
// parameters, set as `helm template --set` (and --set-string for
// forceString) sets them, over everything else.
func argoHelmSource(o *Origin, h *argoHelm, refs map[string]RepoRef) error {
	o.Render = RenderHelm
	o.IgnoreMissingValuesFiles = h.IgnoreMissingValueFiles
	for _, f := range h.ValueFiles {
		if strings.Contains(f, "://") {
			o.ValuesFrom = append(o.ValuesFrom, "values file "+f)
			continue
		}
		if o.addRefValuesFile(f, refs) {
			continue
		}
		o.ValuesFiles = append(o.ValuesFiles, cleanPath(path.Join(o.Path, f)))
	}
	vals, err := argoInlineValues(h)
	if err != nil {
		return err
	}
	o.Values = vals
	for _, p := range h.FileParameters {
		o.ValuesFrom = append(o.ValuesFrom, "helm.fileParameters "+p.Name+" (file "+p.Path+")")
	}
	return nil
}

// addRefValuesFile adds a values file $<ref>/<path> of the source with
// that ref, and reports whether f is one (as Argo CD, a $ path that names
// no ref is a path like any other). A file of the same repository at the
// same revision is in the checkout, to read and to fix, like any other;
// one of another repository (or revision) is read from its own checkout,
// and never fixed: remedy proposes fixes to the repository that deploys
// the object.
func (o *Origin) addRefValuesFile(f string, refs map[string]RepoRef) bool {
	if !strings.HasPrefix(f, "$") {
		return false
	}
	name, rest, _ := strings.Cut(f[1:], "/")
	ref, ok := refs[name]
	if !ok {
		return false
	}
	if sameRepo(ref.Repo, o.Repo) && ref.Revision == o.Revision {
		o.ValuesFiles = append(o.ValuesFiles, cleanPath(rest))
		return true
	}
	if o.ValuesRefs == nil {
		o.ValuesRefs = map[string]RepoRef{}
	}
	o.ValuesRefs[name] = ref
	o.ValuesFiles = append(o.ValuesFiles, "$"+name+"/"+cleanPath(rest))
	return true
}

// sameRepo reports whether two git URLs name one repository, whatever
// their form (an SSH URL and an https one, with or without .git).
func sameRepo(a, b string) bool {
	ha, oka := HTTPSURL(a)
	hb, okb := HTTPSURL(b)
	if oka && okb {
		return ha == hb
	}
	return a == b
}

// splitRef splits a values file "$<ref>/<path>" of o into the other
// repository and the path there.
func (o Origin) splitRef(f string) (ref RepoRef, rest string, ok bool) {
	if !strings.HasPrefix(f, "$") {
		return RepoRef{}, "", false
	}
	name, rest, _ := strings.Cut(f[1:], "/")
	ref, ok = o.ValuesRefs[name]
	return ref, rest, ok
}

// argoInlineValues merges an Application's inline values and parameters;
// nil when it has none.
func argoInlineValues(h *argoHelm) (map[string]any, error) {
	vals := map[string]any{}
	// valuesObject replaces the values string, as Argo CD's ValuesYAML.
	switch {
	case len(h.ValuesObject) > 0 && string(h.ValuesObject) != "null":
		if err := json.Unmarshal(h.ValuesObject, &vals); err != nil {
			return nil, fmt.Errorf("helm.valuesObject: %w", err)
		}
	case strings.TrimSpace(h.Values) != "":
		v, err := chartutil.ReadValues([]byte(h.Values))
		if err != nil {
			return nil, fmt.Errorf("helm.values: %w", err)
		}
		vals = v
	}
	// Argo CD keeps parameters by name (the last of a name wins) and
	// passes them as --set, then --set-string; helm sets --set values
	// before --set-string ones.
	last := map[string]int{}
	for i, p := range h.Parameters {
		last[p.Name] = i
	}
	for _, forceString := range []bool{false, true} {
		for i, p := range h.Parameters {
			if p.ForceString != forceString || last[p.Name] != i {
				continue
			}
			set := p.Name + "=" + escapeSetValue(p.Value)
			parse := strvals.ParseInto
			if forceString {
				parse = strvals.ParseIntoString
			}
			if err := parse(set, vals); err != nil {
				return nil, fmt.Errorf("helm.parameters %s: %w", p.Name, err)
			}
		}
	}
	if len(vals) == 0 {
		return nil, nil
	}
	return vals, nil
}

// escapeSetValue escapes the commas of a parameter's value as Argo CD
// does before passing it to --set, unless it is a {a,b} list.
func escapeSetValue(v string) string {
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
		return v
	}
	var b strings.Builder
	var prev rune
	for _, r := range v {
		if r == ',' && prev != '\\' {
			b.WriteString(`\,`)
		} else {
			b.WriteRune(r)
		}
		prev = r
	}
	return b.String()
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
			ChartRef        *sourceRef      `json:"chartRef"`
			ReleaseName     string          `json:"releaseName"`
			TargetNamespace string          `json:"targetNamespace"`
			Values          json.RawMessage `json:"values"`
			ValuesFrom      []struct {
				Kind      string `json:"kind"`
				Name      string `json:"name"`
				ValuesKey string `json:"valuesKey"`
				Optional  bool   `json:"optional"`
			} `json:"valuesFrom"`
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
	// Flux merges valuesFrom, in order, then spec.values over the chart's
	// values. remedy reads no Secret, and does not read ConfigMaps either
	// (its RBAC is get on the GitOps objects): they are named, and the
	// render is said to maybe differ.
	for _, v := range hr.Spec.ValuesFrom {
		from := v.Kind + " " + ns + "/" + v.Name
		if v.ValuesKey != "" && v.ValuesKey != "values.yaml" {
			from += " (key " + v.ValuesKey + ")"
		}
		o.ValuesFrom = append(o.ValuesFrom, from)
	}
	if len(hr.Spec.Values) > 0 && string(hr.Spec.Values) != "null" {
		if err := json.Unmarshal(hr.Spec.Values, &o.Values); err != nil {
			return Origin{}, fmt.Errorf("spec.values: %w", err)
		}
		if len(o.Values) == 0 {
			o.Values = nil
		}
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

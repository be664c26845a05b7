package sourcemap

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/cluster"
	"github.com/remedy-bot/remedy/scanner/render"
)

// mapGetter serves GitOps objects as the API server does: JSON by path.
type mapGetter map[string]string

func (g mapGetter) Get(_ context.Context, p string, _ map[string]string) ([]byte, error) {
	s, ok := g[p]
	if !ok {
		return nil, fmt.Errorf("GET %s: 404 not found", p)
	}
	return []byte(s), nil
}

const (
	appPath = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/web"
	hrPath  = "/apis/helm.toolkit.fluxcd.io/v2/namespaces/shop/helmreleases/web"
	grPath  = "/apis/source.toolkit.fluxcd.io/v1/namespaces/shop/gitrepositories/shop"
)

// application is an Application named web with the given spec (JSON).
func application(spec string) string {
	return `{"apiVersion":"argoproj.io/v1alpha1","kind":"Application","metadata":{"name":"web","namespace":"argocd"},"spec":` + spec + `}`
}

func TestResolveHelmValues(t *testing.T) {
	argoObj := &cluster.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web",
		Annotations: map[string]string{ArgoTrackingAnnotation: "web:apps/Deployment:shop/web"}}
	fluxObj := &cluster.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web",
		Labels: map[string]string{FluxHelmReleaseName: "web", FluxHelmReleaseNS: "shop"}}
	gitRepo := `{"apiVersion":"source.toolkit.fluxcd.io/v1","kind":"GitRepository","metadata":{"name":"shop","namespace":"shop"},
		"spec":{"url":"git@github.com:acme/shop.git","ref":{"branch":"main"}}}`
	tests := []struct {
		name    string
		obj     *cluster.Object
		objects mapGetter
		want    string // the Origin, as JSON
		wantErr string
	}{
		{
			name: "inline values string, value files, missing ones ignored",
			obj:  argoObj,
			objects: mapGetter{appPath: application(`{"destination":{"namespace":"shop"},"source":{
				"repoURL":"https://github.com/acme/shop.git","path":"charts/web","targetRevision":"HEAD",
				"helm":{"releaseName":"web-prod","valueFiles":["values-prod.yaml","../../env/prod.yaml"],"ignoreMissingValueFiles":true,
				"values":"image:\n  pullPolicy: IfNotPresent\nreplicas: 3\n"}}}`)},
			want: `{"deployer":"Application argocd/web","repo":"https://github.com/acme/shop.git","path":"charts/web","render":"helm",
				"release":"web-prod","releaseNamespace":"shop","valuesFiles":["charts/web/values-prod.yaml","env/prod.yaml"],
				"ignoreMissingValuesFiles":true,"values":{"image":{"pullPolicy":"IfNotPresent"},"replicas":3}}`,
		},
		{
			name: "valuesObject replaces values; parameters over it, --set-string last",
			obj:  argoObj,
			objects: mapGetter{appPath: application(`{"destination":{"namespace":"shop"},"source":{
				"repoURL":"https://github.com/acme/shop.git","path":"charts/web","targetRevision":"main",
				"helm":{"values":"ignored: true\n","valuesObject":{"image":{"tag":"1.27","pullPolicy":"IfNotPresent"}},
				"parameters":[
					{"name":"image.tag","value":"1.28","forceString":true},
					{"name":"image.pullPolicy","value":"Never"},
					{"name":"image.pullPolicy","value":"Always"},
					{"name":"replicas","value":"2"},
					{"name":"args","value":"{a,b}"},
					{"name":"note","value":"a,b"}],
				"fileParameters":[{"name":"config","path":"files/config.json"}]}}}`)},
			want: `{"deployer":"Application argocd/web","repo":"https://github.com/acme/shop.git","revision":"main","path":"charts/web","render":"helm",
				"release":"web","releaseNamespace":"shop",
				"values":{"args":["a","b"],"image":{"pullPolicy":"Always","tag":"1.28"},"note":"a,b","replicas":2},
				"valuesFrom":["helm.fileParameters config (file files/config.json)"]}`,
		},
		{
			name: "$values of the same repository and revision is a repository path",
			obj:  argoObj,
			objects: mapGetter{appPath: application(`{"destination":{"namespace":"shop"},
				"source":{"repoURL":"https://github.com/acme/old.git","path":"ignored"},
				"sources":[
				{"repoURL":"git@github.com:acme/shop.git","path":"charts/web","targetRevision":"main",
				 "helm":{"valueFiles":["values.yaml","$values/envs/prod/values.yaml","$nosuchref/x.yaml","https://example.com/values.yaml"]}},
				{"repoURL":"https://github.com/acme/shop","targetRevision":"main","ref":"values"}]}`)},
			want: `{"deployer":"Application argocd/web","repo":"git@github.com:acme/shop.git","revision":"main","path":"charts/web","render":"helm",
				"release":"web","releaseNamespace":"shop",
				"valuesFiles":["charts/web/values.yaml","envs/prod/values.yaml","charts/web/$nosuchref/x.yaml"],
				"valuesFrom":["values file https://example.com/values.yaml"]}`,
		},
		{
			name: "$values of another repository, or another revision, is named by its ref",
			obj:  argoObj,
			objects: mapGetter{appPath: application(`{"destination":{"namespace":"shop"},"sources":[
				{"repoURL":"https://github.com/acme/config.git","targetRevision":"HEAD","ref":"values"},
				{"repoURL":"https://github.com/acme/shop.git","targetRevision":"v2","ref":"pinned"},
				{"repoURL":"https://github.com/acme/shop.git","path":"charts/web","targetRevision":"main",
				 "helm":{"valueFiles":["$values/envs/prod/values.yaml","$pinned/envs/base.yaml","values-prod.yaml"]}},
				{"repoURL":"https://github.com/acme/shop.git","path":"extra","targetRevision":"main"}]}`)},
			want: `{"deployer":"Application argocd/web","repo":"https://github.com/acme/shop.git","revision":"main","path":"charts/web","render":"helm",
				"release":"web","releaseNamespace":"shop",
				"valuesFiles":["$values/envs/prod/values.yaml","$pinned/envs/base.yaml","charts/web/values-prod.yaml"],
				"valuesRefs":{"pinned":{"repo":"https://github.com/acme/shop.git","revision":"v2"},"values":{"repo":"https://github.com/acme/config.git"}},
				"sources":[{"deployer":"Application argocd/web","repo":"https://github.com/acme/shop.git","revision":"main","path":"extra","render":"directory",
				"release":"web","releaseNamespace":"shop"}]}`,
		},
		{
			name: "a chart of a Helm repository with values from git is not in git",
			obj:  argoObj,
			objects: mapGetter{appPath: application(`{"sources":[
				{"repoURL":"https://charts.bitnami.com/bitnami","chart":"nginx","targetRevision":"15.0.0","helm":{"valueFiles":["$values/nginx.yaml"]}},
				{"repoURL":"https://github.com/acme/config.git","ref":"values"}]}`)},
			wantErr: "Application argocd/web: no git source (a chart from a Helm repository is not in git)",
		},
		{
			name: "bad inline values",
			obj:  argoObj,
			objects: mapGetter{appPath: application(`{"source":{"repoURL":"https://github.com/acme/shop.git","path":"c",
				"helm":{"values":"a: [\n"}}}`)},
			wantErr: "Application argocd/web: helm.values:",
		},
		{
			name: "Flux: spec.values, and valuesFrom named, not read",
			obj:  fluxObj,
			objects: mapGetter{grPath: gitRepo, hrPath: `{"apiVersion":"helm.toolkit.fluxcd.io/v2","kind":"HelmRelease","metadata":{"name":"web","namespace":"shop"},
				"spec":{"chart":{"spec":{"chart":"./charts/web","sourceRef":{"kind":"GitRepository","name":"shop"},"valuesFiles":["charts/web/values-prod.yaml"]}},
				"valuesFrom":[{"kind":"ConfigMap","name":"web-values"},{"kind":"Secret","name":"web-secrets","valuesKey":"secrets.yaml"}],
				"values":{"securityContext":{"runAsNonRoot":true}}}}`},
			want: `{"deployer":"HelmRelease shop/web","repo":"git@github.com:acme/shop.git","revision":"main","path":"charts/web","render":"helm",
				"release":"web","releaseNamespace":"shop","valuesFiles":["charts/web/values-prod.yaml"],
				"values":{"securityContext":{"runAsNonRoot":true}},
				"valuesFrom":["ConfigMap shop/web-values","Secret shop/web-secrets (key secrets.yaml)"]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Resolver{Getter: tt.objects}
			o, err := r.Resolve(context.Background(), tt.obj)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("Resolve: %v, want an error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := json.Marshal(o)
			var g, w any
			_ = json.Unmarshal(got, &g)
			if err := json.Unmarshal([]byte(tt.want), &w); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(g, w) {
				t.Errorf("Origin:\n%s\nwant:\n%s", got, strings.Join(strings.Fields(tt.want), " "))
			}
			// An Origin goes into job payloads: it survives JSON.
			var back Origin
			if err := json.Unmarshal(got, &back); err != nil {
				t.Fatal(err)
			}
			if again, _ := json.Marshal(back); string(again) != string(got) {
				t.Errorf("JSON round trip:\n%s\nwant\n%s", again, got)
			}
		})
	}
}

func TestNoteOf(t *testing.T) {
	if n := NoteOf(Origin{}); n != "" {
		t.Errorf("NoteOf(no valuesFrom) = %q", n)
	}
	want := "the release also takes values from ConfigMap shop/a, Secret shop/b, which remedy does not read: the render may differ from the cluster's"
	if n := NoteOf(Origin{ValuesFrom: []string{"ConfigMap shop/a", "Secret shop/b"}}); n != want {
		t.Errorf("NoteOf = %q, want %q", n, want)
	}
}

// fakeCloner serves checkouts made beforehand, by repository and revision.
type fakeCloner map[string]string

func (c fakeCloner) Checkout(_ context.Context, repoURL, revision string) (string, error) {
	if dir, ok := c[repoURL+"@"+revision]; ok {
		return dir, nil
	}
	return "", fmt.Errorf("clone %s at %s: no such repository", repoURL, orDefault(revision))
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		p = filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// webChart is a chart whose image, pull policy and container
// securityContext come from its values.
var webChart = map[string]string{
	"charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
	"charts/web/values.yaml": `image:
  repository: nginx
  tag: "1.27"
  pullPolicy: Always
securityContext:
  runAsNonRoot: true
`,
	"charts/web/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  template:
    spec:
      containers:
      - name: web
        image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        imagePullPolicy: {{ .Values.image.pullPolicy }}
        {{- with .Values.securityContext }}
        securityContext:
          {{- toYaml . | nindent 10 }}
        {{- end }}
`,
}

func withFiles(base map[string]string, more map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// image is the image of the rendered Deployment web of a tree.
func image(t *testing.T, tree *Tree) string {
	t.Helper()
	r := tree.Find("apps/v1", "Deployment", "shop", "web")
	if r == nil {
		t.Fatal("no Deployment web in the render")
	}
	return scanner.ScalarValue(valueAt(r.Node.YNode(), scanner.Path{"spec", "template", "spec", "containers", "[0]", "image"}))
}

func TestLoadTreeHelmValuesInOrder(t *testing.T) {
	repo := writeFiles(t, withFiles(webChart, map[string]string{
		"charts/web/values-a.yaml": "image:\n  tag: a\n",
		"charts/web/values-c.yaml": "image:\n  tag: c\n",
	}))
	config := writeFiles(t, map[string]string{
		"envs/prod.yaml": "image:\n  repository: prod\n  tag: b\n",
		"envs/tag.yaml":  "image:\n  tag: b\n",
	})
	outside := writeFiles(t, map[string]string{"secret.yaml": "image:\n  tag: stolen\n"})
	if err := os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(config, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	cloner := fakeCloner{"https://github.com/acme/config.git@": config}
	refs := map[string]RepoRef{"values": {Repo: "https://github.com/acme/config.git"}}
	origin := func(files []string, vals map[string]any) Origin {
		return Origin{Deployer: "Application argocd/web", Repo: "https://github.com/acme/shop.git", Path: "charts/web", Render: RenderHelm,
			Release: "web", ReleaseNamespace: "shop", ValuesFiles: files, ValuesRefs: refs, Values: vals}
	}
	tests := []struct {
		name    string
		origin  Origin
		cloner  Cloner
		want    string
		wantErr string
	}{
		{
			name:   "values files, then inline values",
			origin: origin([]string{"charts/web/values-a.yaml"}, map[string]any{"image": map[string]any{"repository": "inline"}}),
			want:   "inline:a",
		},
		{
			name:   "another repository's values file between two of this one's",
			origin: origin([]string{"charts/web/values-a.yaml", "$values/envs/prod.yaml", "charts/web/values-c.yaml"}, nil),
			cloner: cloner,
			want:   "prod:c",
		},
		{
			name:   "another repository's values file last",
			origin: origin([]string{"charts/web/values-a.yaml", "$values/envs/tag.yaml"}, nil),
			cloner: cloner,
			want:   "nginx:b",
		},
		{
			name:    "without a cloner",
			origin:  origin([]string{"$values/envs/prod.yaml"}, nil),
			wantErr: "values file $values/envs/prod.yaml of https://github.com/acme/config.git: another repository, which was not checked out",
		},
		{
			name:    "a missing values file",
			origin:  origin([]string{"$values/envs/nope.yaml"}, nil),
			cloner:  cloner,
			wantErr: "no such file",
		},
		{
			name: "missing values files ignored",
			origin: func() Origin {
				o := origin([]string{"$values/envs/nope.yaml", "charts/web/nope.yaml", "charts/web/values-c.yaml"}, nil)
				o.IgnoreMissingValuesFiles = true
				return o
			}(),
			cloner: cloner,
			want:   "nginx:c",
		},
		{
			name:    "a symbolic link out of the other checkout",
			origin:  origin([]string{"$values/link.yaml"}, nil),
			cloner:  cloner,
			wantErr: "outside the repository",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, err := LoadTreeWith(context.Background(), tt.cloner, repo, tt.origin, scanner.Options{}, render.Budgets{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LoadTreeWith: %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := image(t, tree); got != tt.want {
				t.Errorf("image %q, want %q", got, tt.want)
			}
			// Nothing of another repository is a source to fix.
			for p := range tree.In.Files[0].Rendered.Sources {
				if strings.HasPrefix(p, "..") || filepath.IsAbs(p) {
					t.Errorf("source %s is outside the repository", p)
				}
			}
		})
	}
}

// TestFixHelmValuesSetOutsideTheRepository fixes a chart source the way
// remedy sweep --cluster does (LoadTree, then remediate): a field the
// Application's inline values or another repository's values file set is
// refused with the reason, never "fixed" in values.yaml, which they
// override; a field only values.yaml writes is fixed there, and the
// verifying render keeps the values from elsewhere.
func TestFixHelmValuesSetOutsideTheRepository(t *testing.T) {
	config := writeFiles(t, map[string]string{"envs/prod.yaml": "image:\n  pullPolicy: IfNotPresent\n"})
	tests := []struct {
		name   string
		origin Origin
		want   []string
	}{
		{
			name: "inline values",
			origin: Origin{Deployer: "Application argocd/web", Path: "charts/web", Render: RenderHelm, Release: "web", ReleaseNamespace: "shop",
				Values: map[string]any{"image": map[string]any{"pullPolicy": "IfNotPresent"}}},
			want: []string{
				"image-pull-policy not-fixable charts/web/templates/deployment.yaml: set by the inline values of Application argocd/web (image.pullPolicy), not in this repository: fix it there",
				"read-only-root-filesystem fixed charts/web/values.yaml",
			},
		},
		{
			name: "a values file of another repository",
			origin: Origin{Deployer: "Application argocd/web", Path: "charts/web", Render: RenderHelm, Release: "web", ReleaseNamespace: "shop",
				ValuesFiles: []string{"$values/envs/prod.yaml"}, ValuesRefs: map[string]RepoRef{"values": {Repo: "https://github.com/acme/config.git", Revision: "main"}}},
			want: []string{
				"image-pull-policy not-fixable charts/web/templates/deployment.yaml: set by the values file envs/prod.yaml of https://github.com/acme/config.git at main (image.pullPolicy), not in this repository: fix it there",
				"read-only-root-filesystem fixed charts/web/values.yaml",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := writeFiles(t, webChart)
			scan := scanner.Options{Only: []string{"image-pull-policy", "read-only-root-filesystem"}}
			tree, err := LoadTreeWith(context.Background(), fakeCloner{"https://github.com/acme/config.git@main": config}, repo, tt.origin, scan, render.Budgets{})
			if err != nil {
				t.Fatal(err)
			}
			scan.Only = nil
			var got []string
			changed := map[string]string{}
			for _, ff := range remediate.FixReport(tree.In, tree.Report, remediate.Options{}, scan) {
				for _, o := range ff.Outcomes {
					line := fmt.Sprintf("%s %s %s", o.Finding.Control, o.Status, o.Finding.File)
					if o.Reason != "" {
						line += ": " + o.Reason
					}
					got = append(got, line)
				}
				if ff.Changed() {
					changed[ff.File.Path] = string(ff.After)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("outcomes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			want := strings.Replace(webChart["charts/web/values.yaml"], "  runAsNonRoot: true\n", "  runAsNonRoot: true\n  readOnlyRootFilesystem: true\n", 1)
			if len(changed) != 1 || changed["charts/web/values.yaml"] != want {
				t.Errorf("changed files %v, want values.yaml with readOnlyRootFilesystem only", changed)
			}
		})
	}
}

// TestMapHelmSourcesWithValuesFromElsewhere maps live objects of two
// Applications that render one chart with their own inline values (and
// one of them a values file of another repository) and of a HelmRelease
// with valuesFrom: each is found in its own render, and the HelmRelease's
// source says what remedy did not read.
func TestMapHelmSourcesWithValuesFromElsewhere(t *testing.T) {
	shop := writeFiles(t, webChart)
	config := writeFiles(t, map[string]string{"envs/prod.yaml": "image:\n  tag: \"1.28\"\n"})
	cloner := fakeCloner{"git@github.com:acme/shop.git@main": shop, "https://github.com/acme/config.git@": config}
	app := func(name, helm string) string {
		return `{"apiVersion":"argoproj.io/v1alpha1","kind":"Application","metadata":{"name":"` + name + `","namespace":"argocd"},
			"spec":{"destination":{"namespace":"shop"},"sources":[
			{"repoURL":"git@github.com:acme/shop.git","path":"charts/web","targetRevision":"main","helm":` + helm + `},
			{"repoURL":"https://github.com/acme/config.git","targetRevision":"HEAD","ref":"values"}]}}`
	}
	g := mapGetter{
		"/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/prod": app("prod",
			`{"releaseName":"web","valueFiles":["$values/envs/prod.yaml"],"valuesObject":{"image":{"repository":"prod"}}}`),
		"/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/staging": app("staging",
			`{"releaseName":"web","parameters":[{"name":"image.repository","value":"staging"}]}`),
		grPath: `{"spec":{"url":"git@github.com:acme/shop.git","ref":{"branch":"main"}}}`,
		hrPath: `{"spec":{"chart":{"spec":{"chart":"charts/web","sourceRef":{"kind":"GitRepository","name":"shop"}}},
			"valuesFrom":[{"kind":"Secret","name":"web-env"}]}}`,
	}
	live := func(ns, image string, labels, annotations map[string]string) *cluster.Object {
		return &cluster.Object{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: "web", Labels: labels, Annotations: annotations,
			File: "cluster/" + ns + "/Deployment/web",
			YAML: []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: " + ns + "\nspec:\n  template:\n    spec:\n      containers:\n" +
				"      - name: web\n        image: " + image + "\n        imagePullPolicy: Always\n        securityContext:\n          runAsNonRoot: true\n")}
	}
	snap := &cluster.Snapshot{Report: &scanner.Report{}, Objects: []*cluster.Object{
		live("prod", "prod:1.28", nil, map[string]string{ArgoTrackingAnnotation: "prod:apps/Deployment:prod/web"}),
		live("staging", "staging:1.27", nil, map[string]string{ArgoTrackingAnnotation: "staging:apps/Deployment:staging/web"}),
		live("shop", "nginx:1.27", map[string]string{FluxHelmReleaseName: "web", FluxHelmReleaseNS: "shop"}, nil),
	}}
	m := &Mapper{Resolver: &Resolver{Getter: g}, Cloner: cloner}
	mp, err := m.Map(context.Background(), snap, snap.Report)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		file, image, deployer, note string
	}{
		{"cluster/prod/Deployment/web", "prod:1.28", "Application argocd/prod", ""},
		{"cluster/staging/Deployment/web", "staging:1.27", "Application argocd/staging", ""},
		{"cluster/shop/Deployment/web", "nginx:1.27", "HelmRelease shop/web",
			"the release also takes values from Secret shop/web-env, which remedy does not read: the render may differ from the cluster's"},
	}
	for _, tt := range tests {
		p := mp.Objects[tt.file]
		if p.Resource == nil {
			t.Errorf("%s: no source: %s", tt.file, p.Source.Error)
			continue
		}
		want := Source{Repo: "git@github.com:acme/shop.git", Revision: "main", Path: "charts/web", File: "charts/web/templates/deployment.yaml", Line: 3,
			Deployer: tt.deployer, Note: tt.note}
		if p.Source != want {
			t.Errorf("%s: source %+v, want %+v", tt.file, p.Source, want)
		}
		// Each render has its own values: no drift of the image.
		for _, d := range mp.Drift {
			if "cluster/"+d.Namespace+"/Deployment/"+d.Name == tt.file {
				t.Errorf("%s: drift %+v", tt.file, d)
			}
		}
		if got := image(t, p.Tree); got != tt.image {
			t.Errorf("%s: rendered image %q, want %q", tt.file, got, tt.image)
		}
	}
	if len(mp.Trees) != 3 {
		t.Errorf("%d trees loaded, want one per release's values", len(mp.Trees))
	}
}

package scanner

import "testing"

func TestRunAsNonRoot(t *testing.T) {
	runControlCases(t, "run-as-non-root", []controlCase{
		{
			name: "unset everywhere: one hit per container, at it, for the pod-level field",
			manifest: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
      - name: migrate
        image: migrate:4.17
      containers:
      - name: app
        image: app:1.0
        securityContext:
          runAsNonRoot: null
`,
			want: []hit{
				{Line: 9, Path: "spec.template.spec.securityContext.runAsNonRoot", Container: "migrate", Fixable: true},
				{Line: 12, Path: "spec.template.spec.securityContext.runAsNonRoot", Container: "app", Fixable: true},
			},
		},
		{
			name: "container false overrides pod true",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    runAsNonRoot: true
  containers:
  - name: app
    image: app:1.0
  - name: legacy
    image: legacy:0.9
    securityContext:
      runAsNonRoot: false
`,
			want: []hit{{Line: 14, Path: "spec.containers[1].securityContext.runAsNonRoot", Container: "legacy", Fixable: true}},
		},
		{
			name: "container true overrides pod false",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    runAsNonRoot: false
  containers:
  - name: app
    image: app:1.0
    securityContext:
      runAsNonRoot: true
  - name: sidecar
    image: envoyproxy/envoy:v1.30.1
`,
			want: []hit{{Line: 7, Path: "spec.securityContext.runAsNonRoot", Container: "sidecar", Fixable: true}},
		},
		{
			name: "runAsUser 0 makes it not fixable; a container's own UID overrides the pod's",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    runAsUser: 0
  containers:
  - name: root
    image: app:1.0
  - name: app
    image: app:1.0
    securityContext:
      runAsUser: 1000
  - name: own-root
    image: app:1.0
    securityContext:
      runAsNonRoot: false
      runAsUser: 0
`,
			want: []hit{
				{Line: 9, Path: "spec.securityContext.runAsNonRoot", Container: "root"},
				{Line: 11, Path: "spec.securityContext.runAsNonRoot", Container: "app", Fixable: true},
				{Line: 18, Path: "spec.containers[2].securityContext.runAsNonRoot", Container: "own-root"},
			},
		},
		{
			// Paths are relative to the List item, and an anchor in one item
			// is merged into the next.
			name: "List items with a merged pod securityContext",
			manifest: `apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: web
  spec:
    template:
      spec:
        securityContext: &restricted
          runAsNonRoot: true
        containers:
        - name: app
          image: app:1.0
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: worker
  spec:
    template:
      spec:
        securityContext:
          <<: *restricted
          runAsNonRoot: false
        containers:
        - name: worker
          image: worker:2.0
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: batch
  spec:
    template:
      spec:
        securityContext:
          <<: *restricted
        containers:
        - name: batch
          image: batch:2.0
`,
			want: []hit{{Line: 25, Path: "spec.template.spec.securityContext.runAsNonRoot", Container: "worker", Fixable: true}},
		},
	})
}

func TestRunAsNonRootRefusalReason(t *testing.T) {
	fs := scanManifest(t, `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: app:1.0
    securityContext:
      runAsUser: 0
`, nil, "run-as-non-root")
	if len(fs) != 1 || fs[0].NotFixable != rootUserRefusal || fs[0].Fixable {
		t.Fatalf("want one unfixable finding saying %q, got %+v", rootUserRefusal, fs)
	}
}

func TestRunAsUserRoot(t *testing.T) {
	runControlCases(t, "run-as-user-root", []controlCase{
		{
			name: "pod level once, containers each; non-zero UIDs pass",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    runAsUser: 0
  initContainers:
  - name: chown
    image: busybox:1.36
    securityContext:
      runAsUser: 0
  containers:
  - name: app
    image: app:1.0
    securityContext:
      runAsUser: 1000
  - name: sidecar
    image: envoyproxy/envoy:v1.30.1
  ephemeralContainers:
  - name: debug
    image: busybox:1.36
    securityContext: {runAsUser: 0}
`,
			want: []hit{
				{Line: 7, Path: "spec.securityContext.runAsUser"},
				{Line: 12, Path: "spec.initContainers[0].securityContext.runAsUser", Container: "chown"},
				{Line: 23, Path: "spec.ephemeralContainers[0].securityContext.runAsUser", Container: "debug"},
			},
		},
		{
			name: "non-root UID passes",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    runAsUser: 65532
  containers:
  - name: app
    image: app:1.0
`,
		},
	})
}

package scanner

import "testing"

func TestSeccompProfile(t *testing.T) {
	runControlCases(t, "seccomp-profile", []controlCase{
		{
			name: "pod RuntimeDefault: only a container's own Unconfined fails",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: app:1.0
  - name: local
    image: app:1.0
    securityContext:
      seccompProfile: {type: Localhost, localhostProfile: profiles/app.json}
  - name: loose
    image: app:1.0
    securityContext:
      seccompProfile:
        type: Unconfined
`,
			want: []hit{{Line: 20, Path: "spec.containers[2].securityContext.seccompProfile.type", Container: "loose", Fixable: true}},
		},
		{
			name: "pod Unconfined: one pod hit plus containers' own Unconfined",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    seccompProfile:
      type: Unconfined
  containers:
  - name: inherits
    image: app:1.0
  - name: confined
    image: app:1.0
    securityContext:
      seccompProfile:
        type: RuntimeDefault
  - name: loose
    image: app:1.0
    securityContext:
      seccompProfile:
        type: Unconfined
`,
			want: []hit{
				{Line: 8, Path: "spec.securityContext.seccompProfile.type", Fixable: true},
				{Line: 21, Path: "spec.containers[2].securityContext.seccompProfile.type", Container: "loose", Fixable: true},
			},
		},
		{
			// The alpha annotation was removed in Kubernetes 1.27 and confines nothing.
			name: "pod unset: each container without its own profile, init containers included",
			manifest: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      annotations:
        seccomp.security.alpha.kubernetes.io/pod: runtime/default
    spec:
      initContainers:
      - name: migrate
        image: migrate:4.17
      containers:
      - name: app
        image: app:1.0
        securityContext:
          seccompProfile:
            type: RuntimeDefault
      - name: loose
        image: app:1.0
        securityContext:
          seccompProfile:
            type: Unconfined
`,
			want: []hit{
				{Line: 12, Path: "spec.template.spec.securityContext.seccompProfile.type", Container: "migrate", Fixable: true},
				{Line: 24, Path: "spec.template.spec.containers[1].securityContext.seccompProfile.type", Container: "loose", Fixable: true},
			},
		},
		{
			name: "pod Localhost passes",
			manifest: `apiVersion: batch/v1
kind: Job
metadata:
  name: once
spec:
  template:
    spec:
      restartPolicy: Never
      securityContext:
        seccompProfile:
          type: Localhost
          localhostProfile: profiles/job.json
      containers:
      - name: job
        image: job:1.0
`,
		},
	})
}

func TestHostProcess(t *testing.T) {
	runControlCases(t, "host-process", []controlCase{
		{
			name: "pod level once, container level each; false passes",
			manifest: `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: win-agent
spec:
  template:
    spec:
      hostNetwork: true
      securityContext:
        windowsOptions:
          hostProcess: true
          runAsUserName: "NT AUTHORITY\\SYSTEM"
      containers:
      - name: agent
        image: agent:1.0
        securityContext:
          windowsOptions:
            hostProcess: true
      - name: helper
        image: helper:1.0
        securityContext:
          windowsOptions: {hostProcess: false}
`,
			want: []hit{
				{Line: 11, Path: "spec.template.spec.securityContext.windowsOptions.hostProcess"},
				{Line: 18, Path: "spec.template.spec.containers[0].securityContext.windowsOptions.hostProcess", Container: "agent"},
			},
		},
	})
}

func TestSELinuxOptions(t *testing.T) {
	runControlCases(t, "selinux-options", []controlCase{
		{
			name: "custom type at pod level, user and role on a container",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    seLinuxOptions:
      type: spc_t
  containers:
  - name: app
    image: app:1.0
    securityContext:
      seLinuxOptions:
        user: system_u
        role: system_r
        type: container_t
`,
			want: []hit{
				{Line: 8, Path: "spec.securityContext.seLinuxOptions.type"},
				{Line: 14, Path: "spec.containers[0].securityContext.seLinuxOptions.user", Container: "app"},
				{Line: 15, Path: "spec.containers[0].securityContext.seLinuxOptions.role", Container: "app"},
			},
		},
		{
			name: "allowed types and a level pass",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    seLinuxOptions:
      level: "s0:c123,c456"
  containers:
  - name: app
    image: app:1.0
    securityContext:
      seLinuxOptions: {type: container_init_t}
`,
		},
	})
}

func TestAppArmorUnconfined(t *testing.T) {
	runControlCases(t, "apparmor-unconfined", []controlCase{
		{
			name: "template annotation and fields at pod and container level",
			manifest: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: unconfined
spec:
  template:
    metadata:
      annotations:
        container.apparmor.security.beta.kubernetes.io/app: unconfined
        container.apparmor.security.beta.kubernetes.io/sidecar: runtime/default
    spec:
      securityContext:
        appArmorProfile:
          type: Unconfined
      containers:
      - name: app
        image: app:1.0
      - name: sidecar
        image: envoyproxy/envoy:v1.30.1
        securityContext:
          appArmorProfile:
            type: Unconfined
      - name: confined
        image: app:1.0
        securityContext:
          appArmorProfile:
            type: RuntimeDefault
`,
			want: []hit{
				{Line: 11, Path: "spec.template.metadata.annotations.container.apparmor.security.beta.kubernetes.io/app", Container: "app"},
				{Line: 16, Path: "spec.template.spec.securityContext.appArmorProfile.type"},
				{Line: 24, Path: "spec.template.spec.containers[1].securityContext.appArmorProfile.type", Container: "sidecar"},
			},
		},
		{
			name: "a bare Pod's annotations are its own metadata",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: unconfined
spec:
  containers:
  - name: app
    image: app:1.0
`,
			want: []hit{{Line: 6, Path: "metadata.annotations.container.apparmor.security.beta.kubernetes.io/app", Container: "app"}},
		},
		{
			name: "RuntimeDefault and localhost profiles pass",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: localhost/k8s-apparmor-example
spec:
  securityContext:
    appArmorProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: app:1.0
`,
		},
	})
}

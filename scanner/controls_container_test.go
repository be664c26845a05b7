package scanner

import "testing"

// imagesPod holds one container per image-reference shape; image-pull-policy
// and image-tag must disagree on most of them.
const imagesPod = `apiVersion: v1
kind: Pod
metadata:
  name: images
spec:
  containers:
  - name: tagged
    image: nginx:1.27
  - name: pinned
    image: nginx:1.27@sha256:4c0fdaa8b6341bfdeca5f18f7837462c80cff90527ee35ef185571e1c327beac
    imagePullPolicy: IfNotPresent
  - name: untagged
    image: nginx
  - name: latest
    image: nginx:latest
  - name: registry-port
    image: reg:5000/app
  - name: never
    image: nginx:latest
    imagePullPolicy: Never
  - name: always
    image: nginx:1.27
    imagePullPolicy: Always
`

func TestImagePullPolicy(t *testing.T) {
	runControlCases(t, "image-pull-policy", []controlCase{
		{
			// Without a policy only an explicit non-latest tag defaults to
			// IfNotPresent; a digest passes whatever the policy.
			name: "defaults and explicit policies", manifest: imagesPod,
			want: []hit{
				{Line: 7, Path: "spec.containers[0].imagePullPolicy", Container: "tagged", Fixable: true},
				{Line: 20, Path: "spec.containers[5].imagePullPolicy", Container: "never", Fixable: true},
			},
		},
		{
			name: "tag after a registry port, in an init container of a CronJob",
			manifest: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          initContainers:
          - name: migrate
            image: reg:5000/app:1.0
          containers:
          - name: backup
            image: restic/restic:0.16.4
            imagePullPolicy: Always
`,
			want: []hit{{Line: 13, Path: "spec.jobTemplate.spec.template.spec.initContainers[0].imagePullPolicy", Container: "migrate", Fixable: true}},
		},
	})
}

func TestImageTag(t *testing.T) {
	runControlCases(t, "image-tag", []controlCase{
		{
			name: "untagged, latest and registry port fail; tag or digest pass", manifest: imagesPod,
			want: []hit{
				{Line: 13, Path: "spec.containers[2].image", Container: "untagged"},
				{Line: 15, Path: "spec.containers[3].image", Container: "latest"},
				{Line: 17, Path: "spec.containers[4].image", Container: "registry-port"},
				{Line: 19, Path: "spec.containers[5].image", Container: "never"},
			},
		},
		{
			name: "empty image is skipped",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: ""
  - name: sidecar
`,
		},
	})
}

func TestReadOnlyRootFilesystem(t *testing.T) {
	runControlCases(t, "read-only-root-filesystem", []controlCase{
		{
			name: "missing at the container, false at the key, true passes",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: bare
    image: nginx:1.27
  - name: writable
    image: nginx:1.27
    securityContext:
      readOnlyRootFilesystem: false
  - name: readonly
    image: nginx:1.27
    securityContext:
      readOnlyRootFilesystem: true
`,
			want: []hit{
				{Line: 7, Path: "spec.containers[0].securityContext.readOnlyRootFilesystem", Container: "bare", Fixable: true},
				{Line: 12, Path: "spec.containers[1].securityContext.readOnlyRootFilesystem", Container: "writable", Fixable: true},
			},
		},
		{
			name: "CronJob template path",
			manifest: `apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: backup
            image: restic/restic:0.16.4
            securityContext:
              readOnlyRootFilesystem: false
`,
			want: []hit{{Line: 16, Path: "spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem", Container: "backup", Fixable: true}},
		},
		{
			// Kubernetes reads only the booleans true/false; a quoted "true"
			// is rejected by the API, so it does not pass.
			name: "quoted true is not a boolean",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:1.27
    securityContext: {readOnlyRootFilesystem: "true"}
`,
			want: []hit{{Line: 9, Path: "spec.containers[0].securityContext.readOnlyRootFilesystem", Container: "app", Fixable: true}},
		},
	})
}

func TestNoPrivilegeEscalation(t *testing.T) {
	runControlCases(t, "no-privilege-escalation", []controlCase{
		{
			name: "merge keys reach the securityContext; an own key overrides the merged one",
			manifest: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.27
        securityContext: &hardened
          allowPrivilegeEscalation: false
      - name: sidecar
        image: envoyproxy/envoy:v1.30.1
        securityContext:
          <<: *hardened
          allowPrivilegeEscalation: true
      - name: helper
        image: busybox:1.36
        securityContext:
          <<: *hardened
          readOnlyRootFilesystem: true
      - name: bare
        image: busybox:1.36
`,
			want: []hit{
				{Line: 17, Path: "spec.template.spec.containers[1].securityContext.allowPrivilegeEscalation", Container: "sidecar", Fixable: true},
				{Line: 23, Path: "spec.template.spec.containers[3].securityContext.allowPrivilegeEscalation", Container: "bare", Fixable: true},
			},
		},
	})
}

func TestPrivileged(t *testing.T) {
	runControlCases(t, "privileged", []controlCase{
		{
			name: "privileged init and ephemeral containers; false and unset pass",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  initContainers:
  - name: sysctl
    image: busybox:1.36
    securityContext: {privileged: true}
  containers:
  - name: app
    image: nginx:1.27
    securityContext:
      privileged: false
  - name: sidecar
    image: envoyproxy/envoy:v1.30.1
  ephemeralContainers:
  - name: debug
    image: busybox:1.36
    securityContext:
      privileged: true
`,
			want: []hit{
				{Line: 9, Path: "spec.initContainers[0].securityContext.privileged", Container: "sysctl", Fixable: true},
				{Line: 21, Path: "spec.ephemeralContainers[0].securityContext.privileged", Container: "debug", Fixable: true},
			},
		},
		{
			// An aliased securityContext is reported, for each container, at
			// the field where it is written.
			name: "aliased securityContext",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:1.27
    securityContext: &sc
      privileged: true
  - name: sidecar
    image: envoyproxy/envoy:v1.30.1
    securityContext: *sc
`,
			want: []hit{
				{Line: 10, Path: "spec.containers[0].securityContext.privileged", Container: "app", Fixable: true},
				{Line: 10, Path: "spec.containers[1].securityContext.privileged", Container: "sidecar", Fixable: true},
			},
		},
	})
}

func TestDropAllCapabilities(t *testing.T) {
	runControlCases(t, "drop-all-capabilities", []controlCase{
		{
			name: "missing, partial and lower-case drops fail; ALL passes",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: bare
    image: nginx:1.27
  - name: some
    image: nginx:1.27
    securityContext:
      capabilities:
        drop:
        - NET_RAW
  - name: lower
    image: nginx:1.27
    securityContext:
      capabilities:
        drop: [all]
  - name: all
    image: nginx:1.27
    securityContext:
      capabilities:
        drop: ["ALL"]
        add: [NET_BIND_SERVICE]
  - name: no-drop
    image: nginx:1.27
    securityContext:
      capabilities:
        add: [CHOWN]
`,
			want: []hit{
				{Line: 7, Path: "spec.containers[0].securityContext.capabilities.drop", Container: "bare", Fixable: true},
				{Line: 13, Path: "spec.containers[1].securityContext.capabilities.drop", Container: "some", Fixable: true},
				{Line: 19, Path: "spec.containers[2].securityContext.capabilities.drop", Container: "lower", Fixable: true},
				{Line: 26, Path: "spec.containers[4].securityContext.capabilities.drop", Container: "no-drop", Fixable: true},
			},
		},
	})
}

func TestDangerousCapabilities(t *testing.T) {
	runControlCases(t, "dangerous-capabilities", []controlCase{
		{
			// The standard compares names exactly: CAP_CHOWN is not CHOWN.
			name: "one hit per entry outside the baseline list as spelled",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  initContainers:
  - name: net
    image: busybox:1.36
    securityContext:
      capabilities:
        add: [NET_RAW]
  containers:
  - name: app
    image: nginx:1.27
    securityContext:
      capabilities:
        add:
        - NET_BIND_SERVICE
        - SYS_ADMIN
        - cap_net_raw
        - CAP_CHOWN
        - net_admin
`,
			want: []hit{
				{Line: 11, Path: "spec.initContainers[0].securityContext.capabilities.add[0]", Container: "net", Fixable: true},
				{Line: 19, Path: "spec.containers[0].securityContext.capabilities.add[1]", Container: "app", Fixable: true},
				{Line: 20, Path: "spec.containers[0].securityContext.capabilities.add[2]", Container: "app", Fixable: true},
				{Line: 21, Path: "spec.containers[0].securityContext.capabilities.add[3]", Container: "app", Fixable: true},
				{Line: 22, Path: "spec.containers[0].securityContext.capabilities.add[4]", Container: "app", Fixable: true},
			},
		},
		{
			name: "baseline capabilities pass in their canonical spelling only",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:1.27
    securityContext:
      capabilities:
        drop: [ALL]
        add: [NET_BIND_SERVICE, SETUID, KILL, CAP_SETUID, kill]
`,
			want: []hit{
				{Line: 12, Path: "spec.containers[0].securityContext.capabilities.add[3]", Container: "app", Fixable: true},
				{Line: 12, Path: "spec.containers[0].securityContext.capabilities.add[4]", Container: "app", Fixable: true},
			},
		},
	})
}

func TestProcMount(t *testing.T) {
	runControlCases(t, "proc-mount", []controlCase{
		{
			name: "Unmasked fails; Default and unset pass",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  hostUsers: false
  containers:
  - name: nested
    image: buildkit:0.13
    securityContext:
      procMount: Unmasked
  - name: default
    image: nginx:1.27
    securityContext:
      procMount: Default
  - name: bare
    image: nginx:1.27
`,
			want: []hit{{Line: 11, Path: "spec.containers[0].securityContext.procMount", Container: "nested"}},
		},
	})
}

func TestHostPort(t *testing.T) {
	runControlCases(t, "host-port", []controlCase{
		{
			name: "non-zero hostPort fails at its key; 0 and none pass",
			manifest: `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ingress
spec:
  template:
    spec:
      containers:
      - name: proxy
        image: nginx:1.27
        ports:
        - containerPort: 80
          hostPort: 0
        - containerPort: 443
          hostPort: 443
          protocol: TCP
        - containerPort: 9090
`,
			want: []hit{{Line: 15, Path: "spec.template.spec.containers[0].ports[1].hostPort", Container: "proxy"}},
		},
	})
}

func TestSecretsInEnv(t *testing.T) {
	runControlCases(t, "secrets-in-env", []controlCase{
		{
			name: "literal values of secret-looking names fail at the value key",
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
        env:
        - name: DB_PASSWORD
          value: hunter2
      containers:
      - name: app
        image: app:1.0
        env:
        - name: LOG_LEVEL
          value: debug
        - name: API_TOKEN
          valueFrom:
            secretKeyRef: {name: app, key: token}
        - name: github_token
          value: ""
        - name: my_api_key
          value: abc123
        - name: CLIENT_SECRET_FILE
          value: /etc/secret/client
`,
			want: []hit{
				{Line: 13, Path: "spec.template.spec.initContainers[0].env[0].value", Container: "migrate"},
				{Line: 26, Path: "spec.template.spec.containers[0].env[3].value", Container: "app"},
				// The rule goes by name alone: a path in a SECRET-named variable is reported too.
				{Line: 28, Path: "spec.template.spec.containers[0].env[4].value", Container: "app"},
			},
		},
	})
}

func TestRestrictedCapabilities(t *testing.T) {
	runControlCases(t, "restricted-capabilities", []controlCase{
		{
			name: "every entry but NET_BIND_SERVICE as spelled, in every kind of container",
			manifest: `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: busybox:1.36
        securityContext:
          capabilities:
            add: [CHOWN]
      containers:
      - name: app
        image: nginx:1.27
        securityContext:
          capabilities:
            drop: [ALL]
            add:
            - NET_BIND_SERVICE # ports below 1024
            - SYS_ADMIN
            - net_bind_service
      - name: plain
        image: nginx:1.27
        securityContext:
          capabilities:
            drop: [ALL]
            add: [NET_BIND_SERVICE]
`,
			want: []hit{
				{Line: 13, Path: "spec.template.spec.initContainers[0].securityContext.capabilities.add[0]", Container: "init", Fixable: true},
				{Line: 22, Path: "spec.template.spec.containers[0].securityContext.capabilities.add[1]", Container: "app", Fixable: true},
				{Line: 23, Path: "spec.template.spec.containers[0].securityContext.capabilities.add[2]", Container: "app", Fixable: true},
			},
		},
		{
			name: "no add, or an empty one, passes",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:1.27
    securityContext:
      capabilities:
        drop: [ALL]
        add: []
  - name: bare
    image: nginx:1.27
`,
		},
	})
}

func TestHostProbe(t *testing.T) {
	runControlCases(t, "host-probe", []controlCase{
		{
			name: "host in any probe or lifecycle handler, httpGet or tcpSocket",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  initContainers:
  - name: wait
    image: busybox:1.36
    startupProbe:
      tcpSocket:
        host: db.internal
        port: 5432
  containers:
  - name: app
    image: nginx:1.27
    livenessProbe:
      httpGet:
        host: 169.254.169.254
        path: /latest/meta-data
        port: 80
    readinessProbe:
      httpGet:
        path: /ready
        port: 8080
    lifecycle:
      postStart:
        httpGet:
          host: example.com
          port: 443
      preStop:
        tcpSocket:
          host: localhost
          port: 9000
`,
			want: []hit{
				{Line: 11, Path: "spec.initContainers[0].startupProbe.tcpSocket.host", Container: "wait"},
				{Line: 18, Path: "spec.containers[0].livenessProbe.httpGet.host", Container: "app"},
				{Line: 28, Path: "spec.containers[0].lifecycle.postStart.httpGet.host", Container: "app"},
				{Line: 32, Path: "spec.containers[0].lifecycle.preStop.tcpSocket.host", Container: "app"},
			},
		},
		{
			name: "an empty host, or a Host header, passes",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:1.27
    livenessProbe:
      httpGet:
        host: ""
        port: 80
        httpHeaders:
        - name: Host
          value: example.com
    lifecycle:
      preStop:
        exec:
          command: [sleep, "5"]
`,
		},
	})
}

package scanner

import (
	"testing"

	"github.com/remedy-bot/remedy/config"
)

// resourcesPod has containers with full, partial and no limits and
// requests, and an ephemeral container, which the API forbids resources on.
const resourcesPod = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  initContainers:
  - name: migrate
    image: migrate:4.17
  containers:
  - name: full
    image: app:1.0
    resources:
      requests: {cpu: 100m, memory: 128Mi}
      limits: {cpu: "1", memory: 256Mi}
  - name: partial
    image: app:1.0
    resources:
      requests:
        cpu: 100m
      limits:
        memory: 256Mi
  ephemeralContainers:
  - name: debug
    image: busybox:1.36
`

func withResourceDefaults(kind string, defaults map[string]string) *config.Config {
	cfg := &config.Config{}
	switch kind {
	case "limits":
		cfg.Defaults.Resources.Limits = defaults
	case "requests":
		cfg.Defaults.Resources.Requests = defaults
	}
	return cfg
}

func TestResourceLimits(t *testing.T) {
	runControlCases(t, "resource-limits", []controlCase{
		{
			name: "without defaults nothing is fixable", manifest: resourcesPod,
			want: []hit{
				{Line: 7, Path: "spec.initContainers[0].resources.limits", Container: "migrate"},
				{Line: 20, Path: "spec.containers[1].resources.limits", Container: "partial"},
			},
		},
		{
			name: "defaults for both make every hit fixable", manifest: resourcesPod,
			cfg: withResourceDefaults("limits", map[string]string{"cpu": "500m", "memory": "256Mi"}),
			want: []hit{
				{Line: 7, Path: "spec.initContainers[0].resources.limits", Container: "migrate", Fixable: true},
				{Line: 20, Path: "spec.containers[1].resources.limits", Container: "partial", Fixable: true},
			},
		},
		{
			name: "a memory default alone fixes neither: both miss cpu", manifest: resourcesPod,
			cfg: withResourceDefaults("limits", map[string]string{"memory": "256Mi"}),
			want: []hit{
				{Line: 7, Path: "spec.initContainers[0].resources.limits", Container: "migrate"},
				{Line: 20, Path: "spec.containers[1].resources.limits", Container: "partial"},
			},
		},
		{
			name: "a cpu default fixes the container missing only cpu", manifest: resourcesPod,
			cfg: withResourceDefaults("limits", map[string]string{"cpu": "500m"}),
			want: []hit{
				{Line: 7, Path: "spec.initContainers[0].resources.limits", Container: "migrate"},
				{Line: 20, Path: "spec.containers[1].resources.limits", Container: "partial", Fixable: true},
			},
		},
		{
			name: "requests defaults do not fix limits", manifest: resourcesPod,
			cfg: withResourceDefaults("requests", map[string]string{"cpu": "500m", "memory": "256Mi"}),
			want: []hit{
				{Line: 7, Path: "spec.initContainers[0].resources.limits", Container: "migrate"},
				{Line: 20, Path: "spec.containers[1].resources.limits", Container: "partial"},
			},
		},
	})
}

func TestResourceRequests(t *testing.T) {
	runControlCases(t, "resource-requests", []controlCase{
		{
			name: "without defaults", manifest: resourcesPod,
			want: []hit{
				{Line: 7, Path: "spec.initContainers[0].resources.requests", Container: "migrate"},
				{Line: 18, Path: "spec.containers[1].resources.requests", Container: "partial"},
			},
		},
		{
			name: "with a memory default", manifest: resourcesPod,
			cfg: withResourceDefaults("requests", map[string]string{"memory": "128Mi"}),
			want: []hit{
				{Line: 7, Path: "spec.initContainers[0].resources.requests", Container: "migrate"},
				{Line: 18, Path: "spec.containers[1].resources.requests", Container: "partial", Fixable: true},
			},
		},
	})
}

func TestResourceLimitsNotFixableNamesTheMissingDefault(t *testing.T) {
	fs := scanManifest(t, resourcesPod, withResourceDefaults("limits", map[string]string{"memory": "256Mi"}), "resource-limits")
	const want = "no default in .remedy.yaml defaults.resources.limits for cpu"
	for _, f := range fs {
		if f.NotFixable != want {
			t.Errorf("%s: NotFixable = %q, want %q", f.Container, f.NotFixable, want)
		}
	}
	if len(fs) != 2 {
		t.Errorf("want 2 findings, got %d", len(fs))
	}
}

// probesDeployment has a main container without probes, one with both, and
// an init container, which cannot have them.
const probesDeployment = `apiVersion: apps/v1
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
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
      - name: probed
        image: app:1.0
        livenessProbe:
          httpGet: {path: /healthz, port: 8080}
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
`

// probelessJob runs to completion: probes make no sense for it.
const probelessJob = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: migrate:4.17
`

// probelessCronJob runs to completion too.
const probelessCronJob = `apiVersion: batch/v1
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
`

func TestLivenessProbe(t *testing.T) {
	runControlCases(t, "liveness-probe", []controlCase{
		{
			name: "main containers of long-running workloads only", manifest: probesDeployment,
			want: []hit{{Line: 12, Path: "spec.template.spec.containers[0].livenessProbe", Container: "app"}},
		},
		{name: "Job passes", manifest: probelessJob},
		{name: "CronJob passes", manifest: probelessCronJob},
	})
}

func TestReadinessProbe(t *testing.T) {
	runControlCases(t, "readiness-probe", []controlCase{
		{
			name: "a bare Pod is long-running",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: app:1.0
    readinessProbe: null
`,
			want: []hit{{Line: 7, Path: "spec.containers[0].readinessProbe", Container: "app"}},
		},
		{name: "probes set pass", manifest: probesDeployment},
		{name: "Job passes", manifest: probelessJob},
		{name: "CronJob passes", manifest: probelessCronJob},
	})
}

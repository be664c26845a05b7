package scanner

import "testing"

// hostNamespacesDaemonSet shares the node's network and IPC namespaces but
// explicitly not its PID namespace.
const hostNamespacesDaemonSet = `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-agent
spec:
  template:
    spec:
      hostNetwork: true
      hostPID: false
      hostIPC: true
      containers:
      - name: agent
        image: agent:1.0
`

// plainReplicationController shares nothing with the node.
const plainReplicationController = `apiVersion: v1
kind: ReplicationController
metadata:
  name: web
spec:
  replicas: 2
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: app
        image: app:1.0
`

func TestHostNamespaces(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want []hit
	}{
		{"host-network", []hit{{Line: 8, Path: "spec.template.spec.hostNetwork", Fixable: true}}},
		{"host-pid", nil},
		{"host-ipc", []hit{{Line: 10, Path: "spec.template.spec.hostIPC", Fixable: true}}},
	} {
		t.Run(tc.id, func(t *testing.T) {
			runControlCases(t, tc.id, []controlCase{
				{name: "DaemonSet", manifest: hostNamespacesDaemonSet, want: tc.want},
				{name: "unset passes", manifest: plainReplicationController},
			})
		})
	}
}

func TestAutomountServiceAccountToken(t *testing.T) {
	runControlCases(t, "automount-service-account-token", []controlCase{
		{
			name:     "unset: at the pod spec's key",
			manifest: plainReplicationController,
			want:     []hit{{Line: 10, Path: "spec.template.spec.automountServiceAccountToken", Fixable: true}},
		},
		{
			name: "true: at the field",
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
          automountServiceAccountToken: true
          restartPolicy: OnFailure
          containers:
          - name: backup
            image: restic/restic:0.16.4
`,
			want: []hit{{Line: 11, Path: "spec.jobTemplate.spec.template.spec.automountServiceAccountToken", Fixable: true}},
		},
		{
			name: "false passes",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  automountServiceAccountToken: false
  containers:
  - name: app
    image: app:1.0
`,
		},
		{
			name: "objects without a pod template pass",
			manifest: `apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
`,
		},
	})
}

// volumesStatefulSet has one volume of each interesting kind.
const volumesStatefulSet = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  serviceName: db
  template:
    spec:
      containers:
      - name: db
        image: postgres:16
      volumes:
      - name: config
        configMap: {name: db}
      - name: docker
        hostPath:
          path: /var/run/docker.sock
          type: Socket
      - name: backups
        nfs:
          server: nfs.example.com
          path: /backups
      - name: tokens
        projected:
          sources:
          - serviceAccountToken: {path: token}
      - name: scratch
        emptyDir: {}
`

func TestHostPathVolume(t *testing.T) {
	runControlCases(t, "host-path-volume", []controlCase{
		{
			name: "hostPath fails at its key; other types pass", manifest: volumesStatefulSet,
			want: []hit{{Line: 16, Path: "spec.template.spec.volumes[1].hostPath"}},
		},
	})
}

func TestRestrictedVolumeTypes(t *testing.T) {
	runControlCases(t, "restricted-volume-types", []controlCase{
		{
			name: "hostPath and nfs fail at their keys", manifest: volumesStatefulSet,
			want: []hit{
				{Line: 16, Path: "spec.template.spec.volumes[1].hostPath"},
				{Line: 20, Path: "spec.template.spec.volumes[2].nfs"},
			},
		},
		{
			name: "a volume merged in from an anchor is read too",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: app:1.0
  volumes:
  - &shared
    name: shared
    nfs: {server: nfs.example.com, path: /shared}
  - <<: *shared
    name: shared-copy
  - name: data
    persistentVolumeClaim: {claimName: data}
`,
			want: []hit{
				{Line: 12, Path: "spec.volumes[0].nfs"},
				{Line: 12, Path: "spec.volumes[1].nfs"},
			},
		},
	})
}

func TestUnsafeSysctls(t *testing.T) {
	runControlCases(t, "unsafe-sysctls", []controlCase{
		{
			name: "sysctls outside the safe set fail at their names",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    sysctls:
    - name: kernel.shm_rmid_forced
      value: "1"
    - name: net.core.somaxconn
      value: "1024"
    - name: net.ipv4.tcp_keepalive_time
      value: "600"
    - name: kernel.msgmax
      value: "65536"
  containers:
  - name: app
    image: app:1.0
`,
			want: []hit{
				{Line: 10, Path: "spec.securityContext.sysctls[1]"},
				{Line: 14, Path: "spec.securityContext.sysctls[3]"},
			},
		},
		{
			name: "safe sysctls pass",
			manifest: `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  securityContext:
    sysctls: [{name: net.ipv4.ip_local_port_range, value: "1024 65535"}]
  containers:
  - name: app
    image: app:1.0
`,
		},
	})
}

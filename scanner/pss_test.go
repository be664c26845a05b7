package scanner

import (
	"testing"

	"github.com/remedy-bot/remedy/config"
)

// pssAt is a config that follows policy version v.
func pssAt(v string) *config.Config { return &config.Config{PSS: config.PSS{Version: v}} }

// windowsPod adds capabilities, escalates and has no seccomp profile: the
// Linux-only restricted checks skip it from v1.25 on, the baseline ones do not.
const windowsPod = `apiVersion: v1
kind: Pod
metadata:
  name: win
spec:
  os:
    name: windows
  containers:
  - name: app
    image: mcr.microsoft.com/windows/nanoserver:ltsc2022
    securityContext:
      capabilities:
        add: [SYS_ADMIN]
`

func TestWindowsPodsSkipLinuxOnlyChecks(t *testing.T) {
	for _, tc := range []struct {
		id      string
		version string
		want    []hit
	}{
		{"no-privilege-escalation", "", nil},
		{"drop-all-capabilities", "", nil},
		{"restricted-capabilities", "", nil},
		{"seccomp-profile", "", nil},
		// Before v1.25 the standard did not exempt them.
		{"no-privilege-escalation", "v1.24", []hit{{Line: 9, Path: "spec.containers[0].securityContext.allowPrivilegeEscalation", Container: "app", Fixable: true}}},
		{"restricted-capabilities", "v1.24", []hit{{Line: 13, Path: "spec.containers[0].securityContext.capabilities.add[0]", Container: "app", Fixable: true}}},
		// Baseline applies to every OS.
		{"dangerous-capabilities", "", []hit{{Line: 13, Path: "spec.containers[0].securityContext.capabilities.add[0]", Container: "app", Fixable: true}}},
	} {
		t.Run(tc.id+" "+tc.version, func(t *testing.T) {
			runControlCases(t, tc.id, []controlCase{{name: "windows", manifest: windowsPod, cfg: pssAt(tc.version), want: tc.want}})
		})
	}
}

// userNamespacePod runs in a user namespace as root with /proc unmasked.
const userNamespacePod = `apiVersion: v1
kind: Pod
metadata:
  name: userns
spec:
  hostUsers: false
  securityContext:
    runAsUser: 0
  containers:
  - name: app
    image: nginx:1.27
    securityContext:
      procMount: Unmasked
`

func TestUserNamespacePods(t *testing.T) {
	for _, tc := range []struct {
		id, version string
		want        []hit
		level       string
	}{
		// From v1.35 root in a user namespace is not root on the node.
		{id: "run-as-non-root", version: "v1.37"},
		{id: "run-as-user-root", version: "v1.37"},
		{id: "run-as-non-root", version: "v1.34", level: PSSRestricted,
			want: []hit{{Line: 10, Path: "spec.securityContext.runAsNonRoot", Container: "app"}}},
		{id: "run-as-user-root", version: "v1.34", level: PSSRestricted,
			want: []hit{{Line: 8, Path: "spec.securityContext.runAsUser"}}},
		// proc-mount is still reported, but only restricted forbids it.
		{id: "proc-mount", version: "v1.37", level: PSSRestricted,
			want: []hit{{Line: 13, Path: "spec.containers[0].securityContext.procMount", Container: "app"}}},
		{id: "proc-mount", version: "v1.34", level: PSSBaseline,
			want: []hit{{Line: 13, Path: "spec.containers[0].securityContext.procMount", Container: "app"}}},
	} {
		t.Run(tc.id+" "+tc.version, func(t *testing.T) {
			runControlCases(t, tc.id, []controlCase{{name: "hostUsers false", manifest: userNamespacePod, cfg: pssAt(tc.version), want: tc.want}})
			for _, f := range scanManifest(t, userNamespacePod, pssAt(tc.version), tc.id) {
				if f.PSSLevel != tc.level {
					t.Errorf("%s: PSS level %q, want %q", f.Path, f.PSSLevel, tc.level)
				}
			}
		})
	}
}

func TestSafeSysctlsByVersion(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata:
  name: tuned
spec:
  securityContext:
    sysctls:
    - name: net.ipv4.ip_local_reserved_ports
      value: "30000"
    - name: net.ipv4.tcp_rmem
      value: "4096 87380 6291456"
    - name: net.ipv4.tcp_notsent_lowat
      value: "16384"
    - name: kernel.msgmax
      value: "65536"
  containers:
  - name: app
    image: nginx:1.27
`
	at := func(i int, line int) hit {
		return hit{Line: line, Path: "spec.securityContext.sysctls[" + string(rune('0'+i)) + "]"}
	}
	runControlCases(t, "unsafe-sysctls", []controlCase{
		{name: "newest", manifest: pod, want: []hit{at(3, 14)}},
		{name: "v1.36 lacks the v1.37 additions", manifest: pod, cfg: pssAt("v1.36"), want: []hit{at(2, 12), at(3, 14)}},
		{name: "v1.29 lacks tcp_rmem", manifest: pod, cfg: pssAt("v1.29"), want: []hit{at(1, 10), at(2, 12), at(3, 14)}},
		{name: "v1.26 lacks ip_local_reserved_ports", manifest: pod, cfg: pssAt("v1.26"), want: []hit{at(0, 8), at(1, 10), at(2, 12), at(3, 14)}},
	})
}

func TestHostNetworkOfHostProcessPodNotFixable(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata:
  name: agent
spec:
  hostNetwork: true
  securityContext:
    windowsOptions:
      hostProcess: true
  containers:
  - name: agent
    image: agent:1.0
`
	fs := scanManifest(t, pod, nil, "host-network")
	if len(fs) != 1 || fs[0].Fixable || fs[0].NotFixable == "" {
		t.Fatalf("want one host-network finding, not fixable with a reason; got %+v", fs)
	}
}

func TestHostProbeFollowsVersion(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
  - name: app
    image: nginx:1.27
    readinessProbe:
      tcpSocket:
        host: 10.0.0.1
        port: 80
`
	runControlCases(t, "host-probe", []controlCase{
		{name: "v1.34 has the check", manifest: pod, cfg: pssAt("v1.34"), want: []hit{{Line: 11, Path: "spec.containers[0].readinessProbe.tcpSocket.host", Container: "app"}}},
		{name: "v1.33 does not", manifest: pod, cfg: pssAt("v1.33")},
	})
}

func TestSeccompAnnotationsBeforeV119(t *testing.T) {
	const pod = `apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    seccomp.security.alpha.kubernetes.io/pod: unconfined
    container.seccomp.security.alpha.kubernetes.io/app: runtime/default
    container.seccomp.security.alpha.kubernetes.io/side: unconfined
spec:
  containers:
  - name: app
    image: nginx:1.27
  - name: side
    image: nginx:1.27
`
	runControlCases(t, "seccomp-profile", []controlCase{
		{name: "v1.18 reads the annotations", manifest: pod, cfg: pssAt("v1.18"), want: []hit{
			{Line: 6, Path: "metadata.annotations.seccomp.security.alpha.kubernetes.io/pod"},
			{Line: 8, Path: "metadata.annotations.container.seccomp.security.alpha.kubernetes.io/side", Container: "side"},
			{Line: 11, Path: "spec.securityContext.seccompProfile.type", Container: "app", Fixable: true},
			{Line: 13, Path: "spec.securityContext.seccompProfile.type", Container: "side", Fixable: true},
		}},
		{name: "newest ignores them (removed in Kubernetes 1.27)", manifest: pod, want: []hit{
			{Line: 11, Path: "spec.securityContext.seccompProfile.type", Container: "app", Fixable: true},
			{Line: 13, Path: "spec.securityContext.seccompProfile.type", Container: "side", Fixable: true},
		}},
	})
}

package scanner

import "fmt"

// Pod Security Standards levels.
const (
	PSSBaseline   = "baseline"
	PSSRestricted = "restricted"
)

// PSSRule says which check of the Pod Security Standards a control
// implements: its level, and the first policy version (v1.Since) that has
// it. The checks follow k8s.io/pod-security-admission, the code of the API
// server's PodSecurity admission, which the tests use as the reference.
type PSSRule struct {
	Level string
	Since int
	// Note says, for the control table, how the level or version varies
	// (exemptions, a part another level forbids).
	Note string
}

// String names the rule as the control table shows it: "baseline v1.0+",
// "restricted v1.22+ (Windows pods exempt from v1.25)".
func (r PSSRule) String() string {
	s := fmt.Sprintf("%s v1.%d+", r.Level, r.Since)
	if r.Note != "" {
		s += " (" + r.Note + ")"
	}
	return s
}

// pss returns a rule for a control's PSS field, with an optional note.
func pss(level string, since int, note ...string) *PSSRule {
	r := &PSSRule{Level: level, Since: since}
	if len(note) > 0 {
		r.Note = note[0]
	}
	return r
}

// windowsExempt is the note of the restricted checks Windows pods skip.
const windowsExempt = "Windows pods exempt from v1.25"

// pssAtLeast reports whether the scan follows policy version v1.minor or newer.
func (cc *CheckContext) pssAtLeast(minor int) bool { return cc == nil || cc.PSSMinor >= minor }

// isWindowsPod reports whether the pod spec says it runs on Windows
// (spec.os.name: windows). From v1.25 the standard exempts such pods from
// the restricted checks that only mean something on Linux
// (allowPrivilegeEscalation, capabilities, seccomp).
func isWindowsPod(ps *PodSpec) bool {
	return ScalarValue(Field(Field(ps.Node, "os"), "name")) == "windows"
}

// linuxOnlyExempt reports whether a Linux-only restricted check skips the pod.
func linuxOnlyExempt(ps *PodSpec, cc *CheckContext) bool {
	return cc.pssAtLeast(25) && isWindowsPod(ps)
}

// inUserNamespace reports whether the pod runs in its own user namespace
// (hostUsers: false). From v1.35 the standard relaxes the checks that a
// user namespace makes moot (runAsNonRoot, runAsUser, baseline procMount).
func inUserNamespace(ps *PodSpec) bool { return IsFalse(Field(ps.Node, "hostUsers")) }

// userNamespaceExempt reports whether the pod is exempt from a check that
// the v1.35 standard relaxes in a user namespace.
func userNamespaceExempt(ps *PodSpec, cc *CheckContext) bool {
	return cc.pssAtLeast(35) && inUserNamespace(ps)
}

// safeSysctlsSince are the sysctls the baseline standard allows, by the
// policy version that added them: namespaced, and unable to affect other
// pods on the node.
var safeSysctlsSince = map[string]int{
	"kernel.shm_rmid_forced":              0,
	"net.ipv4.ip_local_port_range":        0,
	"net.ipv4.ip_unprivileged_port_start": 0,
	"net.ipv4.tcp_syncookies":             0,
	"net.ipv4.ping_group_range":           0,
	"net.ipv4.ip_local_reserved_ports":    27,
	"net.ipv4.tcp_keepalive_time":         29,
	"net.ipv4.tcp_fin_timeout":            29,
	"net.ipv4.tcp_keepalive_intvl":        29,
	"net.ipv4.tcp_keepalive_probes":       29,
	"net.ipv4.tcp_rmem":                   32,
	"net.ipv4.tcp_wmem":                   32,
	"net.ipv4.tcp_slow_start_after_idle":  37,
	"net.ipv4.tcp_notsent_lowat":          37,
}

// safeSysctl reports whether the followed policy version allows a sysctl.
func safeSysctl(name string, cc *CheckContext) bool {
	since, ok := safeSysctlsSince[name]
	return ok && cc.pssAtLeast(since)
}

// hostProcessPod reports whether a Windows HostProcess container runs in
// the pod: the pod's windowsOptions.hostProcess, or any container's.
func hostProcessPod(ps *PodSpec) bool {
	for _, o := range securityContextOwners(ps) {
		if _, v := securityContextField(o.Node, "windowsOptions", "hostProcess"); IsTrue(v) {
			return true
		}
	}
	return false
}

// pssRestrictedHit marks a hit of a baseline control that only the
// restricted level forbids (the pod is exempt at baseline).
func pssRestrictedHit(h Hit) Hit {
	h.PSSLevel = PSSRestricted
	return h
}

// pssBaselineHit marks a hit of a restricted control that the baseline
// level forbids too (an Unconfined seccomp profile).
func pssBaselineHit(h Hit) Hit {
	h.PSSLevel = PSSBaseline
	return h
}

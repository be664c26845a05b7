package importer

// Each table maps a tool's rule ID to the catalog control that checks the
// same thing. Rules with no counterpart are imported under their own ID.

// kubescapeControls: Kubescape's control IDs (hub.armosec.io/docs/controls).
var kubescapeControls = map[string]string{
	"C-0004": "resource-limits", // Resources memory limit and request
	"C-0009": "resource-limits", // Resource limits
	"C-0050": "resource-limits", // Resources CPU limit and request
	"C-0270": "resource-limits", // Ensure CPU limits are set
	"C-0271": "resource-limits", // Ensure memory limits are set
	"C-0012": "secrets-in-env",  // Applications credentials in configuration files
	"C-0013": "run-as-non-root", // Non-root containers
	"C-0015": "rbac-secrets-access",
	"C-0016": "no-privilege-escalation",
	"C-0017": "read-only-root-filesystem",
	"C-0034": "automount-service-account-token",
	"C-0035": "rbac-cluster-admin", // Administrative Roles
	"C-0038": "host-pid",           // Host PID/IPC privileges
	"C-0041": "host-network",
	"C-0044": "host-port",
	"C-0045": "host-path-volume", // Writable hostPath mount
	"C-0046": "dangerous-capabilities",
	"C-0048": "host-path-volume",
	"C-0055": "seccomp-profile", // Linux hardening
	"C-0057": "privileged",
	"C-0061": "default-namespace",
	"C-0075": "image-pull-policy",
	"C-0187": "rbac-wildcard", // Minimize wildcard use in Roles and ClusterRoles
	"C-0188": "rbac-pod-create",
	"C-0210": "seccomp-profile",
	"C-0211": "run-as-non-root", // Apply Security Context to Your Pods and Containers
	"C-0262": "rbac-wildcard",   // Anonymous user has RoleBinding
}

// polarisControls: Polaris check IDs (polaris.docs.fairwinds.com/checks).
var polarisControls = map[string]string{
	"runAsRootAllowed":                              "run-as-non-root",
	"runAsPrivileged":                               "privileged",
	"notReadOnlyRootFilesystem":                     "read-only-root-filesystem",
	"privilegeEscalationAllowed":                    "no-privilege-escalation",
	"dangerousCapabilities":                         "dangerous-capabilities",
	"insecureCapabilities":                          "drop-all-capabilities",
	"hostIPCSet":                                    "host-ipc",
	"hostPIDSet":                                    "host-pid",
	"hostNetworkSet":                                "host-network",
	"hostPortSet":                                   "host-port",
	"hostPathSet":                                   "host-path-volume",
	"procMount":                                     "proc-mount",
	"cpuLimitsMissing":                              "resource-limits",
	"memoryLimitsMissing":                           "resource-limits",
	"cpuRequestsMissing":                            "resource-requests",
	"memoryRequestsMissing":                         "resource-requests",
	"pullPolicyNotAlways":                           "image-pull-policy",
	"tagNotSpecified":                               "image-tag",
	"livenessProbeMissing":                          "liveness-probe",
	"readinessProbeMissing":                         "readiness-probe",
	"automountServiceAccountToken":                  "automount-service-account-token",
	"sensitiveContainerEnvVar":                      "secrets-in-env",
	"rbacDangerousClusterRoleBindingToClusterAdmin": "rbac-cluster-admin",
	"clusterrolePodExecAttach":                      "rbac-pod-create",
	"rolePodExecAttach":                             "rbac-pod-create",
}

// trivyControls: Trivy's Kubernetes checks (avd.aquasec.com/misconfig/kubernetes).
var trivyControls = map[string]string{
	"KSV001": "no-privilege-escalation",
	"KSV003": "drop-all-capabilities",
	"KSV005": "dangerous-capabilities", // SYS_ADMIN
	"KSV006": "host-path-volume",       // docker.sock
	"KSV008": "host-ipc",
	"KSV009": "host-network",
	"KSV010": "host-pid",
	"KSV011": "resource-limits",
	"KSV012": "run-as-non-root",
	"KSV013": "image-tag",
	"KSV014": "read-only-root-filesystem",
	"KSV015": "resource-requests",
	"KSV016": "resource-requests",
	"KSV017": "privileged",
	"KSV018": "resource-limits",
	"KSV022": "dangerous-capabilities",
	"KSV023": "host-path-volume",
	"KSV024": "host-port",
	"KSV025": "selinux-options",
	"KSV026": "unsafe-sysctls",
	"KSV027": "proc-mount",
	"KSV028": "restricted-volume-types",
	"KSV029": "run-as-non-root", // runAsGroup 0
	"KSV030": "seccomp-profile",
	"KSV036": "automount-service-account-token",
	"KSV041": "rbac-secrets-access",
	"KSV044": "rbac-wildcard",
	"KSV045": "rbac-wildcard",
	"KSV046": "rbac-wildcard",
	"KSV048": "rbac-pod-create",
	"KSV104": "seccomp-profile",
	"KSV105": "run-as-user-root",
	"KSV106": "drop-all-capabilities",
	"KSV110": "default-namespace",
	"KSV111": "rbac-cluster-admin",
	"KSV117": "host-port", // privileged port
}

// controlFor maps a rule ID to a catalog control through the tool's table;
// a SARIF log may come from any tool, remedy included, so it tries them all.
func controlFor(tool, id string) string {
	switch tool {
	case FormatKubescape:
		return kubescapeControls[id]
	case FormatPolaris:
		return polarisControls[id]
	case FormatTrivyOperator:
		return trivyControls[id]
	}
	for _, t := range []map[string]string{kubescapeControls, polarisControls, trivyControls} {
		if c := t[id]; c != "" {
			return c
		}
	}
	return ""
}

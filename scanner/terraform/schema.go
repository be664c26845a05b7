package terraform

import (
	"strings"
)

// kindOf is the Kubernetes kind of a resource type of the Kubernetes
// provider. The `_v1` variants are the same objects; kubernetes_manifest
// carries its own apiVersion and kind.
type kindOf struct{ apiVersion, kind string }

// resourceKinds maps a resource type (without `_v1`) to its object.
var resourceKinds = map[string]kindOf{
	"kubernetes_deployment":             {"apps/v1", "Deployment"},
	"kubernetes_stateful_set":           {"apps/v1", "StatefulSet"},
	"kubernetes_daemon_set":             {"apps/v1", "DaemonSet"},
	"kubernetes_daemonset":              {"apps/v1", "DaemonSet"},
	"kubernetes_job":                    {"batch/v1", "Job"},
	"kubernetes_cron_job":               {"batch/v1", "CronJob"},
	"kubernetes_pod":                    {"v1", "Pod"},
	"kubernetes_replication_controller": {"v1", "ReplicationController"},
	"kubernetes_service":                {"v1", "Service"},
	"kubernetes_service_account":        {"v1", "ServiceAccount"},
	"kubernetes_role":                   {"rbac.authorization.k8s.io/v1", "Role"},
	"kubernetes_role_binding":           {"rbac.authorization.k8s.io/v1", "RoleBinding"},
	"kubernetes_cluster_role":           {"rbac.authorization.k8s.io/v1", "ClusterRole"},
	"kubernetes_cluster_role_binding":   {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding"},
}

// ManifestType is the resource type whose `manifest` attribute is the
// object itself, in Kubernetes' own camelCase.
const ManifestType = "kubernetes_manifest"

// clusterScoped kinds get no namespace.
var clusterScoped = map[string]bool{"ClusterRole": true, "ClusterRoleBinding": true}

// KindOf returns the object a resource type declares; ok is false for
// types remedy does not map (kubernetes_manifest is mapped from its value).
func KindOf(resourceType string) (apiVersion, kind string, ok bool) {
	k, ok := resourceKinds[strings.TrimSuffix(resourceType, "_v1")]
	return k.apiVersion, k.kind, ok
}

// IsMapped reports whether remedy turns a resource type into an object.
func IsMapped(resourceType string) bool {
	_, _, ok := KindOf(resourceType)
	return ok || resourceType == ManifestType
}

// listBlocks are the provider's repeated blocks: each block is one item of
// the Kubernetes list named here.
var listBlocks = map[string]string{
	"container":                  "containers",
	"init_container":             "initContainers",
	"ephemeral_container":        "ephemeralContainers",
	"volume":                     "volumes",
	"port":                       "ports",
	"env":                        "env",
	"env_from":                   "envFrom",
	"volume_mount":               "volumeMounts",
	"volume_device":              "volumeDevices",
	"toleration":                 "tolerations",
	"image_pull_secrets":         "imagePullSecrets",
	"host_aliases":               "hostAliases",
	"http_header":                "httpHeaders",
	"match_expressions":          "matchExpressions",
	"rule":                       "rules",
	"subject":                    "subjects",
	"readiness_gate":             "readinessGates",
	"topology_spread_constraint": "topologySpreadConstraints",
	"volume_claim_template":      "volumeClaimTemplates",
	"items":                      "items",
	"sysctl":                     "sysctls",
	"option":                     "options",
	"secrets":                    "secrets",
	"node_selector_term":         "nodeSelectorTerms",
	"preferred_during_scheduling_ignored_during_execution": "preferredDuringSchedulingIgnoredDuringExecution",
	"cluster_role_selectors":                               "clusterRoleSelectors",
	"sources":                                              "sources",
}

// renamed are the names whose Kubernetes spelling is not the camelCase of
// the provider's: acronyms Kubernetes writes in capitals.
var renamed = map[string]string{
	"host_pid":           "hostPID",
	"host_ipc":           "hostIPC",
	"cluster_ip":         "clusterIP",
	"cluster_ips":        "clusterIPs",
	"external_ips":       "externalIPs",
	"load_balancer_ip":   "loadBalancerIP",
	"host_ip":            "hostIP",
	"pod_ip":             "podIP",
	"non_resource_urls":  "nonResourceURLs",
	"local_host_profile": "localhostProfile",
	"tty":                "tty",
	"stdin_once":         "stdinOnce",
	"fs_group":           "fsGroup",
	"target_port":        "targetPort",
}

// tfOnly are arguments and blocks of the provider or of Terraform that are
// not part of the object sent to the API server.
var tfOnly = map[string]bool{
	"count": true, "for_each": true, "depends_on": true, "provider": true, "lifecycle": true,
	"timeouts": true, "wait_for_rollout": true, "wait_for_completion": true,
	"wait_for_load_balancer": true, "wait_for_default_secret": true, "connection": true,
	"provisioner": true, "field_manager": true, "computed_fields": true, "wait": true,
}

// intFields are attributes the provider types as strings that Kubernetes
// types as integers (`run_as_user = "1000"`): controls compare numbers.
var intFields = map[string]bool{
	"runAsUser": true, "runAsGroup": true, "fsGroup": true, "replicas": true,
	"containerPort": true, "hostPort": true, "supplementalGroups": true,
}

// K8sName is the Kubernetes field a provider block or attribute sets, and
// whether a block of that name is one item of a list.
func K8sName(tf string) (name string, list bool) {
	if n, ok := listBlocks[tf]; ok {
		return n, true
	}
	if n, ok := renamed[tf]; ok {
		return n, false
	}
	return camel(tf), false
}

// AttrName is the Kubernetes field a provider attribute sets: an
// attribute is never the item of a list, whatever its name.
func AttrName(tf string) string {
	if n, ok := renamed[tf]; ok {
		return n
	}
	return camel(tf)
}

func camel(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	parts := strings.Split(s, "_")
	var b strings.Builder
	b.WriteString(parts[0])
	for _, p := range parts[1:] {
		if p == "" {
			continue
		}
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	return b.String()
}

// TFName is the provider's name for a Kubernetes field: the inverse of
// K8sName, for a field a fix adds.
func TFName(k8s string) (name string, list bool) {
	for tf, n := range listBlocks {
		if n == k8s {
			return tf, true
		}
	}
	for tf, n := range renamed {
		if n == k8s {
			return tf, false
		}
	}
	var b strings.Builder
	for i, r := range k8s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r + 'a' - 'A')
			continue
		}
		b.WriteRune(r)
	}
	return b.String(), false
}

// mapAttributes are the provider arguments whose value is a map written
// as an HCL object (`limits = { cpu = "1" }`) rather than a block.
var mapAttributes = map[string]bool{
	"labels": true, "annotations": true, "match_labels": true, "node_selector": true,
	"limits": true, "requests": true, "selector": true, "data": true, "string_data": true,
	"binary_data": true,
}

// IsMapAttribute reports whether a provider argument takes an HCL object.
func IsMapAttribute(tf string) bool { return mapAttributes[tf] }

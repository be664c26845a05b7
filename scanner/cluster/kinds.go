package cluster

import "strings"

// Kind is one resource that Load lists.
type Kind struct {
	// Group is the API group ("" for the core group), Version its version.
	Group, Version string
	// Resource is the plural resource name of the URL path.
	Resource string
	Kind     string
	// Namespaced is false for cluster-scoped kinds.
	Namespaced bool
}

// APIVersion is the kind's apiVersion as written in manifests.
func (k Kind) APIVersion() string {
	if k.Group == "" {
		return k.Version
	}
	return k.Group + "/" + k.Version
}

// ListPath is the URL path listing the kind in namespace, or in every
// namespace when namespace is "" (and for cluster-scoped kinds).
func (k Kind) ListPath(namespace string) string {
	var b strings.Builder
	if k.Group == "" {
		b.WriteString("/api/")
	} else {
		b.WriteString("/apis/" + k.Group + "/")
	}
	b.WriteString(k.Version)
	if k.Namespaced && namespace != "" {
		b.WriteString("/namespaces/" + namespace)
	}
	b.WriteString("/" + k.Resource)
	return b.String()
}

// Kinds are the kinds a cluster scan reads: every workload kind whose pod
// template the controls check, Services, and RBAC. deploy/base/clusterrole.yaml
// grants exactly list and watch on these.
func Kinds() []Kind {
	return []Kind{
		{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", Namespaced: true},
		{Group: "apps", Version: "v1", Resource: "statefulsets", Kind: "StatefulSet", Namespaced: true},
		{Group: "apps", Version: "v1", Resource: "daemonsets", Kind: "DaemonSet", Namespaced: true},
		{Group: "apps", Version: "v1", Resource: "replicasets", Kind: "ReplicaSet", Namespaced: true},
		{Group: "batch", Version: "v1", Resource: "cronjobs", Kind: "CronJob", Namespaced: true},
		{Group: "batch", Version: "v1", Resource: "jobs", Kind: "Job", Namespaced: true},
		{Version: "v1", Resource: "replicationcontrollers", Kind: "ReplicationController", Namespaced: true},
		{Version: "v1", Resource: "pods", Kind: "Pod", Namespaced: true},
		{Version: "v1", Resource: "services", Kind: "Service", Namespaced: true},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles", Kind: "Role", Namespaced: true},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings", Kind: "RoleBinding", Namespaced: true},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles", Kind: "ClusterRole"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings", Kind: "ClusterRoleBinding"},
	}
}

package scanner

import "testing"

func TestRBACClusterAdmin(t *testing.T) {
	runControlCases(t, "rbac-cluster-admin", []controlCase{
		{
			name: "ClusterRoleBinding to cluster-admin fails at roleRef.name",
			manifest: `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ci
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
- kind: ServiceAccount
  name: ci
  namespace: ci
`,
			want: []hit{{Line: 8, Path: "roleRef.name"}},
		},
		{
			name: "RoleBinding to a narrower role passes",
			manifest: `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ci
  namespace: ci
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: view
subjects:
- kind: ServiceAccount
  name: ci
`,
		},
		{
			name: "a non-RBAC kind with a roleRef passes",
			manifest: `apiVersion: example.com/v1
kind: RoleBinding
metadata:
  name: ci
roleRef:
  name: cluster-admin
`,
		},
	})
}

// rbacRole has one rule per interesting shape.
const rbacRole = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: operator
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get]
- apiGroups: [""]
  resources: [secrets, configmaps]
  verbs: [create, update]
- apiGroups: [apps]
  resources: [pods, secrets]
  verbs: [create, list]
- apiGroups:
  - ""
  resources:
  - "*"
  verbs:
  - list
- apiGroups: ["*"]
  resources: ["*"]
  verbs: ["*"]
- apiGroups: [""]
  resources: [pods, pods/log]
  verbs: [get, create]
- apiGroups: [""]
  resources: [pods]
  verbs: [get, watch]
`

func TestRBACSecretsAccess(t *testing.T) {
	runControlCases(t, "rbac-secrets-access", []controlCase{
		{
			name: "read verbs on core secrets, directly or by wildcard", manifest: rbacRole,
			want: []hit{
				{Line: 6, Path: "rules[0]"},
				{Line: 15, Path: "rules[3]"},
				{Line: 21, Path: "rules[4]"},
			},
		},
		{
			name: "a Role (namespaced) counts too",
			manifest: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: app
rules:
- resources: [secrets]
  apiGroups: [""]
  verbs: [watch]
`,
			want: []hit{{Line: 7, Path: "rules[0]"}},
		},
	})
}

func TestRBACWildcard(t *testing.T) {
	runControlCases(t, "rbac-wildcard", []controlCase{
		{
			name: "one hit per rule and field, at the entry", manifest: rbacRole,
			want: []hit{
				{Line: 18, Path: "rules[3].resources[0]"},
				{Line: 21, Path: "rules[4].apiGroups[0]"},
				{Line: 22, Path: "rules[4].resources[0]"},
				{Line: 23, Path: "rules[4].verbs[0]"},
			},
		},
		{
			name: "explicit rules pass",
			manifest: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules:
- apiGroups: [""]
  resources: [configmaps]
  verbs: [get, list, watch]
`,
		},
	})
}

func TestRBACPodCreate(t *testing.T) {
	runControlCases(t, "rbac-pod-create", []controlCase{
		{
			name: "create on core pods, directly or by wildcard", manifest: rbacRole,
			want: []hit{
				{Line: 21, Path: "rules[4]"},
				{Line: 24, Path: "rules[5]"},
			},
		},
	})
}

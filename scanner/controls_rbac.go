package scanner

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// isRBAC reports whether r is of the RBAC API group (any version).
func isRBAC(r *Resource, kinds ...string) bool {
	return strings.HasPrefix(r.APIVersion, "rbac.authorization.k8s.io/") && slices.Contains(kinds, r.Kind)
}

// policyRule is one entry of a Role's or ClusterRole's rules.
type policyRule struct {
	Node *yaml.Node
	Path Path
}

// values returns the scalar entries of one of the rule's lists.
func (p policyRule) values(field string) []string {
	var out []string
	for _, n := range Items(Field(p.Node, field)) {
		out = append(out, ScalarValue(n))
	}
	return out
}

// grants reports whether the rule covers a core-group resource with one of
// verbs. "*" matches any group, resource or verb.
func (p policyRule) grants(resource string, verbs ...string) bool {
	return containsAny(p.values("apiGroups"), "", "*") &&
		containsAny(p.values("resources"), resource, "*") &&
		containsAny(p.values("verbs"), append(verbs, "*")...)
}

func containsAny(have []string, want ...string) bool {
	for _, w := range want {
		if slices.Contains(have, w) {
			return true
		}
	}
	return false
}

// forEachRule runs check over every rule of a Role or ClusterRole.
func forEachRule(r *Resource, check func(rule policyRule) []Hit) []Hit {
	if !isRBAC(r, "Role", "ClusterRole") {
		return nil
	}
	var out []Hit
	for i, n := range Items(Field(r.Node.YNode(), "rules")) {
		out = append(out, check(policyRule{Node: n, Path: Path{"rules"}.Index(i)})...)
	}
	return out
}

func rbacClusterAdmin() *Control {
	return &Control{
		ID: "rbac-cluster-admin", Title: "Binding to cluster-admin", Severity: SeverityHigh,
		Refs: []string{"CIS 5.1.1"},
		Why: "cluster-admin can do anything to any object in any namespace. Whoever the binding names, and " +
			"whoever compromises them, owns the cluster.",
		HowToFix: "Bind a Role or ClusterRole that grants only the verbs and resources the subject needs.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			if !isRBAC(r, "RoleBinding", "ClusterRoleBinding") {
				return nil
			}
			key, v := lookup(r.Node.YNode(), "roleRef", "name")
			if ScalarValue(v) != "cluster-admin" {
				return nil
			}
			return []Hit{{Node: key, Path: Path{"roleRef", "name"},
				Message: fmt.Sprintf("%s %s grants cluster-admin; bind a narrower role", r.Kind, r.Name)}}
		},
	}
}

func rbacSecretsAccess() *Control {
	return &Control{
		ID: "rbac-secrets-access", Title: "Role can read Secrets", Severity: SeverityHigh,
		Refs: []string{"CIS 5.1.2"},
		Why: "Reading Secrets yields every credential in their scope, service account tokens included, which " +
			"usually means more access than the role itself grants. list and watch return the values too.",
		HowToFix: "Remove get, list and watch on secrets from the rule, or restrict it to the named secrets the " +
			"workload needs with `resourceNames` (get only).",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachRule(r, func(rule policyRule) []Hit {
				if !rule.grants("secrets", "get", "list", "watch") {
					return nil
				}
				return []Hit{{Node: rule.Node, Path: rule.Path,
					Message: fmt.Sprintf("%s %s %s can read secrets", r.Kind, r.Name, rule.Path)}}
			})
		},
	}
}

func rbacPodCreate() *Control {
	return &Control{
		ID: "rbac-pod-create", Title: "Role can create Pods", Severity: SeverityMedium,
		Refs: []string{"CIS 5.1.4"},
		Why: "Whoever can create pods can run any image with any service account and mount any secret of the " +
			"namespace, so pod creation is a path to every privilege there.",
		HowToFix: "Remove create on pods from the rule; let controllers (Deployments, Jobs) create pods instead.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachRule(r, func(rule policyRule) []Hit {
				if !rule.grants("pods", "create") {
					return nil
				}
				return []Hit{{Node: rule.Node, Path: rule.Path,
					Message: fmt.Sprintf("%s %s %s can create pods", r.Kind, r.Name, rule.Path)}}
			})
		},
	}
}

func rbacWildcard() *Control {
	return &Control{
		ID: "rbac-wildcard", Title: "Wildcard in an RBAC rule", Severity: SeverityHigh,
		Refs: []string{"CIS 5.1.3"},
		Why: "A `*` grants everything that exists now and everything added later (new resources, CRDs, " +
			"subresources, verbs), so nobody can say what the role allows.",
		HowToFix: "Replace `*` with the explicit apiGroups, resources and verbs the subject needs.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachRule(r, func(rule policyRule) []Hit {
				var out []Hit
				for _, field := range []string{"apiGroups", "resources", "verbs"} {
					i := slices.Index(rule.values(field), "*")
					if i < 0 {
						continue
					}
					out = append(out, Hit{Node: Items(Field(rule.Node, field))[i], Path: rule.Path.Key(field).Index(i),
						Message: fmt.Sprintf("%s %s %s has * in %s; list them explicitly", r.Kind, r.Name, rule.Path, field)})
				}
				return out
			})
		},
	}
}

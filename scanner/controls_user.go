package scanner

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// rootUserRefusal is why run-as-non-root cannot be fixed for a container
// that runs as UID 0: the kubelet refuses to start a container whose
// runAsNonRoot is true and runAsUser 0.
const rootUserRefusal = "a container runs as runAsUser 0; runAsNonRoot: true would stop the pod from starting"

func runAsNonRoot() *Control {
	return &Control{
		ID: "run-as-non-root", Title: "Container may run as root", Severity: SeverityMedium,
		Refs: []string{"CIS 5.2.7", "PSS restricted"}, PSS: pss(PSSRestricted, 0, "hostUsers: false exempt from v1.35"), Fixable: true,
		Why: "Without runAsNonRoot: true a container runs as whatever user its image names, often root; a root " +
			"process is one kernel or runtime bug away from root on the node.",
		HowToFix: "Set `securityContext.runAsNonRoot: true` in the pod spec and remove any container-level " +
			"`runAsNonRoot: false`; make sure the image runs as a non-zero UID (or set `runAsUser`).",
		Check: func(r *Resource, cc *CheckContext) []Hit {
			return forEachContainer(r, func(ps *PodSpec, c Container) []Hit {
				if userNamespaceExempt(ps, cc) {
					// Root in a user namespace is not root on the node.
					return nil
				}
				key, v, fromPod := effectiveSecurityField(ps, c, "runAsNonRoot")
				if IsTrue(v) {
					return nil
				}
				owner := c.Path
				if fromPod {
					owner = ps.Path
				}
				h := hitAt(c, key, fieldPath(owner, "securityContext", "runAsNonRoot"), runAsNonRootMessage(c, v, fromPod))
				if _, user, _ := effectiveSecurityField(ps, c, "runAsUser"); ScalarValue(user) == "0" {
					h.NotFixable = rootUserRefusal
				}
				return []Hit{h}
			})
		},
	}
}

func runAsNonRootMessage(c Container, v *yaml.Node, fromPod bool) string {
	switch {
	case !isSet(v):
		return fmt.Sprintf("container %q may run as root: neither it nor the pod sets securityContext.runAsNonRoot: true", c.Name)
	case fromPod:
		return fmt.Sprintf("container %q inherits the pod's securityContext.runAsNonRoot: %s; set it to true", c.Name, ScalarValue(v))
	default:
		return fmt.Sprintf("container %q sets securityContext.runAsNonRoot: %s; remove it and set runAsNonRoot: true on the pod", c.Name, ScalarValue(v))
	}
}

func runAsUserRoot() *Control {
	return &Control{
		ID: "run-as-user-root", Title: "Runs as user 0 (root)", Severity: SeverityHigh,
		Refs: []string{"PSS restricted"}, PSS: pss(PSSRestricted, 23, "hostUsers: false exempt from v1.35"),
		Why: "runAsUser: 0 makes the container's processes root, whatever the image says; the restricted Pod " +
			"Security Standard forbids it.",
		HowToFix: "Set `runAsUser` to a non-zero UID the image can run as (or remove it and rely on the image's " +
			"non-root USER), then set `runAsNonRoot: true`.",
		Check: func(r *Resource, cc *CheckContext) []Hit {
			if ps := PodSpecOf(r); ps != nil && userNamespaceExempt(ps, cc) {
				return nil
			}
			return forEachSecurityContext(r, func(o securityContextOwner) []Hit {
				key, v := securityContextField(o.Node, "runAsUser")
				if ScalarValue(v) != "0" {
					return nil
				}
				return []Hit{o.hit(key, fmt.Sprintf("%s sets securityContext.runAsUser: 0; use a non-zero UID", o), "runAsUser")}
			})
		},
	}
}

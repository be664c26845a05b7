package scanner

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// seccompType returns the seccompProfile.type key and value of a pod spec's
// or container's securityContext.
func seccompType(n *yaml.Node) (key *yaml.Node, typ string) {
	key, v := securityContextField(n, "seccompProfile", "type")
	return key, ScalarValue(v)
}

// confinedSeccomp reports whether a profile type restricts syscalls.
func confinedSeccomp(typ string) bool { return typ == "RuntimeDefault" || typ == "Localhost" }

func seccompProfile() *Control {
	return &Control{
		ID: "seccomp-profile", Title: "No seccomp profile", Severity: SeverityMedium,
		Refs: []string{"CIS 5.7.2", "PSS restricted"}, PSS: pss(PSSRestricted, 19, "Unconfined: baseline; Windows pods exempt from v1.25"), Fixable: true,
		Why: "Without a seccomp profile a container may call every syscall of the kernel, including the rarely " +
			"used ones most kernel exploits go through. Kubernetes runs pods Unconfined unless told otherwise.",
		HowToFix: "Set `securityContext.seccompProfile.type: RuntimeDefault` in the pod spec, and replace any " +
			"`Unconfined` profile with `RuntimeDefault` (or a `Localhost` profile).",
		// The seccomp.security.alpha.kubernetes.io annotations are not read:
		// Kubernetes 1.27 removed them, so they no longer confine anything.
		Check: func(r *Resource, cc *CheckContext) []Hit {
			return withPodSpec(r, func(ps *PodSpec) []Hit {
				out := checkSeccomp(ps, cc)
				if !cc.pssAtLeast(19) {
					out = append(out, unconfinedSeccompAnnotations(ps)...)
				}
				return out
			})
		},
	}
}

// checkSeccomp reports Unconfined profiles, which the baseline standard
// forbids (from v1.19, which reads the field), and, unless the pod is
// exempt (Windows), containers without a confining profile, which the
// restricted standard forbids.
func checkSeccomp(ps *PodSpec, cc *CheckContext) []Hit {
	exempt := linuxOnlyExempt(ps, cc)
	unconfined := func(h Hit) Hit {
		if cc.pssAtLeast(19) {
			return pssBaselineHit(h)
		}
		return h
	}
	podKey, podType := seccompType(ps.Node)
	podPath := fieldPath(ps.Path, "securityContext", "seccompProfile", "type")
	var out []Hit
	if podType == "Unconfined" {
		out = append(out, unconfined(podHitAt(ps, podKey, podPath, "pod sets seccompProfile.type: Unconfined; use RuntimeDefault")))
	}
	for _, c := range ps.Containers {
		key, typ := seccompType(c.Node)
		switch {
		case typ == "Unconfined":
			out = append(out, unconfined(hitAt(c, key, fieldPath(c.Path, "securityContext", "seccompProfile", "type"),
				fmt.Sprintf("container %q sets seccompProfile.type: Unconfined; use RuntimeDefault", c.Name))))
		case exempt || confinedSeccomp(typ) || confinedSeccomp(podType) || podType == "Unconfined":
			// Confined, or already reported once at the pod level.
		default:
			out = append(out, hitAt(c, nil, podPath,
				fmt.Sprintf("container %q has no seccomp profile; set the pod's securityContext.seccompProfile.type: RuntimeDefault", c.Name)))
		}
	}
	return out
}

// Seccomp annotations: alpha, removed in Kubernetes 1.27, read by the
// baseline standard before v1.19 (when it started reading the field).
const (
	seccompPodAnnotation             = "seccomp.security.alpha.kubernetes.io/pod"
	seccompContainerAnnotationPrefix = "container.seccomp.security.alpha.kubernetes.io/"
)

// unconfinedSeccompAnnotations reports the pod template's alpha seccomp
// annotations that do not confine: anything but runtime/default,
// docker/default or a localhost/ profile.
func unconfinedSeccompAnnotations(ps *PodSpec) []Hit {
	annotations := ps.Path[:len(ps.Path)-1].Key("metadata").Key("annotations")
	var out []Hit
	for _, f := range fields(Field(ps.Meta, "annotations")) {
		container, isContainer := strings.CutPrefix(f.Key.Value, seccompContainerAnnotationPrefix)
		if !isContainer {
			container = ""
		}
		if f.Key.Value != seccompPodAnnotation && !isContainer {
			continue
		}
		v := ScalarValue(f.Value)
		if v == "runtime/default" || v == "docker/default" || strings.HasPrefix(v, "localhost/") {
			continue
		}
		h := Hit{Node: f.Key, Path: annotations.Key(f.Key.Value), Container: container, PSSLevel: PSSBaseline,
			Message:    fmt.Sprintf("annotation %s: %s does not confine %s; use runtime/default", f.Key.Value, v, annotationTarget(container)),
			NotFixable: "an alpha seccomp annotation: replace it with securityContext.seccompProfile by hand"}
		out = append(out, h)
	}
	return out
}

// annotationTarget names what a per-container or pod annotation is about.
func annotationTarget(container string) string {
	if container == "" {
		return "the pod"
	}
	return fmt.Sprintf("container %q", container)
}

func hostProcess() *Control {
	return &Control{
		ID: "host-process", Title: "Windows HostProcess container", Severity: SeverityHigh,
		Refs: []string{"CIS 5.2.11", "PSS baseline"}, PSS: pss(PSSBaseline, 0),
		Why: "A Windows HostProcess container runs directly on the node with the node's privileges and network: " +
			"it is the Windows equivalent of a privileged container.",
		HowToFix: "Remove `securityContext.windowsOptions.hostProcess: true`; node agents that need it belong in " +
			"a dedicated, suppressed namespace.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachSecurityContext(r, func(o securityContextOwner) []Hit {
				key, v := securityContextField(o.Node, "windowsOptions", "hostProcess")
				if !IsTrue(v) {
					return nil
				}
				return []Hit{o.hit(key, fmt.Sprintf("%s sets securityContext.windowsOptions.hostProcess: true", o),
					"windowsOptions", "hostProcess")}
			})
		},
	}
}

// allowedSELinuxTypes are the seLinuxOptions types the baseline Pod Security
// Standard allows; "" leaves the runtime's default.
var allowedSELinuxTypes = map[string]bool{
	"": true, "container_t": true, "container_init_t": true, "container_kvm_t": true, "container_engine_t": true,
}

func seLinuxOptions() *Control {
	return &Control{
		ID: "selinux-options", Title: "Custom SELinux options", Severity: SeverityMedium,
		Refs: []string{"PSS baseline"}, PSS: pss(PSSBaseline, 0),
		Why: "A custom SELinux type, user or role can lift the confinement SELinux puts on containers (spc_t, " +
			"for one, is unconfined); the baseline Pod Security Standard allows only the container types.",
		HowToFix: "Remove `seLinuxOptions.user` and `role`, and use one of container_t, container_init_t, " +
			"container_kvm_t or container_engine_t as `type` (or leave it unset).",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachSecurityContext(r, func(o securityContextOwner) []Hit {
				_, opts := securityContextField(o.Node, "seLinuxOptions")
				var out []Hit
				if key, v := FieldPair(opts, "type"); !allowedSELinuxTypes[ScalarValue(v)] {
					out = append(out, o.hit(key, fmt.Sprintf("%s sets SELinux type %s; use container_t or leave it unset", o, ScalarValue(v)),
						"seLinuxOptions", "type"))
				}
				for _, field := range []string{"user", "role"} {
					if key, v := FieldPair(opts, field); ScalarValue(v) != "" {
						out = append(out, o.hit(key, fmt.Sprintf("%s sets SELinux %s %s; remove it", o, field, ScalarValue(v)),
							"seLinuxOptions", field))
					}
				}
				return out
			})
		},
	}
}

// appArmorAnnotationPrefix starts the per-container AppArmor annotation,
// deprecated since Kubernetes 1.30 but still honoured.
const appArmorAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/"

func appArmorUnconfined() *Control {
	return &Control{
		ID: "apparmor-unconfined", Title: "AppArmor profile is Unconfined", Severity: SeverityMedium,
		Refs: []string{"PSS baseline"}, PSS: pss(PSSBaseline, 0),
		Why: "An Unconfined AppArmor profile switches off the runtime's default profile, which blocks mounts, " +
			"writes to /proc and /sys, and other container-escape paths.",
		HowToFix: "Remove the Unconfined profile: use `appArmorProfile.type: RuntimeDefault` (or a `Localhost` " +
			"profile), and drop the `container.apparmor.security.beta.kubernetes.io/<container>: unconfined` annotation.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return withPodSpec(r, func(ps *PodSpec) []Hit {
				out := unconfinedAppArmorAnnotations(ps)
				for _, o := range securityContextOwners(ps) {
					if key, v := securityContextField(o.Node, "appArmorProfile", "type"); ScalarValue(v) == "Unconfined" {
						out = append(out, o.hit(key, fmt.Sprintf("%s sets appArmorProfile.type: Unconfined; use RuntimeDefault", o),
							"appArmorProfile", "type"))
					}
				}
				return out
			})
		},
	}
}

// unconfinedAppArmorAnnotations reports the pod template's AppArmor
// annotations that unconfine a container.
func unconfinedAppArmorAnnotations(ps *PodSpec) []Hit {
	// The template's metadata sits beside its spec (a bare Pod's is the object's).
	annotations := ps.Path[:len(ps.Path)-1].Key("metadata").Key("annotations")
	var out []Hit
	for _, f := range fields(Field(ps.Meta, "annotations")) {
		container, ok := strings.CutPrefix(f.Key.Value, appArmorAnnotationPrefix)
		if !ok || ScalarValue(f.Value) != "unconfined" {
			continue
		}
		out = append(out, Hit{Node: f.Key, Path: annotations.Key(f.Key.Value), Container: container,
			Message: fmt.Sprintf("annotation %s: unconfined turns AppArmor off for container %q; remove it", f.Key.Value, container)})
	}
	return out
}

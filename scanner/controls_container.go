package scanner

import (
	"fmt"
	"strings"
)

// ImageRef is a container image reference split into its parts.
type ImageRef struct {
	Name, Tag, Digest string
}

// ParseImage splits an image reference. The tag is after the last ':' of the
// last path component, so registry ports (host:5000/app) are not tags.
func ParseImage(image string) ImageRef {
	var ref ImageRef
	if i := strings.Index(image, "@"); i >= 0 {
		image, ref.Digest = image[:i], image[i+1:]
	}
	slash := strings.LastIndex(image, "/")
	if i := strings.LastIndex(image, ":"); i > slash {
		image, ref.Tag = image[:i], image[i+1:]
	}
	ref.Name = image
	return ref
}

func imagePullPolicy() *Control {
	return &Control{
		ID: "image-pull-policy", Title: "Image pull policy is not Always", Severity: SeverityLow,
		Refs: []string{"Sysdig Container Image Pull", "Kubescape C-0075"}, Fixable: true,
		Why: "With IfNotPresent or Never a node runs whatever image it cached under that tag, which may be stale or " +
			"planted by another tenant, and skips the registry's authorisation check. Kubernetes defaults to " +
			"IfNotPresent for any explicit tag other than latest. Images pinned by digest are immutable and pass.",
		HowToFix: "Set `imagePullPolicy: Always` on the container, or pin the image by digest (`image@sha256:…`).",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachContainer(r, func(_ *PodSpec, c Container) []Hit {
				image := ScalarValue(Field(c.Node, "image"))
				ref := ParseImage(image)
				if ref.Digest != "" {
					return nil
				}
				key, v := FieldPair(c.Node, "imagePullPolicy")
				path := c.Path.Key("imagePullPolicy")
				switch policy := ScalarValue(v); {
				case policy == "IfNotPresent" || policy == "Never":
					return []Hit{hitAt(c, key, path, fmt.Sprintf("container %q pulls with imagePullPolicy %s", c.Name, policy))}
				case v == nil && ref.Tag != "" && ref.Tag != "latest":
					return []Hit{hitAt(c, nil, path, fmt.Sprintf("container %q has no imagePullPolicy; tag %q defaults to IfNotPresent", c.Name, ref.Tag))}
				}
				return nil
			})
		},
	}
}

func readOnlyRootFilesystem() *Control {
	return &Control{
		ID: "read-only-root-filesystem", Title: "Root filesystem is writable", Severity: SeverityMedium,
		Refs: []string{"NSA/CISA Kubernetes Hardening Guide", "Sysdig writable root file system"}, Fixable: true,
		Why: "A writable root filesystem lets an attacker who gets code execution drop tools and persist changes " +
			"inside the container. Read-only forces writes into explicit volumes.",
		HowToFix: "Set `securityContext.readOnlyRootFilesystem: true` on the container; mount an `emptyDir` where the " +
			"application must write (e.g. /tmp).",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachContainer(r, func(_ *PodSpec, c Container) []Hit {
				key, v := securityContextField(c.Node, "readOnlyRootFilesystem")
				if IsTrue(v) {
					return nil
				}
				return []Hit{hitAt(c, key, c.Path.Key("securityContext").Key("readOnlyRootFilesystem"),
					fmt.Sprintf("container %q does not set securityContext.readOnlyRootFilesystem: true", c.Name))}
			})
		},
	}
}

func noPrivilegeEscalation() *Control {
	return &Control{
		ID: "no-privilege-escalation", Title: "Privilege escalation is allowed", Severity: SeverityMedium,
		Refs: []string{"CIS 5.2.6", "PSS restricted"}, PSS: pss(PSSRestricted, 8, windowsExempt), Fixable: true,
		Why: "Unless allowPrivilegeEscalation is false, a process can gain more privileges than its parent " +
			"(setuid binaries, file capabilities), the first step of most container breakouts.",
		HowToFix: "Set `securityContext.allowPrivilegeEscalation: false` on the container.",
		Check: func(r *Resource, cc *CheckContext) []Hit {
			return forEachContainer(r, func(ps *PodSpec, c Container) []Hit {
				if linuxOnlyExempt(ps, cc) {
					return nil
				}
				key, v := securityContextField(c.Node, "allowPrivilegeEscalation")
				if IsFalse(v) {
					return nil
				}
				h := hitAt(c, key, c.Path.Key("securityContext").Key("allowPrivilegeEscalation"),
					fmt.Sprintf("container %q does not set securityContext.allowPrivilegeEscalation: false", c.Name))
				if _, p := securityContextField(c.Node, "privileged"); IsTrue(p) && mountsBidirectional(c) {
					// It stays privileged (see privileged), and the API server
					// refuses allowPrivilegeEscalation: false with privileged: true.
					h.NotFixable = "the container stays privileged (Bidirectional mount propagation), and the API server " +
						"refuses allowPrivilegeEscalation: false on a privileged container"
				}
				return []Hit{h}
			})
		},
	}
}

func privileged() *Control {
	return &Control{
		ID: "privileged", Title: "Container runs privileged", Severity: SeverityHigh,
		Refs: []string{"CIS 5.2.2", "PSS baseline"}, PSS: pss(PSSBaseline, 0), Fixable: true,
		Why: "A privileged container has every capability and sees the host's devices; a process in it is as " +
			"powerful as root on the node. The baseline Pod Security Standard forbids it.",
		HowToFix: "Set `securityContext.privileged: false`, and grant only the specific capabilities the workload " +
			"needs with `capabilities.add`.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachContainer(r, func(_ *PodSpec, c Container) []Hit {
				key, v := securityContextField(c.Node, "privileged")
				if !IsTrue(v) {
					return nil
				}
				h := hitAt(c, key, fieldPath(c.Path, "securityContext", "privileged"),
					fmt.Sprintf("container %q sets securityContext.privileged: true; set it to false", c.Name))
				if mountsBidirectional(c) {
					// The API server refuses Bidirectional mount propagation
					// in an unprivileged container (found by the e2e trust test).
					h.NotFixable = "a volume mount has mountPropagation: Bidirectional, which the API server allows only in privileged containers"
				}
				return []Hit{h}
			})
		},
	}
}

// mountsBidirectional reports whether a volume mount of c propagates
// mounts back to the host.
func mountsBidirectional(c Container) bool {
	for _, m := range Items(Field(c.Node, "volumeMounts")) {
		if ScalarValue(Field(m, "mountPropagation")) == "Bidirectional" {
			return true
		}
	}
	return false
}

func dropAllCapabilities() *Control {
	return &Control{
		ID: "drop-all-capabilities", Title: "Capabilities are not all dropped", Severity: SeverityMedium,
		Refs: []string{"CIS 5.2.10", "PSS restricted"}, PSS: pss(PSSRestricted, 22, windowsExempt), Fixable: true,
		Why: "Container runtimes grant a default set of Linux capabilities (NET_RAW, CHOWN, SETUID and more) that " +
			"most applications never use and attackers do. The restricted Pod Security Standard requires dropping ALL.",
		HowToFix: "Add `ALL` to `securityContext.capabilities.drop`, then add back only what the workload needs " +
			"(usually nothing, or NET_BIND_SERVICE).",
		Check: func(r *Resource, cc *CheckContext) []Hit {
			return forEachContainer(r, func(ps *PodSpec, c Container) []Hit {
				if linuxOnlyExempt(ps, cc) {
					return nil
				}
				// Capabilities exist only per container: PodSecurityContext has no capabilities field.
				key, drop := securityContextField(c.Node, "capabilities", "drop")
				for _, capability := range Items(drop) {
					// The restricted profile matches "ALL" exactly; "all" does not count.
					if ScalarValue(capability) == "ALL" {
						return nil
					}
				}
				return []Hit{hitAt(c, key, fieldPath(c.Path, "securityContext", "capabilities", "drop"),
					fmt.Sprintf("container %q does not drop ALL capabilities; add ALL to securityContext.capabilities.drop", c.Name))}
			})
		},
	}
}

// baselineCapabilities are the capabilities the baseline Pod Security
// Standard allows a container to add. NET_RAW is not among them: it lets a
// process forge packets (ARP and DNS spoofing).
var baselineCapabilities = map[string]bool{
	"AUDIT_WRITE": true, "CHOWN": true, "DAC_OVERRIDE": true, "FOWNER": true, "FSETID": true, "KILL": true,
	"MKNOD": true, "NET_BIND_SERVICE": true, "SETFCAP": true, "SETGID": true, "SETPCAP": true, "SETUID": true,
	"SYS_CHROOT": true,
}

// BaselineCapability reports whether the baseline Pod Security Standard
// lets a container add capability name. Like the standard (and the API
// server's PodSecurity admission), it compares names exactly: `chown` and
// `CAP_CHOWN` are not on the list, though the runtime would read them as CHOWN.
func BaselineCapability(name string) bool { return baselineCapabilities[name] }

// CanonicalCapability is the name the standard compares with for a
// capability the container runtime reads case-insensitively, with or
// without the CAP_ prefix.
func CanonicalCapability(s string) string {
	return strings.TrimPrefix(strings.ToUpper(s), "CAP_")
}

func dangerousCapabilities() *Control {
	return &Control{
		ID: "dangerous-capabilities", Title: "Container adds a dangerous capability", Severity: SeverityHigh,
		Refs: []string{"CIS 5.2.8", "CIS 5.2.9", "PSS baseline"}, PSS: pss(PSSBaseline, 0), Fixable: true,
		Why: "Capabilities outside the baseline Pod Security Standard list (SYS_ADMIN, NET_ADMIN, SYS_PTRACE, " +
			"NET_RAW and the like) hand a container kernel powers that lead straight to escaping it or attacking the network.",
		HowToFix: "Remove the capability from `securityContext.capabilities.add`; if the workload truly needs it, " +
			"suppress this finding with the reason. Write allowed capabilities exactly as the standard lists them " +
			"(`CHOWN`, not `chown` or `CAP_CHOWN`).",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachContainer(r, func(_ *PodSpec, c Container) []Hit {
				_, add := securityContextField(c.Node, "capabilities", "add")
				var out []Hit
				for i, capability := range Items(add) {
					name := ScalarValue(capability)
					if BaselineCapability(name) {
						continue
					}
					msg := fmt.Sprintf("container %q adds capability %s; remove it from securityContext.capabilities.add", c.Name, name)
					if canonical := CanonicalCapability(name); BaselineCapability(canonical) {
						msg = fmt.Sprintf("container %q adds capability %s, which the Pod Security Standards do not allow as spelled; write %s",
							c.Name, name, canonical)
					}
					out = append(out, hitAt(c, capability, fieldPath(c.Path, "securityContext", "capabilities", "add").Index(i), msg))
				}
				return out
			})
		},
	}
}

func procMount() *Control {
	return &Control{
		ID: "proc-mount", Title: "Container unmasks /proc", Severity: SeverityMedium,
		Refs: []string{"PSS baseline"}, PSS: pss(PSSBaseline, 0, "with hostUsers: false only restricted, from v1.35"),
		Why: "procMount: Unmasked exposes the host's /proc paths that the runtime normally masks (kcore, " +
			"sysrq-trigger and others), leaking kernel state and enabling attacks on the node.",
		HowToFix: "Remove `securityContext.procMount` or set it to `Default`.",
		Check: func(r *Resource, cc *CheckContext) []Hit {
			return forEachContainer(r, func(ps *PodSpec, c Container) []Hit {
				key, v := securityContextField(c.Node, "procMount")
				if !isSet(v) || ScalarValue(v) == "Default" {
					return nil
				}
				h := hitAt(c, key, fieldPath(c.Path, "securityContext", "procMount"),
					fmt.Sprintf("container %q sets securityContext.procMount: %s; use Default", c.Name, ScalarValue(v)))
				if userNamespaceExempt(ps, cc) {
					// From v1.35 baseline allows any procMount in a user
					// namespace (hostUsers: false); restricted still does not.
					h.Message += " (baseline allows it with hostUsers: false; restricted does not)"
					h = pssRestrictedHit(h)
				}
				return []Hit{h}
			})
		},
	}
}

func hostPort() *Control {
	return &Control{
		ID: "host-port", Title: "Container binds a host port", Severity: SeverityMedium,
		Refs: []string{"CIS 5.2.13", "PSS baseline"}, PSS: pss(PSSBaseline, 0),
		Why: "A hostPort opens the port on the node's own address, bypassing Services and NetworkPolicies, and " +
			"pins the pod to nodes where the port is free.",
		HowToFix: "Remove `hostPort` and expose the container through a Service (or an Ingress/Gateway).",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachContainer(r, func(_ *PodSpec, c Container) []Hit {
				var out []Hit
				for i, port := range Items(Field(c.Node, "ports")) {
					key, v := FieldPair(port, "hostPort")
					// 0 is the API's "no host port".
					if hp := ScalarValue(v); hp != "" && hp != "0" {
						out = append(out, hitAt(c, key, fieldPath(c.Path.Key("ports").Index(i), "hostPort"),
							fmt.Sprintf("container %q binds host port %s; remove hostPort and use a Service", c.Name, hp)))
					}
				}
				return out
			})
		},
	}
}

// imageTagNotFixable is why an image-tag finding is not fixable in a scan
// that does not resolve images.
const imageTagNotFixable = "not fixable here: needs --resolve-images to pin the digest"

func imageTag() *Control {
	return &Control{
		ID: "image-tag", Title: "Image is not pinned", Severity: SeverityMedium,
		Refs: []string{"best practice"}, Fixable: true,
		Why: "An image without a tag means :latest, and :latest moves: the same manifest runs different code on " +
			"each pull, so a rollout cannot be reproduced, reviewed or rolled back.",
		HowToFix: "Reference a specific version tag (`app:1.4.2`) or, better, a digest (`app@sha256:…`).",
		Check: func(r *Resource, cc *CheckContext) []Hit {
			return forEachContainer(r, func(_ *PodSpec, c Container) []Hit {
				key, v := FieldPair(c.Node, "image")
				image := ScalarValue(v)
				if image == "" {
					return nil
				}
				ref := ParseImage(image)
				if ref.Digest != "" || (ref.Tag != "" && ref.Tag != "latest") {
					return nil
				}
				h := hitAt(c, key, c.Path.Key("image"),
					fmt.Sprintf("container %q uses image %s with no version tag or digest; pin a tag or digest", c.Name, image))
				// Pinning needs the digest the registry serves for the tag.
				if _, note, _ := cc.ImageOf(image); note == NeedsResolve {
					h.NotFixable = imageTagNotFixable
				} else {
					h.NotFixable = note
				}
				return []Hit{h}
			})
		},
	}
}

// secretNameParts are the upper-cased fragments of an environment variable
// name that say its value is a credential.
var secretNameParts = []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "PRIVATE_KEY"}

func looksSecret(name string) bool {
	name = strings.ToUpper(name)
	for _, p := range secretNameParts {
		if strings.Contains(name, p) {
			return true
		}
	}
	return false
}

func secretsInEnv() *Control {
	return &Control{
		ID: "secrets-in-env", Title: "Secret written into an environment variable", Severity: SeverityHigh,
		Refs: []string{"CIS 5.4.1"},
		Why: "A credential written as a literal env value lives in Git history, in the pod spec every reader of " +
			"the namespace can see, and in `kubectl describe` output.",
		HowToFix: "Move the value into a Secret and reference it with `valueFrom.secretKeyRef` (or mount the Secret as a file); " +
			"rotate the credential, since it is already in Git history.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachContainer(r, func(_ *PodSpec, c Container) []Hit {
				var out []Hit
				for i, env := range Items(Field(c.Node, "env")) {
					name := ScalarValue(Field(env, "name"))
					key, v := FieldPair(env, "value")
					if ScalarValue(v) == "" || !looksSecret(name) {
						continue
					}
					out = append(out, hitAt(c, key, fieldPath(c.Path.Key("env").Index(i), "value"),
						fmt.Sprintf("container %q sets %s to a literal value; use valueFrom.secretKeyRef", c.Name, name)))
				}
				return out
			})
		},
	}
}

package scanner

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// hostNamespace builds a control that fails when the pod spec shares one of
// the node's namespaces (hostNetwork, hostPID, hostIPC); the baseline Pod
// Security Standard forbids all three.
func hostNamespace(id, field, title, cis, why string) *Control {
	return &Control{
		ID: id, Title: title, Severity: SeverityHigh,
		Refs: []string{cis, "PSS baseline"}, PSS: pss(PSSBaseline, 0), Fixable: true,
		Why:      why,
		HowToFix: fmt.Sprintf("Set `%s: false` in the pod spec, or remove the field (false is the default).", field),
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return withPodSpec(r, func(ps *PodSpec) []Hit {
				key, v := FieldPair(ps.Node, field)
				if !IsTrue(v) {
					return nil
				}
				h := podHitAt(ps, key, ps.Path.Key(field), fmt.Sprintf("pod sets %s: true; set it to false", field))
				if field == "hostNetwork" && hostProcessPod(ps) {
					// The API server requires hostNetwork: true of a pod
					// with a HostProcess container: the fix would be refused.
					h.NotFixable = "a Windows HostProcess pod must use the host network; the API server refuses hostNetwork: false"
				}
				return []Hit{h}
			})
		},
	}
}

func hostNetwork() *Control {
	return hostNamespace("host-network", "hostNetwork", "Pod uses the host network", "CIS 5.2.5",
		"With hostNetwork the pod sees every interface of the node, can sniff its traffic, reach services bound "+
			"to localhost and bypass NetworkPolicies.")
}

func hostPID() *Control {
	return hostNamespace("host-pid", "hostPID", "Pod shares the host PID namespace", "CIS 5.2.3",
		"With hostPID the pod sees every process of the node, can read their environment and, as root, "+
			"signal or ptrace them.")
}

func hostIPC() *Control {
	return hostNamespace("host-ipc", "hostIPC", "Pod shares the host IPC namespace", "CIS 5.2.4",
		"With hostIPC the pod can read and write the shared memory and message queues of every process on the node.")
}

func automountServiceAccountToken() *Control {
	return &Control{
		ID: "automount-service-account-token", Title: "Service account token is mounted", Severity: SeverityLow,
		Refs: []string{"CIS 5.1.6"}, Fixable: true,
		Why: "Kubernetes mounts an API token into every pod unless told not to. Most workloads never call the API; " +
			"for them the token only helps an attacker who gets in.",
		HowToFix: "Set `automountServiceAccountToken: false` in the pod spec; workloads that call the API can " +
			"keep it with a suppression that says so, or mount a projected token explicitly.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return withPodSpec(r, func(ps *PodSpec) []Hit {
				key, v := FieldPair(ps.Node, "automountServiceAccountToken")
				if IsFalse(v) {
					return nil
				}
				return []Hit{podHitAt(ps, key, ps.Path.Key("automountServiceAccountToken"),
					"pod does not set automountServiceAccountToken: false")}
			})
		},
	}
}

// forEachVolume runs check over every volume of the resource's pod template.
func forEachVolume(r *Resource, check func(ps *PodSpec, vol *yaml.Node, path Path) []Hit) []Hit {
	return withPodSpec(r, func(ps *PodSpec) []Hit {
		var out []Hit
		for i, vol := range Items(Field(ps.Node, "volumes")) {
			out = append(out, check(ps, vol, ps.Path.Key("volumes").Index(i))...)
		}
		return out
	})
}

func hostPathVolume() *Control {
	return &Control{
		ID: "host-path-volume", Title: "Pod mounts a hostPath volume", Severity: SeverityHigh,
		Refs: []string{"CIS 5.2.12", "PSS baseline"}, PSS: pss(PSSBaseline, 0),
		Why: "A hostPath volume exposes the node's filesystem to the pod: the container runtime socket, kubelet " +
			"credentials or /etc are one mount away from a full node takeover.",
		HowToFix: "Replace the hostPath volume with an emptyDir, a PersistentVolumeClaim, a ConfigMap or a CSI " +
			"volume; node agents that truly need it should be suppressed with the reason.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachVolume(r, func(_ *PodSpec, vol *yaml.Node, path Path) []Hit {
				key, v := FieldPair(vol, "hostPath")
				if v == nil {
					return nil
				}
				return []Hit{{Node: key, Path: path.Key("hostPath"),
					Message: fmt.Sprintf("volume %q mounts host path %s", ScalarValue(Field(vol, "name")), ScalarValue(Field(v, "path")))}}
			})
		},
	}
}

// restrictedVolumeTypes are the volume sources the restricted Pod Security
// Standard allows.
var restrictedVolumeTypes = map[string]bool{
	"configMap": true, "csi": true, "downwardAPI": true, "emptyDir": true, "ephemeral": true,
	"persistentVolumeClaim": true, "projected": true, "secret": true,
}

func restrictedVolumeType() *Control {
	return &Control{
		ID: "restricted-volume-types", Title: "Volume type outside the restricted list", Severity: SeverityLow,
		Refs: []string{"PSS restricted"}, PSS: pss(PSSRestricted, 0),
		Why: "The restricted Pod Security Standard allows only volume types that cannot reach the node or " +
			"network storage directly (configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, " +
			"projected, secret); others (hostPath, nfs, iscsi, …) bypass the storage admin's controls.",
		HowToFix: "Mount the storage through a PersistentVolumeClaim (or a CSI driver) instead of naming it inline.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachVolume(r, func(_ *PodSpec, vol *yaml.Node, path Path) []Hit {
				var out []Hit
				for _, f := range fields(vol) {
					// Every key but the name is the volume's source.
					if f.Key.Value == "name" || restrictedVolumeTypes[f.Key.Value] {
						continue
					}
					out = append(out, Hit{Node: f.Key, Path: path.Key(f.Key.Value),
						Message: fmt.Sprintf("volume %q is of type %s, which the restricted Pod Security Standard forbids",
							ScalarValue(Field(vol, "name")), f.Key.Value)})
				}
				return out
			})
		},
	}
}

func unsafeSysctls() *Control {
	return &Control{
		ID: "unsafe-sysctls", Title: "Pod sets an unsafe sysctl", Severity: SeverityHigh,
		Refs: []string{"PSS baseline"}, PSS: pss(PSSBaseline, 0, "the safe list grows with the version"),
		Why: "Sysctls outside the safe set are not isolated per pod: setting them changes the kernel for every " +
			"workload on the node, or can starve it.",
		HowToFix: "Remove the sysctl from `securityContext.sysctls`, or tune it on the node itself.",
		Check: func(r *Resource, cc *CheckContext) []Hit {
			return withPodSpec(r, func(ps *PodSpec) []Hit {
				_, sysctls := securityContextField(ps.Node, "sysctls")
				var out []Hit
				for i, s := range Items(sysctls) {
					key, v := FieldPair(s, "name")
					name := ScalarValue(v)
					if name == "" || safeSysctl(name, cc) {
						continue
					}
					out = append(out, Hit{Node: key, Path: fieldPath(ps.Path, "securityContext", "sysctls").Index(i),
						Message: fmt.Sprintf("pod sets sysctl %s, outside the baseline safe set", name)})
				}
				return out
			})
		},
	}
}

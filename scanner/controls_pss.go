package scanner

import (
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// probeFields are the container fields holding a probe; lifecycleHandlers
// the lifecycle hooks. Both may name a host to connect to.
var (
	probeFields       = []string{"livenessProbe", "readinessProbe", "startupProbe"}
	lifecycleHandlers = []string{"postStart", "preStop"}
)

func hostProbe() *Control {
	return &Control{
		ID: "host-probe", Title: "Probe or lifecycle handler names a host", Severity: SeverityMedium,
		Refs: []string{"PSS baseline (since v1.34)"}, PSS: pss(PSSBaseline, 34),
		Why: "The kubelet runs probes and lifecycle handlers from the node. A `host` other than the pod's own " +
			"address makes the kubelet connect anywhere the node can reach, a server-side request forgery " +
			"through the node's network identity.",
		// Report-only: the host often points at a sidecar or node-local
		// service, and removing it can turn a passing probe into a restart loop.
		HowToFix: "Remove `host` from the probe's or handler's `httpGet`/`tcpSocket` so it targets the pod IP; " +
			"for HTTP virtual hosts set a `Host` header in `httpHeaders` instead.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachContainer(r, func(_ *PodSpec, c Container) []Hit {
				var out []Hit
				for _, probe := range probeFields {
					out = append(out, handlerHosts(c, Field(c.Node, probe), c.Path.Key(probe), probe)...)
				}
				for _, hook := range lifecycleHandlers {
					out = append(out, handlerHosts(c, Field(Field(c.Node, "lifecycle"), hook),
						c.Path.Key("lifecycle").Key(hook), "lifecycle."+hook)...)
				}
				return out
			})
		},
	}
}

// handlerHosts reports the `host` of a probe's or handler's httpGet and
// tcpSocket; the empty string is the API's "the pod IP".
func handlerHosts(c Container, handler *yaml.Node, path Path, what string) []Hit {
	var out []Hit
	for _, action := range []string{"httpGet", "tcpSocket"} {
		key, v := lookup(handler, action, "host")
		if host := ScalarValue(v); host != "" {
			out = append(out, hitAt(c, key, path.Key(action).Key("host"),
				fmt.Sprintf("container %q %s.%s connects to host %s; remove host to probe the pod itself", c.Name, what, action, host)))
		}
	}
	return out
}

func restrictedCapabilities() *Control {
	return &Control{
		ID: "restricted-capabilities", Title: "Container adds a capability other than NET_BIND_SERVICE", Severity: SeverityMedium,
		Refs: []string{"PSS restricted"}, PSS: pss(PSSRestricted, 22, windowsExempt), Fixable: true,
		Why: "The restricted Pod Security Standard lets a container add back only NET_BIND_SERVICE (binding ports " +
			"below 1024) after dropping ALL; every other capability widens what a compromised process can do.",
		HowToFix: "Remove the capability from `securityContext.capabilities.add`; only `NET_BIND_SERVICE` may stay.",
		Check: func(r *Resource, cc *CheckContext) []Hit {
			return forEachContainer(r, func(ps *PodSpec, c Container) []Hit {
				if linuxOnlyExempt(ps, cc) {
					return nil
				}
				_, add := securityContextField(c.Node, "capabilities", "add")
				var out []Hit
				for i, capability := range Items(add) {
					// The standard compares names exactly: "net_bind_service" is not allowed.
					name := ScalarValue(capability)
					if name == "NET_BIND_SERVICE" {
						continue
					}
					out = append(out, hitAt(c, capability, fieldPath(c.Path, "securityContext", "capabilities", "add").Index(i),
						fmt.Sprintf("container %q adds capability %s; the restricted standard allows only NET_BIND_SERVICE", c.Name, name)))
				}
				return out
			})
		},
	}
}

package scanner

import (
	"fmt"
	"strings"
)

// resourceNames are the resources every container should bound.
var resourceNames = []string{"cpu", "memory"}

func resourceLimits() *Control {
	return resourceControl("resource-limits", "limits", "Container has no resource limits",
		"Without CPU and memory limits one container can starve its neighbours on the node, and a memory leak "+
			"or a fork bomb becomes a node outage rather than one restarted container.")
}

func resourceRequests() *Control {
	return resourceControl("resource-requests", "requests", "Container has no resource requests",
		"Without CPU and memory requests the scheduler places the pod blind, packing nodes until they run out, "+
			"and the pod is the first evicted under pressure.")
}

// resourceControl builds the control that a container's resources.<kind>
// (limits or requests) sets both cpu and memory.
func resourceControl(id, kind, title, why string) *Control {
	return &Control{
		ID: id, Title: title, Severity: SeverityLow,
		Refs: []string{"best practice"}, Fixable: true,
		Why: why,
		HowToFix: fmt.Sprintf("Set `resources.%s.cpu` and `resources.%s.memory` on the container; remedy adds them "+
			"when `.remedy.yaml` gives `defaults.resources.%s`.", kind, kind, kind),
		Check: func(r *Resource, cc *CheckContext) []Hit {
			return forEachContainer(r, func(_ *PodSpec, c Container) []Hit {
				// The API rejects resources on ephemeral containers: they run
				// within the pod's existing allocation.
				if c.Field == "ephemeralContainers" {
					return nil
				}
				key, set := lookup(c.Node, "resources", kind)
				var missing []string
				for _, name := range resourceNames {
					if ScalarValue(Field(set, name)) == "" {
						missing = append(missing, name)
					}
				}
				if len(missing) == 0 {
					return nil
				}
				h := hitAt(c, key, fieldPath(c.Path, "resources", kind),
					fmt.Sprintf("container %q sets no resources.%s for %s", c.Name, kind, strings.Join(missing, " and ")))
				if noDefault := withoutDefault(cc, kind, missing); len(noDefault) > 0 {
					h.NotFixable = fmt.Sprintf("no default in .remedy.yaml defaults.resources.%s for %s", kind, strings.Join(noDefault, ", "))
				}
				return []Hit{h}
			})
		},
	}
}

// withoutDefault returns the names the repo config gives no default for:
// fixes only write values a human chose.
func withoutDefault(cc *CheckContext, kind string, names []string) []string {
	var defaults map[string]string
	if cc != nil {
		defaults = cc.ResourceDefaults[kind]
	}
	var out []string
	for _, n := range names {
		if defaults[n] == "" {
			out = append(out, n)
		}
	}
	return out
}

func livenessProbe() *Control {
	return probeControl("liveness-probe", "livenessProbe", "Container has no liveness probe",
		"Without a liveness probe Kubernetes cannot tell a hung process from a working one, and leaves a "+
			"deadlocked container in place instead of restarting it.")
}

func readinessProbe() *Control {
	return probeControl("readiness-probe", "readinessProbe", "Container has no readiness probe",
		"Without a readiness probe a Service sends traffic to a container as soon as it starts, before it can "+
			"serve, and keeps sending it while the container is overloaded or broken.")
}

// probeControl builds the control that every long-running main container
// sets a probe. Job pods and init containers run to completion, and the API
// rejects probes on ephemeral containers, so none of them is checked.
func probeControl(id, field, title, why string) *Control {
	return &Control{
		ID: id, Title: title, Severity: SeverityLow,
		Refs: []string{"best practice"},
		Why:  why,
		HowToFix: fmt.Sprintf("Add a `%s` to the container (an httpGet on a health endpoint, a tcpSocket or a gRPC check); "+
			"there is no safe value to guess, so remedy does not write one.", field),
		Check: func(r *Resource, _ *CheckContext) []Hit {
			return forEachContainer(r, func(ps *PodSpec, c Container) []Hit {
				if !ps.LongRunning || !c.IsMain() || isSet(Field(c.Node, field)) {
					return nil
				}
				return []Hit{hitAt(c, nil, c.Path.Key(field), fmt.Sprintf("container %q has no %s", c.Name, field))}
			})
		},
	}
}

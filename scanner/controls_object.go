package scanner

import "fmt"

func defaultNamespace() *Control {
	return &Control{
		ID: "default-namespace", Title: "Object is in the default namespace", Severity: SeverityLow,
		Refs: []string{"CIS 5.7.4"},
		Why: "The default namespace is where everything lands by accident; objects there share RBAC, quotas and " +
			"network policy with whatever else was dropped in, so nothing isolates them.",
		HowToFix: "Move the object to a namespace of its own (`metadata.namespace`), created with its own RBAC, " +
			"quotas and NetworkPolicies.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			key, v := lookup(r.Node.YNode(), "metadata", "namespace")
			if ScalarValue(v) != "default" {
				return nil
			}
			return []Hit{{Node: key, Path: Path{"metadata", "namespace"},
				Message: fmt.Sprintf("%s %s is in the default namespace; give it a namespace of its own", r.Kind, r.Name)}}
		},
	}
}

func serviceNodePort() *Control {
	return &Control{
		ID: "service-node-port", Title: "Service of type NodePort", Severity: SeverityLow,
		Refs: []string{"best practice"},
		Why: "A NodePort Service opens its port on every node of the cluster, reachable from wherever the nodes " +
			"are, bypassing the ingress layer and its TLS, authentication and logging.",
		HowToFix: "Use `type: ClusterIP` behind an Ingress or Gateway, or a LoadBalancer where the port must be public.",
		Check: func(r *Resource, _ *CheckContext) []Hit {
			if r.Kind != "Service" || r.APIVersion != "v1" {
				return nil
			}
			key, v := lookup(r.Node.YNode(), "spec", "type")
			if ScalarValue(v) != "NodePort" {
				return nil
			}
			return []Hit{{Node: key, Path: Path{"spec", "type"},
				Message: fmt.Sprintf("Service %s is of type NodePort; use ClusterIP behind an ingress", r.Name)}}
		},
	}
}

package scanner

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// podSpecPaths says where each workload kind keeps its pod spec.
var podSpecPaths = map[string]Path{
	"Pod":                   {"spec"},
	"Deployment":            {"spec", "template", "spec"},
	"ReplicaSet":            {"spec", "template", "spec"},
	"StatefulSet":           {"spec", "template", "spec"},
	"DaemonSet":             {"spec", "template", "spec"},
	"Job":                   {"spec", "template", "spec"},
	"ReplicationController": {"spec", "template", "spec"},
	"CronJob":               {"spec", "jobTemplate", "spec", "template", "spec"},
}

// PodSpec is the pod template of a workload.
type PodSpec struct {
	// Node is the pod spec mapping; KeyNode the `spec:` key holding it.
	Node, KeyNode *yaml.Node
	// Path is the pod spec's path within the resource.
	Path Path
	// Meta is the pod template's metadata mapping (annotations live there), or nil.
	Meta *yaml.Node
	// LongRunning is false for Jobs and CronJobs, whose pods run to completion.
	LongRunning bool
	Containers  []Container
}

// Container is one entry of containers, initContainers or ephemeralContainers.
type Container struct {
	Node  *yaml.Node
	Field string // containers, initContainers or ephemeralContainers
	Index int
	Name  string
	Path  Path
}

// IsMain reports whether c is a regular (not init or ephemeral) container.
func (c Container) IsMain() bool { return c.Field == "containers" }

// PodSpecOf returns the resource's pod template, or nil when it has none.
// It is worked out once per resource; callers must not change it.
func PodSpecOf(r *Resource) *PodSpec {
	r.podSpecOnce.Do(func() { r.podSpec = podSpecOf(r) })
	return r.podSpec
}

func podSpecOf(r *Resource) *PodSpec {
	path, ok := podSpecPaths[r.Kind]
	if !ok {
		return nil
	}
	var key *yaml.Node
	n := r.Node.YNode()
	var parent *yaml.Node
	for _, seg := range path {
		parent = n
		key, n = FieldPair(n, seg)
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
	}
	ps := &PodSpec{Node: n, KeyNode: key, Path: path, LongRunning: r.Kind != "Job" && r.Kind != "CronJob"}
	// The pod template's metadata sits beside its spec; a bare Pod's is the object's.
	ps.Meta = Field(parent, "metadata")
	for _, field := range []string{"initContainers", "containers", "ephemeralContainers"} {
		for i, c := range Items(Field(n, field)) {
			if c.Kind != yaml.MappingNode {
				continue
			}
			ps.Containers = append(ps.Containers, Container{
				Node: c, Field: field, Index: i,
				Name: ScalarValue(Field(c, "name")),
				Path: path.Key(field).Index(i),
			})
		}
	}
	return ps
}

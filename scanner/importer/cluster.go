package importer

import (
	"context"
	"encoding/json"
	"fmt"
)

// Getter reads a path of the API server as JSON; scanner/cluster.RESTGetter
// implements it.
type Getter interface {
	Get(ctx context.Context, path string, params map[string]string) ([]byte, error)
}

// TrivyFromCluster reads Trivy Operator's ConfigAuditReports (and, for every
// namespace, ClusterConfigAuditReports) straight from the cluster. Trivy
// reports on the ReplicaSets and Jobs controllers create; each of those
// findings is moved to the Deployment or CronJob that owns the object, which
// is what is written in git.
func TrivyFromCluster(ctx context.Context, g Getter, namespace string) ([]Finding, error) {
	paths := []string{"/apis/aquasecurity.github.io/v1alpha1/configauditreports"}
	if namespace != "" {
		paths[0] = "/apis/aquasecurity.github.io/v1alpha1/namespaces/" + namespace + "/configauditreports"
	} else {
		paths = append(paths, "/apis/aquasecurity.github.io/v1alpha1/clusterconfigauditreports")
	}
	var out []Finding
	for _, p := range paths {
		cont := ""
		for {
			params := map[string]string{"limit": "500"}
			if cont != "" {
				params["continue"] = cont
			}
			b, err := g.Get(ctx, p, params)
			if err != nil {
				return nil, fmt.Errorf("list ConfigAuditReports: %w", err)
			}
			var page struct {
				Metadata struct {
					Continue string `json:"continue"`
				} `json:"metadata"`
				Items []configAuditReport `json:"items"`
			}
			if err := json.Unmarshal(b, &page); err != nil {
				return nil, fmt.Errorf("list ConfigAuditReports: decode: %w", err)
			}
			for _, car := range page.Items {
				out = append(out, TrivyFindings(car)...)
			}
			if cont = page.Metadata.Continue; cont == "" {
				break
			}
		}
	}
	owners := map[string][2]string{}
	for i, f := range out {
		path := controllerPath(f)
		if path == "" {
			continue
		}
		o, ok := owners[path]
		if !ok {
			o = controllerOf(ctx, g, path)
			owners[path] = o
		}
		if o[0] != "" {
			out[i].Kind, out[i].Name = o[0], o[1]
		}
	}
	return out, nil
}

// controllerPath is the API path of an object that a controller may own.
func controllerPath(f Finding) string {
	switch f.Kind {
	case "ReplicaSet":
		return "/apis/apps/v1/namespaces/" + f.Namespace + "/replicasets/" + f.Name
	case "Job":
		return "/apis/batch/v1/namespaces/" + f.Namespace + "/jobs/" + f.Name
	}
	return ""
}

// controllerOf returns the kind and name of the Deployment or CronJob
// controlling the object at path, or empties.
func controllerOf(ctx context.Context, g Getter, path string) [2]string {
	b, err := g.Get(ctx, path, nil)
	if err != nil {
		return [2]string{}
	}
	var obj struct {
		Metadata struct {
			OwnerReferences []struct {
				Kind       string `json:"kind"`
				Name       string `json:"name"`
				Controller bool   `json:"controller"`
			} `json:"ownerReferences"`
		} `json:"metadata"`
	}
	if json.Unmarshal(b, &obj) != nil {
		return [2]string{}
	}
	for _, r := range obj.Metadata.OwnerReferences {
		if r.Controller && (r.Kind == "Deployment" || r.Kind == "CronJob") {
			return [2]string{r.Kind, r.Name}
		}
	}
	return [2]string{}
}

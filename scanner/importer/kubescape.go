package importer

import (
	"encoding/json"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/remedy-bot/remedy/scanner"
)

// kubescapeReport is the part of `kubescape scan --format json` read here.
type kubescapeReport struct {
	SummaryDetails struct {
		Controls map[string]struct {
			Name        string  `json:"name"`
			ScoreFactor float64 `json:"scoreFactor"`
		} `json:"controls"`
	} `json:"summaryDetails"`
	Resources []struct {
		ResourceID string `json:"resourceID"`
		Object     struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name      string `json:"name"`
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		} `json:"object"`
		Source *struct {
			RelativePath string `json:"relativePath"`
		} `json:"source"`
	} `json:"resources"`
	Results []struct {
		ResourceID string `json:"resourceID"`
		Controls   []struct {
			ControlID string `json:"controlID"`
			Name      string `json:"name"`
			Status    struct {
				Status string `json:"status"`
			} `json:"status"`
			Rules []struct {
				Paths []struct {
					FailedPath string `json:"failedPath"`
					FixPath    struct {
						Path  string `json:"path"`
						Value string `json:"value"`
					} `json:"fixPath"`
					DeletePath string `json:"deletePath"`
					ReviewPath string `json:"reviewPath"`
				} `json:"paths"`
			} `json:"rules"`
		} `json:"controls"`
	} `json:"results"`
}

func parseKubescape(b []byte) ([]Finding, error) {
	var r kubescapeReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	type object struct{ apiVersion, kind, namespace, name, file string }
	objects := map[string]object{}
	for _, res := range r.Resources {
		o := object{res.Object.APIVersion, res.Object.Kind, res.Object.Metadata.Namespace, res.Object.Metadata.Name, ""}
		if o.kind == "" {
			o = kubescapeResourceID(res.ResourceID)
		}
		if res.Source != nil {
			o.file = res.Source.RelativePath
		}
		objects[res.ResourceID] = o
	}
	var out []Finding
	for _, res := range r.Results {
		o, ok := objects[res.ResourceID]
		if !ok {
			o = kubescapeResourceID(res.ResourceID)
		}
		for _, c := range res.Controls {
			if c.Status.Status != "failed" {
				continue
			}
			f := Finding{
				Tool: FormatKubescape, RuleID: c.ControlID, Title: c.Name, Control: controlFor(FormatKubescape, c.ControlID),
				Severity:   kubescapeSeverity(r.SummaryDetails.Controls[c.ControlID].ScoreFactor),
				APIVersion: o.apiVersion, Kind: o.kind, Namespace: o.namespace, Name: o.name, File: o.file,
			}
			if f.Title == "" {
				f.Title = r.SummaryDetails.Controls[c.ControlID].Name
			}
			f.Message = f.Title
			var fixes []Op
			for _, rule := range c.Rules {
				for _, p := range rule.Paths {
					switch {
					case p.FixPath.Path != "":
						f.Path = cmpOr(f.Path, p.FixPath.Path)
						fixes = append(fixes, Op{Op: "add", Path: pointer(p.FixPath.Path), Value: scalar(p.FixPath.Value)})
					case p.DeletePath != "":
						f.Path = cmpOr(f.Path, p.DeletePath)
						fixes = append(fixes, Op{Op: "remove", Path: pointer(p.DeletePath)})
					case p.FailedPath != "":
						f.Path = cmpOr(f.Path, p.FailedPath)
					case p.ReviewPath != "":
						f.Path = cmpOr(f.Path, p.ReviewPath)
					}
				}
			}
			f.Fix = fixes
			out = append(out, f)
		}
	}
	return out, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// kubescapeResourceID reads "[path=N/api=]<group>/<version>/<namespace>/<kind>/<name>"
// ("/v1/shop/Pod/p" for the core group, an empty namespace when cluster-scoped).
func kubescapeResourceID(id string) (o struct{ apiVersion, kind, namespace, name, file string }) {
	if i := strings.Index(id, "api="); i >= 0 {
		id = id[i+len("api="):]
	}
	parts := strings.Split(id, "/")
	if len(parts) < 4 {
		return o
	}
	n := len(parts)
	o.name, o.kind, o.namespace = parts[n-1], parts[n-2], parts[n-3]
	o.apiVersion = strings.TrimPrefix(strings.Join(parts[:n-3], "/"), "/")
	return o
}

// kubescapeSeverity maps a control's score factor (1–10) as Kubescape
// does: 1–3 low, 4–6 medium, 7–8 high, 9–10 critical.
func kubescapeSeverity(score float64) scanner.Severity {
	switch {
	case score >= 9:
		return scanner.SeverityCritical
	case score >= 7:
		return scanner.SeverityHigh
	case score >= 4:
		return scanner.SeverityMedium
	}
	return scanner.SeverityLow
}

// scalar reads a value Kubescape writes as a string ("true", "1000",
// "RuntimeDefault") the way YAML would, so the fix writes a typed value.
func scalar(s string) any {
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) != 1 || n.Content[0].Kind != yaml.ScalarNode {
		return s
	}
	switch n.Content[0].Tag {
	case "!!bool":
		return s == "true"
	case "!!int":
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			return v
		}
	}
	return s
}

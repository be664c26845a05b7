package importer

import (
	"encoding/json"
	"sort"

	"github.com/remedy-bot/remedy/scanner"
)

// polarisResult is one check of `polaris audit --format json`.
type polarisResult struct {
	ID       string `json:"ID"`
	Message  string `json:"Message"`
	Success  bool   `json:"Success"`
	Severity string `json:"Severity"`
	Category string `json:"Category"`
	// Mutations are the JSON patch operations Polaris proposes (polaris
	// fix), when it is asked to.
	Mutations []Op `json:"Mutations"`
}

type polarisReport struct {
	Results []struct {
		Name      string                   `json:"Name"`
		Namespace string                   `json:"Namespace"`
		Kind      string                   `json:"Kind"`
		Results   map[string]polarisResult `json:"Results"`
		PodResult *struct {
			Results          map[string]polarisResult `json:"Results"`
			ContainerResults []struct {
				Name    string                   `json:"Name"`
				Results map[string]polarisResult `json:"Results"`
			} `json:"ContainerResults"`
		} `json:"PodResult"`
	} `json:"Results"`
}

func parsePolaris(b []byte) ([]Finding, error) {
	var r polarisReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	var out []Finding
	for _, res := range r.Results {
		add := func(results map[string]polarisResult, container string) {
			ids := make([]string, 0, len(results))
			for id := range results {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			for _, id := range ids {
				c := results[id]
				if c.Success || c.Severity == "ignore" {
					continue
				}
				out = append(out, Finding{
					Tool: FormatPolaris, RuleID: cmpOr(c.ID, id), Title: c.Message, Message: c.Message,
					Control: controlFor(FormatPolaris, cmpOr(c.ID, id)), Severity: polarisSeverity(c.Severity),
					Kind: res.Kind, Namespace: res.Namespace, Name: res.Name, Container: container, Fix: c.Mutations,
				})
			}
		}
		add(res.Results, "")
		if res.PodResult != nil {
			add(res.PodResult.Results, "")
			for _, cr := range res.PodResult.ContainerResults {
				add(cr.Results, cr.Name)
			}
		}
	}
	return out, nil
}

func polarisSeverity(s string) scanner.Severity {
	switch s {
	case "danger":
		return scanner.SeverityHigh
	case "warning":
		return scanner.SeverityMedium
	}
	return scanner.SeverityLow
}

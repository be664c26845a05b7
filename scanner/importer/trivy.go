package importer

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/remedy-bot/remedy/scanner"
)

// Labels Trivy Operator puts on a report, naming the object it is about.
const (
	trivyKindLabel      = "trivy-operator.resource.kind"
	trivyNameLabel      = "trivy-operator.resource.name"
	trivyNamespaceLabel = "trivy-operator.resource.namespace"
)

// configAuditReport is aquasecurity.github.io/v1alpha1 ConfigAuditReport
// (and ClusterConfigAuditReport).
type configAuditReport struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Report struct {
		Checks []struct {
			CheckID  string   `json:"checkID"`
			Title    string   `json:"title"`
			Severity string   `json:"severity"`
			Success  bool     `json:"success"`
			Messages []string `json:"messages"`
		} `json:"checks"`
	} `json:"report"`
	Items []configAuditReport `json:"items"`
}

// containerRE reads the container out of Trivy's messages:
// "Container 'web' of Deployment 'web' should set ...".
var containerRE = regexp.MustCompile(`^Container '([^']+)' of `)

// parseTrivy reads ConfigAuditReports: one, a List of them (kubectl get
// configauditreports -A -o yaml|json), or a YAML stream.
func parseTrivy(b []byte) ([]Finding, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var out []Finding
	for {
		var car configAuditReport
		if err := dec.Decode(&car); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		out = append(out, TrivyFindings(car)...)
		for _, it := range car.Items {
			out = append(out, TrivyFindings(it)...)
		}
	}
}

// TrivyFindings are the failed checks of one report.
func TrivyFindings(car configAuditReport) []Finding {
	l := car.Metadata.Labels
	if l[trivyKindLabel] == "" {
		return nil
	}
	var out []Finding
	for _, c := range car.Report.Checks {
		if c.Success {
			continue
		}
		f := Finding{
			Tool: FormatTrivyOperator, RuleID: c.CheckID, Title: c.Title, Message: c.Title,
			Control: controlFor(FormatTrivyOperator, c.CheckID), Severity: trivySeverity(c.Severity),
			Kind: l[trivyKindLabel], Name: l[trivyNameLabel], Namespace: l[trivyNamespaceLabel],
		}
		if len(c.Messages) > 0 {
			f.Message = c.Messages[0]
			if m := containerRE.FindStringSubmatch(c.Messages[0]); m != nil {
				f.Container = m[1]
			}
		}
		out = append(out, f)
	}
	return out
}

func trivySeverity(s string) scanner.Severity {
	if v, err := scanner.ParseSeverity(strings.ToLower(s)); err == nil {
		return v
	}
	return scanner.SeverityLow
}

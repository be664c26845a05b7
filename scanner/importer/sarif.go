package importer

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/remedy-bot/remedy/scanner"
)

// sarifLog is the part of a SARIF 2.1.0 log read here.
type sarifLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Name  string `json:"name"`
				Rules []struct {
					ID               string `json:"id"`
					ShortDescription struct {
						Text string `json:"text"`
					} `json:"shortDescription"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID  string `json:"ruleId"`
			Level   string `json:"level"`
			Message struct {
				Text string `json:"text"`
			} `json:"message"`
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI string `json:"uri"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine   int `json:"startLine"`
						StartColumn int `json:"startColumn"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			Suppressions []struct {
				Kind          string `json:"kind"`
				Status        string `json:"status"`
				Justification string `json:"justification"`
			} `json:"suppressions"`
			Properties struct {
				// An RFC 6902 proposal, under either name.
				Patch     []Op `json:"patch"`
				JSONPatch []Op `json:"jsonPatch"`
				// The object and field, as remedy's own SARIF writes them.
				Kind      string `json:"kind"`
				Namespace string `json:"namespace"`
				Name      string `json:"name"`
				Container string `json:"container"`
				Path      string `json:"path"`
			} `json:"properties"`
		} `json:"results"`
	} `json:"runs"`
}

// parseSARIF reads every result of every run. A SARIF result names a file
// and line, not an object: Locate finds the object there.
func parseSARIF(b []byte) ([]Finding, error) {
	var l sarifLog
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, err
	}
	catalog := scanner.DefaultCatalog()
	var out []Finding
	for _, run := range l.Runs {
		titles := map[string]string{}
		for _, r := range run.Tool.Driver.Rules {
			titles[r.ID] = r.ShortDescription.Text
		}
		for _, res := range run.Results {
			f := Finding{
				Tool: FormatSARIF, RuleID: res.RuleID, Title: cmpOr(titles[res.RuleID], res.RuleID), Message: res.Message.Text,
				Control: controlFor(FormatSARIF, res.RuleID), Severity: sarifSeverity(res.Level),
				Fix: append(res.Properties.Patch, res.Properties.JSONPatch...),
			}
			if c := catalog.Get(res.RuleID); c != nil {
				// remedy's own, or a tool using its IDs: the catalog's
				// severity, not the coarser SARIF level.
				f.Control, f.Severity = res.RuleID, c.Severity
			}
			if len(res.Locations) > 0 {
				pl := res.Locations[0].PhysicalLocation
				f.File, f.Line, f.Column = sarifPath(pl.ArtifactLocation.URI), pl.Region.StartLine, pl.Region.StartColumn
			}
			p := res.Properties
			f.Kind, f.Namespace, f.Name, f.Container, f.Path = p.Kind, p.Namespace, p.Name, p.Container, p.Path
			if f.Kind != "" {
				// remedy's message names the object first; the object is
				// in its own fields here.
				f.Message = strings.TrimPrefix(f.Message, objectPrefix(f))
			}
			// A suppression in effect (SARIF: no status, or accepted)
			// stays one; one under review or rejected does not.
			for _, sup := range res.Suppressions {
				if sup.Status == "" || sup.Status == "accepted" {
					f.Suppressed, f.Reason = true, sup.Justification
				}
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// objectPrefix is how remedy's SARIF starts the message of a finding on
// an object: "Kind/namespace/name [container]: ".
func objectPrefix(f Finding) string {
	s := f.ID()
	if f.Container != "" {
		s += " [" + f.Container + "]"
	}
	return s + ": "
}

// sarifPath turns an artifact URI (relative, or file://) into a path.
func sarifPath(uri string) string {
	if u, err := url.Parse(uri); err == nil && (u.Scheme == "file" || u.Scheme == "") {
		if p, err := url.PathUnescape(u.Path); err == nil {
			return strings.TrimPrefix(p, "./")
		}
	}
	return uri
}

func sarifSeverity(level string) scanner.Severity {
	switch level {
	case "error":
		return scanner.SeverityHigh
	case "warning", "":
		return scanner.SeverityMedium
	}
	return scanner.SeverityLow
}

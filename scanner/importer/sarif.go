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
						StartLine int `json:"startLine"`
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			Properties struct {
				// An RFC 6902 proposal, under either name.
				Patch     []Op `json:"patch"`
				JSONPatch []Op `json:"jsonPatch"`
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
			if scanner.DefaultCatalog().Get(res.RuleID) != nil {
				f.Control = res.RuleID // remedy's own, or a tool using its IDs
			}
			if len(res.Locations) > 0 {
				pl := res.Locations[0].PhysicalLocation
				f.File, f.Line = sarifPath(pl.ArtifactLocation.URI), pl.Region.StartLine
			}
			out = append(out, f)
		}
	}
	return out, nil
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

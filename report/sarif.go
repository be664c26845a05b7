package report

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"github.com/remedy-bot/remedy/scanner"
)

// SARIF 2.1.0 identifiers, from the OASIS standard.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	// srcRoot is the uriBaseId GitHub code scanning resolves to the checkout.
	srcRoot = "%SRCROOT%"
	// fingerprintKey versions the fingerprint: change the /v1 if
	// Finding.Fingerprint ever changes, so dashboards do not see every
	// alert closed and reopened.
	fingerprintKey = "remedyFingerprint/v1"
)

// InformationURI is where a SARIF reader learns about the tool.
const InformationURI = "https://github.com/remedy-bot/remedy"

// SARIFOptions control the SARIF output.
type SARIFOptions struct {
	// ToolVersion is tool.driver.version; empty leaves it out.
	ToolVersion string
	// AllRules lists every control of the catalog as a rule, not only
	// those with results, so a dashboard shows what was checked.
	AllRules bool
	// Root is the absolute folder the results' paths are relative to (the
	// repository root inside git). It becomes the run's
	// originalUriBaseIds.SRCROOT, so a reader of the log (GitHub code
	// scanning, an IDE) resolves "deploy/apps/x.yaml" against it; empty
	// leaves SRCROOT for the reader to bind to its checkout.
	Root string
}

// WriteSARIF writes rep as a SARIF 2.1.0 log with one run. Suppressed
// findings stay in the log, marked inSource with their reason, which is how
// code scanning shows them as dismissed rather than fixed. Files that could
// not be read become error notifications of the invocation, and make it
// unsuccessful; skipped files become notes.
func WriteSARIF(w io.Writer, rep *scanner.Report, catalog *scanner.Catalog, opts SARIFOptions) error {
	if rep == nil {
		rep = &scanner.Report{}
	}
	if catalog == nil {
		catalog = scanner.NewCatalog(nil)
	}
	rules, index := sarifRules(rep.Findings, catalog, opts.AllRules)
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "remedy",
			Version:        opts.ToolVersion,
			InformationURI: InformationURI,
			Rules:          rules,
		}},
		Invocations: []sarifInvocation{sarifInvocationOf(rep)},
		Results:     make([]sarifResult, 0, len(rep.Findings)),
		ColumnKind:  "unicodeCodePoints",
	}
	if opts.Root != "" {
		run.OriginalURIBaseIDs = map[string]sarifArtifactLocationRoot{srcRoot: {URI: rootURI(opts.Root)}}
	}
	for _, f := range rep.Findings {
		run.Results = append(run.Results, sarifResultOf(f, index[f.Control]))
	}
	log := sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("write SARIF report: %w", err)
	}
	return nil
}

// sarifRules returns the rules of the run and each rule's index, which
// results cite as ruleIndex. A control missing from the catalog still gets a
// rule, so every result has one.
func sarifRules(fs []scanner.Finding, catalog *scanner.Catalog, all bool) ([]sarifRule, map[string]int) {
	var ids []string
	if all {
		for _, c := range catalog.Controls() {
			ids = append(ids, c.ID)
		}
	}
	for _, f := range fs {
		if !slices.Contains(ids, f.Control) {
			ids = append(ids, f.Control)
		}
	}
	slices.Sort(ids)
	rules := make([]sarifRule, 0, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
		rules = append(rules, sarifRuleOf(id, catalog.Get(id)))
	}
	return rules, index
}

func sarifRuleOf(id string, c *scanner.Control) sarifRule {
	r := sarifRule{ID: id, Name: ruleName(id)}
	if c == nil {
		return r
	}
	r.ShortDescription = &sarifText{Text: c.Title}
	if c.Why != "" {
		r.FullDescription = &sarifText{Text: c.Why}
	}
	r.Help = ruleHelp(c)
	r.DefaultConfiguration = &sarifConfiguration{Level: sarifLevel(c.Severity)}
	r.Properties = &sarifRuleProperties{
		Tags:             ruleTags(c.Refs),
		SecuritySeverity: securitySeverity(c.Severity),
		Fixable:          c.Fixable,
	}
	return r
}

// ruleName turns a control ID into the PascalCase identifier SARIF
// viewers show as the rule's name: read-only-root-filesystem becomes
// ReadOnlyRootFilesystem.
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func ruleHelp(c *scanner.Control) *sarifHelp {
	var text, md []string
	if c.Why != "" {
		text = append(text, c.Why)
		md = append(md, c.Why)
	}
	if c.HowToFix != "" {
		text = append(text, "How to fix: "+c.HowToFix)
		md = append(md, "**How to fix:** "+c.HowToFix)
	}
	if c.Fixable {
		text = append(text, "remedy can fix this automatically (remedy fix).")
		md = append(md, "remedy can fix this automatically (`remedy fix`).")
	}
	if len(c.Refs) > 0 {
		text = append(text, "References: "+strings.Join(c.Refs, "; "))
		md = append(md, "**References:** "+strings.Join(c.Refs, "; "))
	}
	if len(text) == 0 {
		return nil
	}
	return &sarifHelp{Text: strings.Join(text, "\n\n"), Markdown: strings.Join(md, "\n\n")}
}

// ruleTags are the control's references plus the two tags that make GitHub
// file the rule under security for Kubernetes. SARIF wants them distinct.
func ruleTags(refs []string) []string {
	tags := []string{"security", "kubernetes"}
	for _, r := range refs {
		if !slices.Contains(tags, r) {
			tags = append(tags, r)
		}
	}
	return tags
}

// securitySeverity is the CVSS-like score GitHub code scanning reads from a
// rule's "security-severity" property: over 9.0 is critical, 7.0 to 8.9
// high, 4.0 to 6.9 medium, 0.1 to 3.9 low.
func securitySeverity(s scanner.Severity) string {
	switch s {
	case scanner.SeverityCritical:
		return "9.5"
	case scanner.SeverityHigh:
		return "8.0"
	case scanner.SeverityMedium:
		return "5.0"
	default:
		return "2.0"
	}
}

// sarifLevel maps a severity to SARIF's three result levels.
func sarifLevel(s scanner.Severity) string {
	switch {
	case s >= scanner.SeverityHigh:
		return "error"
	case s == scanner.SeverityMedium:
		return "warning"
	default:
		return "note"
	}
}

func sarifResultOf(f scanner.Finding, ruleIndex int) sarifResult {
	r := sarifResult{
		RuleID:              f.Control,
		RuleIndex:           ruleIndex,
		Level:               sarifLevel(f.Severity),
		Message:             sarifText{Text: resultMessage(f)},
		Locations:           []sarifLocation{{PhysicalLocation: physicalLocation(f.File, f.Line, f.Column)}},
		PartialFingerprints: map[string]string{fingerprintKey: f.Fingerprint()},
		Properties: &sarifResultProperties{
			Kind: f.Kind, Namespace: f.Namespace, Name: f.Name,
			Container: f.Container, Path: f.Path, Fixable: f.Fixable,
		},
	}
	if f.Suppressed {
		r.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: f.Reason}}
	}
	return r
}

// resultMessage names the object in the message, because a code scanning
// alert shows the message without the finding's other fields.
func resultMessage(f scanner.Finding) string {
	if f.Kind == "" {
		return f.Message
	}
	return object(f) + ": " + f.Message
}

// physicalLocation locates a file relative to the checkout. Line and
// column are left out when unknown, as SARIF regions start at 1.
func physicalLocation(file string, line, column int) sarifPhysicalLocation {
	loc := sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: fileURI(file), URIBaseID: srcRoot}}
	if line > 0 {
		loc.Region = &sarifRegion{StartLine: line}
		if column > 0 {
			loc.Region.StartColumn = column
		}
	}
	return loc
}

// rootURI is the file: URI of an absolute folder, ending in "/" as SARIF
// requires of a base URI.
func rootURI(dir string) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(dir)}
	if !strings.HasPrefix(u.Path, "/") {
		u.Path = "/" + u.Path // a Windows drive letter
	}
	s := u.String()
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s
}

// fileURI makes a slash path a relative URI reference: spaces, '%' and
// the like escaped, separators kept, and a colon in the first segment
// guarded by "./" so it does not read as a scheme.
func fileURI(file string) string {
	return (&url.URL{Path: file}).String()
}

func sarifInvocationOf(rep *scanner.Report) sarifInvocation {
	inv := sarifInvocation{ExecutionSuccessful: len(rep.Errors) == 0}
	for _, e := range rep.Errors {
		inv.Notifications = append(inv.Notifications, sarifNotification{
			Level:     "error",
			Message:   sarifText{Text: e.Message},
			Locations: []sarifLocation{{PhysicalLocation: physicalLocation(e.File, e.Line, 0)}},
		})
	}
	for _, s := range rep.Skipped {
		inv.Notifications = append(inv.Notifications, sarifNotification{
			Level:     "note",
			Message:   sarifText{Text: "skipped: " + s.Reason},
			Locations: []sarifLocation{{PhysicalLocation: physicalLocation(s.File, 0, 0)}},
		})
	}
	return inv
}

// The SARIF 2.1.0 subset remedy writes. Field names follow the standard.
type (
	sarifLog struct {
		Schema  string     `json:"$schema"`
		Version string     `json:"version"`
		Runs    []sarifRun `json:"runs"`
	}
	sarifRun struct {
		Tool        sarifTool         `json:"tool"`
		Invocations []sarifInvocation `json:"invocations"`
		Results     []sarifResult     `json:"results"`
		ColumnKind  string            `json:"columnKind"`
		// OriginalURIBaseIDs binds SRCROOT to the scan root.
		OriginalURIBaseIDs map[string]sarifArtifactLocationRoot `json:"originalUriBaseIds,omitempty"`
	}
	sarifArtifactLocationRoot struct {
		URI string `json:"uri"`
	}
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		Version        string      `json:"version,omitempty"`
		InformationURI string      `json:"informationUri"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID                   string               `json:"id"`
		Name                 string               `json:"name"`
		ShortDescription     *sarifText           `json:"shortDescription,omitempty"`
		FullDescription      *sarifText           `json:"fullDescription,omitempty"`
		Help                 *sarifHelp           `json:"help,omitempty"`
		DefaultConfiguration *sarifConfiguration  `json:"defaultConfiguration,omitempty"`
		Properties           *sarifRuleProperties `json:"properties,omitempty"`
	}
	sarifText struct {
		Text string `json:"text"`
	}
	sarifHelp struct {
		Text     string `json:"text"`
		Markdown string `json:"markdown"`
	}
	sarifConfiguration struct {
		Level string `json:"level"`
	}
	sarifRuleProperties struct {
		Tags             []string `json:"tags"`
		SecuritySeverity string   `json:"security-severity"`
		Fixable          bool     `json:"fixable"`
	}
	sarifInvocation struct {
		ExecutionSuccessful bool                `json:"executionSuccessful"`
		Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
	}
	sarifNotification struct {
		Level     string          `json:"level"`
		Message   sarifText       `json:"message"`
		Locations []sarifLocation `json:"locations,omitempty"`
	}
	sarifResult struct {
		RuleID              string                 `json:"ruleId"`
		RuleIndex           int                    `json:"ruleIndex"`
		Level               string                 `json:"level"`
		Message             sarifText              `json:"message"`
		Locations           []sarifLocation        `json:"locations"`
		PartialFingerprints map[string]string      `json:"partialFingerprints"`
		Suppressions        []sarifSuppression     `json:"suppressions,omitempty"`
		Properties          *sarifResultProperties `json:"properties,omitempty"`
	}
	sarifLocation struct {
		PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
	}
	sarifPhysicalLocation struct {
		ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
		Region           *sarifRegion          `json:"region,omitempty"`
	}
	sarifArtifactLocation struct {
		URI       string `json:"uri"`
		URIBaseID string `json:"uriBaseId"`
	}
	sarifRegion struct {
		StartLine   int `json:"startLine"`
		StartColumn int `json:"startColumn,omitempty"`
	}
	sarifSuppression struct {
		Kind          string `json:"kind"`
		Justification string `json:"justification,omitempty"`
	}
	// sarifResultProperties repeat the finding's object and field, so a
	// SARIF consumer can group results the way the JSON output does.
	sarifResultProperties struct {
		Kind      string `json:"kind,omitempty"`
		Namespace string `json:"namespace,omitempty"`
		Name      string `json:"name,omitempty"`
		Container string `json:"container,omitempty"`
		Path      string `json:"path,omitempty"`
		Fixable   bool   `json:"fixable"`
	}
)

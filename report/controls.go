package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/remedy-bot/remedy/scanner"
)

// Catalog formats accepted by WriteControls.
const (
	FormatTable    = "table"
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
)

// controlJSON is a control's public JSON form (remedy controls -o json).
type controlJSON struct {
	ID       string           `json:"id"`
	Title    string           `json:"title"`
	Severity scanner.Severity `json:"severity"`
	Fixable  bool             `json:"fixable"`
	// PSS is the Pod Security Standards check: level and first version.
	PSS      *pssJSON `json:"pss,omitempty"`
	Refs     []string `json:"refs"`
	Why      string   `json:"why"`
	HowToFix string   `json:"howToFix"`
	// Risk is what a fix can break at run time; only fixable controls have one.
	Risk *scanner.Risk `json:"risk,omitempty"`
}

// WriteControls lists the catalog, sorted by ID, as a table, as JSON, or as
// the Markdown table the README carries.
func WriteControls(w io.Writer, catalog *scanner.Catalog, format string) error {
	var err error
	switch format {
	case FormatTable, "":
		err = controlsTable(w, catalog.Controls())
	case FormatJSON:
		err = controlsJSON(w, catalog.Controls())
	case FormatMarkdown:
		err = controlsMarkdown(w, catalog.Controls())
	default:
		return fmt.Errorf("unknown controls format %q (want %s, %s or %s)", format, FormatTable, FormatJSON, FormatMarkdown)
	}
	if err != nil {
		return fmt.Errorf("write controls %s: %w", format, err)
	}
	return nil
}

func controlsTable(w io.Writer, controls []*scanner.Control) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tFIXABLE\tPSS\tREFS\tTITLE")
	for _, c := range controls {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Severity, yesNo(c.Fixable), pssRule(c), refs(c.Refs), c.Title)
	}
	return tw.Flush()
}

func controlsJSON(w io.Writer, controls []*scanner.Control) error {
	out := make([]controlJSON, 0, len(controls))
	for _, c := range controls {
		r := c.Refs
		if r == nil {
			r = []string{}
		}
		out = append(out, controlJSON{ID: c.ID, Title: c.Title, Severity: c.Severity, Fixable: c.Fixable, PSS: pssOf(c), Refs: r, Why: c.Why, HowToFix: c.HowToFix, Risk: c.Risk})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func controlsMarkdown(w io.Writer, controls []*scanner.Control) error {
	var b strings.Builder
	b.WriteString("| ID | severity | fixable | PSS level | refs | title |\n|---|---|---|---|---|---|\n")
	for _, c := range controls {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", c.ID, c.Severity, yesNo(c.Fixable), pssRule(c),
			markdownCell(refs(c.Refs)), markdownCell(c.Title))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

type pssJSON struct {
	Level string `json:"level"`
	Since string `json:"since"`
}

func pssOf(c *scanner.Control) *pssJSON {
	if c.PSS == nil {
		return nil
	}
	return &pssJSON{Level: c.PSS.Level, Since: fmt.Sprintf("v1.%d", c.PSS.Since)}
}

// pssRule names the Pod Security Standards level a control checks and the
// policy version that added the check: "baseline", "restricted since v1.22".
func pssRule(c *scanner.Control) string {
	if c.PSS == nil {
		return "-"
	}
	return c.PSS.String()
}

func refs(r []string) string {
	if len(r) == 0 {
		return "-"
	}
	return strings.Join(r, "; ")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// markdownCell escapes the one character that would end a table cell.
func markdownCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

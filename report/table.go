package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/scanner"
)

// TableOptions control the table output.
type TableOptions struct {
	// Color wraps severities and headers in ANSI escapes. The caller decides
	// (a terminal, NO_COLOR unset): the table never guesses.
	Color bool
	// Files is the number of files read, for the summary line.
	Files int
	// Today is the date the "expire soon" list is counted from; zero
	// leaves the list out (expired suppressions are listed anyway).
	Today time.Time
}

// ExpiringWithin is how far ahead the table warns of suppressions whose
// until= day comes: a month gives a team a sprint or two to act.
const ExpiringWithin = 30 * 24 * time.Hour

// Expiring returns the suppressions with an until= day: those that end
// within ExpiringWithin of today (zero today: none), and those that
// ended, whose findings are active again.
func Expiring(fs []scanner.Finding, today time.Time) (soon, expired []scanner.Finding) {
	for _, f := range fs {
		switch {
		case f.Expired:
			expired = append(expired, f)
		case f.Suppressed && f.Until != "" && !today.IsZero():
			if until, err := time.Parse(time.DateOnly, f.Until); err == nil && until.Sub(today) < ExpiringWithin {
				soon = append(soon, f)
			}
		}
	}
	return soon, expired
}

// ANSI SGR sequences (ECMA-48 §8.3.117).
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiDim     = "\x1b[2m"
	ansiRed     = "\x1b[31m"
	ansiYellow  = "\x1b[33m"
	ansiCyan    = "\x1b[36m"
	ansiBoldRed = "\x1b[1;31m"
)

func severityColor(s scanner.Severity) string {
	switch s {
	case scanner.SeverityCritical:
		return ansiBoldRed
	case scanner.SeverityHigh:
		return ansiRed
	case scanner.SeverityMedium:
		return ansiYellow
	default:
		return ansiCyan
	}
}

// severityWidth fits the longest severity name, CRITICAL.
const severityWidth = len("CRITICAL")

// WriteTable writes rep for a person: findings grouped by file, then the
// files that could not be read and those skipped, then a summary line.
func WriteTable(w io.Writer, rep *scanner.Report, opts TableOptions) error {
	if rep == nil {
		rep = &scanner.Report{}
	}
	t := &tableWriter{w: w, color: opts.Color}
	for _, group := range groupByFile(rep.Findings) {
		t.findings(group)
	}
	if len(rep.Errors) > 0 {
		t.line(t.paint(ansiBold, "Errors"))
		for _, e := range rep.Errors {
			t.line("  " + t.paint(ansiRed, e.Error()))
		}
		t.line("")
	}
	soon, expired := Expiring(rep.Findings, opts.Today)
	if len(soon)+len(expired) > 0 {
		t.line(t.paint(ansiBold, "Suppressions"))
		for _, f := range expired {
			t.line("  " + t.paint(ansiRed, fmt.Sprintf("%s:%d %s: expired on %s, active again (%s)", f.File, f.Line, f.Control, f.Until, f.Reason)))
		}
		for _, f := range soon {
			t.line(fmt.Sprintf("  %s:%d %s: expires on %s (%s)", f.File, f.Line, f.Control, f.Until, f.Reason))
		}
		t.line("")
	}
	if len(rep.Skipped) > 0 {
		t.line(t.paint(ansiBold, "Skipped"))
		for _, s := range rep.Skipped {
			t.line("  " + s.File + ": " + s.Reason)
		}
		t.line("")
	}
	t.line(summary(rep, opts.Files))
	if t.err != nil {
		return fmt.Errorf("write table report: %w", t.err)
	}
	return nil
}

// tableWriter keeps the first write error so the layout code reads straight.
type tableWriter struct {
	w     io.Writer
	color bool
	err   error
}

func (t *tableWriter) line(s string) {
	if t.err == nil {
		_, t.err = io.WriteString(t.w, s+"\n")
	}
}

func (t *tableWriter) paint(code, s string) string {
	if !t.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

// findings writes one file's findings with columns aligned within the file.
// Padding is computed on the plain text and colour applied afterwards, so
// escape sequences never skew the columns.
func (t *tableWriter) findings(fs []scanner.Finding) {
	t.line(t.paint(ansiBold, fs[0].File))
	var locW, ctlW, objW int
	for _, f := range fs {
		locW = max(locW, len(location(f)))
		ctlW = max(ctlW, len(f.Control))
		objW = max(objW, len(object(f)))
	}
	for _, f := range fs {
		sev := strings.ToUpper(f.Severity.String())
		row := "  " + pad(location(f), locW) + "  " +
			t.paint(severityColor(f.Severity), sev) + strings.Repeat(" ", severityWidth-len(sev)) + "  " +
			pad(f.Control, ctlW) + "  " + pad(object(f), objW) + "  " + f.Message
		switch {
		case f.Suppressed && f.Until != "":
			row += "  " + t.paint(ansiDim, "(suppressed until "+f.Until+": "+f.Reason+")")
		case f.Suppressed:
			row += "  " + t.paint(ansiDim, "(suppressed: "+f.Reason+")")
		case f.Expired:
			row += "  (ignore expired " + f.Until + ": " + f.Reason + ")"
		}
		t.line(strings.TrimRight(row, " "))
	}
	t.line("")
}

func location(f scanner.Finding) string { return fmt.Sprintf("%d:%d", f.Line, f.Column) }

// object is the object column: Kind/namespace/name and the container, if any.
func object(f scanner.Finding) string {
	if f.Container == "" {
		return objectName(f)
	}
	return objectName(f) + " [" + f.Container + "]"
}

func pad(s string, width int) string {
	if len(s) >= width {
		return s
	}
	return s + strings.Repeat(" ", width-len(s))
}

// groupByFile splits findings, already sorted by file, into runs of one file.
func groupByFile(fs []scanner.Finding) [][]scanner.Finding {
	var out [][]scanner.Finding
	for i := 0; i < len(fs); {
		j := i + 1
		for j < len(fs) && fs[j].File == fs[i].File {
			j++
		}
		out = append(out, fs[i:j])
		i = j
	}
	return out
}

// summary is the last line: the counts a reader checks first. Suppressed
// findings are counted apart from the others, which is what --fail-on sees.
func summary(rep *scanner.Report, files int) string {
	var bySeverity [scanner.SeverityCritical + 1]int
	active, suppressed := 0, 0
	for _, f := range rep.Findings {
		if f.Suppressed {
			suppressed++
			continue
		}
		active++
		if f.Severity >= scanner.SeverityLow && f.Severity <= scanner.SeverityCritical {
			bySeverity[f.Severity]++
		}
	}
	counts := fmt.Sprintf("%d high, %d medium, %d low",
		bySeverity[scanner.SeverityHigh], bySeverity[scanner.SeverityMedium], bySeverity[scanner.SeverityLow])
	if n := bySeverity[scanner.SeverityCritical]; n > 0 {
		counts = fmt.Sprintf("%d critical, %s", n, counts)
	}
	return fmt.Sprintf("%s (%s), %d suppressed, %s, %d skipped in %s",
		plural.Count(active, "finding"), counts, suppressed, plural.Count(len(rep.Errors), "error"),
		len(rep.Skipped), plural.Count(files, "file"))
}

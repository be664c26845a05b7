package templates

import (
	"fmt"
	"strings"

	"github.com/remedy-bot/remedy/internal/quote"
)

// Dashboard is the template name of the dashboard issue's body, as in
// .remedy.yaml's templates section.
const Dashboard = "dashboard"

// DashboardTitle is the dashboard issue's title. It is not a template:
// people search for it, and remedy finds the issue by its marker, not by
// its title.
const DashboardTitle = "remedy security dashboard"

// DashboardData is what the dashboard template renders: where a repository
// stands, from gitops.Posture. Every list is sorted, so that the same
// posture renders the same body byte for byte (an unchanged body is never
// edited, so an idle repository notifies nobody).
type DashboardData struct {
	// Repo is owner/name and RepoURL its web address; Base the branch.
	Repo, RepoURL, Base string
	// BlobURL is where file links start, the forge's way
	// (<repo>/blob/<base> on GitHub and Gitea, <repo>/-/blob/<base> on
	// GitLab), "" when the repository's address is unknown: a finding's
	// link is BlobURL/<file>#L<line>.
	BlobURL string
	// PRPrefix refers to a pull request in text: "#" (GitHub, Gitea) or
	// "!" (a GitLab merge request).
	PRPrefix string
	// Open are remedy's open fix pull requests.
	Open []DashboardPR
	// Unfixable are the findings remedy cannot fix, by control.
	Unfixable []DashboardControl
	// Ignored are the suppressed findings, with the reason given.
	Ignored []DashboardFinding
	// Unreadable are the files that could not be read, with the error.
	Unreadable []DashboardError
	// Declined are the pull requests closed without merging whose fixes
	// remedy leaves out; each renders as a checkbox that ends with
	// Marker, by which remedy finds a ticked one again.
	Declined []DashboardPR
	// Clean: no unsuppressed finding is left.
	Clean bool
	// More… count what was left out of each list for the size limit of
	// an issue body.
	MoreOpen, MoreUnfixable, MoreIgnored, MoreUnreadable, MoreDeclined int
}

// DashboardPR is one of remedy's pull requests on the dashboard.
type DashboardPR struct {
	Number int
	URL    string
	// Findings counts the findings it fixes (would fix, declined), and
	// Controls names their controls.
	Findings int
	Controls []string
	// Marker ends a declined pull request's checkbox line.
	Marker string
}

// DashboardControl is one control's findings on the dashboard.
type DashboardControl struct {
	ID, Title, Severity string
	Findings            []DashboardFinding
	// More counts the findings left out for the size limit.
	More int
}

// DashboardFinding is one finding on the dashboard.
type DashboardFinding struct {
	Control, Severity string
	File              string
	Line              int
	// Object names the object (and container).
	Object string
	// Reason is why remedy does not fix it, or why it is ignored; Until
	// the last day of a time-limited ignore.
	Reason, Until string
}

// DashboardError is a file that could not be read.
type DashboardError struct {
	File    string
	Line    int
	Message string
}

// RenderDashboard renders the dashboard body. What d holds from the
// repository (paths, object names, reasons, errors) is made one line and
// bounded first, as for pull request bodies, and holds no "<!--"; the
// embedded template quotes it as code.
func (s *Set) RenderDashboard(d DashboardData) (string, error) {
	d = d.bounded()
	body, err := s.exec(Dashboard, d)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(body) + "\n", nil
}

func (d DashboardData) bounded() DashboardData {
	// A zero-width space after "<" keeps the text as it reads and takes
	// from it any "<!--" that could pass for one of remedy's markers,
	// which are looked for in the body as plain text.
	line := func(s string) string { return strings.ReplaceAll(quote.Line(s, maxField), "<!--", "<\u200b!--") }
	findings := func(fs []DashboardFinding) []DashboardFinding {
		out := make([]DashboardFinding, len(fs))
		for i, f := range fs {
			f.File, f.Object, f.Reason, f.Until = line(f.File), line(f.Object), line(f.Reason), line(f.Until)
			out[i] = f
		}
		return out
	}
	d.Base = line(d.Base)
	d.Ignored = findings(d.Ignored)
	unfixable := make([]DashboardControl, len(d.Unfixable))
	for i, c := range d.Unfixable {
		c.Findings = findings(c.Findings)
		unfixable[i] = c
	}
	d.Unfixable = unfixable
	errs := make([]DashboardError, len(d.Unreadable))
	for i, e := range d.Unreadable {
		e.File, e.Message = line(e.File), line(e.Message)
		errs[i] = e
	}
	d.Unreadable = errs
	return d
}

// DeclinedMarker is the hidden marker that ends the checkbox line of
// declined pull request number on the dashboard.
func DeclinedMarker(number int) string { return fmt.Sprintf("<!-- remedy:declined %d -->", number) }

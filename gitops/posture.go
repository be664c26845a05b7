package gitops

import (
	"time"

	"github.com/remedy-bot/remedy/scanner"
)

// Posture is where a repository stands after one run of the life cycle:
// what is failing, what remedy fixes and in which pull requests, what it
// cannot fix and why, what is ignored, what could not be read, and which
// fixes people declined. The dashboard issue renders it for the
// repository's owners; the service stores the last one of each repository
// for its posture page. Both read this one value, computed from the scan
// and the converge the run already did: there is no second scan path.
//
// It is plain data (JSON-encoded in the job store), sorted, so that an
// unchanged repository gives an equal Posture and so an unchanged dashboard.
type Posture struct {
	// Repo is the repository's full name, URL its web page, Base the branch
	// scanned and Commit the base head that was scanned.
	Repo   string `json:"repo"`
	URL    string `json:"url,omitempty"`
	Base   string `json:"base"`
	Commit string `json:"commit,omitempty"`
	// Controls counts the findings by control (sorted by severity, then
	// control ID).
	Controls []ControlCount `json:"controls"`
	// Unfixable are the unsuppressed findings remedy does not fix where
	// they are, each with the reason.
	Unfixable []PostureFinding `json:"unfixable"`
	// Ignored are the suppressed findings, each with the reason written in
	// the ignore comment or the config.
	Ignored []PostureFinding `json:"ignored"`
	// Unreadable are the files that could not be read or parsed.
	Unreadable []scanner.FileError `json:"unreadable"`
	// Open are remedy's open fix pull requests; Declined the pull requests
	// closed without merging whose fixes remedy therefore leaves out.
	Open     []PosturePR `json:"open"`
	Declined []PosturePR `json:"declined"`
	// Dashboard is the dashboard issue, when the repository has one.
	Dashboard *IssueRef `json:"dashboard,omitempty"`
}

// ControlCount counts one control's findings in a repository.
type ControlCount struct {
	Control  string           `json:"control"`
	Severity scanner.Severity `json:"severity"`
	// Findings counts the unsuppressed findings, Fixable those remedy fixes,
	// Ignored the suppressed ones.
	Findings int `json:"findings"`
	Fixable  int `json:"fixable"`
	Ignored  int `json:"ignored"`
}

// PostureFinding is one finding as the dashboard and the posture page show
// it: where it is, and why it is left.
type PostureFinding struct {
	Control  string           `json:"control"`
	Severity scanner.Severity `json:"severity"`
	File     string           `json:"file"`
	Line     int              `json:"line"`
	// Object names the object (Kind namespace/name, container).
	Object  string `json:"object"`
	Message string `json:"message"`
	// Reason is why remedy does not fix it, or why it is ignored.
	Reason string `json:"reason,omitempty"`
	// Until is the last day of a time-limited ignore (YYYY-MM-DD).
	Until string `json:"until,omitempty"`
}

// PosturePR is one of remedy's pull requests.
type PosturePR struct {
	Number int    `json:"number"`
	URL    string `json:"url,omitempty"`
	Branch string `json:"branch"`
	Title  string `json:"title"`
	// Fingerprints are the findings it fixes (or, declined, would have
	// fixed); Controls the distinct controls among them, sorted.
	Fingerprints []string `json:"fingerprints,omitempty"`
	Controls     []string `json:"controls,omitempty"`
}

// IssueRef identifies an issue on the forge.
type IssueRef struct {
	Number int    `json:"number"`
	URL    string `json:"url,omitempty"`
}

// Severities counts the unsuppressed findings by severity.
func (p Posture) Severities() map[scanner.Severity]int {
	out := map[scanner.Severity]int{}
	for _, c := range p.Controls {
		out[c.Severity] += c.Findings
	}
	return out
}

// Clean reports whether the repository has no unsuppressed finding left.
func (p Posture) Clean() bool {
	for _, c := range p.Controls {
		if c.Findings > 0 {
			return false
		}
	}
	return true
}

// PostureRecord is a Posture as the service keeps it: with when it was
// computed and by which job.
type PostureRecord struct {
	Posture
	At  time.Time `json:"at"`
	Job string    `json:"job,omitempty"`
}

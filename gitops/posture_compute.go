package gitops

import (
	"cmp"
	"slices"

	"github.com/remedy-bot/remedy/scanner"
)

// NewPosture computes where a repository stands after a run, from what the
// run already has: the scan report of the base head, the fixes computed
// from it, and what Converge did (its branches, and the declined pull
// requests it read). It is sorted, so that an unchanged repository gives an
// equal Posture.
func NewPosture(info RepoInfo, base, commit string, rep *scanner.Report, fixes Fixes, res Result) Posture {
	p := Posture{
		Repo: info.FullName, URL: info.HTMLURL, Base: base, Commit: commit,
		Controls: []ControlCount{}, Unfixable: []PostureFinding{}, Ignored: []PostureFinding{},
		Unreadable: []scanner.FileError{}, Open: []PosturePR{}, Declined: []PosturePR{},
	}
	fixed := map[string]bool{}
	for _, f := range fixes.Fixed {
		fixed[f.Fingerprint()] = true
	}
	control := map[string]string{} // fingerprint → control
	counts := map[string]*ControlCount{}
	if rep != nil {
		for _, f := range rep.Findings {
			fp := f.Fingerprint()
			control[fp] = f.Control
			c := counts[f.Control]
			if c == nil {
				c = &ControlCount{Control: f.Control, Severity: f.Severity}
				counts[f.Control] = c
			}
			switch {
			case f.Suppressed:
				c.Ignored++
				p.Ignored = append(p.Ignored, postureFinding(f, f.Reason))
				p.Ignored[len(p.Ignored)-1].Until = f.Until
			case fixed[fp]:
				c.Findings++
				c.Fixable++
			default:
				c.Findings++
				p.Unfixable = append(p.Unfixable, postureFinding(f, fixes.notFixedReason(f)))
			}
		}
		p.Unreadable = append(p.Unreadable, rep.Errors...)
	}
	for _, c := range counts {
		p.Controls = append(p.Controls, *c)
	}
	slices.SortFunc(p.Controls, func(a, b ControlCount) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), cmp.Compare(a.Control, b.Control))
	})
	sortPostureFindings(p.Unfixable)
	sortPostureFindings(p.Ignored)
	slices.SortFunc(p.Unreadable, func(a, b scanner.FileError) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Message, b.Message))
	})
	p.Unreadable = slices.Compact(p.Unreadable)

	for _, b := range res.Branches {
		if b.PR == 0 || !openAfter(b.Action) {
			continue
		}
		p.Open = append(p.Open, posturePR(b.PR, b.URL, b.Branch, b.Title, b.Fingerprints, control))
	}
	for _, d := range res.Declined {
		// Only what is still fixable could be brought back.
		var fps []string
		for _, fp := range d.Fingerprints {
			if fixed[fp] {
				fps = append(fps, fp)
			}
		}
		if len(fps) > 0 {
			p.Declined = append(p.Declined, posturePR(d.Number, d.URL, d.Branch, d.Title, fps, control))
		}
	}
	byNumber := func(a, b PosturePR) int { return cmp.Compare(a.Number, b.Number) }
	slices.SortFunc(p.Open, byNumber)
	slices.SortFunc(p.Declined, byNumber)
	return p
}

// openAfter reports whether a branch's pull request is open after Converge
// did action to it.
func openAfter(a Action) bool {
	switch a {
	case ActionCreated, ActionAdopted, ActionUpdated, ActionUnchanged, ActionHandsOff:
		return true
	}
	return false
}

func posturePR(number int, url, branch, title string, fps []string, control map[string]string) PosturePR {
	pr := PosturePR{Number: number, URL: url, Branch: branch, Title: title, Fingerprints: slices.Sorted(slices.Values(fps))}
	pr.Fingerprints = slices.Compact(pr.Fingerprints)
	for _, fp := range pr.Fingerprints {
		if c := control[fp]; c != "" {
			pr.Controls = append(pr.Controls, c)
		}
	}
	slices.Sort(pr.Controls)
	pr.Controls = slices.Compact(pr.Controls)
	return pr
}

func postureFinding(f scanner.Finding, reason string) PostureFinding {
	return PostureFinding{
		Control: f.Control, Severity: f.Severity, File: f.File, Line: f.Line,
		Object: resourceOf(f), Message: f.Message, Reason: reason,
	}
}

// sortPostureFindings orders findings by severity (highest first), control,
// then place.
func sortPostureFindings(fs []PostureFinding) {
	slices.SortFunc(fs, func(a, b PostureFinding) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), cmp.Compare(a.Control, b.Control),
			cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Object, b.Object), cmp.Compare(a.Message, b.Message))
	})
}

// notFixedReason says why remedy does not fix an unsuppressed finding it
// left out of its fixes.
func (f Fixes) notFixedReason(x scanner.Finding) string {
	if r := f.NotFixed[x.Fingerprint()]; r != "" {
		return r
	}
	if x.NotFixable != "" {
		return x.NotFixable
	}
	if !x.Fixable {
		return "report-only control: fix by hand"
	}
	return "remedy could not fix it here"
}

// DeclinedPR is a pull request closed without merging that Converge read:
// its fixes are left out of every pull request until it is marked (see
// StartDashboard).
type DeclinedPR struct {
	Number       int      `json:"number"`
	URL          string   `json:"url,omitempty"`
	Branch       string   `json:"branch"`
	Title        string   `json:"title"`
	Fingerprints []string `json:"fingerprints,omitempty"`
}

// declinedPRs are the declined pull requests among those the converger
// read, by number.
func (c *converger) declinedPRs() []DeclinedPR {
	var out []DeclinedPR
	for b, prs := range c.prs {
		for _, p := range prs {
			if p.declined() {
				out = append(out, DeclinedPR{Number: p.Number, URL: p.URL, Branch: b, Title: p.Title, Fingerprints: p.fingerprints})
			}
		}
	}
	slices.SortFunc(out, func(a, b DeclinedPR) int { return cmp.Compare(a.Number, b.Number) })
	return out
}

package gitops

import (
	"github.com/remedy-bot/remedy/remediate"
	"github.com/remedy-bot/remedy/scanner"
)

// Fixes are the fixes remedy can propose for a repository at the base head.
type Fixes struct {
	// Fixed are the findings that a fix run over every finding fixes.
	Fixed []scanner.Finding
	// Present holds the fingerprint of every unsuppressed finding at the
	// base head, fixable or not: a pull request none of whose findings is
	// present any more has nothing left to fix.
	Present map[string]bool
	// Apply fixes only the findings with the given fingerprints and returns
	// the files changed and the findings fixed. Fixing a subset (one control,
	// or all but the declined) may differ from the full run byte-wise, so it
	// is recomputed rather than cut out of the full run.
	Apply func(only map[string]bool) ([]FileChange, []scanner.Finding)
	// Risks are the risk levels of the fixed findings by fingerprint
	// (remediate.Outcome.Risk), and Checks what the image-dependent ones
	// were checked against: the PR body and `group: risk` read them.
	Risks  map[string]scanner.RiskLevel
	Checks map[string]remediate.ImageCheck
	// NotFixed says, by fingerprint, why the fix run over every finding
	// left an unsuppressed finding unfixed (remediate.Outcome.Reason): the
	// dashboard and the posture page show it.
	NotFixed map[string]string
}

// FileChange is a file's content before and after its fixes.
type FileChange struct {
	// Path is relative to the repository root, with '/' separators.
	Path          string
	Before, After []byte
}

// NewFixes computes the fixes of a scan of a repository checkout: in must
// have been loaded with the checkout as its root, so that file paths are
// repository paths.
func NewFixes(in *scanner.Inputs, rep *scanner.Report, opts remediate.Options, scan scanner.Options) Fixes {
	present := map[string]bool{}
	for _, f := range rep.Findings {
		if !f.Suppressed {
			present[f.Fingerprint()] = true
		}
	}
	risks, checks := map[string]scanner.RiskLevel{}, map[string]remediate.ImageCheck{}
	notFixed := map[string]string{}
	apply := func(only map[string]bool) ([]FileChange, []scanner.Finding) {
		sub := &scanner.Report{}
		for _, f := range rep.Findings {
			if only == nil || only[f.Fingerprint()] {
				sub.Findings = append(sub.Findings, f)
			}
		}
		var changes []FileChange
		var fixed []scanner.Finding
		for _, ff := range remediate.FixReport(in, sub, opts, scan) {
			for _, o := range ff.Outcomes {
				if only == nil && o.Status == remediate.StatusNotFixable {
					notFixed[o.Finding.Fingerprint()] = o.Reason
				}
				if o.Status == remediate.StatusFixed {
					fixed = append(fixed, o.Finding)
					fp := o.Finding.Fingerprint()
					risks[fp] = o.Risk()
					if o.Image != nil {
						checks[fp] = *o.Image
					}
				}
			}
			if ff.Changed() && ff.File.Path != scanner.StdinName {
				changes = append(changes, FileChange{Path: ff.File.Path, Before: ff.Before, After: ff.After})
			}
		}
		scanner.SortFindings(fixed)
		return changes, fixed
	}
	_, fixed := apply(nil)
	return Fixes{Fixed: fixed, Present: present, Apply: apply, Risks: risks, Checks: checks, NotFixed: notFixed}
}

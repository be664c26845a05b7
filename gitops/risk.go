package gitops

import (
	"cmp"
	"slices"

	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/templates"
)

// riskData groups a branch's fixes by risk for the PR body: per level, the
// controls with their documented risk; per container, what the fixes that
// depend on its image were checked against; and how many such fixes were
// made without image data.
func riskData(cat *scanner.Catalog, fixes Fixes, found []scanner.Finding) ([]templates.RiskGroup, []templates.ImageCheck, int) {
	type key struct {
		level scanner.RiskLevel
		id    string
	}
	counts := map[key]int{}
	byContainer := map[string]*templates.ImageCheck{}
	var order []string
	unchecked := 0
	for _, f := range found {
		level := fixes.riskOf(f)
		counts[key{level, f.Control}]++
		check, ok := fixes.Checks[f.Fingerprint()]
		if !ok {
			continue
		}
		if check.Digest == "" && !check.Verified {
			unchecked++
			continue
		}
		res := resourceOf(f)
		ic := byContainer[res]
		if ic == nil {
			ic = &templates.ImageCheck{Resource: res, Image: check.Image, Digest: check.Digest}
			byContainer[res] = ic
			order = append(order, res)
		}
		line := f.Control + ": " + check.Detail
		if check.Verified {
			ic.Verified = append(ic.Verified, line)
		} else {
			ic.Unverified = append(ic.Unverified, line)
		}
	}
	var groups []templates.RiskGroup
	for _, level := range []scanner.RiskLevel{scanner.RiskNone, scanner.RiskReview} {
		g := templates.RiskGroup{Level: string(level)}
		for k, n := range counts {
			if k.level != level {
				continue
			}
			rc := templates.RiskControl{ID: k.id, Count: n}
			if ctl := cat.Get(k.id); ctl != nil && ctl.Risk != nil {
				rc.Breaks, rc.Check = ctl.Risk.Breaks, ctl.Risk.Check
				// An image-dependent fix graded none was verified.
				rc.Verified = ctl.Risk.Level == scanner.RiskImage && level == scanner.RiskNone
			}
			g.Controls = append(g.Controls, rc)
		}
		if len(g.Controls) > 0 {
			slices.SortFunc(g.Controls, func(a, b templates.RiskControl) int { return cmp.Compare(a.ID, b.ID) })
			groups = append(groups, g)
		}
	}
	slices.Sort(order)
	images := make([]templates.ImageCheck, 0, len(order))
	for _, r := range order {
		ic := byContainer[r]
		slices.Sort(ic.Verified)
		slices.Sort(ic.Unverified)
		images = append(images, *ic)
	}
	if len(images) == 0 {
		images = nil
	}
	return groups, images, unchecked
}

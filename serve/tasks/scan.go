package tasks

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/internal/oneline"
	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/internal/quote"
	"github.com/remedy-bot/remedy/scanner"
)

// cloneBase is the skeleton's opening (gitops.OpenRepository,
// gitops.CloneBase) for the default branch: tasks write nothing there, so
// an archived repository is read too.
func (t *task) cloneBase(ctx context.Context) (*gitops.Checkout, error) {
	repo, err := gitops.OpenRepository(ctx, t.host, t.owner, t.name, "", true)
	if err != nil {
		return nil, err
	}
	token, err := t.token(ctx)
	if err != nil {
		return nil, err
	}
	return gitops.CloneBase(ctx, repo.Repo, repo.Base, token, t.h.o.Budgets)
}

// scan summarizes the default branch's findings for each requester.
func (t *task) scan(ctx context.Context, reqs []Request) (string, error) {
	co, err := t.cloneBase(ctx)
	if err != nil {
		for _, r := range reqs {
			t.answer(ctx, r, "remedy could not scan "+t.full()+": "+quote.CodeN(err.Error(), maxErrorText))
		}
		return "", err
	}
	defer co.Close()
	rep := co.Scan(ctx, nil).Report
	counts := map[string]int{}
	for _, f := range rep.Findings {
		if !f.Suppressed {
			counts[f.Control]++
		}
	}
	for c, n := range counts {
		t.h.o.Metrics.Findings(c, n)
	}
	text := scanSummary(co.Repo, rep)
	for _, r := range reqs {
		t.answer(ctx, r, text)
	}
	return oneline.First(text, maxResultText), nil
}

// scanSummary renders a scan for people: totals, then one line per control.
func scanSummary(info gitops.RepoInfo, rep *scanner.Report) string {
	type row struct {
		control            string
		sev                scanner.Severity
		n, fixable, ignore int
	}
	rows := map[string]*row{}
	total, fixable, suppressed := 0, 0, 0
	for _, f := range rep.Findings {
		r := rows[f.Control]
		if r == nil {
			r = &row{control: f.Control, sev: f.Severity}
			rows[f.Control] = r
		}
		if f.Suppressed {
			r.ignore++
			suppressed++
			continue
		}
		r.n++
		total++
		if f.Fixable {
			r.fixable++
			fixable++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "remedy scanned %s of %s: %s (%d fixable), %d suppressed, %s unreadable.",
		quote.Code(info.DefaultBranch), info.FullName, plural.Count(total, "finding"), fixable, suppressed, plural.Count(len(rep.Errors), "file"))
	if total == 0 {
		return b.String()
	}
	list := make([]*row, 0, len(rows))
	for _, r := range rows {
		if r.n > 0 {
			list = append(list, r)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if list[i].sev != list[j].sev {
			return list[i].sev > list[j].sev
		}
		return list[i].control < list[j].control
	})
	b.WriteString("\n")
	for _, r := range list {
		fmt.Fprintf(&b, "\n- %s (%s): %d", quote.Code(r.control), r.sev, r.n)
		if r.fixable > 0 {
			fmt.Fprintf(&b, ", %d fixable", r.fixable)
		}
	}
	if fixable > 0 {
		b.WriteString("\n\n`/remedy fix` opens or updates the fix pull request.")
	}
	return b.String()
}

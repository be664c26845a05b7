package tasks

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/remedy-bot/remedy/config"
	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/internal/oneline"
	"github.com/remedy-bot/remedy/internal/plural"
	"github.com/remedy-bot/remedy/internal/quote"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/scanner/render"
)

// checkout is a clone of a branch, scanned with the base branch's config.
type checkout struct {
	info gitops.RepoInfo
	ws   *gitops.Workspace
	cfg  *config.Config
}

// cloneBase clones the default branch and reads its .remedy.yaml.
func (t *task) cloneBase(ctx context.Context) (*checkout, error) {
	info, err := t.host.Repository(ctx, t.owner, t.name)
	if err != nil {
		return nil, err
	}
	token, err := t.token(ctx)
	if err != nil {
		return nil, err
	}
	ws, err := gitops.Clone(ctx, gitops.CloneOptions{URL: info.CloneURL, Branch: info.DefaultBranch, Token: token})
	if err != nil {
		return nil, err
	}
	cfg, err := config.LoadKnown(ws.Dir, scanner.DefaultCatalog().IDs())
	if err != nil {
		ws.Close()
		return nil, fmt.Errorf("%s: %w", info.FullName, err)
	}
	return &checkout{info: info, ws: ws, cfg: cfg}, nil
}

// scanRepository scans a checkout as gitops does: kustomizations built and
// charts rendered, findings at the lines that wrote them.
func scanRepository(dir string, cfg *config.Config) (*scanner.Inputs, *scanner.Report, scanner.Options) {
	in := render.Load(dir, []string{dir}, render.Options{LoadOptions: scanner.LoadOptions{Exclude: cfg.Excluded}, Helm: cfg.Helm})
	opts := scanner.Options{Config: cfg, Catalog: scanner.DefaultCatalog()}
	return in, scanner.ScanInputs(in, opts), opts
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
	defer co.ws.Close()
	_, rep, _ := scanRepository(co.ws.Dir, co.cfg)
	counts := map[string]int{}
	for _, f := range rep.Findings {
		if !f.Suppressed {
			counts[f.Control]++
		}
	}
	for c, n := range counts {
		t.h.o.Metrics.Findings(c, n)
	}
	text := scanSummary(co.info, rep)
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

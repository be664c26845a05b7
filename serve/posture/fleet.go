package posture

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/remedy-bot/remedy/gitops"
	"github.com/remedy-bot/remedy/internal/oneline"
	"github.com/remedy-bot/remedy/scanner"
	"github.com/remedy-bot/remedy/serve/jobs"
	"github.com/remedy-bot/remedy/serve/tasks"
)

// Fleet is what the page at / shows, and /api/v1/posture returns.
type Fleet struct {
	// At is when the page was read from the store.
	At time.Time `json:"at"`
	// Totals sum the repositories' last postures.
	Totals Totals `json:"totals"`
	// Controls count the findings of each control across the fleet, the
	// most severe first.
	Controls []ControlTotal `json:"controls"`
	// Repositories are every repository the server knows: configured,
	// with a stored posture, or with a job in the history; those with the
	// most severe findings first.
	Repositories []Repository `json:"repositories"`
	// Clusters are the configured clusters and those with a stored sweep.
	Clusters []Cluster `json:"clusters"`
}

// Totals sum the fleet.
type Totals struct {
	Repositories int `json:"repositories"`
	// Clean have no unsuppressed finding; NotScanned have no posture yet.
	Clean      int            `json:"clean"`
	NotScanned int            `json:"notScanned"`
	Severities SeverityCounts `json:"severities"`
	Findings   int            `json:"findings"`
	Fixable    int            `json:"fixable"`
	Ignored    int            `json:"ignored"`
	Unreadable int            `json:"unreadable"`
	OpenPRs    int            `json:"openPullRequests"`
	Declined   int            `json:"declinedPullRequests"`
}

// SeverityCounts count unsuppressed findings by severity.
type SeverityCounts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
}

func (s *SeverityCounts) add(sev scanner.Severity, n int) {
	switch sev {
	case scanner.SeverityCritical:
		s.Critical += n
	case scanner.SeverityHigh:
		s.High += n
	case scanner.SeverityMedium:
		s.Medium += n
	default:
		s.Low += n
	}
}

// worse orders severity counts, the most severe first.
func worse(a, b SeverityCounts) int {
	return cmp.Or(cmp.Compare(b.Critical, a.Critical), cmp.Compare(b.High, a.High), cmp.Compare(b.Medium, a.Medium), cmp.Compare(b.Low, a.Low))
}

// ControlTotal is one control across the fleet.
type ControlTotal struct {
	Control  string           `json:"control"`
	Severity scanner.Severity `json:"severity"`
	Findings int              `json:"findings"`
	Fixable  int              `json:"fixable"`
	Ignored  int              `json:"ignored"`
	// Repositories counts those with an unsuppressed finding of it.
	Repositories int `json:"repositories"`
}

// Repository is one repository of the fleet.
type Repository struct {
	// Name is the repository's name in the job queue and in the page's
	// address: owner/name on GitHub, gitlab:group/sub/name, gitea:owner/name.
	Name string `json:"name"`
	// Forge is github, gitlab or gitea; FullName the name there.
	Forge    string `json:"forge"`
	FullName string `json:"fullName"`
	// Configured: listed under repositories in the server's config.
	Configured bool `json:"configured"`
	// Severities and the counts are the last posture's, zero without one.
	Severities SeverityCounts `json:"severities"`
	Findings   int            `json:"findings"`
	Fixable    int            `json:"fixable"`
	Ignored    int            `json:"ignored"`
	Unreadable int            `json:"unreadable"`
	// Posture is the last posture stored, nil when no fix run stored one
	// yet. The fleet leaves out its lists of findings and files (the
	// repository's own page and API have them).
	Posture *gitops.PostureRecord `json:"posture,omitempty"`
	// LastJob is the repository's latest job, of any kind.
	LastJob *Job `json:"lastJob,omitempty"`
}

// Job is a job as the page shows it.
type Job struct {
	ID    int64  `json:"id"`
	Kind  string `json:"kind"`
	State string `json:"state"`
	// At is when it finished, else started, else was queued.
	At     time.Time `json:"at"`
	Result string    `json:"result,omitempty"`
	Error  string    `json:"error,omitempty"`
}

// Cluster is one cluster the server sweeps.
type Cluster struct {
	Name       string              `json:"name"`
	Configured bool                `json:"configured"`
	Sweep      *jobs.ClusterRecord `json:"sweep,omitempty"`
	LastJob    *Job                `json:"lastJob,omitempty"`
}

// Store is what the page reads; *jobs.Store is one.
type Store interface {
	Postures(ctx context.Context) ([]jobs.StoredPosture, error)
	Posture(ctx context.Context, repo string) (jobs.StoredPosture, error)
	Clusters(ctx context.Context) ([]jobs.ClusterRecord, error)
	LastJobs(ctx context.Context) ([]jobs.Job, error)
	// History lists repo's latest jobs, newest first.
	History(ctx context.Context, repo string, limit int) ([]jobs.Job, error)
}

// read builds the fleet from the store: the postures, the clusters'
// sweeps and the latest jobs, joined with what the config names.
func (p *Page) read(ctx context.Context) (*Fleet, error) {
	postures, err := p.o.Store.Postures(ctx)
	if err != nil {
		return nil, err
	}
	sweeps, err := p.o.Store.Clusters(ctx)
	if err != nil {
		return nil, err
	}
	last, err := p.o.Store.LastJobs(ctx)
	if err != nil {
		return nil, err
	}
	f := &Fleet{At: p.o.Now()}
	repos := map[string]*Repository{}
	repo := func(name string) *Repository {
		key := strings.ToLower(name)
		r := repos[key]
		if r == nil {
			r = &Repository{Name: name}
			r.Forge, r.FullName = splitName(name)
			repos[key] = r
		}
		return r
	}
	clusters := map[string]*Cluster{}
	cluster := func(name string) *Cluster {
		c := clusters[name]
		if c == nil {
			c = &Cluster{Name: name}
			clusters[name] = c
		}
		return c
	}
	for _, name := range p.o.Repositories {
		repo(name).Configured = true
	}
	for _, name := range p.o.Clusters {
		cluster(name).Configured = true
	}
	for _, sp := range postures {
		repo(sp.Repo).setPosture(sp)
	}
	for _, j := range last {
		view := jobView(j)
		if name, ok := strings.CutPrefix(j.Repo, tasks.ClusterJobPrefix); ok {
			cluster(name).LastJob = &view
			continue
		}
		repo(j.Repo).LastJob = &view
	}
	for i := range sweeps {
		cluster(sweeps[i].Name).Sweep = &sweeps[i]
	}

	controls := map[string]*ControlTotal{}
	for _, r := range repos {
		f.Repositories = append(f.Repositories, *r)
		t := &f.Totals
		t.Repositories++
		if r.Posture == nil {
			t.NotScanned++
			continue
		}
		if r.Findings == 0 {
			t.Clean++
		}
		t.Severities.Critical += r.Severities.Critical
		t.Severities.High += r.Severities.High
		t.Severities.Medium += r.Severities.Medium
		t.Severities.Low += r.Severities.Low
		t.Findings += r.Findings
		t.Fixable += r.Fixable
		t.Ignored += r.Ignored
		t.Unreadable += r.Unreadable
		t.OpenPRs += len(r.Posture.Open)
		t.Declined += len(r.Posture.Declined)
		for _, c := range r.Posture.Controls {
			ct := controls[c.Control]
			if ct == nil {
				ct = &ControlTotal{Control: c.Control, Severity: c.Severity}
				controls[c.Control] = ct
			}
			ct.Findings += c.Findings
			ct.Fixable += c.Fixable
			ct.Ignored += c.Ignored
			if c.Findings > 0 {
				ct.Repositories++
			}
		}
	}
	slices.SortFunc(f.Repositories, func(a, b Repository) int {
		// Never scanned last; then the worst first; then by name.
		return cmp.Or(cmp.Compare(boolRank(a.Posture == nil), boolRank(b.Posture == nil)), worse(a.Severities, b.Severities), cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)))
	})
	for _, c := range controls {
		f.Controls = append(f.Controls, *c)
	}
	slices.SortFunc(f.Controls, func(a, b ControlTotal) int {
		return cmp.Or(cmp.Compare(b.Severity, a.Severity), cmp.Compare(b.Findings, a.Findings), cmp.Compare(a.Control, b.Control))
	})
	for _, c := range clusters {
		f.Clusters = append(f.Clusters, *c)
	}
	slices.SortFunc(f.Clusters, func(a, b Cluster) int { return cmp.Compare(a.Name, b.Name) })
	return f, nil
}

// setPosture makes sp the repository's last posture and counts its
// findings (once per repository: the store keeps one posture of each).
func (r *Repository) setPosture(sp jobs.StoredPosture) {
	rec := sp.PostureRecord
	r.Posture = &rec
	for _, c := range rec.Controls {
		r.Severities.add(c.Severity, c.Findings)
		r.Findings += c.Findings
		r.Fixable += c.Fixable
		r.Ignored += c.Ignored
	}
	r.Unreadable = sp.Lists.Unreadable
}

// readRepository reads one repository from the store as read would show
// it in the fleet, with its whole last posture; ok is false when the
// server knows nothing of it (not configured, no posture, no job). It
// reads that repository's rows only: a page of one repository costs the
// same in a fleet of ten or of a thousand.
func (p *Page) readRepository(ctx context.Context, name string) (rp *RepositoryPage, ok bool, err error) {
	r := Repository{Name: name}
	for _, c := range p.o.Repositories {
		if strings.EqualFold(c, name) {
			// The fleet's spelling: the configured one first.
			r.Name, r.Configured = c, true
			break
		}
	}
	whole, err := p.o.Store.Posture(ctx, name)
	switch {
	case err == nil:
		if !r.Configured {
			r.Name = whole.Repo
		}
		r.setPosture(whole)
	case !errors.Is(err, jobs.ErrNotFound):
		return nil, false, err
	}
	last, err := p.o.Store.History(ctx, name, 1)
	if err != nil {
		return nil, false, err
	}
	// A cluster's sweeps are jobs too, but no repository's: the fleet's
	// rule (read), applied to the job's own name, however the address
	// spells it.
	if len(last) > 0 && !strings.HasPrefix(last[0].Repo, tasks.ClusterJobPrefix) {
		if !r.Configured && r.Posture == nil {
			r.Name = last[0].Repo
		}
		view := jobView(last[0])
		r.LastJob = &view
	}
	if !r.Configured && r.Posture == nil && r.LastJob == nil {
		return nil, false, nil
	}
	r.Forge, r.FullName = splitName(r.Name)
	return &RepositoryPage{At: p.o.Now(), Repository: r}, true, nil
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// splitName reads a job queue's repository name: its forge and its name
// there.
func splitName(name string) (forge, full string) {
	forge, full = tasks.SplitJobRepo(name)
	if forge == "" {
		forge = tasks.SourceGitHub
	}
	return forge, full
}

// maxJobText bounds a job's result or error on the page: errors wrap
// their causes, and their causes quote repository content.
const maxJobText = 300

func jobView(j jobs.Job) Job {
	at := j.Created
	if !j.Finished.IsZero() {
		at = j.Finished
	} else if !j.Started.IsZero() {
		at = j.Started
	}
	return Job{ID: j.ID, Kind: j.Kind, State: string(j.State), At: at, Result: oneline.First(j.Result, maxJobText), Error: oneline.First(j.Error, maxJobText)}
}

// RepositoryPage is what /repos/{name} shows and /api/v1/posture/{name}
// returns: the repository with its whole last posture.
type RepositoryPage struct {
	At         time.Time `json:"at"`
	Repository `json:"repository"`
}

// fileLink is the web address of file at line in the repository at its
// scanned commit (else its base branch), on its forge; "" without the
// repository's address.
func fileLink(r Repository, file string, line int) string {
	if r.Posture == nil || r.Posture.URL == "" || file == "" {
		return ""
	}
	base := strings.TrimSuffix(r.Posture.URL, "/")
	ref, kind := r.Posture.Commit, "commit"
	if ref == "" {
		ref, kind = r.Posture.Base, "branch"
	}
	var u string
	switch r.Forge {
	case "gitlab":
		u = base + "/-/blob/" + ref + "/" + file
	case "gitea":
		u = base + "/src/" + kind + "/" + ref + "/" + file
	default:
		u = base + "/blob/" + ref + "/" + file
	}
	if line > 0 {
		u += fmt.Sprintf("#L%d", line)
	}
	return u
}

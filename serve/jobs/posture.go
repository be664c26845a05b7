package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/remedy-bot/remedy/gitops"
)

// The store keeps, beside the jobs, where each repository and each
// cluster stood after its last run: the posture page reads them, never
// the forge. One row per repository (per cluster), keyed as jobs are, so
// replicas storing at once update one row; an older result never
// replaces a newer one (a slow replica finishing late).

// StoredPosture is a repository's last posture and the repository's name
// in the job queue ("acme/shop", "gitlab:group/sub/app").
type StoredPosture struct {
	// Repo is kept in its own column (the posture's Repo is the name on
	// the forge).
	Repo string `json:"-"`
	gitops.PostureRecord
	// Lists counts the posture's lists: Postures leaves the lists out
	// (a fleet's page needs their lengths, and decoding every finding of
	// every repository is most of its cost), Posture has both.
	Lists ListCounts `json:"lists"`
}

// ListCounts are the lengths of a posture's lists.
type ListCounts struct {
	Unfixable  int `json:"unfixable"`
	Ignored    int `json:"ignored"`
	Unreadable int `json:"unreadable"`
}

// summary is a stored posture without its lists.
func summary(repo string, rec gitops.PostureRecord) StoredPosture {
	sp := StoredPosture{Repo: repo, PostureRecord: rec, Lists: ListCounts{Unfixable: len(rec.Unfixable), Ignored: len(rec.Ignored), Unreadable: len(rec.Unreadable)}}
	sp.Unfixable, sp.Ignored, sp.Unreadable = nil, nil, nil
	return sp
}

// SavePosture stores rec as the last posture of repo (its name in the job
// queue), unless a posture computed later is already stored.
func (s *Store) SavePosture(ctx context.Context, repo string, rec gitops.PostureRecord) error {
	if repo == "" || rec.At.IsZero() {
		return fmt.Errorf("store posture of %q: a posture needs a repository and a time", repo)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("store posture of %s: %w", repo, err)
	}
	sum, err := json.Marshal(summary(repo, rec))
	if err != nil {
		return fmt.Errorf("store posture of %s: %w", repo, err)
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO postures (repo_key, repo, job_id, at, posture, summary) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (repo_key) DO UPDATE SET repo = excluded.repo, job_id = excluded.job_id, at = excluded.at, posture = excluded.posture, summary = excluded.summary
		WHERE postures.at <= excluded.at`),
		repoKey(repo), repo, jobNumber(rec.Job), rec.At.UnixNano(), string(b), string(sum))
	if err != nil {
		return fmt.Errorf("store posture of %s: %w", repo, err)
	}
	return nil
}

// jobNumber is a job ID written as text, 0 when it is none.
func jobNumber(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

// Postures lists the stored postures by repository, without their lists
// of findings and files (Lists counts them).
func (s *Store) Postures(ctx context.Context) ([]StoredPosture, error) {
	var out []StoredPosture
	err := s.eachDocument(ctx, `SELECT repo, summary FROM postures ORDER BY repo_key`, "postures", func(repo, doc string) error {
		var p StoredPosture
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			return fmt.Errorf("posture of %s: %w", repo, err)
		}
		p.Repo = repo
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// eachDocument runs query, whose rows are a name and a JSON document, and
// hands each row to each; what names the rows in errors.
func (s *Store) eachDocument(ctx context.Context, query, what string, each func(name, doc string) error) error {
	rows, err := s.db.QueryContext(ctx, query)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, doc string
		if err := rows.Scan(&name, &doc); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if err := each(name, doc); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// Posture reads the last posture of repo, whole; ErrNotFound when none is
// stored.
func (s *Store) Posture(ctx context.Context, repo string) (StoredPosture, error) {
	var name, doc string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT repo, posture FROM postures WHERE repo_key = ?`), repoKey(repo)).Scan(&name, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return StoredPosture{}, fmt.Errorf("posture of %s: %w", repo, ErrNotFound)
	}
	if err != nil {
		return StoredPosture{}, fmt.Errorf("posture of %s: %w", repo, err)
	}
	var rec gitops.PostureRecord
	if err := json.Unmarshal([]byte(doc), &rec); err != nil {
		return StoredPosture{}, fmt.Errorf("posture of %s: %w", name, err)
	}
	p := summary(name, rec)
	p.PostureRecord = rec
	return p, nil
}

// ClusterRecord is where a cluster stood after its last sweep.
type ClusterRecord struct {
	Name string    `json:"name"`
	At   time.Time `json:"at"`
	Job  string    `json:"job,omitempty"`
	// Objects counts the live objects read, Drifted those whose live
	// fields differ from what git renders, Findings the live findings.
	Objects  int `json:"objects"`
	Drifted  int `json:"drifted"`
	Findings int `json:"findings"`
	// Targets are the source repositories the sweep converged, in the
	// cluster's order.
	Targets []ClusterTarget `json:"targets"`
}

// ClusterTarget is one source repository of a cluster sweep.
type ClusterTarget struct {
	// Repo is the repository's name in the job queue, or its URL when it
	// is on no configured forge.
	Repo     string `json:"repo"`
	Revision string `json:"revision,omitempty"`
	// Objects counts the live objects it deploys.
	Objects int `json:"objects"`
	// Findings and Fixable are the run's counts; Outcome says what the
	// run did, Failed whether it failed.
	Findings int    `json:"findings"`
	Fixable  int    `json:"fixable"`
	Outcome  string `json:"outcome"`
	Failed   bool   `json:"failed,omitempty"`
}

// SaveCluster stores c as the cluster's last sweep, unless a later one
// is already stored.
func (s *Store) SaveCluster(ctx context.Context, c ClusterRecord) error {
	if c.Name == "" || c.At.IsZero() {
		return fmt.Errorf("store sweep of cluster %q: a sweep needs a cluster and a time", c.Name)
	}
	b, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("store sweep of cluster %s: %w", c.Name, err)
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO cluster_postures (name, job_id, at, record) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET job_id = excluded.job_id, at = excluded.at, record = excluded.record
		WHERE cluster_postures.at <= excluded.at`),
		c.Name, jobNumber(c.Job), c.At.UnixNano(), string(b))
	if err != nil {
		return fmt.Errorf("store sweep of cluster %s: %w", c.Name, err)
	}
	return nil
}

// Clusters lists the clusters' last sweeps, by name.
func (s *Store) Clusters(ctx context.Context) ([]ClusterRecord, error) {
	var out []ClusterRecord
	err := s.eachDocument(ctx, `SELECT name, record FROM cluster_postures ORDER BY name`, "cluster sweeps", func(name, doc string) error {
		var c ClusterRecord
		if err := json.Unmarshal([]byte(doc), &c); err != nil {
			return fmt.Errorf("sweep of cluster %s: %w", name, err)
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// LastJobs lists the latest job of every repository in the history (a
// cluster's sweeps are the jobs of its ClusterJobRepo name), payloads not
// loaded: its state is its outcome once it finished.
func (s *Store) LastJobs(ctx context.Context) ([]Job, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id IN (SELECT MAX(id) FROM jobs GROUP BY repo_key) ORDER BY repo_key`)
	if err != nil {
		return nil, fmt.Errorf("last jobs: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("last jobs: %w", err)
		}
		out = append(out, *j)
	}
	return out, rows.Err()
}

// prunePostures deletes the postures and cluster sweeps stored before t:
// a repository no run has touched for the whole history (it left the
// configuration) leaves the page with its jobs.
func (s *Store) prunePostures(ctx context.Context, before time.Time) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM postures WHERE at < ?`), before.UnixNano()); err != nil {
		return fmt.Errorf("prune postures: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM cluster_postures WHERE at < ?`), before.UnixNano()); err != nil {
		return fmt.Errorf("prune cluster sweeps: %w", err)
	}
	return nil
}

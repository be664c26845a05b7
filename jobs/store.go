// Package jobs is remedy serve's durable work queue: requests are written
// to an embedded SQLite database before they are acknowledged, run by a
// bounded pool of workers at most one per repository at a time, and kept
// as a history of runs afterwards.
//
// A request for a repository that already has a job of the same kind and
// key waiting joins that job instead of queueing another (coalescing), so
// a burst of pushes costs one run; every request's payload is kept, so
// each requester still gets an answer. A job that a crash or a shutdown
// interrupted is queued again when the store is next opened.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// State is where a job is in its life.
type State string

// States of a job.
const (
	Queued    State = "queued"
	Running   State = "running"
	Succeeded State = "succeeded"
	Failed    State = "failed"
)

// Request asks for work on a repository.
type Request struct {
	// Repo is owner/name; jobs of one repository never run at once.
	// It is compared case-insensitively, as GitHub compares names.
	Repo string
	// Kind says what to do; the Handler dispatches on it.
	Kind string
	// Key further narrows coalescing within a kind (e.g. a pull request
	// number for reviews); requests with equal Repo, Kind and Key join one
	// waiting job.
	Key string
	// Payload is this requester's arguments, kept verbatim.
	Payload json.RawMessage
	// Delivery, when set, identifies the request at its source (GitHub's
	// X-GitHub-Delivery): a second request with the same Delivery is a
	// duplicate and is dropped.
	Delivery string
	// RunAfter delays the job (schedule jitter). A request joining a
	// waiting job moves it earlier, never later.
	RunAfter time.Time
}

// Job is a unit of work and, once finished, a line of history.
type Job struct {
	ID        int64
	Repo      string
	Kind, Key string
	// Payloads of every request the job took, oldest first.
	Payloads []json.RawMessage
	State    State
	// Attempts counts the times a worker took the job.
	Attempts                             int
	Created, RunAfter, Started, Finished time.Time
	// Result summarizes a finished job; Error says why it failed.
	Result, Error string
}

// Enqueued says what became of a request.
type Enqueued struct {
	JobID int64
	// Coalesced: the request joined a job that was already waiting.
	Coalesced bool
	// Duplicate: a request with the same Delivery was taken before.
	Duplicate bool
}

// ErrQueueFull is returned by Enqueue when Options.MaxQueued jobs wait.
var ErrQueueFull = errors.New("job queue is full")

// ErrNotFound is returned by Get for an unknown job.
var ErrNotFound = errors.New("no such job")

// Options configure Open.
type Options struct {
	// MaxQueued bounds waiting jobs; 0 means 10000.
	MaxQueued int
	// MaxAttempts bounds how often an interrupted job is taken again
	// before it is failed as poison; 0 means 3.
	MaxAttempts int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Log is told of the jobs failed as dead letters at Open; nil
	// discards.
	Log *slog.Logger
}

// Store is the job database. Its methods are safe for concurrent use.
type Store struct {
	db   *sql.DB
	opts Options
	// notify, when set, is called after a request is stored.
	notify func()
	// ops feeds the committer; closed stops it, stopped says it stopped.
	ops             chan *enqueueOp
	closed, stopped chan struct{}
	closeOnce       sync.Once
}

const schema = `
CREATE TABLE IF NOT EXISTS jobs (
	id        INTEGER PRIMARY KEY AUTOINCREMENT,
	repo      TEXT NOT NULL,
	repo_key  TEXT NOT NULL,
	kind      TEXT NOT NULL,
	key       TEXT NOT NULL,
	state     TEXT NOT NULL,
	attempts  INTEGER NOT NULL DEFAULT 0,
	created   INTEGER NOT NULL,
	run_after INTEGER NOT NULL,
	started   INTEGER NOT NULL DEFAULT 0,
	finished  INTEGER NOT NULL DEFAULT 0,
	result    TEXT NOT NULL DEFAULT '',
	error     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS jobs_waiting ON jobs(state, run_after, id);
CREATE INDEX IF NOT EXISTS jobs_repo ON jobs(repo_key, id);
CREATE TABLE IF NOT EXISTS requests (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	job_id   INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
	payload  BLOB NOT NULL,
	delivery TEXT NOT NULL DEFAULT '',
	created  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_job ON requests(job_id, id);
CREATE UNIQUE INDEX IF NOT EXISTS requests_delivery ON requests(delivery) WHERE delivery != '';
`

// Open opens (creating if needed) the store at path and queues again the
// jobs that were running when the process last stopped.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	if o.MaxQueued <= 0 {
		o.MaxQueued = 10000
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 3
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	// WAL lets readers (status) run beside the writer; synchronous=FULL
	// makes every acknowledged request survive a power loss, not only a
	// crash of the process.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	// One connection: SQLite has one writer anyway, and a single
	// connection turns contention into queueing instead of SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, opts: o, ops: make(chan *enqueueOp), closed: make(chan struct{}), stopped: make(chan struct{})}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	if err := s.recover(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	go s.committer()
	return s, nil
}

// Close stops taking requests and closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	<-s.stopped
	return s.db.Close()
}

// recover queues again the jobs a stopped process left running, and fails
// those interrupted MaxAttempts times: a job that kills its worker must
// not kill every restart.
func (s *Store) recover(ctx context.Context) error {
	now := s.opts.Now().UnixNano()
	rows, err := s.db.QueryContext(ctx, `SELECT id, repo, kind, attempts, error FROM jobs WHERE state = ? AND attempts >= ?`, Running, s.opts.MaxAttempts)
	if err != nil {
		return fmt.Errorf("find poison jobs: %w", err)
	}
	for rows.Next() {
		var id int64
		var attempts int
		var repo, kind, msg string
		if err := rows.Scan(&id, &repo, &kind, &attempts, &msg); err != nil {
			rows.Close()
			return fmt.Errorf("find poison jobs: %w", err)
		}
		s.opts.Log.Error("job failed as a dead letter: the server stopped while it ran; not run again",
			"job", id, "repo", repo, "kind", kind, "attempts", attempts, "error", msg)
	}
	rows.Close()
	if _, err := s.db.ExecContext(ctx,
		`UPDATE jobs SET state = ?, finished = ?, error = CASE WHEN error != '' THEN 'the server stopped while it ran: ' || error ELSE ? END WHERE state = ? AND attempts >= ?`,
		Failed, now, fmt.Sprintf("dead letter: the server stopped %d times while it ran (a crash, an out-of-memory kill); not run again", s.opts.MaxAttempts), Running, s.opts.MaxAttempts); err != nil {
		return fmt.Errorf("fail poison jobs: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE jobs SET state = ?, started = 0 WHERE state = ?`, Queued, Running); err != nil {
		return fmt.Errorf("requeue interrupted jobs: %w", err)
	}
	return nil
}

func repoKey(repo string) string { return strings.ToLower(repo) }

// Enqueue stores a request. When it returns without error the request is
// on disk: a crash, even a power loss, after that loses nothing.
//
// Concurrent requests are committed together (group commit): one
// transaction and one fsync for all that arrived while the previous
// commit ran, so a burst is acknowledged at the disk's pace per batch,
// not per request.
func (s *Store) Enqueue(ctx context.Context, r Request) (Enqueued, error) {
	if r.Repo == "" || r.Kind == "" {
		return Enqueued{}, fmt.Errorf("enqueue: a request needs a repository and a kind")
	}
	if r.Payload == nil {
		r.Payload = json.RawMessage("null")
	}
	op := &enqueueOp{req: r, done: make(chan struct{})}
	select {
	case s.ops <- op:
	case <-s.closed:
		return Enqueued{}, fmt.Errorf("enqueue %s job for %s: store closed", r.Kind, r.Repo)
	case <-ctx.Done():
		return Enqueued{}, ctx.Err()
	}
	select {
	case <-op.done:
	case <-ctx.Done():
		// The request may still be committed; a redelivery is deduplicated.
		return Enqueued{}, ctx.Err()
	}
	if op.err != nil {
		if errors.Is(op.err, ErrQueueFull) {
			return Enqueued{}, op.err
		}
		return Enqueued{}, fmt.Errorf("enqueue %s job for %s: %w", r.Kind, r.Repo, op.err)
	}
	if !op.out.Duplicate && s.notify != nil {
		s.notify()
	}
	return op.out, nil
}

// enqueueOp is one Enqueue waiting for the committer.
type enqueueOp struct {
	req  Request
	out  Enqueued
	err  error
	done chan struct{}
}

// maxBatch bounds the requests of one group commit.
const maxBatch = 256

// committer writes Enqueue requests in batches until the store closes.
func (s *Store) committer() {
	defer close(s.stopped)
	for {
		var batch []*enqueueOp
		select {
		case op := <-s.ops:
			batch = append(batch, op)
		case <-s.closed:
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case op := <-s.ops:
				batch = append(batch, op)
			default:
				break more
			}
		}
		s.commitBatch(batch)
		for _, op := range batch {
			close(op.done)
		}
	}
}

// commitBatch stores a batch in one transaction. A request refused on its
// own (queue full) does not undo the others; if the transaction fails, each
// request is retried alone so one bad request cannot fail its neighbours.
func (s *Store) commitBatch(batch []*enqueueOp) {
	ctx := context.Background()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		for _, op := range batch {
			op.out, op.err = s.enqueueTx(ctx, tx, op.req)
			if op.err != nil && !errors.Is(op.err, ErrQueueFull) {
				return op.err
			}
		}
		return nil
	})
	if err == nil || len(batch) == 1 {
		if err != nil {
			batch[0].err = err
		}
		return
	}
	for _, op := range batch {
		op.err = s.tx(ctx, func(tx *sql.Tx) error {
			var err error
			op.out, err = s.enqueueTx(ctx, tx, op.req)
			if errors.Is(err, ErrQueueFull) {
				op.err = err
				return nil
			}
			return err
		})
		if op.err == nil && op.out == (Enqueued{}) {
			op.err = ErrQueueFull
		}
	}
}

// enqueueTx stores one request within tx.
func (s *Store) enqueueTx(ctx context.Context, tx *sql.Tx, r Request) (Enqueued, error) {
	now := s.opts.Now()
	runAfter := r.RunAfter
	if runAfter.IsZero() || runAfter.Before(now) {
		runAfter = now
	}
	var out Enqueued
	if r.Delivery != "" {
		err := tx.QueryRowContext(ctx, `SELECT job_id FROM requests WHERE delivery = ?`, r.Delivery).Scan(&out.JobID)
		if err == nil {
			out.Duplicate = true
			return out, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return out, err
		}
	}
	err := tx.QueryRowContext(ctx,
		`SELECT id FROM jobs WHERE repo_key = ? AND kind = ? AND key = ? AND state = ? ORDER BY id LIMIT 1`,
		repoKey(r.Repo), r.Kind, r.Key, Queued).Scan(&out.JobID)
	switch {
	case err == nil:
		out.Coalesced = true
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET run_after = MIN(run_after, ?) WHERE id = ?`, runAfter.UnixNano(), out.JobID); err != nil {
			return out, err
		}
	case errors.Is(err, sql.ErrNoRows):
		var waiting int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE state = ?`, Queued).Scan(&waiting); err != nil {
			return out, err
		}
		if waiting >= s.opts.MaxQueued {
			return Enqueued{}, ErrQueueFull
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO jobs (repo, repo_key, kind, key, state, created, run_after) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.Repo, repoKey(r.Repo), r.Kind, r.Key, Queued, now.UnixNano(), runAfter.UnixNano())
		if err != nil {
			return out, err
		}
		if out.JobID, err = res.LastInsertId(); err != nil {
			return out, err
		}
	default:
		return out, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO requests (job_id, payload, delivery, created) VALUES (?, ?, ?, ?)`,
		out.JobID, []byte(r.Payload), r.Delivery, now.UnixNano())
	return out, err
}

func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// claim takes the oldest due job of a repository not in busy and marks it
// running. It returns nil when no job is due.
func (s *Store) claim(ctx context.Context, busy map[string]bool) (*Job, error) {
	now := s.opts.Now()
	var job *Job
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx,
			`SELECT id, repo_key FROM jobs WHERE state = ? AND run_after <= ? ORDER BY run_after, id`, Queued, now.UnixNano())
		if err != nil {
			return err
		}
		var id int64
		found := false
		for rows.Next() {
			var key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return err
			}
			if !busy[key] {
				found = true
				break
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if !found {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE jobs SET state = ?, attempts = attempts + 1, started = ? WHERE id = ?`,
			Running, now.UnixNano(), id); err != nil {
			return err
		}
		job, err = getJob(ctx, tx, id)
		return err
	})
	return job, err
}

// nextDue is when the earliest queued job of a repository not in busy is
// due (possibly already), or zero when there is none.
func (s *Store) nextDue(ctx context.Context, busy map[string]bool) (time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_after, repo_key FROM jobs WHERE state = ? ORDER BY run_after`, Queued)
	if err != nil {
		return time.Time{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var at int64
		var key string
		if err := rows.Scan(&at, &key); err != nil {
			return time.Time{}, err
		}
		if !busy[key] {
			return time.Unix(0, at), nil
		}
	}
	return time.Time{}, rows.Err()
}

// finish records a job's end.
func (s *Store) finish(ctx context.Context, id int64, st State, result, errMsg string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE jobs SET state = ?, finished = ?, result = ?, error = ? WHERE id = ?`,
		st, s.opts.Now().UnixNano(), result, errMsg, id)
	if err != nil {
		return fmt.Errorf("finish job %d: %w", id, err)
	}
	return nil
}

// requeue puts a job back in the queue, ahead of the jobs of its repository
// that came later: a shutdown interrupted it.
func (s *Store) requeue(ctx context.Context, id int64) error {
	return s.requeueAt(ctx, id, time.Time{}, "")
}

// retry puts a failed job back in the queue, due at at, keeping why the
// last attempt failed in its error.
func (s *Store) retry(ctx context.Context, id int64, at time.Time, errMsg string) error {
	return s.requeueAt(ctx, id, at, errMsg)
}

// requeueAt puts a job back in the queue; a zero at keeps its due time,
// an empty errMsg its error.
func (s *Store) requeueAt(ctx context.Context, id int64, at time.Time, errMsg string) error {
	// A request that arrived while it ran waits in a later job of the same
	// key; merging the two keeps one job per key waiting.
	return s.tx(ctx, func(tx *sql.Tx) error {
		var repo, kind, key string
		if err := tx.QueryRowContext(ctx, `SELECT repo_key, kind, key FROM jobs WHERE id = ?`, id).Scan(&repo, &kind, &key); err != nil {
			return fmt.Errorf("requeue job %d: %w", id, err)
		}
		var later int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM jobs WHERE repo_key = ? AND kind = ? AND key = ? AND state = ? AND id != ? ORDER BY id LIMIT 1`,
			repo, kind, key, Queued, id).Scan(&later)
		switch {
		case err == nil:
			if _, err := tx.ExecContext(ctx, `UPDATE requests SET job_id = ? WHERE job_id = ?`, id, later); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE id = ?`, later); err != nil {
				return err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if !at.IsZero() {
			if _, err := tx.ExecContext(ctx, `UPDATE jobs SET run_after = ?, error = ? WHERE id = ?`, at.UnixNano(), errMsg, id); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE jobs SET state = ?, started = 0 WHERE id = ?`, Queued, id)
		return err
	})
}

// poison marks a running job not to be run again should the process die
// while it runs: its attempts are set to MaxAttempts, so that recover
// fails it with message instead of queueing it.
func (s *Store) poison(ctx context.Context, id int64, message string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE jobs SET attempts = max(attempts, ?), error = ? WHERE id = ? AND state = ?`,
		s.opts.MaxAttempts, message, id, Running)
	return err
}

// Get reads one job.
func (s *Store) Get(ctx context.Context, id int64) (Job, error) {
	var j *Job
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		j, err = getJob(ctx, tx, id)
		return err
	})
	if err != nil {
		return Job{}, err
	}
	return *j, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const jobColumns = `id, repo, kind, key, state, attempts, created, run_after, started, finished, result, error`

func scanJob(row interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var created, runAfter, started, finished int64
	if err := row.Scan(&j.ID, &j.Repo, &j.Kind, &j.Key, &j.State, &j.Attempts, &created, &runAfter, &started, &finished, &j.Result, &j.Error); err != nil {
		return nil, err
	}
	j.Created, j.RunAfter = time.Unix(0, created), time.Unix(0, runAfter)
	if started != 0 {
		j.Started = time.Unix(0, started)
	}
	if finished != 0 {
		j.Finished = time.Unix(0, finished)
	}
	return &j, nil
}

func getJob(ctx context.Context, q querier, id int64) (*Job, error) {
	j, err := scanJob(q.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("job %d: %w", id, err)
	}
	if err := loadPayloads(ctx, q, j); err != nil {
		return nil, err
	}
	return j, nil
}

func loadPayloads(ctx context.Context, q querier, j *Job) error {
	rows, err := q.QueryContext(ctx, `SELECT payload FROM requests WHERE job_id = ? ORDER BY id`, j.ID)
	if err != nil {
		return fmt.Errorf("job %d: requests: %w", j.ID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var p []byte
		if err := rows.Scan(&p); err != nil {
			return fmt.Errorf("job %d: requests: %w", j.ID, err)
		}
		j.Payloads = append(j.Payloads, json.RawMessage(p))
	}
	return rows.Err()
}

// History lists the latest jobs of repo (all repositories when empty),
// newest first, payloads not loaded.
func (s *Store) History(ctx context.Context, repo string, limit int) ([]Job, error) {
	if limit <= 0 {
		limit = 20
	}
	q := `SELECT ` + jobColumns + ` FROM jobs ORDER BY id DESC LIMIT ?`
	args := []any{limit}
	if repo != "" {
		q = `SELECT ` + jobColumns + ` FROM jobs WHERE repo_key = ? ORDER BY id DESC LIMIT ?`
		args = []any{repoKey(repo), limit}
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("job history: %w", err)
	}
	defer rows.Close()
	var out []Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("job history: %w", err)
		}
		out = append(out, *j)
	}
	return out, rows.Err()
}

// Counts is the number of jobs in each state.
func (s *Store) Counts(ctx context.Context) (map[State]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM jobs GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("job counts: %w", err)
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var st State
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("job counts: %w", err)
		}
		out[st] = n
	}
	return out, rows.Err()
}

// Prune deletes finished jobs (and their requests, and so their delivery
// IDs) that finished before t.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM jobs WHERE state IN (?, ?) AND finished < ?`, Succeeded, Failed, before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("prune job history: %w", err)
	}
	return res.RowsAffected()
}

// Ping checks the database answers, for readiness.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// dueCount is the number of queued jobs due now.
func (s *Store) dueCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM jobs WHERE state = ? AND run_after <= ?`, Queued, s.opts.Now().UnixNano()).Scan(&n)
	return n, err
}

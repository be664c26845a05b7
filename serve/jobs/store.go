// Package jobs is remedy serve's durable work queue: requests are written
// to a database before they are acknowledged, run by a bounded pool of
// workers at most one per repository at a time, and kept as a history of
// runs afterwards. The database is an embedded SQLite file for one server
// (Open), or PostgreSQL shared by several replicas (OpenPostgres): there a
// job is claimed with SELECT … FOR UPDATE SKIP LOCKED, a repository never
// has two running jobs across replicas (a unique index), a running job is
// leased by its replica, which renews the lease, and is queued again only
// once the lease expires (the replica died), and a schedule's tick is
// fired by one replica (FireOnce).
//
// A request for a repository that already has a job of the same kind and
// key waiting joins that job instead of queueing another (coalescing), so
// a burst of pushes costs one run; every request's payload is kept, so
// each requester still gets an answer. A job that a crash or a shutdown
// interrupted is queued again when the store is next opened.
//
// Data enters as requests (Enqueue: a kind, a repository, a key and a
// payload, from the server and the schedules); it leaves as calls of a
// Handler (serve/tasks) with each job and its joined payloads, and as the
// stored history of runs (results, errors) that status answers read.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
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
	Attempts int
	// Owner is the store (the replica) running the job.
	Owner string
	// run is the row of this attempt in the run history.
	run                                  int64
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
	// Owner names this process in the store (leases, run history,
	// schedule fires); empty means host-pid-time.
	Owner string
	// Lease is how long a running job stays this process's without a
	// renewal; after it, another replica queues the job again. 0 means
	// one minute. The pool renews leases every Lease/4.
	Lease time.Duration
}

// Store is the job database. Its methods are safe for concurrent use.
type Store struct {
	db   *sql.DB
	b    backend
	opts Options
	// notify, when set, is called after a request is stored.
	notify func()
	// ops feeds the committer; closed stops it, stopped says it stopped.
	ops             chan *enqueueOp
	closed, stopped chan struct{}
	closeOnce       sync.Once
}

// Open opens (creating if needed) the SQLite store at path and queues
// again the jobs that were running when the process last stopped: one
// process uses a SQLite store.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	db, err := openSQLite(path)
	if err != nil {
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	s, err := open(ctx, db, sqliteBackend{}, o)
	if err != nil {
		return nil, fmt.Errorf("open job store %s: %w", path, err)
	}
	return s, nil
}

// OpenPostgres opens the PostgreSQL store at the connection URL dsn,
// migrating its schema, for one of several replicas. Jobs other replicas
// run are left to them until their lease expires. Errors never show dsn
// (it may carry a password).
func OpenPostgres(ctx context.Context, dsn string, o Options) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL job store: %w", redact(err, dsn))
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open PostgreSQL job store: %w", redact(err, dsn))
	}
	s, err := open(ctx, db, postgresBackend{}, o)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL job store: %w", err)
	}
	return s, nil
}

// redact drops dsn from err's text.
func redact(err error, dsn string) error {
	if dsn != "" && strings.Contains(err.Error(), dsn) {
		return errors.New(strings.ReplaceAll(err.Error(), dsn, "<database URL>"))
	}
	return err
}

func open(ctx context.Context, db *sql.DB, b backend, o Options) (*Store, error) {
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
	if o.Lease <= 0 {
		o.Lease = time.Minute
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		o.Owner = host + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	s := &Store{db: db, b: b, opts: o, ops: make(chan *enqueueOp), closed: make(chan struct{}), stopped: make(chan struct{})}
	if err := migrate(ctx, db, b, o.Now()); err != nil {
		db.Close()
		return nil, err
	}
	// A SQLite store has one process: what it left running was
	// interrupted. A shared store's running jobs may be another replica's.
	if err := s.recover(ctx, !b.shared()); err != nil {
		db.Close()
		return nil, err
	}
	go s.committer()
	return s, nil
}

// Backend names the database: "SQLite" or "PostgreSQL".
func (s *Store) Backend() string { return s.b.name() }

// Owner is this process's name in the store.
func (s *Store) Owner() string { return s.opts.Owner }

// q adapts a query to the database.
func (s *Store) q(query string) string { return s.b.rebind(query) }

// Close stops taking requests and closes the database.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	<-s.stopped
	return s.db.Close()
}

// recover queues again the running jobs of a process that stopped: all of
// them when all is set (a SQLite store, one process), else those whose
// lease expired (a replica died). Those interrupted MaxAttempts times are
// failed instead: a job that kills its worker must not kill every
// restart.
func (s *Store) recover(ctx context.Context, all bool) error {
	now := s.opts.Now().UnixNano()
	lost := ` WHERE state = ?`
	args := []any{string(Running)}
	if !all {
		lost += ` AND lease_until < ?`
		args = append(args, now)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id, repo, kind, attempts, error FROM jobs`+lost+` AND attempts >= ?`), append(args, s.opts.MaxAttempts)...)
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
			s.opts.Log.Error("job failed as a dead letter: its server stopped while it ran; not run again",
				"job", id, "repo", repo, "kind", kind, "attempts", attempts, "error", msg)
		}
		rows.Close()
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET finished = ?, outcome = 'lost' WHERE finished = 0 AND job_id IN (SELECT id FROM jobs`+lost+`)`), append([]any{now}, args...)...); err != nil {
			return fmt.Errorf("close lost runs: %w", err)
		}
		if _, err := tx.ExecContext(ctx,
			s.q(`UPDATE jobs SET state = ?, finished = ?, owner = '', error = CASE WHEN error != '' THEN 'the server stopped while it ran: ' || error ELSE ? END`+lost+` AND attempts >= ?`),
			append(append([]any{string(Failed), now, fmt.Sprintf("dead letter: the server stopped %d times while it ran (a crash, an out-of-memory kill); not run again", s.opts.MaxAttempts)}, args...), s.opts.MaxAttempts)...); err != nil {
			return fmt.Errorf("fail poison jobs: %w", err)
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE jobs SET state = ?, started = 0, owner = ''`+lost), append([]any{string(Queued)}, args...)...)
		if err != nil {
			return fmt.Errorf("requeue interrupted jobs: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 && !all {
			s.opts.Log.Warn("jobs of a stopped replica queued again (their lease expired)", "jobs", n)
		}
		return nil
	})
}

// Reclaim queues again the jobs whose runner stopped renewing their
// lease; the pool calls it periodically.
func (s *Store) Reclaim(ctx context.Context) error { return s.recover(ctx, false) }

// renew extends the leases of this process's running jobs.
func (s *Store) renew(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE jobs SET lease_until = ? WHERE owner = ? AND state = ?`),
		s.opts.Now().Add(s.opts.Lease).UnixNano(), s.opts.Owner, string(Running))
	return err
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
	if err == nil {
		return
	}
	// Each request alone; a replica storing the same delivery at the same
	// moment wins the unique index, and tried again, this request is its
	// duplicate.
	for _, op := range batch {
		for try := 0; try == 0 || (try < 3 && s.b.conflict(op.err)); try++ {
			op.err = s.tx(ctx, func(tx *sql.Tx) error {
				var err error
				op.out, err = s.enqueueTx(ctx, tx, op.req)
				if errors.Is(err, ErrQueueFull) {
					op.err = err
					return nil
				}
				return err
			})
		}
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
		err := tx.QueryRowContext(ctx, s.q(`SELECT job_id FROM requests WHERE delivery = ?`), r.Delivery).Scan(&out.JobID)
		if err == nil {
			out.Duplicate = true
			return out, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return out, err
		}
	}
	err := tx.QueryRowContext(ctx,
		s.q(`SELECT id FROM jobs WHERE repo_key = ? AND kind = ? AND key = ? AND state = ? ORDER BY id LIMIT 1`),
		repoKey(r.Repo), r.Kind, r.Key, string(Queued)).Scan(&out.JobID)
	switch {
	case err == nil:
		out.Coalesced = true
		at := runAfter.UnixNano()
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE jobs SET run_after = CASE WHEN run_after > ? THEN ? ELSE run_after END WHERE id = ?`), at, at, out.JobID); err != nil {
			return out, err
		}
	case errors.Is(err, sql.ErrNoRows):
		var waiting int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM jobs WHERE state = ?`), string(Queued)).Scan(&waiting); err != nil {
			return out, err
		}
		if waiting >= s.opts.MaxQueued {
			return Enqueued{}, ErrQueueFull
		}
		if err := tx.QueryRowContext(ctx,
			s.q(`INSERT INTO jobs (repo, repo_key, kind, key, state, created, run_after) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			r.Repo, repoKey(r.Repo), r.Kind, r.Key, string(Queued), now.UnixNano(), runAfter.UnixNano()).Scan(&out.JobID); err != nil {
			return out, err
		}
	default:
		return out, err
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO requests (job_id, payload, delivery, created) VALUES (?, ?, ?, ?)`),
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

// claimable selects the queued jobs due at ? whose repository has no
// running job, in any replica.
const claimable = `FROM jobs j WHERE j.state = 'queued' AND j.run_after <= ?
	AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.repo_key = j.repo_key AND r.state = 'running')`

// claim takes the oldest due job of a repository without a running job,
// marks it running under this process's lease, and opens its run in the
// history. It returns nil when no job is due.
//
// Replicas claiming at once skip each other's locked rows (PostgreSQL's
// FOR UPDATE SKIP LOCKED); two claims of different jobs of one repository
// collide on the index of running jobs, and the loser tries again.
func (s *Store) claim(ctx context.Context) (*Job, error) {
	for try := 0; ; try++ {
		job, err := s.claimOnce(ctx)
		if err != nil && s.b.conflict(err) && try < 10 {
			continue
		}
		return job, err
	}
}

func (s *Store) claimOnce(ctx context.Context) (*Job, error) {
	now := s.opts.Now()
	var job *Job
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT j.id `+claimable+` ORDER BY j.run_after, j.id LIMIT 1`+s.b.claimLock()), now.UnixNano()).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE jobs SET state = ?, attempts = attempts + 1, started = ?, owner = ?, lease_until = ? WHERE id = ?`),
			string(Running), now.UnixNano(), s.opts.Owner, now.Add(s.opts.Lease).UnixNano(), id); err != nil {
			return err
		}
		var run int64
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO runs (job_id, owner, started) VALUES (?, ?, ?) RETURNING id`), id, s.opts.Owner, now.UnixNano()).Scan(&run); err != nil {
			return err
		}
		job, err = s.getJob(ctx, tx, id)
		if job != nil {
			job.run = run
		}
		return err
	})
	return job, err
}

// nextDue is when the earliest queued job of a repository without a
// running job is due (possibly already), or zero when there is none.
func (s *Store) nextDue(ctx context.Context) (time.Time, error) {
	var at sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT MIN(j.run_after) `+claimable), int64(math.MaxInt64)).Scan(&at)
	if err != nil || !at.Valid {
		return time.Time{}, err
	}
	return time.Unix(0, at.Int64), nil
}

// endRun closes the run of j in the history.
func (s *Store) endRun(ctx context.Context, tx *sql.Tx, j Job, outcome string) error {
	_, err := tx.ExecContext(ctx, s.q(`UPDATE runs SET finished = ?, outcome = ? WHERE id = ? AND finished = 0`), s.opts.Now().UnixNano(), outcome, j.run)
	return err
}

// errLeaseLost: the job is no longer this process's (its lease expired
// and it was queued again); its end is not recorded over the new run's.
var errLeaseLost = errors.New("the job's lease expired; another run owns it")

// owned locks j's row if this process still runs it.
func (s *Store) owned(ctx context.Context, tx *sql.Tx, j Job) error {
	var n int
	err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM jobs WHERE id = ? AND owner = ? AND state = ?`), j.ID, s.opts.Owner, string(Running)).Scan(&n)
	if err == nil && n == 0 {
		err = errLeaseLost
	}
	return err
}

// finish records a job's end.
func (s *Store) finish(ctx context.Context, j Job, st State, result, errMsg string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.owned(ctx, tx, j); err != nil {
			return err
		}
		if err := s.endRun(ctx, tx, j, string(st)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE jobs SET state = ?, finished = ?, result = ?, error = ?, owner = '' WHERE id = ?`),
			string(st), s.opts.Now().UnixNano(), result, errMsg, j.ID)
		return err
	})
	if err != nil {
		return fmt.Errorf("finish job %d: %w", j.ID, err)
	}
	return nil
}

// requeue puts a job back in the queue, ahead of the jobs of its repository
// that came later: a shutdown interrupted it.
func (s *Store) requeue(ctx context.Context, j Job) error {
	return s.requeueAt(ctx, j, time.Time{}, "", OutcomeRequeued)
}

// retry puts a failed job back in the queue, due at at, keeping why the
// last attempt failed in its error.
func (s *Store) retry(ctx context.Context, j Job, at time.Time, errMsg string) error {
	return s.requeueAt(ctx, j, at, errMsg, OutcomeRetried)
}

// requeueAt puts a job back in the queue; a zero at keeps its due time,
// an empty errMsg its error.
func (s *Store) requeueAt(ctx context.Context, j Job, at time.Time, errMsg, outcome string) error {
	// A request that arrived while it ran waits in a later job of the same
	// key; merging the two keeps one job per key waiting.
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.owned(ctx, tx, j); err != nil {
			return fmt.Errorf("requeue job %d: %w", j.ID, err)
		}
		if err := s.endRun(ctx, tx, j, outcome); err != nil {
			return err
		}
		var later int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM jobs WHERE repo_key = ? AND kind = ? AND key = ? AND state = ? AND id != ? ORDER BY id LIMIT 1`),
			repoKey(j.Repo), j.Kind, j.Key, string(Queued), j.ID).Scan(&later)
		switch {
		case err == nil:
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE requests SET job_id = ? WHERE job_id = ?`), j.ID, later); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM jobs WHERE id = ?`), later); err != nil {
				return err
			}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if !at.IsZero() {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE jobs SET run_after = ?, error = ? WHERE id = ?`), at.UnixNano(), errMsg, j.ID); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, s.q(`UPDATE jobs SET state = ?, started = 0, owner = '' WHERE id = ?`), string(Queued), j.ID)
		return err
	})
}

// poison marks a running job not to be run again should the process die
// while it runs: its attempts are set to MaxAttempts, so that recover
// fails it with message instead of queueing it.
func (s *Store) poison(ctx context.Context, id int64, message string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE jobs SET attempts = CASE WHEN attempts > ? THEN attempts ELSE ? END, error = ? WHERE id = ? AND state = ?`),
		s.opts.MaxAttempts, s.opts.MaxAttempts, message, id, string(Running))
	return err
}

// Get reads one job.
func (s *Store) Get(ctx context.Context, id int64) (Job, error) {
	j, err := s.getJob(ctx, s.db, id)
	if err != nil {
		return Job{}, err
	}
	return *j, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const jobColumns = `id, repo, kind, key, state, attempts, owner, created, run_after, started, finished, result, error`

func scanJob(row interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var created, runAfter, started, finished int64
	if err := row.Scan(&j.ID, &j.Repo, &j.Kind, &j.Key, &j.State, &j.Attempts, &j.Owner, &created, &runAfter, &started, &finished, &j.Result, &j.Error); err != nil {
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

func (s *Store) getJob(ctx context.Context, q querier, id int64) (*Job, error) {
	j, err := scanJob(q.QueryRowContext(ctx, s.q(`SELECT `+jobColumns+` FROM jobs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("job %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("job %d: %w", id, err)
	}
	if err := s.loadPayloads(ctx, q, j); err != nil {
		return nil, err
	}
	return j, nil
}

func (s *Store) loadPayloads(ctx context.Context, q querier, j *Job) error {
	rows, err := q.QueryContext(ctx, s.q(`SELECT payload FROM requests WHERE job_id = ? ORDER BY id`), j.ID)
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
	rows, err := s.db.QueryContext(ctx, s.q(q), args...)
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

// Run is one attempt at a job: who ran it, when, and how it ended
// (succeeded, failed, retried, requeued, dead-letter; lost when its
// runner stopped; empty while it runs).
type Run struct {
	ID, JobID         int64
	Owner             string
	Started, Finished time.Time
	Outcome           string
}

// Runs lists every run of the jobs, oldest first.
func (s *Store) Runs(ctx context.Context) ([]Run, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, job_id, owner, started, finished, outcome FROM runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("run history: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var started, finished int64
		if err := rows.Scan(&r.ID, &r.JobID, &r.Owner, &started, &finished, &r.Outcome); err != nil {
			return nil, fmt.Errorf("run history: %w", err)
		}
		r.Started = time.Unix(0, started)
		if finished != 0 {
			r.Finished = time.Unix(0, finished)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FireOnce records that schedule name fires for tick, and says whether
// this call did: of several replicas firing the same tick, one wins.
func (s *Store) FireOnce(ctx context.Context, name string, tick time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO schedule_fires (name, tick, owner, fired) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`),
		name, tick.UnixNano(), s.opts.Owner, s.opts.Now().UnixNano())
	if err != nil {
		return false, fmt.Errorf("schedule %s at %s: %w", name, tick.Format(time.RFC3339), err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
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
// IDs, and their runs) that finished before t, and schedule fires,
// postures and cluster sweeps older.
func (s *Store) Prune(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM jobs WHERE state IN (?, ?) AND finished < ?`), string(Succeeded), string(Failed), before.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("prune job history: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM schedule_fires WHERE tick < ?`), before.UnixNano()); err != nil {
		return 0, fmt.Errorf("prune schedule fires: %w", err)
	}
	if err := s.prunePostures(ctx, before); err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Ping checks the database answers, for readiness.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }

// dueCount is the number of jobs this store could claim now.
func (s *Store) dueCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) `+claimable), s.opts.Now().UnixNano()).Scan(&n)
	return n, err
}

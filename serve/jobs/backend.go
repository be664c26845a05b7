package jobs

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite", pure Go
)

// backend is what differs between the two databases the store runs on:
// SQLite, embedded, for one server; PostgreSQL for several replicas. The
// queries are shared and written with ? placeholders.
type backend interface {
	// name is the database's name in messages.
	name() string
	// rebind turns ? placeholders into the database's.
	rebind(q string) string
	// migrations is the directory of this database's schema migrations
	// within migrationFiles.
	migrations() string
	// lockMigrations serialises migrations across processes within tx.
	lockMigrations(ctx context.Context, tx *sql.Tx) error
	// claimLock ends the claim's SELECT: row locks that concurrent
	// claims skip.
	claimLock() string
	// conflict says whether err is a unique constraint violation.
	conflict(err error) bool
	// shared says whether other processes use the database, so that jobs
	// are re-queued only when their lease expires, and the pool polls for
	// work other replicas queued.
	shared() bool
}

//go:embed migrations
var migrationFiles embed.FS

type sqliteBackend struct{}

func (sqliteBackend) name() string                                  { return "SQLite" }
func (sqliteBackend) rebind(q string) string                        { return q }
func (sqliteBackend) migrations() string                            { return "migrations/sqlite" }
func (sqliteBackend) lockMigrations(context.Context, *sql.Tx) error { return nil } // _txlock=immediate
func (sqliteBackend) claimLock() string                             { return "" }  // one writer at a time
func (sqliteBackend) shared() bool                                  { return false }
func (sqliteBackend) conflict(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

type postgresBackend struct{}

func (postgresBackend) name() string       { return "PostgreSQL" }
func (postgresBackend) migrations() string { return "migrations/postgres" }
func (postgresBackend) claimLock() string  { return " FOR UPDATE SKIP LOCKED" }
func (postgresBackend) shared() bool       { return true }
func (postgresBackend) rebind(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// migrationLockKey is the advisory lock replicas take to migrate one at a
// time ("remedy" in ASCII).
const migrationLockKey = 0x72656d656479

func (postgresBackend) lockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLockKey))
	return err
}

func (postgresBackend) conflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// openSQLite opens the SQLite file at path.
func openSQLite(p string) (*sql.DB, error) {
	// WAL lets readers (status) run beside the writer; synchronous=FULL
	// makes every acknowledged request survive a power loss, not only a
	// crash of the process.
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+p+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	// One connection: SQLite has one writer anyway, and a single
	// connection turns contention into queueing instead of SQLITE_BUSY.
	db.SetMaxOpenConns(1)
	return db, nil
}

// migration is one embedded schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// readMigrations lists dir's NNNN_name.sql files in version order.
func readMigrations(dir string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", e.Name())
		}
		b, err := migrationFiles.ReadFile(path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate applies the migrations not yet in schema_migrations, in order,
// in one transaction: a store is at one version or the next, never
// between. A store newer than this binary is refused.
func migrate(ctx context.Context, db *sql.DB, b backend, now time.Time) error {
	ms, err := readMigrations(b.migrations())
	if err != nil {
		return fmt.Errorf("read migrations: %w", err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := b.lockMigrations(ctx, tx); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("schema_migrations: %w", err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("schema version: %w", err)
	}
	if last := ms[len(ms)-1].version; current > last {
		return fmt.Errorf("the store's schema is at version %d, newer than this remedy's %d: upgrade remedy", current, last)
	}
	for _, m := range ms {
		if m.version <= current {
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, b.rebind(`INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`), m.version, m.name, now.UnixNano()); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return tx.Commit()
}

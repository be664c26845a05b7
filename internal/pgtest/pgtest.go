// Package pgtest gives tests a PostgreSQL schema of their own in the
// database of REMEDY_TEST_POSTGRES (hack/postgres.sh starts one).
package pgtest

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// EnvVar names the variable holding the test database's URL.
const EnvVar = "REMEDY_TEST_POSTGRES"

// DSN creates a fresh schema for t in the database of REMEDY_TEST_POSTGRES
// and returns a URL whose search_path selects it; the schema is dropped
// after t. Without the variable, t is skipped with how to set it.
func DSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvVar)
	if base == "" {
		t.Skip(EnvVar + " is not set: run with " + EnvVar + "=\"$(hack/postgres.sh start)\" to test against PostgreSQL")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("t_%d_%d", time.Now().UnixNano(), rand.IntN(1e6))
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		db.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

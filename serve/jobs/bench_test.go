package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/remedy-bot/remedy/internal/pgtest"
)

// BenchmarkJobLifeCycle stores a request, claims the job and records its
// end, on each store (PostgreSQL when REMEDY_TEST_POSTGRES is set), with
// 500 other jobs waiting on busy repositories, so the claim's search for a
// free repository is part of the cost.
func BenchmarkJobLifeCycle(b *testing.B) {
	ctx := context.Background()
	stores := map[string]func(b *testing.B) *Store{
		"sqlite": func(b *testing.B) *Store {
			s, err := Open(ctx, filepath.Join(b.TempDir(), "jobs.db"), Options{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
		"postgres": func(b *testing.B) *Store {
			if os.Getenv(pgtest.EnvVar) == "" {
				b.Skip(pgtest.EnvVar + " not set")
			}
			s, err := OpenPostgres(ctx, pgtest.DSN(b), Options{})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			s := stores[name](b)
			defer s.Close()
			// Five busy repositories, each with a running job and 100 waiting.
			for r := range 5 {
				for i := range 101 {
					s.Enqueue(ctx, Request{Repo: fmt.Sprint("acme/busy", r), Kind: "converge", Key: fmt.Sprint(i)})
				}
			}
			for range 5 {
				if j, err := s.claim(ctx); err != nil || j == nil {
					b.Fatal(j, err)
				}
			}
			for i := 0; b.Loop(); i++ {
				if _, err := s.Enqueue(ctx, Request{Repo: fmt.Sprint("acme/free", i), Kind: "converge"}); err != nil {
					b.Fatal(err)
				}
				j, err := s.claim(ctx)
				if err != nil || j == nil {
					b.Fatal(j, err)
				}
				if err := s.finish(ctx, *j, Succeeded, "ok", ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

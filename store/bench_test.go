package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/store"
)

// BenchmarkTx: one write transaction (an upsert of a small file, its usage
// counted by the triggers) and one read, on each backend.
func BenchmarkTx(b *testing.B) {
	for _, be := range []struct {
		name string
		o    func(b *testing.B) store.Options
	}{
		{"memory", func(*testing.B) store.Options { return store.Options{} }},
		{"sqlite", func(b *testing.B) store.Options { return store.Options{Dir: b.TempDir()} }},
		{"postgres", func(b *testing.B) store.Options { return store.Options{URL: testenv.Postgres(b)} }},
	} {
		b.Run(be.name, func(b *testing.B) {
			s, err := store.Open(context.Background(), be.o(b))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := context.Background()
			b.Run("write", func(b *testing.B) {
				for i := range b.N {
					err := s.Tx(ctx, true, func(tx *sql.Tx) error {
						_, err := tx.ExecContext(ctx, `INSERT INTO entries (subject, path, size, created, modified, content) VALUES ($1, $2, 5, 0, 0, 'hello')
ON CONFLICT (subject, path) DO UPDATE SET modified = excluded.modified`, "s", fmt.Sprint("f", i%100))
						return err
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("read", func(b *testing.B) { // f0, which write wrote however few times it ran
				for range b.N {
					err := s.Tx(ctx, false, func(tx *sql.Tx) error {
						var c string
						return tx.QueryRowContext(ctx, `SELECT content FROM entries WHERE subject = $1 AND path = $2`, "s", "f0").Scan(&c)
					})
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// BenchmarkBusAcross: a payload published by one Store until another
// Store's subscriber has it (PostgreSQL NOTIFY between two replicas).
func BenchmarkBusAcross(b *testing.B) {
	url := testenv.Postgres(b)
	ctx := context.Background()
	s1, err := store.Open(ctx, store.Options{URL: url})
	if err != nil {
		b.Fatal(err)
	}
	defer s1.Close()
	s2, err := store.Open(ctx, store.Options{URL: url})
	if err != nil {
		b.Fatal(err)
	}
	defer s2.Close()
	got := make(chan struct{}, 1)
	defer s2.Subscribe("bench", func([]byte) { got <- struct{}{} })()
	b.ResetTimer()
	for range b.N {
		if err := s1.Publish(ctx, "bench", []byte(`{"request":7}`)); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}

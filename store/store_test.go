package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/store"
)

// backend is one kind of database every test runs on.
type backend struct {
	name string
	// options gives the Options of a new, empty database.
	options func(t *testing.T) store.Options
	// durable is whether reopening with the same Options finds the data.
	durable bool
}

var backends = []backend{
	{"memory", func(*testing.T) store.Options { return store.Options{} }, false},
	{"sqlite", func(t *testing.T) store.Options { return store.Options{Dir: t.TempDir()} }, true},
	{"postgres", func(t *testing.T) store.Options { return store.Options{URL: testenv.Postgres(t)} }, true},
}

// each runs fn on every backend, as a subtest named after it.
func each(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

func open(t *testing.T, o store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestOpenMigrates: a fresh database is brought to the newest version,
// with every table of version 1; opening it again migrates nothing and
// keeps the data.
func TestOpenMigrates(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		o := b.options(t)
		s := open(t, o)
		if s.Version() != store.SchemaVersion {
			t.Fatalf("Version() = %d, want %d", s.Version(), store.SchemaVersion)
		}
		for _, table := range []string{"entries", "usage", "pins", "sessions", "bus", "schema_migrations"} {
			var n int
			if err := s.Read().QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
				t.Errorf("table %s: %v", table, err)
			}
		}
		exec(t, s, `INSERT INTO sessions (id, subject, created, used) VALUES ($1, $2, $3, $3)`, "s1", "alice", 1)
		if !b.durable {
			return
		}
		s.Close()
		s = open(t, o)
		if got := count(t, s, `SELECT COUNT(*) FROM sessions`); got != 1 {
			t.Errorf("after reopening: %d sessions, want 1", got)
		}
		if got := count(t, s, `SELECT COUNT(*) FROM schema_migrations`); got != store.SchemaVersion {
			t.Errorf("after reopening: %d migrations recorded, want %d", got, store.SchemaVersion)
		}
	})
}

// TestUsage: the triggers keep usage exact (entries, files, bytes of paths
// and contents) through inserts, upserts, renames and deletes, the same on
// every backend; placeholders are $N on both, one used twice is one
// argument.
func TestUsage(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		s := open(t, b.options(t))
		put := `INSERT INTO entries (subject, path, kind, size, created, modified, content) VALUES ($1, $2, $3, $4, $5, $5, $6)
ON CONFLICT (subject, path) DO UPDATE SET kind = excluded.kind, size = excluded.size, modified = excluded.modified, content = excluded.content`
		exec(t, s, put, "alice", "a/é.txt", "f", 6, 1, "héllo")                                                  // 8 + 6
		exec(t, s, put, "alice", "dir", "d", 0, 1, "")                                                           // 3
		exec(t, s, put, "bob", "x", "f", 3, 1, "abc")                                                            // 4, another subject
		exec(t, s, put, "alice", "a/é.txt", "f", 2, 2, "hi")                                                     // 8 + 2
		exec(t, s, `UPDATE entries SET path = $1 WHERE subject = $2 AND path = $3`, "b.txt", "alice", "a/é.txt") // 5 + 2
		want := [3]int64{2, 1, 10}
		if got := usage(t, s, "alice"); got != want {
			t.Errorf("alice's usage = %v, want %v", got, want)
		}
		exec(t, s, `DELETE FROM entries WHERE subject = $1 AND path = $2`, "alice", "dir")
		if got, want := usage(t, s, "alice"), [3]int64{1, 1, 7}; got != want {
			t.Errorf("after a delete, alice's usage = %v, want %v", got, want)
		}
		if got, want := usage(t, s, "bob"), [3]int64{1, 1, 4}; got != want {
			t.Errorf("bob's usage = %v, want %v", got, want)
		}
		var n int64
		if err := s.Read().QueryRow(`SELECT `+s.ByteLength("path")+` FROM entries WHERE subject = $1`, "alice").Scan(&n); err != nil || n != 5 {
			t.Errorf("ByteLength(path) = %d, %v; want 5", n, err)
		}
	})
}

// TestPathOrder: paths sort and range by bytes on every backend (COLLATE
// "C" on PostgreSQL), so the workspace's prefix ranges find the same rows.
func TestPathOrder(t *testing.T) {
	paths := []string{"a/b", "a0", "A", "a/é", "a/z", "a", "a-b", "é", "a/B", "_"}
	want := []string{"A", "_", "a", "a-b", "a/B", "a/b", "a/z", "a/é", "a0", "é"}
	each(t, func(t *testing.T, b backend) {
		s := open(t, b.options(t))
		for _, p := range paths {
			exec(t, s, `INSERT INTO entries (subject, path, created, modified) VALUES ($1, $2, 0, 0)`, "s", p)
		}
		if diff := cmp.Diff(want, column(t, s, `SELECT path FROM entries WHERE subject = $1 ORDER BY path`, "s")); diff != "" {
			t.Errorf("ORDER BY path (-want +got):\n%s", diff)
		}
		got := column(t, s, `SELECT path FROM entries WHERE subject = $1 AND path >= $2 AND path < $3 ORDER BY path`, "s", "a/", "a0")
		if diff := cmp.Diff([]string{"a/B", "a/b", "a/z", "a/é"}, got); diff != "" {
			t.Errorf("the rows under a/ (-want +got):\n%s", diff)
		}
	})
}

// TestTx: a transaction commits when fn returns nil and rolls back, giving
// fn's error as it is, when it does not.
func TestTx(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		s := open(t, b.options(t))
		ctx := context.Background()
		insert := func(id string) func(*sql.Tx) error {
			return func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO pins (id, hash, description, pinned) VALUES ($1, 'h', 'd', 0)`, id)
				return err
			}
		}
		if err := s.Tx(ctx, true, insert("kept")); err != nil {
			t.Fatal(err)
		}
		mine := errors.New("mine")
		err := s.Tx(ctx, true, func(tx *sql.Tx) error { insert("dropped")(tx); return mine })
		if err != mine {
			t.Errorf("Tx gave %v, want fn's error as it is", err)
		}
		err = s.Tx(ctx, true, insert("kept")) // a constraint: the caller's to handle, not a StoreError
		var se *store.Error
		if err == nil || errors.As(err, &se) {
			t.Errorf("a duplicate key gave %v; want the driver's error, not a StoreError", err)
		}
		var ids []string
		err = s.Tx(ctx, false, func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT id FROM pins ORDER BY id`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id string
				rows.Scan(&id)
				ids = append(ids, id)
			}
			return rows.Err()
		})
		if err != nil || !cmp.Equal(ids, []string{"kept"}) {
			t.Errorf("read %v, %v; want [kept]", ids, err)
		}
		if err := s.Ready(ctx); err != nil {
			t.Errorf("Ready: %v", err)
		}
	})
}

// TestNewerRefused: a database a newer mcp-codemode migrated is refused,
// naming both versions.
func TestNewerRefused(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		if !b.durable {
			t.Skip("a database in memory is new at every Open")
		}
		o := b.options(t)
		s := open(t, o)
		exec(t, s, `INSERT INTO schema_migrations (version, applied) VALUES ($1, 0)`, store.SchemaVersion+7)
		s.Close()
		_, err := store.Open(context.Background(), o)
		want := fmt.Sprintf("store: the database schema is at version %d, newer than this mcp-codemode knows (up to %d): "+
			"upgrade mcp-codemode, or point it at another database", store.SchemaVersion+7, store.SchemaVersion)
		if err == nil || err.Error() != want {
			t.Errorf("Open gave %v\nwant %s", err, want)
		}
	})
}

func exec(t *testing.T, s *store.Store, q string, args ...any) {
	t.Helper()
	if _, err := s.Write().Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", strings.Fields(q)[0], err)
	}
}

func count(t *testing.T, s *store.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Read().QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func column(t *testing.T, s *store.Store, q string, args ...any) []string {
	t.Helper()
	rows, err := s.Read().Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// usage is the subject's row of usage: entries, files, bytes.
func usage(t *testing.T, s *store.Store, subject string) [3]int64 {
	t.Helper()
	var u [3]int64
	if err := s.Read().QueryRow(`SELECT entries, files, bytes FROM usage WHERE subject = $1`, subject).Scan(&u[0], &u[1], &u[2]); err != nil {
		t.Fatal(err)
	}
	return u
}

// TestConcurrentOpenFile: processes opening one data_dir at once (here,
// Stores) migrate it once between them and all open.
func TestConcurrentOpenFile(t *testing.T) {
	dir := t.TempDir()
	const n = 4
	errs := make(chan error, n)
	for range n {
		go func() {
			s, err := store.Open(context.Background(), store.Options{Dir: dir})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Errorf("Open: %v", err)
		}
	}
	s := open(t, store.Options{Dir: dir})
	if got := count(t, s, `SELECT COUNT(*) FROM schema_migrations`); got != store.SchemaVersion {
		t.Errorf("%d migrations recorded, want %d", got, store.SchemaVersion)
	}
}

// TestBadURL: a URL that is not PostgreSQL's, or cannot be parsed, is
// refused before connecting, without repeating the password.
func TestBadURL(t *testing.T) {
	for _, u := range []string{"mysql://u:Pw-Secret-1@h/d", "postgres://u:Pw-Secret-1@h:port/d", "postgres://u:Pw-Secret-1@h/d?connect_timeout=x"} {
		_, err := store.Open(context.Background(), store.Options{URL: u})
		if err == nil || strings.Contains(err.Error(), "Pw-Secret-1") || !strings.HasPrefix(err.Error(), "store: the database URL") {
			t.Errorf("Open(%q) = %v", u, err)
		}
	}
}

// TestTxCanceled: a transaction the caller cancelled gives its
// cancellation, not a StoreError: the database is not at fault.
func TestTxCanceled(t *testing.T) {
	each(t, func(t *testing.T, b backend) {
		s := open(t, b.options(t))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := s.Tx(ctx, true, func(*sql.Tx) error { return nil })
		var se *store.Error
		if !errors.Is(err, context.Canceled) || errors.As(err, &se) {
			t.Errorf("Tx with a cancelled context = %v; want context.Canceled, not a StoreError", err)
		}
	})
}

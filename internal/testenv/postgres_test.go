package testenv

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestPostgres: each test gets a database of its own, empty and writable.
func TestPostgres(t *testing.T) {
	a, b := Postgres(t), Postgres(t)
	if a == b {
		t.Fatalf("two calls gave one database: %s", a)
	}
	for _, u := range []string{a, b} {
		conn := connect(t, u)
		if _, err := conn.Exec(context.Background(), `CREATE TABLE t (x int)`); err != nil {
			t.Fatalf("a fresh database should take a table: %v", err)
		}
	}
}

// TestPostgresServerRestart: a server of the test's own stops (connections
// fail) and starts again on the same port, keeping its data.
func TestPostgresServerRestart(t *testing.T) {
	srv := PostgresServer(t)
	u := srv.NewDatabase(t)
	if _, err := connect(t, u).Exec(context.Background(), `CREATE TABLE kept (x int)`); err != nil {
		t.Fatal(err)
	}
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if c, err := pgx.Connect(context.Background(), u); err == nil {
		c.Close(context.Background())
		t.Fatal("connected to a stopped server")
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := connect(t, u).Exec(context.Background(), `INSERT INTO kept VALUES (1)`); err != nil {
		t.Fatalf("after a restart the table should be there: %v", err)
	}
}

func connect(t *testing.T, u string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// recorder stands in for a test, noting whether it was skipped or failed.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                        {}
func (r *recorder) Skip(args ...any)               { r.skipped = fmt.Sprint(args...) }
func (r *recorder) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }

// TestUnavailable: without PostgreSQL a test skips saying what to
// install, unless CI is set: then it fails. Any other problem fails.
func TestUnavailable(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{}
	unavailable(r, errNotInstalled)
	if r.skipped != "PostgreSQL is not installed (apt-get install postgresql)" || r.failed != "" {
		t.Errorf("without CI: skipped %q, failed %q", r.skipped, r.failed)
	}
	t.Setenv("CI", "1")
	r = &recorder{}
	unavailable(r, errNotInstalled)
	if r.skipped != "" || !strings.Contains(r.failed, "apt-get install postgresql") {
		t.Errorf("under CI: skipped %q, failed %q", r.skipped, r.failed)
	}
	t.Setenv("CI", "")
	r = &recorder{}
	unavailable(r, errors.New("initdb: exit status 1"))
	if r.skipped != "" || r.failed == "" {
		t.Errorf("another error: skipped %q, failed %q", r.skipped, r.failed)
	}
}

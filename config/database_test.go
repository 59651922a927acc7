package config

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestDatabase: database_url is expanded and kept as a secret (its
// password too), the pool settings default to 10 and 5s.
func TestDatabase(t *testing.T) {
	c, err := Parse("c.json", []byte(`{"codemode": {"database_url": "postgres://app:${PGPASS}@db:5432/codemode", "database_max_conns": 3}}`),
		env(map[string]string{"PGPASS": "s3cret-pass"}))
	if err != nil {
		t.Fatal(err)
	}
	got := [3]any{c.Codemode.DatabaseURL, c.Codemode.DatabaseMaxConns, c.Codemode.DatabaseConnectTimeout}
	if want := [3]any{"postgres://app:s3cret-pass@db:5432/codemode", 3, 5 * time.Second}; got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	if diff := cmp.Diff([]string{"postgres://app:s3cret-pass@db:5432/codemode", "s3cret-pass"}, c.Secrets); diff != "" {
		t.Errorf("secrets (-want +got):\n%s", diff)
	}
	c, err = Parse("c.json", []byte(`{"codemode": {"database_url": "postgresql://app:written-out@db/x", "database_connect_timeout": "2s"}}`), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Codemode.DatabaseMaxConns != 10 || c.Codemode.DatabaseConnectTimeout != 2*time.Second {
		t.Errorf("max conns %d, timeout %v; want 10, 2s", c.Codemode.DatabaseMaxConns, c.Codemode.DatabaseConnectTimeout)
	}
	if !strings.Contains(strings.Join(c.Secrets, " "), "written-out") {
		t.Errorf("a password written in the file is a secret too: %q", c.Secrets)
	}
}

// TestDatabaseErrors: what is wrong, with the key and the fix, and never
// the URL's password.
func TestDatabaseErrors(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"with data_dir", `{"codemode": {"database_url": "postgres://u:pw-123456@h/d", "data_dir": "data"}}`,
			`config c.json: codemode.database_url: is set together with codemode.data_dir; keep one: database_url keeps everything in PostgreSQL, data_dir in a SQLite file in that directory`},
		{"not postgres", `{"codemode": {"database_url": "mysql://u:pw-123456@h/d"}}`,
			`config c.json: codemode.database_url: is not a PostgreSQL URL (it has scheme mysql://); write postgres://USER:PASSWORD@HOST:PORT/DATABASE, or leave it out to keep the data under codemode.data_dir`},
		{"no scheme", `{"codemode": {"database_url": "u:pw-123456@h/d"}}`,
			`config c.json: codemode.database_url: is not a PostgreSQL URL (it has no postgres:// scheme); write postgres://USER:PASSWORD@HOST:PORT/DATABASE, or leave it out to keep the data under codemode.data_dir`},
		{"unparsable", `{"codemode": {"database_url": "postgres://u:pw-123456@h:port/d"}}`,
			`config c.json: codemode.database_url: cannot be parsed as a URL; write postgres://USER:PASSWORD@HOST:PORT/DATABASE, percent-encoding special characters in the password (@ as %40, / as %2F)`},
		{"missing variable", `{"codemode": {"database_url": "${DATABASE_URL}"}}`,
			`config c.json: codemode.database_url: environment variable DATABASE_URL is not set; export it before starting, or write the value in the file`},
		{"negative conns", `{"codemode": {"database_max_conns": -2}}`,
			`config c.json: codemode.database_max_conns: is -2; use a positive number, or leave it out for the default`},
		{"bad timeout", `{"codemode": {"database_connect_timeout": "5"}}`,
			`config c.json: codemode.database_connect_timeout: "5" is not a positive duration; write it like "30s", "500ms" or "2m"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.json", []byte(tt.text), env(nil))
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

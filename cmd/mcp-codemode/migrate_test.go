package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/store"
)

// cli runs the command in process with the configuration text written to
// a file, and returns its status, stdout and stderr.
func cli(t *testing.T, config string, args ...string) (int, string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "c.json")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, lookup: func(string) (string, bool) { return "", false }}
	code := e.run(context.Background(), append(args, "--config", path))
	return code, stdout.String(), stderr.String()
}

// TestMigrate: migrate brings a SQLite file and a PostgreSQL database to
// the newest schema, prints the version and exits 0; without a database
// configured it says what to set.
func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := cli(t, `{"codemode": {"data_dir": "`+dir+`"}}`, "migrate")
	if want := "schema version " + itoa(store.SchemaVersion) + " (" + filepath.Join(dir, store.File) + ")\n"; code != 0 || out != want {
		t.Errorf("migrate with data_dir: %d %q %s; want 0 %q", code, out, errs, want)
	}
	code, out, errs = cli(t, `{"codemode": {"database_url": "`+testenv.Postgres(t)+`"}}`, "migrate")
	if want := "schema version " + itoa(store.SchemaVersion) + " (PostgreSQL)\n"; code != 0 || out != want {
		t.Errorf("migrate with database_url: %d %q %s; want 0 %q", code, out, errs, want)
	}
	code, _, errs = cli(t, `{}`, "migrate")
	if code != 2 || !strings.Contains(errs, "set codemode.database_url (PostgreSQL) or codemode.data_dir") {
		t.Errorf("migrate without a database: %d %s", code, errs)
	}
}

// TestDatabaseURLAtStart: a database that cannot be used stops migrate
// and serve with status 2 and a message naming codemode.database_url and
// what failed, without the password.
func TestDatabaseURLAtStart(t *testing.T) {
	const password = "Pa55-Recognisable-9"
	cases := []struct{ name, url, want string }{
		{"refused", "postgres://app:" + password + "@127.0.0.1:1/codemode?sslmode=disable", "StoreError: the database is unreachable"},
		{"dns", "postgres://app:" + password + "@no-such-host.invalid/codemode", "StoreError: the database host is not found (DNS)"},
	}
	for _, tc := range cases {
		for _, cmd := range []string{"migrate", "serve"} {
			t.Run(tc.name+"/"+cmd, func(t *testing.T) {
				code, _, errs := cli(t, `{"codemode": {"database_url": "`+tc.url+`", "database_connect_timeout": "2s"}}`, cmd)
				if code != 2 {
					t.Errorf("status %d, want 2", code)
				}
				if !strings.Contains(errs, "codemode.database_url: "+tc.want) {
					t.Errorf("stderr should name codemode.database_url and %q:\n%s", tc.want, errs)
				}
				if strings.Contains(errs, password) {
					t.Errorf("stderr holds the password:\n%s", errs)
				}
			})
		}
	}
	code, _, errs := cli(t, `{"codemode": {"database_url": "postgres://a:`+password+`@h/d", "data_dir": "x"}}`, "serve")
	if code != 2 || !strings.Contains(errs, "codemode.database_url: is set together with codemode.data_dir") || strings.Contains(errs, password) {
		t.Errorf("database_url with data_dir: %d %s", code, errs)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

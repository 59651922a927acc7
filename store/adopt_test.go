package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/store"
)

// TestAdopt: a data directory holding the workspace's database of before
// (testdata: made by the workspace code of that time, in its first layout
// and in its last) has it renamed to codemode.db and migrated, every row
// kept and usage exact.
func TestAdopt(t *testing.T) {
	for _, fixture := range []string{"workspace-v0.db", "workspace-v2.db"} {
		t.Run(fixture, func(t *testing.T) {
			dir := t.TempDir()
			copyFile(t, filepath.Join("testdata", fixture), filepath.Join(dir, "workspace.db"))
			s := open(t, store.Options{Dir: dir})
			if _, err := os.Stat(filepath.Join(dir, "workspace.db")); !os.IsNotExist(err) {
				t.Errorf("workspace.db is still there (%v); it should be renamed to %s", err, store.File)
			}
			if _, err := os.Stat(filepath.Join(dir, store.File)); err != nil {
				t.Fatal(err)
			}
			want := []string{"alice empty d 0", "alice notes/a.txt f 5", "alice notes/b.json f 13", "alice z/é.txt f 9", "bob big.txt f 10000"}
			got := column(t, s, `SELECT subject || ' ' || path || ' ' || kind || ' ' || size FROM entries ORDER BY subject, path`)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			if got := column(t, s, `SELECT content FROM entries WHERE path = $1`, "z/é.txt"); !cmp.Equal(got, []string{"ünïcode"}) {
				t.Errorf("content = %q", got)
			}
			if got, want := usage(t, s, "alice"), [3]int64{4, 3, 5 + 11 + 12 + 8 + 5 + 13 + 9}; got != want {
				t.Errorf("alice's usage = %v, want %v", got, want)
			}
			if got, want := usage(t, s, "bob"), [3]int64{1, 1, 7 + 10000}; got != want {
				t.Errorf("bob's usage = %v, want %v", got, want)
			}
			if s.Version() != store.SchemaVersion {
				t.Errorf("Version() = %d", s.Version())
			}
			s.Close()
			s = open(t, store.Options{Dir: dir}) // once adopted, an ordinary database
			if got := count(t, s, `SELECT COUNT(*) FROM entries`); got != len(want) {
				t.Errorf("after reopening: %d entries", got)
			}
		})
	}
}

// TestAdoptPins: the pins of the last layout are kept.
func TestAdoptPins(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, filepath.Join("testdata", "workspace-v2.db"), filepath.Join(dir, "workspace.db"))
	s := open(t, store.Options{Dir: dir})
	if got := column(t, s, `SELECT hash || ' ' || description FROM pins WHERE id = $1`, "srv\x00tool"); !cmp.Equal(got, []string{"h1 desc"}) {
		t.Errorf("pins = %q", got)
	}
}

// TestAdoptNotOverwriting: with both files, codemode.db is used and
// workspace.db left alone.
func TestAdoptNotOverwriting(t *testing.T) {
	dir := t.TempDir()
	s := open(t, store.Options{Dir: dir})
	exec(t, s, `INSERT INTO sessions (id, subject, created, used) VALUES ('s', 'a', 0, 0)`)
	s.Close()
	copyFile(t, filepath.Join("testdata", "workspace-v2.db"), filepath.Join(dir, "workspace.db"))
	s = open(t, store.Options{Dir: dir})
	if count(t, s, `SELECT COUNT(*) FROM sessions`) != 1 || count(t, s, `SELECT COUNT(*) FROM entries`) != 0 {
		t.Error("codemode.db should be the one opened")
	}
	if _, err := os.Stat(filepath.Join(dir, "workspace.db")); err != nil {
		t.Errorf("workspace.db should be left alone: %v", err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

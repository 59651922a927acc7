package workspace

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

// schemaV0 is the first schema of workspace.db, as commit 8fc3f5c and
// earlier created it: the content before the metadata, no usage counters.
const schemaV0 = `
CREATE TABLE IF NOT EXISTS files (
  subject  TEXT    NOT NULL,
  path     TEXT    NOT NULL,
  kind     TEXT    NOT NULL DEFAULT 'f',
  content  TEXT    NOT NULL DEFAULT '',
  size     INTEGER NOT NULL DEFAULT 0,
  created  INTEGER NOT NULL,
  modified INTEGER NOT NULL,
  PRIMARY KEY (subject, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pins (
  id          TEXT    NOT NULL PRIMARY KEY,
  hash        TEXT    NOT NULL,
  description TEXT    NOT NULL,
  pinned      INTEGER NOT NULL
);
INSERT INTO files VALUES ('alice', 'notes/todo.md', 'f', 'buy milk', 8, 1767323045000, 1767323045000);
INSERT INTO files VALUES ('alice', 'empty', 'd', '', 0, 1767323045000, 1767323045000);
INSERT INTO files VALUES ('', 'big.txt', 'f', '0123456789', 10, 1767323045000, 1767323045000);
INSERT INTO pins VALUES ('srv' || char(0) || 'tool', 'h1', 'a tool', 1767323045000);
`

// TestWorkspaceMigration opens a workspace.db of the first schema: the
// files, directories and pins are all there, and the usage counters count
// what the rows take, paths included.
func TestWorkspaceMigration(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, File))
	must(t, err)
	_, err = db.Exec(schemaV0)
	must(t, err)
	must(t, db.Close())

	for range 2 { // the second opening finds the new schema
		w, err := Open(dir)
		must(t, err)
		w.MaxBytes = 30
		alice := tools.WithSubject(context.Background(), "alice")
		if got, err := w.ReadFile(alice, "notes/todo.md"); got != "buy milk" || err != nil {
			t.Errorf("read after migration: %q, %v", got, err)
		}
		if got, err := w.ReadFile(context.Background(), "big.txt"); got != "0123456789" || err != nil {
			t.Errorf("read after migration: %q, %v", got, err)
		}
		r := workspaceRegistry(t, w)
		if got := mustCall(t, r, "stat", `{"path":"empty"}`); got != `{"path":"empty","exists":false}` {
			t.Errorf("another subject's directory: %s", got) // the registry calls as the stdio subject ""
		}
		// alice has 13 + 8 and 5 bytes: 26 of 30, 28 the second time.
		if err := w.WriteFile(alice, "abcd", "x"); err == nil || !strings.HasPrefix(err.Error(), "the workspace is full") {
			t.Errorf("a write past the quota after migration: %v", err)
		}
		must(t, w.WriteFile(alice, "ab", "x"))
		must(t, w.WriteFile(alice, "ab", "")) // back to 28
		pins, err := w.LoadPins()
		if err != nil || pins["srv\x00tool"] != [2]string{"h1", "a tool"} {
			t.Errorf("pins after migration: %v, %v", pins, err)
		}
		var version, old int
		must(t, w.store.write.QueryRow(`PRAGMA user_version`).Scan(&version))
		must(t, w.store.write.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'files'`).Scan(&old))
		if version != 2 || old != 0 {
			t.Errorf("user_version %d, old table left: %v", version, old > 0)
		}
		must(t, w.Close())
	}
}

// TestWorkspaceUsageCounters: after every kind of change the counters
// equal what the rows take.
func TestWorkspaceUsageCounters(t *testing.T) {
	w := New()
	r := workspaceRegistry(t, w)
	for _, c := range []struct{ tool, args string }{
		{"write_file", `{"path":"a/b/c.txt","content":"hello"}`},
		{"append_file", `{"path":"a/b/c.txt","content":" world"}`},
		{"mkdir", `{"path":"x/y"}`},
		{"write_json", `{"path":"a/j.json","value":{"k":[1,2]}}`},
		{"move_file", `{"from":"a","to":"renamed/deeper"}`},
		{"write_file", `{"path":"renamed/deeper/b/c.txt","content":"!"}`},
		{"delete_file", `{"path":"renamed/deeper/j.json"}`},
		{"move_file", `{"from":"x","to":"z"}`},
		{"delete_file", `{"path":"z","recursive":true}`},
	} {
		mustCall(t, r, c.tool, c.args)
		var want, got usage
		must(t, w.store.read.QueryRow(`SELECT COUNT(*), COALESCE(SUM(kind = 'f'), 0), COALESCE(SUM(length(CAST(path AS BLOB)) + size), 0) FROM entries WHERE subject = ''`).
			Scan(&want.entries, &want.files, &want.bytes))
		must(t, w.store.read.QueryRow(`SELECT entries, files, bytes FROM usage WHERE subject = ''`).Scan(&got.entries, &got.files, &got.bytes))
		if got != want {
			t.Errorf("after %s(%s): usage %+v, rows take %+v", c.tool, c.args, got, want)
		}
	}
}

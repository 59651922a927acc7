package workspace

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcp-codemode/mcp-codemode/store"
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

// TestWorkspaceMigration opens a data directory holding a workspace.db of
// the first schema, as the workspace kept it before the store: the store
// adopts it, and the files are all there, with the usage counters counting
// what the rows take, paths included.
func TestWorkspaceMigration(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "workspace.db"))
	must(t, err)
	_, err = db.Exec(schemaV0)
	must(t, err)
	must(t, db.Close())

	for range 2 { // the second opening finds the new schema
		st := openStore(t, store.Options{Dir: dir})
		w := New(st, Limits{MaxBytes: 30})
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
		must(t, st.Close())
	}
}

// TestWorkspaceUsageCounters: after every kind of change the counters
// equal what the rows take.
func TestWorkspaceUsageCounters(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		w := b.open(t, Limits{})
		r := workspaceRegistry(t, w)
		for _, c := range []struct{ tool, args string }{
			{"write_file", `{"path":"a/b/c.txt","content":"hello"}`},
			{"append_file", `{"path":"a/b/c.txt","content":" world"}`},
			{"mkdir", `{"path":"x/y"}`},
			{"write_json", `{"path":"a/j.json","value":{"k":[1,2]}}`},
			{"move_file", `{"from":"a","to":"renamed/deeper"}`},
			{"write_file", `{"path":"renamed/deeper/b/c.txt","content":"!"}`},
			{"write_file", `{"path":"é/ü.txt","content":"ß\u0000"}`},
			{"delete_file", `{"path":"renamed/deeper/j.json"}`},
			{"move_file", `{"from":"x","to":"z"}`},
			{"move_file", `{"from":"\u00e9","to":"\u00f6"}`},
			{"delete_file", `{"path":"z","recursive":true}`},
		} {
			mustCall(t, r, c.tool, c.args)
			if got, want := counters(t, w.store, ""), rowsTake(t, w.store, ""); got != want {
				t.Errorf("after %s(%s): usage %+v, rows take %+v", c.tool, c.args, got, want)
			}
		}
	})
}

// counters reads the usage row of subject.
func counters(t testing.TB, st *store.Store, subject string) usage {
	t.Helper()
	var u usage
	err := st.Read().QueryRow(`SELECT entries, files, bytes FROM usage WHERE subject = $1`, subject).Scan(&u.entries, &u.files, &u.bytes)
	if !errors.Is(err, sql.ErrNoRows) {
		must(t, err)
	}
	return u
}

// rowsTake sums what the rows of subject take, as the counters should.
func rowsTake(t testing.TB, st *store.Store, subject string) usage {
	t.Helper()
	var u usage
	must(t, st.Read().QueryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN kind = 'f' THEN 1 ELSE 0 END), 0),
  COALESCE(SUM(`+st.ByteLength("path")+` + size), 0) FROM entries WHERE subject = $1`, subject).Scan(&u.entries, &u.files, &u.bytes))
	return u
}

// TestContentKeptExactly: any string a script writes reads back as it was,
// on every backend: NUL (which PostgreSQL's TEXT cannot hold), U+FFFF (the
// escape of the encoding there), backslashes, and appends across them.
func TestContentKeptExactly(t *testing.T) {
	onEach(t, func(t *testing.T, b backend) {
		w := b.open(t, Limits{})
		r := workspaceRegistry(t, w)
		ctx := context.Background()
		parts := []string{"a\x00b", "\uffff0", "\x00", `\0\\`, "\uffff", "\uffff\uffff0 é"}
		want := ""
		for i, p := range parts {
			want += p
			args, _ := json.Marshal(map[string]string{"path": "bin.txt", "content": p})
			tool := "append_file"
			if i == 0 {
				tool = "write_file"
			}
			mustCall(t, r, tool, string(args))
		}
		got, err := w.ReadFile(ctx, "bin.txt")
		if err != nil || got != want {
			t.Errorf("read back %q, %v; want %q", got, err, want)
		}
		if got := mustCall(t, r, "list_files", `{}`); got != fmt.Sprintf(`[{"path":"bin.txt","size":%d}]`, len(want)) {
			t.Errorf("list_files = %s; want the size of what was written, %d", got, len(want))
		}
	})
}

// TestListPrefixBytes: a prefix lists by bytes on every backend, whatever
// characters end it; one holding a control character lists nothing (no
// path holds one) instead of failing.
func TestListPrefixBytes(t *testing.T) {
	paths := []string{"a/Z", "a/a", "a/\u00e9/x", "a/\u00e9z", "a/\u00ea", "a/\u07ff", "a/\u0800", "a/\ud7ff", "a/\ue000", "a/\U0010ffff", "a0", "b"} // in byte order
	onEach(t, func(t *testing.T, b backend) {
		r := workspaceRegistry(t, b.open(t, Limits{}))
		for _, p := range paths {
			args, _ := json.Marshal(map[string]string{"path": p, "content": ""})
			mustCall(t, r, "write_file", string(args))
		}
		for _, c := range []struct {
			prefix string
			want   []string
		}{
			{"a/", paths[:10]},
			{"a/\u00e9", paths[2:4]},
			{"a/\u07ff", paths[5:6]},
			{"a/\ud7ff", paths[7:8]},
			{"a/\U0010ffff", paths[9:10]},
			{"a/\x00", nil},
			{"a/\x7f", nil},
			{"", paths},
		} {
			args, _ := json.Marshal(map[string]string{"prefix": c.prefix})
			var files []FileInfo
			must(t, json.Unmarshal([]byte(mustCall(t, r, "list_files", string(args))), &files))
			var got []string
			for _, f := range files {
				got = append(got, f.Path)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("list_files(prefix %q) (-want +got):\n%s", c.prefix, diff)
			}
		}
	})
}

func TestPrefixEnd(t *testing.T) {
	for p, want := range map[string]string{
		"a":                      "b",
		"a/":                     "a0",
		"\u00e9":                 "\u00ea",
		"\u007f":                 "\u0080",
		"\ud7ff":                 "\ue000",
		"x\U0010ffff":            "y",
		"\U0010ffff":             "\U0010ffff\U0010ffff",
		"ab\U0010ffff\U0010ffff": "ac",
	} {
		if got := prefixEnd(p); got != want {
			t.Errorf("prefixEnd(%q) = %q, want %q", p, got, want)
		}
	}
}

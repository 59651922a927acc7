package workspace

// The workspace's files live in SQLite. The design, for the limits and
// for fairness between subjects:
//
//   - One table, entries, keyed by (subject, path) through a unique index.
//     A directory is implied by the files under it, or made explicit (and
//     possibly empty) by mkdir as a row of kind 'd'. Nothing in it is a
//     host path: a path is only ever a key. The content is the last
//     column, so that listing reads the columns before it and never the
//     overflow pages of a large file.
//   - usage holds each subject's entries, files and bytes, kept exact by
//     triggers on entries, so a quota check reads one row instead of
//     summing every file. An entry costs len(path) + len(content) bytes:
//     paths are stored, so they count.
//   - With a data directory the database is in WAL mode: reads run on a
//     small pool of connections beside the one connection every change
//     goes through (BEGIN IMMEDIATE, so a transaction never has to be
//     retried). In memory there is one connection for both.
//   - Each subject passes its own gate first (gates, below): one
//     change and a few reads in flight per subject, so a subject that
//     floods the store queues behind itself, and another subject's call
//     waits for at most one of its transactions.
//
// Schema versions (PRAGMA user_version): 0 is the first one, a table
// "files" with the content before the metadata and no usage table; 2 is
// this one. Opening a version 0 database migrates it in place, in one
// transaction.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/mcp-codemode/mcp-codemode/tools"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

const workspaceSchema = `
CREATE TABLE IF NOT EXISTS entries (
  id       INTEGER PRIMARY KEY,
  subject  TEXT    NOT NULL,
  path     TEXT    NOT NULL,
  kind     TEXT    NOT NULL DEFAULT 'f', -- 'f' file, 'd' directory made by mkdir
  size     INTEGER NOT NULL DEFAULT 0,   -- of the content, in bytes
  created  INTEGER NOT NULL,             -- Unix milliseconds
  modified INTEGER NOT NULL,
  content  TEXT    NOT NULL DEFAULT '',  -- last: see the design above
  UNIQUE (subject, path)
);
CREATE TABLE IF NOT EXISTS usage (
  subject TEXT    NOT NULL PRIMARY KEY,
  entries INTEGER NOT NULL,
  files   INTEGER NOT NULL,
  bytes   INTEGER NOT NULL              -- paths and contents
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS entries_insert AFTER INSERT ON entries BEGIN
  INSERT INTO usage (subject, entries, files, bytes)
    VALUES (new.subject, 1, new.kind = 'f', length(CAST(new.path AS BLOB)) + new.size)
    ON CONFLICT (subject) DO UPDATE SET entries = entries + 1, files = files + (new.kind = 'f'),
      bytes = bytes + length(CAST(new.path AS BLOB)) + new.size;
END;
CREATE TRIGGER IF NOT EXISTS entries_delete AFTER DELETE ON entries BEGIN
  UPDATE usage SET entries = entries - 1, files = files - (old.kind = 'f'),
    bytes = bytes - length(CAST(old.path AS BLOB)) - old.size
    WHERE subject = old.subject;
END;
CREATE TRIGGER IF NOT EXISTS entries_update AFTER UPDATE OF path, kind, size ON entries BEGIN
  UPDATE usage SET files = files - (old.kind = 'f') + (new.kind = 'f'),
    bytes = bytes - length(CAST(old.path AS BLOB)) - old.size + length(CAST(new.path AS BLOB)) + new.size
    WHERE subject = new.subject;
END;
CREATE TABLE IF NOT EXISTS pins (          -- tool-definition pins (tools/pin.go), of every subject
  id          TEXT    NOT NULL PRIMARY KEY, -- server NUL tool
  hash        TEXT    NOT NULL,
  description TEXT    NOT NULL,
  pinned      INTEGER NOT NULL              -- Unix milliseconds
);
PRAGMA user_version = 2;
`

// migrateV0 moves the rows of a version 0 database into entries; the
// triggers count them into usage.
const migrateV0 = `
INSERT INTO entries (subject, path, kind, size, created, modified, content)
  SELECT subject, path, kind, size, created, modified, content FROM files ORDER BY subject, path;
DROP TABLE files;
`

// File is the name of the workspace's database in a data directory.
const File = "workspace.db"

// readConns is the number of connections reads share with a data
// directory; changes have one of their own.
const readConns = 4

// store is the database: one connection for changes, a pool for reads
// (the same one in memory).
type store struct {
	write, read *sql.DB
	gates       gates
}

// openStore opens the workspace database in dir, or in memory when dir is
// "", creating or migrating its schema.
func openStore(dir string) (*store, error) {
	if dir == "" {
		db, err := openDB(":memory:", 1) // an in-memory database lives in its one connection
		if err == nil {
			err = migrate(db)
		}
		if err != nil {
			return nil, err
		}
		return &store{write: db, read: db}, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	dsn := "file:" + filepath.Join(dir, File) + "?_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	w, err := openDB(dsn+"&_pragma=journal_mode(WAL)&_txlock=immediate", 1)
	if err != nil {
		return nil, err
	}
	if err := migrate(w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := openDB(dsn, readConns)
	if err != nil {
		w.Close()
		return nil, err
	}
	return &store{write: w, read: r}, nil
}

func openDB(dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("workspace database %s: %w", dsn, err)
	}
	return db, nil
}

// migrate creates the schema, moving the rows of an older one over.
func migrate(db *sql.DB) error {
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("workspace database: %w", err)
	}
	defer tx.Rollback()
	var old int
	if err := tx.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'files'`).Scan(&old); err != nil {
		return fmt.Errorf("workspace database: %w", err)
	}
	if _, err := tx.Exec(workspaceSchema); err != nil {
		return fmt.Errorf("workspace database: %w", err)
	}
	if old > 0 {
		if _, err := tx.Exec(migrateV0); err != nil {
			return fmt.Errorf("workspace database: migrating from the first schema: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("workspace database: %w", err)
	}
	return nil
}

func (s *store) close() error {
	err := s.write.Close()
	if s.read != s.write {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// entry is one row: a file, or a directory made by mkdir. content is
// only filled by get.
type entry struct {
	path              string
	dir               bool
	content           string
	size              int64
	created, modified time.Time
}

// tx is one transaction over the files of one subject.
type tx struct {
	ctx     context.Context
	tx      *sql.Tx
	subject string
}

// view runs fn in a read transaction over the files of ctx's subject.
func (w *Workspace) view(ctx context.Context, fn func(t *tx) error) error {
	return w.inTx(ctx, false, fn)
}

// update runs fn in a write transaction over the files of ctx's subject,
// committing when fn returns nil.
func (w *Workspace) update(ctx context.Context, fn func(t *tx) error) error {
	return w.inTx(ctx, true, fn)
}

func (w *Workspace) inTx(ctx context.Context, write bool, fn func(t *tx) error) error {
	s, err := w.database()
	if err != nil {
		return err
	}
	subject := tools.Subject(ctx)
	release, err := s.gates.enter(ctx, subject, write)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	defer release()
	db := s.read
	if write {
		db = s.write
	}
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	if err := fn(&tx{ctx: ctx, tx: sqlTx, subject: subject}); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// get returns the row at path with its content, or nil.
func (t *tx) get(path string) (*entry, error) {
	return t.row(`SELECT kind, size, created, modified, content FROM entries WHERE subject = ? AND path = ?`, path)
}

// meta returns the row at path without its content, or nil.
func (t *tx) meta(path string) (*entry, error) {
	return t.row(`SELECT kind, size, created, modified, '' FROM entries WHERE subject = ? AND path = ?`, path)
}

func (t *tx) row(query, path string) (*entry, error) {
	var (
		e        = entry{path: path}
		kind     string
		cms, mms int64
	)
	err := t.tx.QueryRowContext(t.ctx, query, t.subject, path).Scan(&kind, &e.size, &cms, &mms, &e.content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	e.dir, e.created, e.modified = kind == "d", time.UnixMilli(cms), time.UnixMilli(mms)
	return &e, nil
}

// below returns the condition and arguments of the rows under directory
// dir ("" is the root). Every path below "a" starts with "a/", and sorts
// in ["a/", "a0").
func below(dir string) (string, []any) {
	if dir == "" {
		return "", nil
	}
	return ` AND path >= ? AND path < ?`, []any{dir + "/", dir + "0"}
}

// under returns the metadata of the rows whose path starts with prefix,
// sorted by path, calling fn with each; fn's error stops the scan.
func (t *tx) under(prefix string, fn func(entry) error) error {
	q, args := `SELECT path, kind, size, created, modified FROM entries WHERE subject = ?`, []any{t.subject}
	if prefix != "" {
		q += ` AND path >= ? AND path < ?`
		args = append(args, prefix, prefixEnd(prefix))
	}
	rows, err := t.tx.QueryContext(t.ctx, q+` ORDER BY path`, args...)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e        entry
			kind     string
			cms, mms int64
		)
		if err := rows.Scan(&e.path, &kind, &e.size, &cms, &mms); err != nil {
			return fmt.Errorf("workspace: %w", err)
		}
		e.dir, e.created, e.modified = kind == "d", time.UnixMilli(cms), time.UnixMilli(mms)
		if err := fn(e); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// prefixEnd is the least string above every string that starts with p
// (SQLite compares text bytewise): p with its last byte incremented.
func prefixEnd(p string) string {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xff {
			b[i]++
			return string(b[:i+1])
		}
	}
	return "\U0010FFFF\U0010FFFF" // p is all 0xff bytes: no valid path follows
}

// summary is what stat says of a directory: the rows under it.
type summary struct {
	rows              int
	size              int64
	created, modified int64
}

// summarize counts the rows under directory dir.
func (t *tx) summarize(dir string) (summary, error) {
	cond, args := below(dir)
	var s summary
	err := t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(MIN(created), 0), COALESCE(MAX(modified), 0)
FROM entries WHERE subject = ?`+cond, append([]any{t.subject}, args...)...).Scan(&s.rows, &s.size, &s.created, &s.modified)
	if err != nil {
		err = fmt.Errorf("workspace: %w", err)
	}
	return s, err
}

// longestUnder is the byte length of the longest path at or under p.
func (t *tx) longestUnder(p string) (int, error) {
	cond, args := below(p)
	var n int
	err := t.tx.QueryRowContext(t.ctx, `SELECT COALESCE(MAX(length(CAST(path AS BLOB))), 0) FROM entries WHERE subject = ? AND (path = ? OR 1`+cond+`)`,
		append([]any{t.subject, p}, args...)...).Scan(&n)
	if err != nil {
		err = fmt.Errorf("workspace: %w", err)
	}
	return n, err
}

// usage is what the subject's files take: entries (files and
// directories), files, and bytes (paths and contents).
type usage struct {
	entries, files int
	bytes          int64
}

// usage reads the subject's counters, kept by the triggers.
func (t *tx) usage() (usage, error) {
	var u usage
	err := t.tx.QueryRowContext(t.ctx, `SELECT entries, files, bytes FROM usage WHERE subject = ?`, t.subject).Scan(&u.entries, &u.files, &u.bytes)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("workspace: %w", err)
	}
	return u, nil
}

// put writes a file or directory row, keeping its creation time.
func (t *tx) put(path string, dir bool, content string, now time.Time) error {
	kind := "f"
	if dir {
		kind = "d"
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO entries (subject, path, kind, size, created, modified, content) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (subject, path) DO UPDATE SET kind = excluded.kind, size = excluded.size, modified = excluded.modified, content = excluded.content`,
		t.subject, path, kind, len(content), now.UnixMilli(), now.UnixMilli(), content)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// appendTo adds text at the end of the file at path, which exists, without
// reading it into Go.
func (t *tx) appendTo(path, text string, now time.Time) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE entries SET content = content || ?, size = size + ?, modified = ? WHERE subject = ? AND path = ?`,
		text, len(text), now.UnixMilli(), t.subject, path)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// remove deletes the row at path and, with all, every row under it.
func (t *tx) remove(path string, all bool) error {
	q, args := `DELETE FROM entries WHERE subject = ? AND path = ?`, []any{t.subject, path}
	if all {
		q += ` OR subject = ? AND path >= ? AND path < ?`
		args = append(args, t.subject, path+"/", path+"0")
	}
	if _, err := t.tx.ExecContext(t.ctx, q, args...); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// rename moves the row at from, and every row under it, to to.
func (t *tx) rename(from, to string) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE entries SET path = ? || substr(path, ?) WHERE subject = ? AND (path = ? OR path >= ? AND path < ?)`,
		to, utf8.RuneCountInString(from)+1, t.subject, from, from+"/", from+"0") // substr counts characters
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// LoadPins returns the stored tool-definition pins (tools.PinStore).
func (w *Workspace) LoadPins() (map[string][2]string, error) {
	s, err := w.database()
	if err != nil {
		return nil, err
	}
	rows, err := s.read.Query(`SELECT id, hash, description FROM pins`)
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	defer rows.Close()
	out := map[string][2]string{}
	for rows.Next() {
		var id, hash, desc string
		if err := rows.Scan(&id, &hash, &desc); err != nil {
			return nil, fmt.Errorf("workspace: %w", err)
		}
		out[id] = [2]string{hash, desc}
	}
	return out, rows.Err()
}

// SavePin stores a tool-definition pin (tools.PinStore).
func (w *Workspace) SavePin(id, hash, description string) error {
	s, err := w.database()
	if err != nil {
		return err
	}
	_, err = s.write.Exec(`INSERT INTO pins (id, hash, description, pinned) VALUES (?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, description = excluded.description, pinned = excluded.pinned`,
		id, hash, description, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// gates keeps one subject's calls from queueing ahead of another's: each
// subject has at most one change and maxReads reads in flight, the rest
// wait at its own gate. The database then only ever sees a few calls per
// subject, so another subject's call waits for a few transactions, not
// for a queue one subject filled.
type gates struct {
	mu sync.Mutex
	m  map[string]*gate
}

// maxReads is how many reads of one subject run at once.
const maxReads = 2

type gate struct {
	write, read chan struct{} // semaphores
	users       int           // calls holding or waiting; the gate is dropped at 0
}

// enter waits for the subject's gate, returning the function that leaves
// it.
func (g *gates) enter(ctx context.Context, subject string, write bool) (func(), error) {
	gt := g.join(subject)
	sem := gt.read
	if write {
		sem = gt.write
	}
	select {
	case sem <- struct{}{}:
		return func() { <-sem; g.leave(subject) }, nil
	case <-ctx.Done():
		g.leave(subject)
		return nil, ctx.Err()
	}
}

func (g *gates) join(subject string) *gate {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil {
		g.m = map[string]*gate{}
	}
	gt := g.m[subject]
	if gt == nil {
		gt = &gate{write: make(chan struct{}, 1), read: make(chan struct{}, maxReads)}
		g.m[subject] = gt
	}
	gt.users++
	return gt
}

func (g *gates) leave(subject string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if gt := g.m[subject]; gt != nil {
		if gt.users--; gt.users == 0 {
			delete(g.m, subject)
		}
	}
}

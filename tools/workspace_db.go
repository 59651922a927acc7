package tools

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
)

// The workspace's files live in one SQLite table, keyed by subject and
// virtual path. A directory is implied by the files under it, or made
// explicit (and possibly empty) by mkdir as a row of kind 'd'. Nothing in
// it is a host path: a path is only ever a key.
const workspaceSchema = `
CREATE TABLE IF NOT EXISTS files (
  subject  TEXT    NOT NULL,
  path     TEXT    NOT NULL,
  kind     TEXT    NOT NULL DEFAULT 'f', -- 'f' file, 'd' directory made by mkdir
  content  TEXT    NOT NULL DEFAULT '',
  size     INTEGER NOT NULL DEFAULT 0,
  created  INTEGER NOT NULL,             -- Unix milliseconds
  modified INTEGER NOT NULL,
  PRIMARY KEY (subject, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pins (          -- tool-definition pins (pin.go), of every subject
  id          TEXT    NOT NULL PRIMARY KEY, -- server NUL tool
  hash        TEXT    NOT NULL,
  description TEXT    NOT NULL,
  pinned      INTEGER NOT NULL              -- Unix milliseconds
);
`

// WorkspaceFile is the name of the workspace's database in a data directory.
const WorkspaceFile = "workspace.db"

// openDB opens the workspace database in dir, or in memory when dir is "".
// One connection serialises every change, so a quota check and the write it
// admits are never interleaved with another write (and an in-memory
// database, which lives in its connection, is never lost to the pool).
func openDB(dir string) (*sql.DB, error) {
	dsn := ":memory:"
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("workspace: %w", err)
		}
		dsn = "file:" + filepath.Join(dir, WorkspaceFile) + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(5000)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if _, err := db.Exec(workspaceSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("workspace database %s: %w", dsn, err)
	}
	return db, nil
}

// entry is one row: a file, or a directory made by mkdir.
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

// inTx runs fn in a transaction over subject's files, committing when fn
// returns nil.
func (w *Workspace) inTx(ctx context.Context, fn func(t *tx) error) error {
	db, err := w.database()
	if err != nil {
		return err
	}
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	if err := fn(&tx{ctx: ctx, tx: sqlTx, subject: Subject(ctx)}); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// get returns the row at path, or nil.
func (t *tx) get(path string) (*entry, error) {
	var (
		e        = entry{path: path}
		kind     string
		cms, mms int64
	)
	err := t.tx.QueryRowContext(t.ctx, `SELECT kind, content, size, created, modified FROM files WHERE subject = ? AND path = ?`,
		t.subject, path).Scan(&kind, &e.content, &e.size, &cms, &mms)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	e.dir, e.created, e.modified = kind == "d", time.UnixMilli(cms), time.UnixMilli(mms)
	return &e, nil
}

// under returns the rows below directory dir ("" is the root), sorted by
// path. Every path below "a" starts with "a/", and sorts in ["a/", "a0").
func (t *tx) under(dir string) ([]entry, error) {
	q, args := `SELECT path, kind, size, created, modified FROM files WHERE subject = ?`, []any{t.subject}
	if dir != "" {
		q += ` AND path >= ? AND path < ?`
		args = append(args, dir+"/", dir+"0")
	}
	rows, err := t.tx.QueryContext(t.ctx, q+` ORDER BY path`, args...)
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	defer rows.Close()
	var out []entry
	for rows.Next() {
		var (
			e        entry
			kind     string
			cms, mms int64
		)
		if err := rows.Scan(&e.path, &kind, &e.size, &cms, &mms); err != nil {
			return nil, fmt.Errorf("workspace: %w", err)
		}
		e.dir, e.created, e.modified = kind == "d", time.UnixMilli(cms), time.UnixMilli(mms)
		out = append(out, e)
	}
	return out, rows.Err()
}

// usage is the number of rows and bytes of the subject.
func (t *tx) usage() (rows int, bytes int64, err error) {
	err = t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*), COALESCE(SUM(size), 0) FROM files WHERE subject = ?`, t.subject).Scan(&rows, &bytes)
	if err != nil {
		err = fmt.Errorf("workspace: %w", err)
	}
	return rows, bytes, err
}

// put writes a file or directory row, keeping its creation time.
func (t *tx) put(path string, dir bool, content string, now time.Time) error {
	kind := "f"
	if dir {
		kind = "d"
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO files (subject, path, kind, content, size, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (subject, path) DO UPDATE SET kind = excluded.kind, content = excluded.content, size = excluded.size, modified = excluded.modified`,
		t.subject, path, kind, content, len(content), now.UnixMilli(), now.UnixMilli())
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// remove deletes the row at path and, with below, every row under it.
func (t *tx) remove(path string, below bool) error {
	q, args := `DELETE FROM files WHERE subject = ? AND path = ?`, []any{t.subject, path}
	if below {
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
	_, err := t.tx.ExecContext(t.ctx, `UPDATE files SET path = ? || substr(path, ?) WHERE subject = ? AND (path = ? OR path >= ? AND path < ?)`,
		to, utf8.RuneCountInString(from)+1, t.subject, from, from+"/", from+"0") // substr counts characters
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// LoadPins returns the stored tool-definition pins (PinStore).
func (w *Workspace) LoadPins() (map[string][2]string, error) {
	db, err := w.database()
	if err != nil {
		return nil, err
	}
	rows, err := db.Query(`SELECT id, hash, description FROM pins`)
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

// SavePin stores a tool-definition pin (PinStore).
func (w *Workspace) SavePin(id, hash, description string) error {
	db, err := w.database()
	if err != nil {
		return err
	}
	_, err = db.Exec(`INSERT INTO pins (id, hash, description, pinned) VALUES (?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET hash = excluded.hash, description = excluded.description, pinned = excluded.pinned`,
		id, hash, description, time.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

package workspace

// The workspace's files live in the store's tables (package store creates
// them; see its schema.go). The design, for the limits, for fairness
// between subjects and for several replicas:
//
//   - One table, entries, keyed by (subject, path). A directory is implied
//     by the files under it, or made explicit (and possibly empty) by
//     mkdir as a row of kind 'd'. Nothing in it is a host path: a path is
//     only ever a key. The content is the last column, so that listing
//     reads the columns before it and never a large file's overflow pages.
//   - usage holds each subject's entries, files and bytes, kept exact by
//     triggers on entries, so a quota check reads one row instead of
//     summing every file. An entry costs its path's bytes and its size.
//   - Every call is one transaction. A change checks the quota inside its
//     transaction, after the change (change in ops.go), and keeps it only
//     within the limits. On SQLite changes go through one connection
//     (BEGIN IMMEDIATE), so they never overlap. On PostgreSQL, where
//     replicas write at once, a change first locks its subject's usage row
//     (lockUsage): two changes of one subject, on any replicas, take turns,
//     and neither can pass the quota on counts the other is changing. A
//     transaction touches one subject's rows, always that lock first, so
//     they cannot deadlock.
//   - Paths collate bytewise on both databases (COLLATE "C" on
//     PostgreSQL): ORDER BY path and the prefix ranges below agree.
//   - PostgreSQL's TEXT holds no NUL; a file may. Contents are kept there
//     with NUL written as U+FFFF "0" and U+FFFF doubled (contentCodec): a
//     rare character, so the text stays readable, and a mapping of each
//     character, so appending in SQL still works.
//   - Each subject passes its own gate first (gates.go): one change and a
//     few reads in flight per subject and process, so a subject that
//     floods the store queues behind itself, and another subject's call
//     waits for at most one of its transactions.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

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
	dialect store.Dialect
	length  string // the SQL of a path's length in bytes
	locked  *usage // the usage read by lockUsage, on PostgreSQL
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
	st, err := w.database()
	if err != nil {
		return unavailable(err)
	}
	subject := tools.Subject(ctx)
	release, err := w.gates.enter(ctx, subject, write)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	defer release()
	err = st.Tx(ctx, write, func(sqlTx *sql.Tx) error {
		t := &tx{ctx: ctx, tx: sqlTx, subject: subject, dialect: st.Dialect(), length: st.ByteLength("path")}
		if write && t.dialect == store.Postgres {
			if err := t.lockUsage(); err != nil {
				return err
			}
		}
		return fn(t)
	})
	return unavailable(err)
}

// unavailable turns a fault of the database into the StoreError the
// script sees; other errors pass as they are.
func unavailable(err error) error {
	var se *store.Error
	if !errors.As(err, &se) {
		return err
	}
	why := strings.TrimPrefix(se.Error(), "StoreError: ")
	return &tools.StoreError{Msg: "the workspace is unavailable: " + why + "; try again", Err: err}
}

// lockUsage locks the subject's usage row, making it when missing, and
// keeps what it holds: every change of the subject, on any replica,
// waits here for the one before to commit. (SELECT … FOR UPDATE marks the
// row; an upsert would write a new version of it at every change.)
func (t *tx) lockUsage() error {
	const lock = `SELECT entries, files, bytes FROM usage WHERE subject = $1 FOR UPDATE`
	var u usage
	err := t.tx.QueryRowContext(t.ctx, lock, t.subject).Scan(&u.entries, &u.files, &u.bytes)
	if errors.Is(err, sql.ErrNoRows) {
		_, err = t.tx.ExecContext(t.ctx, `INSERT INTO usage (subject, entries, files, bytes) VALUES ($1, 0, 0, 0) ON CONFLICT (subject) DO NOTHING`, t.subject)
		if err == nil {
			err = t.tx.QueryRowContext(t.ctx, lock, t.subject).Scan(&u.entries, &u.files, &u.bytes)
		}
	}
	if err != nil {
		return fmt.Errorf("workspace: locking the subject's usage: %w", err)
	}
	t.locked = &u
	return nil
}

// get returns the row at path with its content, or nil.
func (t *tx) get(path string) (*entry, error) {
	e, err := t.row(`SELECT kind, size, created, modified, content FROM entries WHERE subject = $1 AND path = $2`, path)
	if e != nil && t.dialect == store.Postgres {
		e.content = decodeContent(e.content)
	}
	return e, err
}

// meta returns the row at path without its content, or nil.
func (t *tx) meta(path string) (*entry, error) {
	return t.row(`SELECT kind, size, created, modified, '' FROM entries WHERE subject = $1 AND path = $2`, path)
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
// dir ("" is the root), its placeholders numbered from n. Every path below
// "a" starts with "a/", and sorts in ["a/", "a0").
func below(dir string, n int) (string, []any) {
	if dir == "" {
		return "", nil
	}
	return fmt.Sprintf(` AND path >= $%d AND path < $%d`, n, n+1), []any{dir + "/", dir + "0"}
}

// under returns the metadata of the rows whose path starts with prefix,
// sorted by path, calling fn with each; fn's error stops the scan.
func (t *tx) under(prefix string, fn func(entry) error) error {
	q, args := `SELECT path, kind, size, created, modified FROM entries WHERE subject = $1`, []any{t.subject}
	if prefix != "" {
		q += ` AND path >= $2 AND path < $3`
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

// prefixEnd is the least valid UTF-8 string above every string that
// starts with p, p being valid UTF-8: p with its last character
// incremented (UTF-8's byte order is the order of code points, and
// PostgreSQL takes valid UTF-8 only).
func prefixEnd(p string) string {
	for p != "" {
		r, n := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-n]
		switch {
		case r == unicode.MaxRune:
			continue // nothing follows it: increment the character before
		case r == 0xD7FF:
			r = 0xE000 // past the surrogates, which UTF-8 cannot hold
		default:
			r++
		}
		return p + string(r)
	}
	return string(unicode.MaxRune) + string(unicode.MaxRune) // p is all U+10FFFF: no path follows
}

// summary is what stat says of a directory: the rows under it.
type summary struct {
	rows              int
	size              int64
	created, modified int64
}

// summarize counts the rows under directory dir.
func (t *tx) summarize(dir string) (summary, error) {
	cond, args := below(dir, 2)
	var s summary
	err := t.tx.QueryRowContext(t.ctx, `SELECT COUNT(*), COALESCE(SUM(size), 0), COALESCE(MIN(created), 0), COALESCE(MAX(modified), 0)
FROM entries WHERE subject = $1`+cond, append([]any{t.subject}, args...)...).Scan(&s.rows, &s.size, &s.created, &s.modified)
	if err != nil {
		err = fmt.Errorf("workspace: %w", err)
	}
	return s, err
}

// longestUnder is the byte length of the longest path at or under p.
func (t *tx) longestUnder(p string) (int, error) {
	cond, args := below(p, 3)
	var n int
	err := t.tx.QueryRowContext(t.ctx, `SELECT COALESCE(MAX(`+t.length+`), 0) FROM entries WHERE subject = $1 AND (path = $2 OR TRUE`+cond+`)`,
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
	err := t.tx.QueryRowContext(t.ctx, `SELECT entries, files, bytes FROM usage WHERE subject = $1`, t.subject).Scan(&u.entries, &u.files, &u.bytes)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("workspace: %w", err)
	}
	return u, nil
}

// usageBefore is the subject's usage at the start of the transaction:
// what lockUsage read, or the row.
func (t *tx) usageBefore() (usage, error) {
	if t.locked != nil {
		return *t.locked, nil
	}
	return t.usage()
}

// put writes a file or directory row, keeping its creation time.
func (t *tx) put(path string, dir bool, content string, now time.Time) error {
	kind := "f"
	if dir {
		kind = "d"
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO entries (subject, path, kind, size, created, modified, content) VALUES ($1, $2, $3, $4, $5, $5, $6)
ON CONFLICT (subject, path) DO UPDATE SET kind = excluded.kind, size = excluded.size, modified = excluded.modified, content = excluded.content`,
		t.subject, path, kind, len(content), now.UnixMilli(), t.encode(content))
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// appendTo adds text at the end of the file at path, which exists, without
// reading it into Go.
func (t *tx) appendTo(path, text string, now time.Time) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE entries SET content = content || $1, size = size + $2, modified = $3 WHERE subject = $4 AND path = $5`,
		t.encode(text), len(text), now.UnixMilli(), t.subject, path)
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// remove deletes the row at path and, with all, every row under it.
func (t *tx) remove(path string, all bool) error {
	q, args := `DELETE FROM entries WHERE subject = $1 AND path = $2`, []any{t.subject, path}
	if all {
		q = `DELETE FROM entries WHERE subject = $1 AND (path = $2 OR path >= $3 AND path < $4)`
		args = append(args, path+"/", path+"0")
	}
	if _, err := t.tx.ExecContext(t.ctx, q, args...); err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// rename moves the row at from, and every row under it, to to.
func (t *tx) rename(from, to string) error {
	_, err := t.tx.ExecContext(t.ctx, `UPDATE entries SET path = $1 || substr(path, $2) WHERE subject = $3 AND (path = $4 OR path >= $5 AND path < $6)`,
		to, utf8.RuneCountInString(from)+1, t.subject, from, from+"/", from+"0") // substr counts characters
	if err != nil {
		return fmt.Errorf("workspace: %w", err)
	}
	return nil
}

// encode is content as the database keeps it (see contentCodec).
func (t *tx) encode(content string) string {
	if t.dialect != store.Postgres || !strings.ContainsAny(content, "\x00\uffff") {
		return content
	}
	return encoder.Replace(content)
}

// decodeContent is content as the script wrote it.
func decodeContent(kept string) string {
	if !strings.ContainsRune(kept, '\uffff') {
		return kept
	}
	return decoder.Replace(kept)
}

// contentCodec: NUL is U+FFFF "0" and U+FFFF is U+FFFF twice. Each
// character maps on its own, so encode(a + b) = encode(a) + encode(b) and
// an append concatenates in SQL.
var (
	encoder = strings.NewReplacer("\x00", "\uffff0", "\uffff", "\uffff\uffff")
	decoder = strings.NewReplacer("\uffff0", "\x00", "\uffff\uffff", "\uffff")
)

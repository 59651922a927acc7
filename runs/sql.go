package runs

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/mcp-codemode/mcp-codemode/store"
)

// SQL keeps records in package store's database (tables runs and
// run_calls, migration 2), SQLite or PostgreSQL alike.
type SQL struct {
	st *store.Store
}

// NewSQL returns a Backend on st.
func NewSQL(st *store.Store) *SQL { return &SQL{st: st} }

const (
	insertRun = `INSERT INTO runs (id, subject, started, ended, code, calls, result_bytes, outcome, error_name, error_message, trace_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`
	insertCall = `INSERT INTO run_calls (run_id, ordinal, kind, name, args_bytes, args_sha256, outcome, error_name, start_us, duration_us)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	runColumns = `id, subject, started, ended, code, calls, result_bytes, outcome, error_name, error_message, trace_id`
)

// Insert implements Backend: one transaction for the batch, each statement
// prepared once for it (SQLite parsed the statement again for every row:
// about a third of a record's cost).
func (s *SQL) Insert(ctx context.Context, recs []*Record) error {
	return s.st.Tx(ctx, true, func(tx *sql.Tx) error {
		ins := inserter{ctx: ctx, tx: tx}
		defer ins.close()
		for _, r := range recs {
			if err := ins.insert(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// inserter inserts the records of one transaction.
type inserter struct {
	ctx        context.Context
	tx         *sql.Tx
	run, calls *sql.Stmt // prepared on first use
}

func (in *inserter) insert(r *Record) error {
	if err := in.exec(&in.run, insertRun, r.ID, text(r.Subject), r.Start.UnixMilli(), r.End.UnixMilli(), text(r.Code),
		len(r.Calls), r.ResultBytes, r.Outcome, r.ErrorName, text(r.ErrorMsg), r.TraceID); err != nil {
		return err
	}
	for _, c := range r.Calls {
		if err := in.exec(&in.calls, insertCall, r.ID, c.Ordinal, c.Kind, text(c.Name), c.ArgsBytes, c.ArgsSHA256,
			c.Outcome, c.ErrorName, c.Start.Microseconds(), c.Duration.Microseconds()); err != nil {
			return err
		}
	}
	return nil
}

// exec runs query with args through *stmt, preparing it first if need be.
func (in *inserter) exec(stmt **sql.Stmt, query string, args ...any) error {
	if *stmt == nil {
		st, err := in.tx.PrepareContext(in.ctx, query)
		if err != nil {
			return err
		}
		*stmt = st
	}
	_, err := (*stmt).ExecContext(in.ctx, args...)
	return err
}

func (in *inserter) close() {
	for _, st := range []*sql.Stmt{in.run, in.calls} {
		if st != nil {
			st.Close()
		}
	}
}

// text is s as PostgreSQL's TEXT takes it (valid UTF-8, no NUL), on both
// databases so that they keep the same.
func text(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// List implements Backend.
func (s *SQL) List(ctx context.Context, q Query) ([]*Record, error) {
	query, args := `SELECT `+runColumns+` FROM runs ORDER BY started DESC, id LIMIT $1`, []any{limit(q)}
	if q.Subject != "" {
		query, args = `SELECT `+runColumns+` FROM runs WHERE subject = $2 ORDER BY started DESC, id LIMIT $1`, append(args, q.Subject)
	}
	rows, err := s.st.Read().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.st.Wrap(err)
	}
	defer rows.Close()
	var out []*Record
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, s.st.Wrap(err)
		}
		out = append(out, r)
	}
	return out, s.st.Wrap(rows.Err())
}

// Get implements Backend.
func (s *SQL) Get(ctx context.Context, id string) (*Record, error) {
	var r *Record
	err := s.st.Tx(ctx, false, func(tx *sql.Tx) error {
		var err error
		if r, err = scanRun(tx.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs WHERE id = $1`, id)); err != nil {
			return err
		}
		r.Calls, err = calls(ctx, tx, id)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return r, err
}

func calls(ctx context.Context, tx *sql.Tx, id string) ([]Call, error) {
	rows, err := tx.QueryContext(ctx, `SELECT ordinal, kind, name, args_bytes, args_sha256, outcome, error_name, start_us, duration_us, result
FROM run_calls WHERE run_id = $1 ORDER BY ordinal`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Call
	for rows.Next() {
		var c Call
		var start, d int64
		var result sql.NullString
		if err := rows.Scan(&c.Ordinal, &c.Kind, &c.Name, &c.ArgsBytes, &c.ArgsSHA256, &c.Outcome, &c.ErrorName, &start, &d, &result); err != nil {
			return nil, err
		}
		c.Start, c.Duration = time.Duration(start)*time.Microsecond, time.Duration(d)*time.Microsecond
		if result.Valid {
			c.Result = []byte(result.String)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

type scanner interface{ Scan(dest ...any) error }

func scanRun(row scanner) (*Record, error) {
	var r Record
	var start, end int64
	err := row.Scan(&r.ID, &r.Subject, &start, &end, &r.Code, &r.CallCount, &r.ResultBytes, &r.Outcome, &r.ErrorName, &r.ErrorMsg, &r.TraceID)
	r.Start, r.End = time.UnixMilli(start), time.UnixMilli(end)
	return &r, err
}

// Prune implements Backend: the oldest records before t, at most max, and
// their calls, in one transaction.
func (s *SQL) Prune(ctx context.Context, before time.Time, max int) (int, error) {
	var n int64
	err := s.st.Tx(ctx, true, func(tx *sql.Tx) error {
		const oldest = `SELECT id FROM runs WHERE started < $1 ORDER BY started, id LIMIT $2`
		if _, err := tx.ExecContext(ctx, `DELETE FROM run_calls WHERE run_id IN (`+oldest+`)`, before.UnixMilli(), max); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE id IN (`+oldest+`)`, before.UnixMilli(), max)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return int(n), err
}

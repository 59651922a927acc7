package store

// The legacy MCP session registry (table sessions): one row per session
// that a client opened with initialize under a protocol version before
// 2026-07-28, shared by every replica. Package hosted owns what the rows
// mean (state is its JSON); this file is their SQL.

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Session is one row of the session registry.
type Session struct {
	ID, Subject string
	State       string // JSON, package hosted's
	Created     time.Time
	Used        time.Time
}

// SessionCapError refuses a session over a cap: the subject's
// (PerSubject) or the server's. Oldest is when the least recently used
// session the cap counts was last used.
type SessionCapError struct {
	PerSubject bool
	Limit      int
	Oldest     time.Time
}

func (e *SessionCapError) Error() string {
	if e.PerSubject {
		return "too many sessions for this subject"
	}
	return "too many sessions"
}

// sessionsLock is the key of the advisory lock that orders the creation
// of sessions on PostgreSQL, so that the caps hold exactly.
const sessionsLock = 0x636f64656d6f6465 // "codemode"

// CreateSession inserts row unless its subject holds perSubject sessions or
// all subjects total (a *SessionCapError). Rows last used before idleSince
// are expired: when a cap is reached they are deleted and the caps counted
// again; their ids are returned, so that the caller can end them.
//
// The count is exact on both databases: SQLite has one writer, and on
// PostgreSQL the creating transactions take one advisory lock in turn
// (creating a session is rare next to using one: one initialize per
// conversation).
func (s *Store) CreateSession(ctx context.Context, row Session, perSubject, total int, idleSince time.Time) (expired []string, err error) {
	err = s.Tx(ctx, true, func(tx *sql.Tx) error {
		expired = nil
		if s.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(sessionsLock)); err != nil {
				return err
			}
		}
		full, err := sessionRoom(ctx, tx, row.Subject, perSubject, total)
		if err == nil && full != nil {
			if expired, err = expireSessions(ctx, tx, idleSince); err == nil {
				full, err = sessionRoom(ctx, tx, row.Subject, perSubject, total)
			}
		}
		switch {
		case err != nil:
			return err
		case full != nil:
			return full
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions (id, subject, state, created, used) VALUES ($1, $2, $3, $4, $5)`,
			row.ID, row.Subject, row.State, row.Created.UnixMilli(), row.Used.UnixMilli())
		return err
	})
	return expired, err
}

// sessionRoom returns the cap a new session of subject would pass, or nil.
func sessionRoom(ctx context.Context, tx *sql.Tx, subject string, perSubject, total int) (*SessionCapError, error) {
	var n int
	var oldest sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*), MIN(used) FROM sessions WHERE subject = $1`, subject).Scan(&n, &oldest)
	if err != nil || n >= perSubject {
		return &SessionCapError{PerSubject: true, Limit: perSubject, Oldest: time.UnixMilli(oldest.Int64)}, err
	}
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*), MIN(used) FROM sessions`).Scan(&n, &oldest)
	if err != nil || n >= total {
		return &SessionCapError{Limit: total, Oldest: time.UnixMilli(oldest.Int64)}, err
	}
	return nil, nil
}

// Session returns the row of session id; found is false when there is
// none.
func (s *Store) Session(ctx context.Context, id string) (row Session, found bool, err error) {
	var created, used int64
	err = s.read.QueryRowContext(ctx, `SELECT id, subject, state, created, used FROM sessions WHERE id = $1`, id).
		Scan(&row.ID, &row.Subject, &row.State, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, s.Wrap(err)
	}
	row.Created, row.Used = time.UnixMilli(created), time.UnixMilli(used)
	return row, true, nil
}

// TouchSession marks subject's session id used at now, unless it was last
// used before idleSince (it has expired) or is gone: then it reports false.
func (s *Store) TouchSession(ctx context.Context, id, subject string, now, idleSince time.Time) (bool, error) {
	res, err := s.write.ExecContext(ctx, `UPDATE sessions SET used = $1 WHERE id = $2 AND subject = $3 AND used >= $4`,
		now.UnixMilli(), id, subject, idleSince.UnixMilli())
	if err != nil {
		return false, s.Wrap(err)
	}
	n, err := res.RowsAffected()
	return n > 0, s.Wrap(err)
}

// SetSessionState replaces the state of subject's session id.
func (s *Store) SetSessionState(ctx context.Context, id, subject, state string) error {
	_, err := s.write.ExecContext(ctx, `UPDATE sessions SET state = $1 WHERE id = $2 AND subject = $3`, state, id, subject)
	return s.Wrap(err)
}

// DeleteSession deletes session id (nothing when there is none).
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return s.Wrap(err)
}

// ExpireSessions deletes the sessions last used before idleSince and
// returns their ids.
func (s *Store) ExpireSessions(ctx context.Context, idleSince time.Time) (ids []string, err error) {
	err = s.Tx(ctx, true, func(tx *sql.Tx) error {
		ids, err = expireSessions(ctx, tx, idleSince)
		return err
	})
	return ids, err
}

func expireSessions(ctx context.Context, tx *sql.Tx, idleSince time.Time) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM sessions WHERE used < $1 RETURNING id`, idleSince.UnixMilli())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

package store

// The legacy MCP session registry (table sessions): one row per session
// that a client opened with initialize under a protocol version before
// 2026-07-28, shared by every replica. Package hosted owns what the rows
// mean (state is its JSON); this file is their SQL.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Session is one row of the session registry.
type Session struct {
	ID, Subject string
	State       string // JSON, package hosted's
	Created     time.Time
	Used        time.Time
	Stream      string // the replica holding its SSE stream (see Heartbeat); "" for none
}

// ReplicaLease is how long a replica that holds SSE streams is taken to be
// alive after its last Heartbeat. Past it, the sessions whose stream it
// held (which ended with it) no longer count against the caps, and the
// next expiry deletes them, instead of counting until they idle out.
const ReplicaLease = 30 * time.Second

// Heartbeat records that replica is alive at now. A replica that holds SSE
// streams calls it well within ReplicaLease, and before the first session
// whose stream it holds is created.
func (s *Store) Heartbeat(ctx context.Context, replica string, now time.Time) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO replicas (id, seen) VALUES ($1, $2)
		ON CONFLICT (id) DO UPDATE SET seen = excluded.seen`, replica, now.UnixMilli())
	return s.Wrap(err)
}

// alive is the SQL condition of a session whose stream, if any, is held by
// a live replica; $N is time.Now() less ReplicaLease in Unix milliseconds.
func alive(n int) string {
	return fmt.Sprintf(`(stream = '' OR stream IN (SELECT id FROM replicas WHERE seen >= $%d))`, n)
}

// liveSince is the oldest heartbeat of a live replica.
func liveSince() int64 { return time.Now().Add(-ReplicaLease).UnixMilli() }

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
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions (id, subject, state, created, used, stream) VALUES ($1, $2, $3, $4, $5, $6)`,
			row.ID, row.Subject, row.State, row.Created.UnixMilli(), row.Used.UnixMilli(), row.Stream)
		return err
	})
	return expired, err
}

// sessionRoom returns the cap a new session of subject would pass, or nil.
// The sessions of a replica past its lease do not count.
func sessionRoom(ctx context.Context, tx *sql.Tx, subject string, perSubject, total int) (*SessionCapError, error) {
	var n int
	var oldest sql.NullInt64
	live := liveSince()
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*), MIN(used) FROM sessions WHERE subject = $1 AND `+alive(2), subject, live).Scan(&n, &oldest)
	if err != nil || n >= perSubject {
		return &SessionCapError{PerSubject: true, Limit: perSubject, Oldest: time.UnixMilli(oldest.Int64)}, err
	}
	err = tx.QueryRowContext(ctx, `SELECT COUNT(*), MIN(used) FROM sessions WHERE `+alive(1), live).Scan(&n, &oldest)
	if err != nil || n >= total {
		return &SessionCapError{Limit: total, Oldest: time.UnixMilli(oldest.Int64)}, err
	}
	return nil, nil
}

// Session returns the row of session id; found is false when there is
// none.
func (s *Store) Session(ctx context.Context, id string) (row Session, found bool, err error) {
	var created, used int64
	err = s.read.QueryRowContext(ctx, `SELECT id, subject, state, created, used, stream FROM sessions WHERE id = $1`, id).
		Scan(&row.ID, &row.Subject, &row.State, &created, &used, &row.Stream)
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

// ExpireSessions deletes the sessions last used before idleSince, and those
// whose stream a replica past its lease held, and returns their ids.
func (s *Store) ExpireSessions(ctx context.Context, idleSince time.Time) (ids []string, err error) {
	err = s.Tx(ctx, true, func(tx *sql.Tx) error {
		ids, err = expireSessions(ctx, tx, idleSince)
		if err == nil {
			// A replica gone for a day holds no session: forget it.
			_, err = tx.ExecContext(ctx, `DELETE FROM replicas WHERE seen < $1`, time.Now().Add(-24*time.Hour).UnixMilli())
		}
		return err
	})
	return ids, err
}

func expireSessions(ctx context.Context, tx *sql.Tx, idleSince time.Time) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `DELETE FROM sessions WHERE used < $1 OR NOT `+alive(2)+` RETURNING id`, idleSince.UnixMilli(), liveSince())
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

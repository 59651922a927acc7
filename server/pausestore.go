package server

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/store"
)

// StorePauses returns the PauseStore of st: paused runs in its approvals
// table, so that a retry resumes on whichever replica receives it, and
// the key that signs requestStates made once and kept in its secrets
// table, so that every replica verifies the others' states.
func StorePauses(st *store.Store) PauseStore { return &storePauses{st: st} }

type storePauses struct {
	st *store.Store

	mu  sync.Mutex
	key []byte
}

// stateKeyName is the secret requestStates are signed with.
const stateKeyName = "request_state_key"

func (p *storePauses) Key(ctx context.Context) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key != nil {
		return p.key, nil
	}
	fresh := make([]byte, 32)
	rand.Read(fresh)
	var value string
	err := p.st.Tx(ctx, true, func(tx *sql.Tx) error {
		// The first replica to get here makes the key; the others read it.
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`,
			stateKeyName, hex.EncodeToString(fresh)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = $1`, stateKeyName).Scan(&value)
	})
	if err != nil {
		return nil, p.st.Wrap(err)
	}
	key, err := hex.DecodeString(value)
	if err != nil || len(key) < 32 {
		return nil, errors.New("the stored requestState key is malformed")
	}
	p.key = key
	return key, nil
}

func (p *storePauses) Save(ctx context.Context, r *Paused) error {
	now := time.Now().UnixMilli()
	err := p.st.Tx(ctx, true, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM approvals WHERE expires < $1`, now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO approvals (run, subject, round, expires, journal) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (run) DO UPDATE SET subject = excluded.subject, round = excluded.round,
			  expires = excluded.expires, journal = excluded.journal`,
			r.Run, r.Subject, r.Round, r.Expires.UnixMilli(), string(r.Journal))
		return err
	})
	return p.st.Wrap(err)
}

func (p *storePauses) Load(ctx context.Context, run string) (*Paused, error) {
	r := &Paused{Run: run}
	var expires int64
	var journal string
	err := p.st.Read().QueryRowContext(ctx, `SELECT subject, round, expires, journal FROM approvals WHERE run = $1`, run).
		Scan(&r.Subject, &r.Round, &expires, &journal)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, p.st.Wrap(err)
	}
	if r.Expires = time.UnixMilli(expires); time.Now().After(r.Expires) {
		return nil, nil
	}
	r.Journal = []byte(journal)
	return r, nil
}

func (p *storePauses) Claim(ctx context.Context, run string, round int) (bool, error) {
	var n int64
	err := p.st.Tx(ctx, true, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE approvals SET round = round + 1 WHERE run = $1 AND round = $2`, run, round)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n == 1, p.st.Wrap(err)
}

package hosted

import (
	"context"
	"errors"
	"time"

	"github.com/mcp-codemode/mcp-codemode/store"
)

// storeShared is a *store.Store as the shared state of replicas.
type storeShared struct{ *store.Store }

func (s storeShared) createSession(ctx context.Context, row sessionRow, perSubject, total int, idleSince time.Time) ([]string, error) {
	expired, err := s.CreateSession(ctx, store.Session(row), perSubject, total, idleSince)
	if full := (*store.SessionCapError)(nil); errors.As(err, &full) {
		return expired, &sessionCap{perSubject: full.PerSubject, oldest: full.Oldest}
	}
	return expired, err
}

func (s storeShared) loadSession(ctx context.Context, id string) (sessionRow, bool, error) {
	row, found, err := s.Session(ctx, id)
	return sessionRow(row), found, err
}

func (s storeShared) touchSession(ctx context.Context, id, subject string, now, idleSince time.Time) (bool, error) {
	return s.TouchSession(ctx, id, subject, now, idleSince)
}

func (s storeShared) saveSession(ctx context.Context, id, subject, state string) error {
	return s.SetSessionState(ctx, id, subject, state)
}

func (s storeShared) deleteSession(ctx context.Context, id string) error {
	return s.DeleteSession(ctx, id)
}

func (s storeShared) expireSessions(ctx context.Context, idleSince time.Time) ([]string, error) {
	return s.ExpireSessions(ctx, idleSince)
}

func (s storeShared) heartbeat(ctx context.Context, replica string, now time.Time) error {
	return s.Heartbeat(ctx, replica, now)
}

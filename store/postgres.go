package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// migrationLock is the key of the advisory lock migrations run under
// ("codemode" in ASCII), so replicas starting together migrate one by one.
const migrationLock = 0x636f64656d6f6465

func openPostgres(ctx context.Context, o Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(o.URL)
	if err != nil {
		return nil, parseError(err)
	}
	cfg.ConnectTimeout = o.ConnectTimeout
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{dialect: Postgres, write: db, read: db, secret: cfg.Password, log: o.Logger, bus: newBus()}
	if err := s.migrateLocked(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if s.listener, err = startListener(ctx, cfg, s); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// parseError says what is wrong with the URL without repeating it: it
// holds the password.
func parseError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		return fmt.Errorf("store: the database URL cannot be parsed: %s", scrubURL(pe.Unwrap().Error(), pe.ConnString))
	}
	return errors.New("store: the database URL cannot be parsed; write it as postgres://USER:PASSWORD@HOST:PORT/DATABASE")
}

// scrubURL removes the URL itself from a message about it.
func scrubURL(msg, url string) string {
	if url == "" {
		return msg
	}
	return scrub(msg, url)
}

// migrateLocked migrates under the advisory lock, on one connection of
// the pool (the lock belongs to the session that took it).
func (s *Store) migrateLocked(ctx context.Context) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return s.wrapAlways("connecting", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return s.wrapAlways("taking the migration lock", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	s.version, err = migrate(ctx, conn, Postgres)
	var newer *NewerError
	if errors.As(err, &newer) {
		return err
	}
	if err != nil {
		return fmt.Errorf("store: %w", s.Wrap(err))
	}
	return nil
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// migrate brings the database on conn to SchemaVersion, one transaction
// per version, and returns the version it is at. On PostgreSQL the caller
// holds the advisory lock.
func migrate(ctx context.Context, conn *sql.Conn, d Dialect) (int, error) {
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  applied BIGINT  NOT NULL -- Unix milliseconds
)`); err != nil {
		return 0, fmt.Errorf("creating schema_migrations: %w", err)
	}
	var current int
	if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return 0, fmt.Errorf("reading the schema version: %w", err)
	}
	if current > SchemaVersion {
		return current, &NewerError{Version: current, Known: SchemaVersion}
	}
	for _, m := range migrations {
		if m.version <= current {
			continue
		}
		if err := apply(ctx, conn, d, m); err != nil {
			return current, fmt.Errorf("migrating the schema to version %d: %w", m.version, err)
		}
		current = m.version
	}
	return current, nil
}

// NewerError refuses a database whose schema a newer mcp-codemode made:
// this one cannot know what the newer tables mean.
type NewerError struct {
	Version int // the database's
	Known   int // this binary's SchemaVersion
}

func (e *NewerError) Error() string {
	return fmt.Sprintf("store: the database schema is at version %d, newer than this mcp-codemode knows (up to %d): "+
		"upgrade mcp-codemode, or point it at another database", e.Version, e.Known)
}

// apply runs one migration in one transaction.
func apply(ctx context.Context, conn *sql.Conn, d Dialect, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Another process may have applied it since migrate read the version:
	// on PostgreSQL the lock rules that out, on a SQLite file two processes
	// opening one data_dir at once take turns only here (BEGIN IMMEDIATE).
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, m.version).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	text := m.sqlite
	if d == Postgres {
		text = m.postgres
	}
	if _, err := tx.ExecContext(ctx, text); err != nil {
		return err
	}
	if m.version == 1 && d == SQLite {
		if err := adoptFiles(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)`,
		m.version, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// adoptFiles moves the rows of a first-layout workspace (version 0, a
// table "files") into entries.
func adoptFiles(ctx context.Context, tx *sql.Tx) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'files'`).Scan(&n); err != nil || n == 0 {
		return err
	}
	if _, err := tx.ExecContext(ctx, adoptV0); err != nil {
		return fmt.Errorf("moving the rows of the first workspace layout: %w", err)
	}
	return nil
}

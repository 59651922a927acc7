package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// Options says which database to open. The zero value is SQLite in memory.
type Options struct {
	// URL is codemode.database_url: a postgres:// or postgresql:// URL
	// selects PostgreSQL (and Dir is ignored). "" selects SQLite.
	URL string
	// Dir is codemode.data_dir: SQLite keeps Dir/codemode.db. With URL and
	// Dir both "", the database is SQLite in memory, gone at Close.
	Dir string
	// MaxConns bounds the PostgreSQL pool (codemode.database_max_conns);
	// 0 means 10. SQLite ignores it.
	MaxConns int
	// ConnectTimeout bounds each attempt to connect to PostgreSQL
	// (codemode.database_connect_timeout); 0 means 5s.
	ConnectTimeout time.Duration
	// Logger receives the bus's reconnections and the adoption of an old
	// workspace file; nil means slog.Default().
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.MaxConns <= 0 {
		o.MaxConns = 10
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Dialect is the kind of database behind a [Store].
type Dialect int

const (
	SQLite   Dialect = iota // a file under Options.Dir, or memory
	Postgres                // Options.URL
)

func (d Dialect) String() string {
	if d == Postgres {
		return "postgres"
	}
	return "sqlite"
}

// Store is the open database and its bus. It is safe for concurrent use.
type Store struct {
	dialect     Dialect
	write, read *sql.DB
	version     int // the schema version after Open's migrations
	secret      string
	log         *slog.Logger
	bus         *bus
	listener    *listener // PostgreSQL only
	closeOnce   sync.Once
	closeErr    error
}

// Open opens the database o names and brings its schema to [SchemaVersion]
// (on PostgreSQL under an advisory lock, so replicas starting together
// migrate once). A database newer than this binary is refused.
func Open(ctx context.Context, o Options) (*Store, error) {
	o.defaults()
	if o.URL != "" {
		if !IsPostgresURL(o.URL) {
			return nil, errors.New("store: the database URL must start with postgres:// or postgresql://")
		}
		return openPostgres(ctx, o)
	}
	return openSQLite(ctx, o)
}

// IsPostgresURL reports whether u names a PostgreSQL database.
func IsPostgresURL(u string) bool {
	l := strings.ToLower(u)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// Dialect is the kind of database: the few statements that differ branch
// on it (see the package doc).
func (s *Store) Dialect() Dialect { return s.dialect }

// Version is the schema version of the database, [SchemaVersion] once Open
// returned.
func (s *Store) Version() int { return s.version }

// Write is where changes go. On SQLite it is the one writer connection,
// whose transactions begin IMMEDIATE (they never need a retry); on
// PostgreSQL it is the pool, the same as [Store.Read].
func (s *Store) Write() *sql.DB { return s.write }

// Read is where reads go. On a SQLite file it is a pool of readers beside
// the writer (WAL); on PostgreSQL, the pool. In memory it is the writer
// itself, one connection: a read begun while a transaction is open waits
// for it, so a transaction reads through its own *sql.Tx.
func (s *Store) Read() *sql.DB { return s.read }

// Tx runs fn in a transaction, on Write when write is set and else on
// Read, and commits when fn returns nil. Errors of the database itself
// (it is unreachable, it timed out) come back as *[Error]; fn's other
// errors come back as they are.
func (s *Store) Tx(ctx context.Context, write bool, fn func(*sql.Tx) error) error {
	db := s.read
	if write {
		db = s.write
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return s.wrapAlways("beginning a transaction", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return s.Wrap(err)
	}
	if err := tx.Commit(); err != nil {
		return s.wrapAlways("committing a transaction", err)
	}
	return nil
}

// Ready reports whether the database answers: nil, or an *[Error] saying
// why not. /readyz calls it.
func (s *Store) Ready(ctx context.Context) error {
	if s.read == s.write && s.dialect == SQLite {
		// In memory: nothing to reach, and its one connection may be
		// busy with a transaction, which is no reason to be unready.
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	if err := s.read.PingContext(ctx); err != nil {
		return s.wrapAlways("checking the database", err)
	}
	var one int
	if err := s.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return s.wrapAlways("checking the database", err)
	}
	return nil
}

// readyTimeout bounds one readiness check, so that a probe is answered
// even when the database hangs.
const readyTimeout = 2 * time.Second

// Close stops the bus and closes the database. Subscriptions end.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.listener != nil {
			s.listener.stop()
		}
		s.bus.close()
		err := s.write.Close()
		if s.read != s.write {
			err = errors.Join(err, s.read.Close())
		}
		s.closeErr = err
	})
	return s.closeErr
}

// ByteLength is the SQL expression for the length in bytes of the text
// column or expression x, which SQLite and PostgreSQL write differently.
func (s *Store) ByteLength(x string) string {
	if s.dialect == Postgres {
		return "octet_length(" + x + ")"
	}
	return "length(CAST(" + x + " AS BLOB))"
}

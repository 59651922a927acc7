package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
	sqlite3 "modernc.org/sqlite/lib"
)

// File is the name of the SQLite database in a data directory.
const File = "codemode.db"

// legacyFile is the workspace's own database from before the store; Open
// adopts it (see adoptLegacy).
const legacyFile = "workspace.db"

// readConns is how many connections reads share on a SQLite file; changes
// have one of their own.
const readConns = 4

func openSQLite(ctx context.Context, o Options) (*Store, error) {
	s := &Store{dialect: SQLite, log: o.Logger, bus: newBus()}
	if o.Dir == "" {
		db, err := openDB(ctx, ":memory:", 1) // an in-memory database lives in its one connection
		if err != nil {
			return nil, err
		}
		s.write, s.read = db, db
	} else if err := s.openFile(ctx, o.Dir); err != nil {
		return nil, err
	}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openFile opens Dir/codemode.db: one writer whose transactions begin
// IMMEDIATE, and a pool of readers (WAL).
func (s *Store) openFile(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := adoptLegacy(dir, s.log); err != nil {
		return err
	}
	dsn := "file:" + filepath.Join(dir, File) + "?_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)"
	w, err := openDB(ctx, dsn+"&_pragma=journal_mode(WAL)&_txlock=immediate", 1)
	if err != nil {
		return err
	}
	r, err := openDB(ctx, dsn, readConns)
	if err != nil {
		w.Close()
		return err
	}
	s.write, s.read = w, r
	return nil
}

func openDB(ctx context.Context, dsn string, conns int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	if err := ping(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: opening %s: %w", dsn, err)
	}
	return db, nil
}

// adoptLegacy renames the workspace's own database of earlier versions
// (workspace.db, with its -wal and -shm) to codemode.db, whose migration
// to version 1 then keeps every row. When both exist, codemode.db wins and
// workspace.db is left alone, with a warning.
func adoptLegacy(dir string, log interface {
	Warn(string, ...any)
	Info(string, ...any)
}) error {
	legacy, current := filepath.Join(dir, legacyFile), filepath.Join(dir, File)
	if !exists(legacy) {
		return nil
	}
	if exists(current) {
		log.Warn("store: both the old workspace database and the store's exist; using the store's, the old one is left as it is",
			"old", legacy, "store", current)
		return nil
	}
	for _, suffix := range []string{"-wal", "-shm", ""} { // the main file last: a crash leaves it to adopt again
		err := os.Rename(legacy+suffix, current+suffix)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("store: adopting the workspace database %s: %w", legacy, err)
		}
	}
	log.Info("store: adopted the workspace database", "from", legacy, "to", current)
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// migrate runs the migrations on the writer.
func (s *Store) migrate(ctx context.Context) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return s.wrapAlways("connecting", err)
	}
	defer conn.Close()
	s.version, err = migrate(ctx, conn, s.dialect)
	var newer *NewerError
	if errors.As(err, &newer) {
		return err
	}
	if err != nil {
		return fmt.Errorf("store: %w", s.Wrap(err))
	}
	return nil
}

// busyWait bounds how long opening a SQLite file waits for another
// connection to it: as long as its busy_timeout.
const busyWait = 10 * time.Second

// ping opens db's first connection. Setting WAL mode as a connection opens
// needs a lock that SQLite does not wait for (busy_timeout does not apply:
// SQLITE_BUSY comes at once) while another process or connection opens the
// same file: that is tried again, for up to busyWait.
func ping(ctx context.Context, db *sql.DB) error {
	deadline, pause := time.Now().Add(busyWait), time.Millisecond
	for {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(pause):
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

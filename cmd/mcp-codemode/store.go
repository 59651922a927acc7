package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/store"
)

// storeOptions are the store's settings from cfg: PostgreSQL with
// codemode.database_url, else SQLite under codemode.data_dir, else memory.
func storeOptions(cfg *config.Config, log *slog.Logger) (store.Options, error) {
	dir, err := dataDir(cfg)
	if err != nil {
		return store.Options{}, inConfig(cfg, err)
	}
	c := cfg.Codemode
	return store.Options{URL: c.DatabaseURL, Dir: dir, MaxConns: c.DatabaseMaxConns,
		ConnectTimeout: c.DatabaseConnectTimeout, Logger: log}, nil
}

// openStore opens and migrates the store cfg names. Its errors are the
// configuration's: they name the key (database_url or data_dir) and what
// failed, never the password.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	o, err := storeOptions(cfg, log)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, o)
	if err != nil {
		return nil, storeError(cfg, o, err)
	}
	return st, nil
}

// storeError makes an error of Open a configuration error of the key that
// chose the database, with what to do.
func storeError(cfg *config.Config, o store.Options, err error) error {
	key, fix := "codemode.data_dir", "name a directory mcp-codemode may create and write"
	if o.URL != "" {
		key, fix = "codemode.database_url", "check the URL and that the database server is up and reachable from here"
	}
	var newer *store.NewerError
	if errors.As(err, &newer) {
		fix = ""
	}
	msg := err.Error()
	if fix != "" {
		msg += "; " + fix
	}
	return &config.Error{Path: cfg.Path, Key: key, Msg: msg}
}

// migrate serves `mcp-codemode migrate`: it brings the configured
// database's schema up to date and prints its version.
func (e *env) migrate(ctx context.Context, args []string) int {
	_, cfg, err := e.configured("migrate", args)
	if err != nil {
		return e.usageError(err)
	}
	o, err := storeOptions(cfg, e.logger())
	if err == nil && o.URL == "" && o.Dir == "" {
		err = errors.New("migrate: the configuration names no database: set codemode.database_url (PostgreSQL) or codemode.data_dir (a SQLite file)")
	}
	if err != nil {
		return e.usageError(err)
	}
	st, err := store.Open(ctx, o)
	if err != nil {
		return e.usageError(storeError(cfg, o, err))
	}
	defer st.Close()
	where := "PostgreSQL"
	if st.Dialect() == store.SQLite {
		where = filepath.Join(o.Dir, store.File)
	}
	fmt.Fprintf(e.stdout, "schema version %d (%s)\n", st.Version(), where)
	return exitOK
}

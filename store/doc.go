// Package store is mcp-codemode's database: SQLite (a file under
// codemode.data_dir, or memory) or PostgreSQL (codemode.database_url)
// behind one API, with versioned migrations and a bus between replicas.
//
//	s, err := store.Open(ctx, store.Options{URL: cfg.DatabaseURL, Dir: dataDir})
//	if err != nil { ... } // *store.Error, *store.NewerError, or a plain error
//	defer s.Close()
//	err = s.Tx(ctx, true, func(tx *sql.Tx) error {
//		_, err := tx.ExecContext(ctx, `INSERT INTO pins (id, hash, description, pinned) VALUES ($1, $2, $3, $4)
//	ON CONFLICT (id) DO UPDATE SET hash = excluded.hash`, id, hash, desc, now)
//		return err
//	})
//	cancel := s.Subscribe("cancel", func(p []byte) { ... })
//	s.Publish(ctx, "cancel", []byte(`{"request":7}`))
//
// Packages that keep state (workspace, hosted's session registry, run
// records) take a *Store and own their tables; the tables are created here,
// by the migrations, so that every replica agrees on one schema version.
//
// # One SQL for both
//
// Statements are written once, for both databases:
//   - placeholders are $1, $2, …: modernc's SQLite binds $N to the Nth
//     argument, as PostgreSQL does, and a $N used twice is one argument;
//   - upserts are INSERT … ON CONFLICT (…) DO UPDATE SET col = excluded.col;
//   - times are BIGINT Unix milliseconds, booleans are compared (kind = 'f')
//     rather than stored.
//
// What differs, and where callers branch on [Store.Dialect]:
//   - the byte length of text: length(CAST(x AS BLOB)) on SQLite,
//     octet_length(x) on PostgreSQL ([Store.ByteLength] writes it);
//   - PostgreSQL TEXT holds valid UTF-8 without NUL; SQLite holds any
//     bytes. The pins' id (server NUL tool in the workspace of before) needs
//     another separator on PostgreSQL;
//   - paths (entries.path) collate "C" on PostgreSQL, so that ORDER BY and
//     prefix ranges (path >= 'a/' AND path < 'a0') follow bytes as on SQLite;
//   - SQLite has one writer connection: [Store.Write]'s transactions begin
//     IMMEDIATE and never need a retry, but a long one holds up every other
//     change. PostgreSQL's pool runs changes in parallel (READ COMMITTED):
//     a read-modify-write that must be exact needs a conflict clause, a
//     row lock (SELECT … FOR UPDATE, which SQLite does not parse) or a
//     trigger, as the usage counters use.
//
// # Migrations
//
// The schema has versions, recorded in schema_migrations(version, applied).
// Open applies the missing ones, each in one transaction, on PostgreSQL
// under pg_advisory_lock so that replicas starting together take turns. A
// database at a version newer than [SchemaVersion] is refused with a
// [NewerError]. Version 1 creates the workspace's tables (entries, usage
// with its triggers, pins), sessions (the legacy MCP session registry,
// owned by package hosted) and bus. A data directory holding the
// workspace's database of before (workspace.db, PRAGMA user_version 0 or 2)
// has it renamed to codemode.db, with its -wal and -shm, and brought to
// version 1 keeping every row.
//
// # Errors
//
// A fault of the database (unreachable, wrong credentials, DNS, TLS, a
// timeout, a database that does not exist) is an *[Error], whose text
// starts with "StoreError: " and never holds the password. [Store.Tx]
// returns them; [Store.Wrap] makes them from the errors of Read and Write.
// database/sql reconnects by itself: a call after the database is back
// works again, and [Store.Ready] (behind /readyz) says whether it answers.
//
// # The bus
//
// [Store.Publish] reaches every [Store.Subscribe] on the channel, in this
// process at once and, on PostgreSQL, in every replica sharing the
// database through NOTIFY (payloads over 8000 bytes through the bus
// table). Each subscription's function runs on its own goroutine, in
// publication order. Delivery to other replicas is best effort: a
// notification sent while a replica's listening connection is down is lost
// to it (see listen.go).
package store

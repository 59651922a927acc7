// Package workspace is the scripts' file store: the built-in tools of
// namespace "workspace" (read_file, write_file, list_files, …), with which
// a script keeps data and code between executions without passing it
// through the model.
//
//	st, err := store.Open(ctx, store.Options{URL: databaseURL, Dir: dataDir})
//	if err != nil {
//		return err
//	}
//	defer st.Close()
//	ws := workspace.New(st, workspace.Limits{MaxBytes: 100 << 20})
//	_ = reg.Add(ws.Tools()...)
//
// New(nil, Limits{}) keeps the files in a store of its own in memory.
//
// # Subjects, paths and limits
//
// Each subject (tools.WithSubject) has its own files, quota and gate: a
// call only ever sees the files of the subject its context carries, and
// one subject's calls queue behind its own, not another's (gates.go).
// Paths are virtual keys ("notes/todo.md"), never host paths, and count
// against the quota with the contents; a path is bounded as common file
// systems bound names (path.go).
//
// # Storage
//
// The files live in the store's tables, SQLite or PostgreSQL (tx.go says
// how): every call is one transaction, a change is checked against the
// quota inside its transaction, and on PostgreSQL the changes of one
// subject take turns across replicas on a row lock, so two replicas cannot
// both pass the quota. A file reads back exactly as written on every
// backend (NUL included) and listings are in byte order on both.
//
// # Errors
//
// What the script did wrong (a missing file, a full workspace, a bad path)
// is the tool's error result, a ToolError in the script. A fault of the
// database (unreachable, timed out) is a *tools.StoreError, which the
// script sees as a StoreError: "the workspace is unavailable: the database
// is unreachable: …; try again". The workspace never retries on its own.
//
// # Concurrency
//
// A Workspace is safe for concurrent use; its tools' handlers run on the
// caller's goroutine.
package workspace

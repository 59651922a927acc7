// Package workspace is the scripts' file store: the built-in tools of
// namespace "workspace" (read_file, write_file, list_files, …), with which
// a script keeps data and code between executions without passing it
// through the model.
//
//	ws, err := workspace.Open(dataDir) // "" keeps the files in memory
//	if err != nil {
//		return err
//	}
//	defer ws.Close()
//	_ = reg.Add(ws.Tools()...)
//
// # Subjects, paths and limits
//
// Each subject (tools.WithSubject) has its own files, quota and gate: a
// call only ever sees the files of the subject its context carries, and
// one subject's calls queue behind its own, not another's (db.go). Paths
// are virtual keys ("notes/todo.md"), never host paths, and count against
// the quota with the contents; a path is bounded as common file systems
// bound names (path.go).
//
// # Storage
//
// The files live in SQLite (modernc.org/sqlite, pure Go): one database file
// in a data directory, or in memory. One connection serialises every
// change, checked against the quota inside its transaction; reads have a
// pool of their own with a data directory. The database also keeps the
// pins of tool definitions (tools.PinStore).
//
// # Concurrency
//
// A Workspace is safe for concurrent use; its tools' handlers run on the
// caller's goroutine.
package workspace

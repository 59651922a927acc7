// Package runs keeps a record of every execution: who ran it, when, the
// code as run, each call it made (tool, fetch, snippet run, codemode
// helper: its name, the size and SHA-256 digest of its arguments, never the
// arguments themselves), the size of its result and its error (README: Run records and tracing).
//
//	rec := runs.NewRecorder(runs.NewMemory(0, 0), runs.Options{Secrets: cfg.Secrets})
//	defer rec.Close(ctx)
//	run := rec.Begin(subject, code)
//	i := run.Call(runs.KindTool, "memory.read_graph", args)
//	run.Done(i, "ok", "")
//	run.Finish(runs.Result{Bytes: len(value), Outcome: "ok"})
//	fmt.Println(run.ID()) // what structuredContent.stats.run_id says
//
// # Write behind
//
// An execution never waits on the store. Finish hands the record to a
// bounded queue; one writer goroutine takes what has queued and inserts it
// in one transaction. When the queue is full (the store is slow or down) the
// oldest waiting records are dropped and counted (Options.Dropped, and a
// warning at most once a minute). A batch the store refused goes back to
// the front of the queue and is tried again after a pause. Close flushes
// what is queued, within its context.
//
// # Secrets
//
// The code and the error message are scrubbed with package redact (every
// encoding a script could undo, as tool results are) on the writer
// goroutine, before anything reaches a [Backend]: a secret is never
// written. Call names of fetches keep the method and the URL without its
// query, scrubbed too.
//
// # Replay
//
// Each call has an ordinal (1, 2, … in the order the script made them) and
// room for its result ([Call.Result], a nullable column), so that a later
// resume can answer a call from the record (issue 15, approvals). Results
// are not stored yet.
//
// # Backends
//
// [Memory] keeps the last runs of a server without a store, bounded in
// count and bytes. [SQL] keeps them in package store's database (SQLite or
// PostgreSQL), pruned by age (Options.Retention) in bounded batches.
//
// # Concurrency
//
// A [Run]'s methods may be called from any goroutine (calls of a script run
// on goroutines of their own). A nil *Recorder records nothing and returns
// nil Runs, whose methods do nothing, so callers need no checks.
package runs

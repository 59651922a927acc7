// Package server is the MCP surface of mcp-codemode: it exposes a
// tools.Registry as two MCP tools, execute and search_tools, and formats what
// the sandbox returns as README "What the model sees" describes.
//
//	reg := tools.NewRegistry(tools.Options{})
//	reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...)
//	srv := server.New(reg, server.Options{})
//	err := srv.ServeStdio(ctx, os.Stdin, os.Stdout, os.Stderr)
//
// # The API the model sees
//
// The description of execute carries the TypeScript declarations of every
// tool. They are generated once per registry version (tools.Registry.Version)
// and cached, with the sandbox bindings, so an execution does no generation.
// When they would take the description past codemode.description_budget_tokens
// (estimated o200k tokens, tokens.go), it carries a compact index instead and
// the model discovers tools with codemode.search and codemode.describe
// (discovery.go). A change of the tool set (an upstream's tools/list_changed)
// rebuilds the API at once and re-announces execute to every client.
//
// # Helpers, snippets, imports and approvals
//
// The caller of an execution answers the codemode helpers itself: search,
// describe, save and run (snippets.go: a saved script runs in a runtime of
// its own, with the same tools and the execution's call budget). Before a
// run, imports of workspace files are bundled into the code (modules.go).
// Before a tool call, a tool in codemode.require_approval (or destructive,
// with approve_destructive) is put to the user with elicitation/create
// (approval.go); Conn sends that request and matches its response
// (elicit.go).
//
// # Concurrency
//
// Requests on one connection run concurrently. Executions are admitted up
// to codemode.max_concurrent in all and codemode.max_concurrent_per_session
// per session; one over either cap is turned away at once with a
// BusyError, never queued. Each execution has its own sandbox runtime; the
// Server holds no per-execution state.
//
// # Transports, progress and cancellation
//
// ServeStdio, and any transport built on Conn (hosted mode's SSE), send a
// request's notifications before its response and no response at all to a
// request cancelled with notifications/cancelled, whose context is
// cancelled: the execution stops within about 100 ms and its tool calls in
// flight are cancelled. A transport of its own (hosted streamable HTTP)
// gives each request a Stream (WithStream) for the same ordering. An
// execute call with a progress token reports "3/7 tool calls" as calls
// settle; console lines go out as notifications/message (logger
// "console") to clients that set the log level to info or debug.
//
// # Records and traces
//
// With Options.Runs every execution is recorded (record.go, package runs):
// each call through the caller, snippets' calls included, is noted with
// its ordinal, and the record is handed to the Recorder's queue when the
// execution ends; its id goes into stats.run_id and the log line. With
// Options.Tracing an execution is a span under the request's
// _meta.traceparent, with a child per tool call, fetch and snippet run
// (trace.go); the call's context carries the span to the upstream's _meta
// and the fetch's traceparent header. With neither, a call costs one
// comparison.
//
// # Results
//
// Format is the only place that decides what the model reads: the pretty JSON
// of the result or "Name: message" with the line and column, then the console
// output, all cut to max_output_bytes with a marker giving the full size.
package server

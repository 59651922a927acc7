// Package server is the MCP surface of mcp-codemode: it exposes a
// tools.Registry as two MCP tools, execute and search_tools, and formats what
// the sandbox returns as SPEC §4 describes.
//
//	reg := tools.NewRegistry(tools.Options{})
//	reg.Add(tools.NewWorkspace().Tools()...)
//	srv := server.New(reg, server.Options{})
//	err := srv.ServeStdio(ctx, os.Stdin, os.Stdout, os.Stderr)
//
// # The API the model sees
//
// The description of execute carries the TypeScript declarations of every
// tool. They are generated once per registry version (tools.Registry.Version)
// and cached, with the sandbox bindings, so an execution does no generation.
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
// # Results
//
// Format is the only place that decides what the model reads: the pretty JSON
// of the result or "Name: message" with the line and column, then the console
// output, all cut to max_output_bytes with a marker giving the full size.
package server

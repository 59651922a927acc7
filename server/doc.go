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
// Tool calls on one connection run concurrently (up to
// codemode.max_concurrent on stdio). Each execution has its own sandbox
// runtime; the Server holds no per-execution state.
//
// # Results
//
// Format is the only place that decides what the model reads: the pretty JSON
// of the result or "Name: message" with the line and column, then the console
// output, all cut to max_output_bytes with a marker giving the full size.
package server

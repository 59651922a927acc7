package main

import (
	"context"

	"github.com/mcp-codemode/mcp-codemode/internal/procs"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/server"
)

// governor runs the stdio server on one processor while at most one
// execution runs, and that for less than procs.Short (README, "Processors"):
// a client of stdio sends one request at a time, and on one processor its
// hand-offs between goroutines do not wake threads. Set by main; nil (the
// tests, which call run, or a GOMAXPROCS the user set) does nothing.
var governor *procs.Governor

// onOneProcessor returns run (nil: sandbox.Run), counting its executions in
// the governor.
func onOneProcessor(run server.Runner) server.Runner {
	if governor == nil {
		return run
	}
	if run == nil {
		run = sandbox.Run
	}
	return func(ctx context.Context, code string, caller sandbox.Caller, opts sandbox.Options) sandbox.Result {
		defer governor.Begin()()
		return run(ctx, code, caller, opts)
	}
}

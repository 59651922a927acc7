// Command mcp-codemode serves MCP tools in code mode: one execute tool whose
// description is a TypeScript API of every upstream tool, running the model's
// code in a fresh goja sandbox per call. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/mcp-codemode/mcp-codemode/internal/procs"
	"github.com/mcp-codemode/mcp-codemode/isolate"
)

func main() {
	// A worker started by hand tunes its own collector (isolate.ServeWorker).
	if len(os.Args) < 2 || os.Args[1] != isolate.WorkerCommand {
		policy = newMemoryPolicy(os.LookupEnv)
		policy.start()
		governor = procs.New(os.LookupEnv)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// upstreamEnv switches the test binary into a stdio MCP server, so the tests
// can wrap an upstream whose behaviour they control (sleeping, crashing,
// writing to stderr) next to the real reference servers.
const upstreamEnv = "MCP_CODEMODE_TEST_UPSTREAM"

func serveTestUpstream() {
	s := mcpserver.NewMCPServer("testup", "1.0.0", mcpserver.WithToolCapabilities(true))
	s.AddTool(mcp.NewTool("grow", mcp.WithDescription("Adds a tool of the given name (which returns its name) and announces it with tools/list_changed."),
		mcp.WithString("name", mcp.Required())),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			name := req.GetString("name", "")
			s.AddTool(mcp.NewTool(name, mcp.WithDescription("Added by grow.")),
				func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
					return mcp.NewToolResultText(`"` + name + `"`), nil
				})
			return mcp.NewToolResultText(`"ok"`), nil
		})
	s.AddTool(mcp.NewTool("sleep", mcp.WithDescription("Sleeps, then returns how long."),
		mcp.WithNumber("ms", mcp.Required())),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			d := time.Duration(req.GetFloat("ms", 0)) * time.Millisecond
			start := time.Now()
			select {
			case <-time.After(d):
			case <-ctx.Done():
				fmt.Fprintf(os.Stderr, "sleep cancelled after %dms\n", time.Since(start).Milliseconds())
			}
			return mcp.NewToolResultText(fmt.Sprint(d.Milliseconds())), nil
		})
	s.AddTool(mcp.NewTool("noise", mcp.WithDescription("Writes a line to stderr and returns ok.")),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			fmt.Fprintln(os.Stderr, "noise on stderr")
			return mcp.NewToolResultText(`"ok"`), nil
		})
	s.AddTool(mcp.NewTool("tally", mcp.WithDescription("Appends label to a file and returns how many lines it has: a count of calls across processes."),
		mcp.WithString("file", mcp.Required()), mcp.WithString("label", mcp.Required())),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			f, err := os.OpenFile(req.GetString("file", ""), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
			if err != nil {
				return mcp.NewToolResultError(err.Error()), nil
			}
			fmt.Fprintln(f, req.GetString("label", ""))
			f.Close()
			data, _ := os.ReadFile(req.GetString("file", ""))
			return mcp.NewToolResultText(fmt.Sprint(strings.Count(string(data), "\n"))), nil
		})
	s.AddTool(mcp.NewTool("crash", mcp.WithDescription("Exits the server process.")),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			os.Exit(3)
			return nil, nil
		})
	s.AddTool(mcp.NewTool("pid", mcp.WithDescription("Returns the server's process id.")),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(fmt.Sprint(os.Getpid())), nil
		})
	fmt.Fprintln(os.Stderr, "testup starting")
	// mcp-go queues tool calls beyond its worker pool, and a cancel for a
	// call still queued is lost: a pool (mcp-go's largest) larger than any
	// test's concurrency keeps cancelled sleeps from holding up the calls
	// behind them.
	if err := mcpserver.ServeStdio(s, mcpserver.WithWorkerPoolSize(100)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

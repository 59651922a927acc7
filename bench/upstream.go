package bench

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// UpstreamArg is the argument that makes the benchmark program serve
// Upstream on stdio: the servers it starts wrap the program itself.
const UpstreamArg = "upstream"

// Upstream returns the benchmark's upstream MCP server: 50 tools, of which
// echo returns its arguments, sleep waits {ms} milliseconds, and text and
// json return {bytes} bytes of text and of a JSON array (see Results).
func Upstream() *mcpserver.MCPServer { return UpstreamTools(50) }

// UpstreamTools is Upstream with n tools (at least echo, sleep, text and json): the
// server of a deployment with many tools (see Scale).
func UpstreamTools(n int) *mcpserver.MCPServer {
	s := mcpserver.NewMCPServer("benchup", "1.0.0", mcpserver.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("echo", mcp.WithDescription("Returns its arguments."), mcp.WithString("text")),
		func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultStructuredOnly(req.GetArguments()), nil
		})
	s.AddTool(mcp.NewTool("sleep", mcp.WithDescription("Sleeps, then returns how long."),
		mcp.WithNumber("ms", mcp.Required())),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			d := time.Duration(req.GetFloat("ms", 0)) * time.Millisecond
			select {
			case <-time.After(d):
			case <-ctx.Done():
			}
			return mcp.NewToolResultText(fmt.Sprint(d.Milliseconds())), nil
		})
	addPayloadTools(s)
	for i := range max(n-4, 0) {
		s.AddTool(mcp.NewTool(fmt.Sprintf("tool_%02d", i), mcp.WithDescription("A tool that is never called."),
			mcp.WithString("id", mcp.Required()), mcp.WithNumber("limit")),
			func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				return mcp.NewToolResultText("null"), nil
			})
	}
	return s
}

// ServeUpstream serves Upstream on stdin and stdout until stdin closes.
// mcp-go queues calls beyond its worker pool: the pool is larger than the
// largest fan-out, so 100 sleeps run at once (100 is its maximum).
func ServeUpstream() error { return ServeUpstreamArgs(nil) }

// ServeUpstreamArgs serves UpstreamTools on stdio with the number of tools
// args names (the arguments after UpstreamArg), 50 when there is none.
func ServeUpstreamArgs(args []string) error {
	n := 50
	if len(args) > 0 {
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 4 {
			return fmt.Errorf("%s %s: want a number of tools, at least 4", UpstreamArg, args[0])
		}
		n = v
	}
	return mcpserver.ServeStdio(UpstreamTools(n), mcpserver.WithWorkerPoolSize(100))
}

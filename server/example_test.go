package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// A Go program serves its own handlers in code mode: register them, make a
// server, and serve it (here: run one script as execute would).
func Example() {
	reg := tools.NewRegistry(tools.Options{})
	err := reg.Add(tools.Tool{
		Server:      "weather",
		Name:        "forecast",
		Description: "Tomorrow's forecast for a city.",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`),
		Handler: func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
			var in struct{ City string }
			if err := json.Unmarshal(args, &in); err != nil {
				return nil, err
			}
			return mcp.NewToolResultStructuredOnly(map[string]any{"city": in.City, "high": 21}), nil
		},
	})
	if err != nil {
		panic(err)
	}
	srv := server.New(reg, server.Options{})
	// In a real program: srv.ServeStdio(ctx, os.Stdin, os.Stdout, os.Stderr)

	res := srv.Execute(context.Background(), `
const days = await Promise.all(["Paris", "Oslo"].map(city => weather.forecast({ city })));
return days.map(d => d.city + " " + d.high).join(", ");`)
	fmt.Println(string(res.Value))
	// Output: "Paris 21, Oslo 21"
}

// A program that already has an mcp-go server hands it over as it is, the way
// @cloudflare/codemode wraps an in-process MCP server: its tools become the
// "notes" namespace.
func Example_mcpServer() {
	notes := mcpserver.NewMCPServer("notes", "1.0.0")
	notes.AddTool(mcp.NewTool("count_words", mcp.WithDescription("Counts the words of a text."),
		mcp.WithString("text", mcp.Required())),
		func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			words := strings.Fields(req.GetString("text", ""))
			return mcp.NewToolResultText(fmt.Sprint(len(words))), nil
		})

	ctx := context.Background()
	reg := tools.NewRegistry(tools.Options{})
	defer reg.Close()
	if err := reg.AddMCPServer(ctx, "notes", notes); err != nil {
		panic(err)
	}
	srv := server.New(reg, server.Options{})
	res := srv.Execute(ctx, `const n = await notes.count_words({ text: "code mode is small" }); n * 2`)
	fmt.Println(string(res.Value))
	// Output: 8
}

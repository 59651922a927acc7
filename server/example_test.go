package server_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"

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

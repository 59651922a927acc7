package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// UpstreamCallJS is the script of "one upstream call": it calls echo and
// checks what came back.
const UpstreamCallJS = `const r = await bench.echo({ text: "hi" });
return { ok: r.text === "hi" };`

// NewInProcessServer returns a server over a registry of 50 built-in tools
// under namespace "bench" (echo, json and 48 others), as the stdio measurements
// see them through an upstream, without the transport: what is left of a
// round trip is the server's own work.
func NewInProcessServer() (*server.Server, error) { return NewInProcessServerN(50) }

// NewInProcessServerN is NewInProcessServer with n tools: echo; json, which
// returns a JSON array of {bytes} bytes as text (the results curve's
// payload); and n-2 others.
func NewInProcessServerN(n int) (*server.Server, error) {
	reg := tools.NewRegistry(tools.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	echo := func(_ context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
		var v map[string]any
		if err := json.Unmarshal(args, &v); err != nil {
			return nil, err
		}
		return mcp.NewToolResultStructuredOnly(v), nil
	}
	ts := []tools.Tool{tools.NewTool("bench", "echo", "Returns its arguments.",
		json.RawMessage(`{"type":"object","properties":{"text":{"type":"string"}}}`), echo)}
	for i := range n - 2 {
		ts = append(ts, tools.NewTool("bench", fmt.Sprintf("tool_%02d", i), "A tool that is never called.",
			json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"},"limit":{"type":"number"}},"required":["id"]}`), echo))
	}
	json1 := func(_ context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
		var a struct{ Bytes int }
		if err := json.Unmarshal(args, &a); err != nil {
			return nil, err
		}
		return mcp.NewToolResultText(payload("json", a.Bytes)), nil
	}
	ts = append(ts, tools.NewTool("bench", "json", "Returns {bytes} bytes of a JSON array.",
		json.RawMessage(`{"type":"object","properties":{"bytes":{"type":"number"}},"required":["bytes"]}`), json1))
	if err := reg.Add(ts...); err != nil {
		return nil, err
	}
	// BenchmarkHTTP's clients are one subject, up to 64 at once.
	limits := config.Codemode{MaxConcurrentPerSubject: 64}
	return server.New(reg, server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Limits: limits}), nil
}

// Execute runs code on s and checks it answered {"ok":true}.
func Execute(s *server.Server, code string) error {
	res := s.Execute(context.Background(), code)
	if res.Err != nil {
		return res.Err
	}
	if string(res.Value) != `{"ok":true}` {
		return fmt.Errorf("execute gave %s", res.Value)
	}
	return nil
}

package server

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/golden"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// memoryTools reads the real tools/list of server-memory; calling one
// returns its name, so tests see which tool ran.
func memoryTools(t *testing.T) []tools.Tool {
	t.Helper()
	data, err := os.ReadFile("testdata/memory.tools.json")
	if err != nil {
		t.Fatal(err)
	}
	list, err := tools.FromList("memory", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range list {
		name := list[i].Name
		list[i].Handler = func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(`{"called":"` + name + `"}`), nil
		}
	}
	return list
}

func newTestServer(t *testing.T, limits config.Codemode) *Server {
	t.Helper()
	reg := tools.NewRegistry(tools.Options{})
	if err := reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...); err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(memoryTools(t)...); err != nil {
		t.Fatal(err)
	}
	return New(reg, Options{Limits: limits})
}

// TestDescriptionGolden pins the description of execute: what the model reads.
func TestDescriptionGolden(t *testing.T) {
	golden.Check(t, "testdata/execute_description.golden", newTestServer(t, config.Codemode{}).Description())
}

// connect returns mcp-go's in-process client, initialized, on srv.
func connect(t *testing.T, srv *Server) *client.Client {
	t.Helper()
	c, err := client.NewInProcessClient(srv.MCP())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestMCP drives the server through mcp-go's in-process client.
func TestMCP(t *testing.T) {
	srv := newTestServer(t, config.Codemode{Timeout: time.Second})
	c := connect(t, srv)
	ctx := context.Background()
	list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Tools) != 2 || list.Tools[0].Name != "execute" || list.Tools[1].Name != "search_tools" {
		t.Fatalf("tools = %+v", list.Tools)
	}
	call := func(name string, args map[string]any) *mcp.CallToolResult {
		t.Helper()
		req := mcp.CallToolRequest{}
		req.Params.Name, req.Params.Arguments = name, args
		res, err := c.CallTool(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	tests := []struct {
		name, code, wantText string
		wantError            bool
	}{
		{"value", "return await memory.read_graph({})", "{\n  \"called\": \"read_graph\"\n}", false},
		{"logs", "console.log('a', {b: 1}); 2", "2\n\nConsole output:\na {\"b\":1}", false},
		{"throw", "\n\nthrow new RangeError('no')", "RangeError: no\n    at line 3, column 7 of your code", true},
		{"validation", "await memory.search_nodes({})", "TypeError: memory.search_nodes: query: required", true},
		{"timeout", "for(;;){}", "TimeoutError: ", true},
		{"workspace", "await workspace.write_file({path: 'a.txt', content: 'x'}); return await workspace.read_file({path: 'a.txt'})", `"x"`, false},
		{"helpers", "const hits = await codemode.search('delete relations'); return hits[0].name", `"memory.delete_relations"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := call("execute", map[string]any{"code": tt.code})
			text := res.Content[0].(mcp.TextContent).Text
			if res.IsError != tt.wantError || !strings.HasPrefix(text, tt.wantText) {
				t.Errorf("got isError=%v %q, want isError=%v prefix %q", res.IsError, text, tt.wantError, tt.wantText)
			}
		})
	}
	if res := call("execute", map[string]any{}); !res.IsError {
		t.Error("execute without code is not an error")
	}
	res := call("search_tools", map[string]any{"query": "remove observations from an entity", "limit": 2})
	if text := res.Content[0].(mcp.TextContent).Text; !strings.Contains(text, "delete_observations(") {
		t.Errorf("search_tools = %q", text)
	}
}

func TestFormat(t *testing.T) {
	ok := Format(sandbox.Result{Value: json.RawMessage(`{"a":[1,2]}`), Logs: []string{"hi"}}, 1000)
	if text := ok.Content[0].(mcp.TextContent).Text; text != "{\n  \"a\": [\n    1,\n    2\n  ]\n}\n\nConsole output:\nhi" {
		t.Errorf("text = %q", text)
	}
	s := ok.StructuredContent.(structured)
	if ok.IsError || s.Error != nil || string(s.Result.(json.RawMessage)) != `{"a":[1,2]}` {
		t.Errorf("structured = %+v", s)
	}

	fail := Format(sandbox.Result{Err: &sandbox.Error{Name: "TypeError", Message: "x is not a function", Line: 2, Column: 5}}, 1000)
	if text := fail.Content[0].(mcp.TextContent).Text; text != "TypeError: x is not a function\n    at line 2, column 5 of your code" || !fail.IsError {
		t.Errorf("text = %q", text)
	}
	if e := fail.StructuredContent.(structured).Error; e == nil || e.Line != 2 || e.Column != 5 {
		t.Errorf("structured error = %+v", e)
	}
}

func TestFormatTruncates(t *testing.T) {
	big := `"` + strings.Repeat("x", 5000) + `"`
	logs := make([]string, 100)
	for i := range logs {
		logs[i] = strings.Repeat("l", 50)
	}
	res := Format(sandbox.Result{Value: json.RawMessage(big), Logs: logs}, 2000)
	text := res.Content[0].(mcp.TextContent).Text
	if len(text) > 2000+len("\n\nConsole output:\n") {
		t.Errorf("text is %d bytes, limit 2000", len(text))
	}
	for _, want := range []string{"[result truncated: 5002 bytes in total", "[console output truncated:"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if s := res.StructuredContent.(structured); !s.Truncated {
		t.Error("structuredContent.truncated is false")
	}
}

// TestToolSetChange checks that execute's description follows the registry:
// a tool added after start shows up in tools/list and can be called.
func TestToolSetChange(t *testing.T) {
	reg := tools.NewRegistry(tools.Options{})
	srv := New(reg, Options{})
	if strings.Contains(srv.Description(), "late") {
		t.Fatal("description mentions a tool not yet added")
	}
	err := reg.Add(tools.Tool{Server: "late", Name: "ping", Description: "Answers pong.",
		Handler: func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(`"pong"`), nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	if res := srv.Execute(context.Background(), "return await late.ping()"); res.Err != nil || string(res.Value) != `"pong"` {
		t.Fatalf("execute = %s %v", res.Value, res.Err)
	}
	listed := srv.MCP().ListTools()["execute"]
	if listed == nil || !strings.Contains(listed.Tool.Description, "declare const late") {
		t.Errorf("tools/list still shows the old description")
	}
}

package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// metaSecret is a configured secret an upstream puts in its metadata.
const metaSecret = "tok-4f9a/b+c7e2"

// metaForms are the ways an upstream writes it: literally and encoded as
// a script or the model could decode.
var metaForms = []string{
	metaSecret,
	url.QueryEscape(metaSecret),
	strings.ToLower(url.QueryEscape(metaSecret)),
	`tok-4f9a\/b\u002Bc7e2`,
	"tok&#45;4f9a&sol;b&#x2b;c7e2",
}

// leakyServer is an upstream whose instructions, tool title, description and
// schema (descriptions, titles, enum values, defaults, examples) hold the
// secret in every form.
func leakyServer() *mcpserver.MCPServer {
	all := strings.Join(metaForms, " ")
	s := mcpserver.NewMCPServer("leaky", "1.0.0", mcpserver.WithInstructions("Leaky server "+all+"\nmore "+all))
	schema, _ := json.Marshal(map[string]any{
		"type": "object", "title": "Args " + all,
		"properties": map[string]any{
			"mode": map[string]any{"type": "string", "description": "mode " + all, "enum": append([]string{"plain"}, metaForms...),
				"default": metaForms[1], "examples": metaForms},
			"key": map[string]any{"type": "string", "title": "key " + metaForms[3]},
		},
	})
	tool := mcp.NewToolWithRawSchema("lookup", "Looks things up with "+all, schema)
	tool.Annotations.Title = "Lookup " + all
	s.AddTool(tool, func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	})
	return s
}

// TestMetadataRedacted (issue 12.5): a secret in an upstream's instructions
// or tool definition reaches the model through none of the execute
// description, the types, codemode.describe, codemode.search, search_tools.
func TestMetadataRedacted(t *testing.T) {
	ctx := context.Background()
	reg := tools.NewRegistry(tools.Options{Secrets: []string{metaSecret}})
	t.Cleanup(func() { reg.Close() })
	if err := reg.AddMCPServer(ctx, "leaky", leakyServer()); err != nil {
		t.Fatal(err)
	}
	srv := server.New(reg, server.Options{})
	seen := map[string]string{
		"description":  srv.Description(),
		"declarations": srv.Declarations(),
	}
	for _, code := range []string{`codemode.describe("leaky")`, `codemode.describe("leaky.lookup")`,
		`codemode.search("lookup leaky mode")`, `codemode.search("tok")`} {
		res := srv.Execute(ctx, code)
		seen[code] = fmt.Sprint(string(res.Value), res.Err)
	}
	seen["search_tools"] = searchTools(t, srv, "lookup things leaky")
	if !strings.Contains(seen[`codemode.describe("leaky.lookup")`], "[redacted]") {
		t.Errorf("codemode.describe shows no redaction: %s", seen[`codemode.describe("leaky.lookup")`])
	}
	for where, text := range seen {
		for _, form := range metaForms {
			if strings.Contains(text, form) {
				t.Errorf("%s holds the secret as %q:\n%s", where, form, text)
			}
		}
	}
}

func searchTools(t *testing.T, srv *server.Server, query string) string {
	t.Helper()
	c := server.Connect(t, srv)
	ctx := context.Background()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = "search_tools", map[string]any{"query": query}
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return res.Content[0].(mcp.TextContent).Text
}

package hosted

import (
	"context"
	"testing"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// TestMCPGoClients: mcp-go's own clients work through every check: its
// default streamable client on the newest protocol (2026-07-28, no
// sessions), the same pinned to 2025-06-18 (sessions), and its SSE client.
func TestMCPGoClients(t *testing.T) {
	auth := map[string]string{"Authorization": "Bearer " + tokenA}
	for _, tt := range []struct {
		name      string
		transport string
		connect   func(url string) (*mcpclient.Client, error)
	}{
		{"streamable, newest protocol", HTTP, func(url string) (*mcpclient.Client, error) {
			return mcpclient.NewStreamableHttpClient(url+"/mcp", transport.WithHTTPHeaders(auth))
		}},
		{"streamable, 2025-06-18", HTTP, func(url string) (*mcpclient.Client, error) {
			tr, err := transport.NewStreamableHTTP(url+"/mcp", transport.WithHTTPHeaders(auth))
			return mcpclient.NewClient(tr, mcpclient.WithProtocolVersion(mcp.ProtocolVersion20250618)), err
		}},
		{"sse", SSE, func(url string) (*mcpclient.Client, error) {
			return mcpclient.NewSSEMCPClient(url+"/sse", transport.WithHeaders(auth))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, authConfig(config.Codemode{}), tt.transport)
			c, err := tt.connect(f.srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ctx := context.Background()
			if err := c.Start(ctx); err != nil {
				t.Fatal(err)
			}
			init := mcp.InitializeRequest{}
			init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
			init.Params.ClientInfo = mcp.Implementation{Name: "t", Version: "1"}
			if _, err := c.Initialize(ctx, init); err != nil {
				t.Fatal(err)
			}
			req := mcp.CallToolRequest{}
			req.Params.Name, req.Params.Arguments = "execute", map[string]any{"code": "await step.ok(); return 6*7"}
			res, err := c.CallTool(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if text := res.Content[0].(mcp.TextContent).Text; res.IsError || text != "42" {
				t.Errorf("execute = %q", text)
			}
		})
	}
}

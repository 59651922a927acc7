package hosted

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

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

// TestDisconnect: a dropped connection cancels the request only from
// protocol version 2026-07-28 on; before, the spec asks for
// notifications/cancelled, and the execution runs to its end.
func TestDisconnect(t *testing.T) {
	for _, tt := range []struct {
		name       string
		version    string
		wantCancel bool
	}{
		{"2025-06-18", mcp.ProtocolVersion20250618, false},
		{"2026-07-28", mcp.ProtocolVersion20260728, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, authConfig(config.Codemode{}), HTTP)
			tr, err := transport.NewStreamableHTTP(f.srv.URL+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + tokenA}))
			if err != nil {
				t.Fatal(err)
			}
			c := mcpclient.NewClient(tr, mcpclient.WithProtocolVersion(tt.version))
			defer c.Close()
			if err := c.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			init := mcp.InitializeRequest{}
			init.Params.ProtocolVersion = tt.version
			init.Params.ClientInfo = mcp.Implementation{Name: "t", Version: "1"}
			if _, err := c.Initialize(context.Background(), init); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			go func() { <-f.started; cancel() }()
			req := mcp.CallToolRequest{}
			req.Params.Name, req.Params.Arguments = "execute", map[string]any{"code": "return await step.slow({ms: 400})"}
			_, _ = c.CallTool(ctx, req)
			deadline := time.Now().Add(5 * time.Second)
			for f.h.opts.Server.Running() > 0 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			text := metricsText(t, f)
			cancelled := strings.Contains(text, `mcp_codemode_executions_total{outcome="cancelled"} 1`)
			ok := strings.Contains(text, `mcp_codemode_executions_total{outcome="ok"} 1`)
			if cancelled != tt.wantCancel || ok == tt.wantCancel {
				t.Errorf("cancelled %v, finished %v; want cancelled %v", cancelled, ok, tt.wantCancel)
			}
		})
	}
}

func metricsText(t *testing.T, f *fixture) string {
	req, _ := http.NewRequest(http.MethodGet, f.srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+tokenA)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return body(resp)
}

package tools

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestUpstreamChanged: an upstream's notifications/tools/list_changed is
// passed on with its name, after its tools were listed again.
func TestUpstreamChanged(t *testing.T) {
	s := server.NewMCPServer("live", "1.0.0", server.WithToolCapabilities(true))
	s.AddTool(mcp.NewTool("first"), textTool("1"))
	r := newTestRegistry(t, Options{})
	changed := make(chan string, 10)
	r.OnUpstreamChanged(func(name string) {
		_, listed := r.Lookup("live\x00second")
		if !listed {
			name += " (before its tools were listed)"
		}
		changed <- name
	})
	must(t, r.AddMCPServer(context.Background(), "live", s))
	s.AddTool(mcp.NewTool("second"), textTool("2"))
	select {
	case got := <-changed:
		if got != "live" {
			t.Errorf("OnUpstreamChanged got %q; want %q", got, "live")
		}
	case <-time.After(testenv.Within(5 * time.Second)):
		t.Fatal("OnUpstreamChanged was not called")
	}
}

// TestRefresh: Refresh lists an upstream's tools again, which it was not
// told had changed, and does not pass that on; it does nothing for
// built-in tools or an unknown name.
func TestRefresh(t *testing.T) {
	s := server.NewMCPServer("quiet", "1.0.0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("first"), textTool("1"))
	r := newTestRegistry(t, Options{})
	r.OnUpstreamChanged(func(name string) { t.Errorf("OnUpstreamChanged(%q) after a Refresh", name) })
	must(t, r.AddMCPServer(context.Background(), "quiet", s))
	must(t, r.Add(Tool{Server: "builtin", Name: "x", Handler: func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) { return nil, nil }}))
	s.AddTool(mcp.NewTool("second"), textTool("2"))
	if _, ok := r.Lookup("quiet\x00second"); ok {
		t.Fatal("the new tool is listed before the refresh")
	}
	if !r.Refresh(context.Background(), "quiet") {
		t.Error("Refresh(quiet) = false; want true")
	}
	if _, ok := r.Lookup("quiet\x00second"); !ok {
		t.Error("the new tool is not listed after the refresh")
	}
	if r.Refresh(context.Background(), "builtin") || r.Refresh(context.Background(), "nope") {
		t.Error("Refresh of built-in tools or of an unknown name = true; want false")
	}
}

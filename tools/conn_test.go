package tools

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// Tools are listed across pages, with schemas kept exactly as the server
// sent them (mcp.Tool would drop the top-level anyOf).
func TestListToolsPagination(t *testing.T) {
	s := server.NewMCPServer("paged", "1.0.0", server.WithPaginationLimit(10))
	for i := range 25 {
		s.AddTool(mcp.NewTool(fmt.Sprintf("t%02d", i)), textTool("ok"))
	}
	schema := `{"type":"object","anyOf":[{"required":["a"]},{"required":["b"]}],"properties":{"a":{"type":"string"},"b":{"type":"string"}}}`
	s.AddTool(mcp.NewToolWithRawSchema("either", "a or b", []byte(schema)), textTool("ok"))
	r := newTestRegistry(t, Options{})
	must(t, r.AddMCPServer(context.Background(), "paged", s))
	if n := len(r.Entries()); n != 26 {
		t.Errorf("%d tools listed, want 26", n)
	}
	e, _ := r.Lookup(toolID("paged", "either"))
	if string(e.InputSchema) != schema {
		t.Errorf("schema changed in transit:\n got %s\nwant %s", e.InputSchema, schema)
	}
	if _, err := call(t, r, "paged", "either", `{}`); err == nil || err.Error() != "paged.either: does not match any of the allowed shapes" {
		t.Errorf("anyOf violation: %v", err)
	}
}

// notifications/tools/list_changed re-lists the tools.
func TestToolListChanged(t *testing.T) {
	s := server.NewMCPServer("live", "1.0.0", server.WithToolCapabilities(true))
	s.AddTool(mcp.NewTool("first"), textTool("1"))
	r := newTestRegistry(t, Options{})
	must(t, r.AddMCPServer(context.Background(), "live", s))
	v := r.Version()
	s.AddTool(mcp.NewTool("second"), textTool("2"))
	deadline := time.Now().Add(5 * time.Second)
	for r.Version() == v && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := mustCall(t, r, "live", "second", `{}`); got != `2` { // text that parses as JSON is returned parsed
		t.Errorf("second = %s", got)
	}
}

func TestCallCancelled(t *testing.T) {
	s := server.NewMCPServer("x", "1.0.0")
	addFakeTools(s)
	r := newTestRegistry(t, Options{})
	must(t, r.AddMCPServer(context.Background(), "x", s))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := r.Call(ctx, toolID("x", "hang"), nil)
	var ue *UpstreamError
	if !errors.As(err, &ue) || !errors.Is(err, context.DeadlineExceeded) ||
		err.Error() != `x.hang: upstream "x": the call was cancelled (context deadline exceeded)` {
		t.Errorf("cancelled call: %v", err)
	}
}

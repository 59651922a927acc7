package server

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

func TestNeedsApproval(t *testing.T) {
	yes, no := true, false
	entry := func(server, name, ns string, destructive *bool) tools.Entry {
		return tools.Entry{Tool: tools.Tool{Server: server, Name: name, Annotations: mcp.ToolAnnotation{DestructiveHint: destructive}},
			Namespace: ns, Method: name}
	}
	tests := []struct {
		rules       []string
		destructive bool
		e           tools.Entry
		want        string
	}{
		{[]string{"github"}, false, entry("github", "merge", "github", nil), "codemode.require_approval"},
		{[]string{"github.merge"}, false, entry("github", "merge", "github", nil), "codemode.require_approval"},
		{[]string{"github.merge"}, false, entry("github", "close", "github", nil), ""},
		{[]string{"sequential-thinking"}, false, entry("sequential-thinking", "think", "sequential_thinking", nil), "codemode.require_approval"},
		{[]string{"sequential_thinking.think"}, false, entry("sequential-thinking", "think", "sequential_thinking", nil), "codemode.require_approval"},
		{nil, true, entry("fs", "rm", "fs", &yes), "codemode.approve_destructive"},
		{nil, true, entry("fs", "ls", "fs", &no), ""},
		{nil, true, entry("fs", "touch", "fs", nil), ""}, // no hint: not counted, though MCP's default is true
		{nil, false, entry("fs", "rm", "fs", &yes), ""},
	}
	for i, tt := range tests {
		s := &Server{limits: config.Codemode{RequireApproval: tt.rules, ApproveDestructive: tt.destructive}}
		if got := s.needsApproval(tt.e); got != tt.want {
			t.Errorf("%d: needsApproval(%s) with %v, %v = %q, want %q", i, tt.e.Path(), tt.rules, tt.destructive, got, tt.want)
		}
	}
}

// TestApprovalWithoutClient: `mcp-codemode run` has no client to ask, so a
// tool that needs approval fails with the setting named, and is not called.
func TestApprovalWithoutClient(t *testing.T) {
	reg := tools.NewRegistry(tools.Options{})
	called := false
	must(t, reg.Add(tools.NewTool("bank", "pay", "Pays.", nil, func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
		called = true
		return mcp.NewToolResultText("paid"), nil
	})))
	srv := New(reg, Options{Limits: config.Codemode{RequireApproval: []string{"bank"}}})
	res := srv.Execute(context.Background(), `await bank.pay({})`)
	want := "ApprovalError: bank.pay needs the user's approval (codemode.require_approval), but this client cannot be asked: " +
		"it does not support MCP elicitation; use a client that does, or take bank.pay out of codemode.require_approval (line 1, column 12)"
	if res.Err == nil || res.Err.Error() != want || called {
		t.Errorf("got %v (called %v)\nwant %s", res.Err, called, want)
	}
}

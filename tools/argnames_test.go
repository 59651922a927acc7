package tools

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestUnknownArgument: a property the tool's plain object schema does not
// name is a TypeError naming it, the nearest argument and what the tool
// takes, and the tool is not called (issue 16).
func TestUnknownArgument(t *testing.T) {
	called := 0
	h := func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
		called++
		return mcp.NewToolResultText("ok"), nil
	}
	r := NewRegistry(Options{})
	defer r.Close()
	plain := json.RawMessage(`{"type":"object","properties":{"owner":{"type":"string"},"repo":{"type":"string"},"per_page":{"type":"number"}},"required":["owner","repo"]}`)
	open := json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"}},"additionalProperties":{"type":"string"}}`)
	if err := r.Add(NewTool("gh", "list_issues", "", plain, h), NewTool("gh", "search", "", open, h), NewTool("gh", "any", "", nil, h)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ tool, args, want string }{
		{"list_issues", `{"owner":"a","repo":"b","perPage":5}`,
			"gh.list_issues: perPage: not an argument of gh.list_issues; did you mean per_page? It takes { owner, repo, per_page? }"},
		{"list_issues", `{"owner":"a","repo":"b","zzz":1,"odd key":2}`,
			`gh.list_issues: ["odd key"]: not an argument of gh.list_issues; it takes { owner, repo, per_page? }; zzz: not an argument of gh.list_issues; it takes { owner, repo, per_page? }`},
		{"list_issues", `{"owner":"a","repo":"b","per_page":5}`, ""},
		{"search", `{"q":"x","extra":"y"}`, ""},
		{"any", `{"whatever":1}`, ""},
	} {
		_, err := r.Call(context.Background(), toolID("gh", tc.tool), json.RawMessage(tc.args))
		got := ""
		if err != nil {
			got = err.Error()
			if n := err.(*ArgumentError).ErrorName(); n != "TypeError" {
				t.Errorf("error name %s", n)
			}
		}
		if got != tc.want {
			t.Errorf("%s(%s):\n got %s\nwant %s", tc.tool, tc.args, got, tc.want)
		}
	}
	if called != 3 {
		t.Errorf("the tools were called %d times, want 3 (never with an unknown argument)", called)
	}
}

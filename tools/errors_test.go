package tools

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

func TestErrorTexts(t *testing.T) {
	ae := &ArgumentError{Path: "m.t", Violations: []Violation{
		{Path: "", Reason: `unexpected property "x"`}, {Path: "a", Reason: "required"},
		{Path: "b[0]", Reason: "required"}, {Path: `["c d"]`, Reason: "required"}, {Path: "e", Reason: "required"},
	}}
	tests := []struct {
		err        error
		name, text string
	}{
		{ae, "TypeError", `m.t: unexpected property "x"; a: required; b[0]: required; and 2 more`},
		{&ToolError{Server: "m", Tool: "t", Message: "no such entity"}, "ToolError", "no such entity"},
		{&UpstreamError{Server: "m", Tool: "t", Path: "m.t", Msg: `upstream "m" is down`, Err: context.Canceled},
			"UpstreamError", `m.t: upstream "m" is down`},
		{&UnknownToolError{ID: "m\x00t"}, "InternalError", `unknown tool id "m\x00t": the tool set changed or the id was never registered`},
		{&StoreError{Msg: "the workspace is unavailable: the database is unreachable; try again"},
			"StoreError", "the workspace is unavailable: the database is unreachable; try again"},
	}
	for _, tt := range tests {
		named := tt.err.(interface{ ErrorName() string })
		if named.ErrorName() != tt.name || tt.err.Error() != tt.text {
			t.Errorf("%T: %s: %q, want %s: %q", tt.err, named.ErrorName(), tt.err.Error(), tt.name, tt.text)
		}
	}
	if !errors.Is(tests[2].err, context.Canceled) {
		t.Error("UpstreamError does not unwrap to its cause")
	}
}

// TestStoreErrorPassesThrough: a built-in tool's StoreError reaches the
// caller as itself (the script sees a StoreError, not a ToolError), naming
// the tool, redacted.
func TestStoreErrorPassesThrough(t *testing.T) {
	r := newTestRegistry(t, Options{Secrets: []string{"hunter2"}})
	cause := errors.New("dial tcp: connection refused")
	must(t, r.Add(NewTool("workspace", "read_file", "", nil, func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
		return nil, &StoreError{Msg: "the workspace is unavailable (hunter2); try again", Err: cause}
	})))
	_, err := call(t, r, "workspace", "read_file", `{}`)
	var se *StoreError
	if !errors.As(err, &se) || se.Server != "workspace" || se.Tool != "read_file" || strings.Contains(se.Msg, "hunter2") || !errors.Is(err, cause) {
		t.Errorf("got %T %+v", err, err)
	}
}

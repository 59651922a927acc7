package tools

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// TestValidationUsesDeclaredNames checks that an argument error names the
// tool as the declarations show it (the sanitised, disambiguated namespace
// and method) and points into the arguments with the property names the
// declarations show, quoted where they are not identifiers.
func TestValidationUsesDeclaredNames(t *testing.T) {
	schema := json.RawMessage(`{"type":"object","properties":{
		"filter":{"type":"object","properties":{"odd key":{"type":"string"},"labels":{"type":"array","items":{"type":"string"}}}},
		"delete":{"type":"boolean"}},"required":["filter"]}`)
	called := 0
	handler := func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
		called++
		return mcp.NewToolResultText("ok"), nil
	}
	r := NewRegistry(Options{})
	defer r.Close()
	for _, tool := range []struct{ server, name string }{
		{"my-server", "list-issues"}, {"my-server", "2fa.check"}, {"my-server", "delete"},
		{"my-server", "a-b"}, {"my-server", "a.b"}, {"console", "log"},
	} {
		if err := r.Add(NewTool(tool.server, tool.name, "", schema, handler)); err != nil {
			t.Fatal(err)
		}
	}
	decls := typegen.Declarations(r.Namespaces(), typegen.Options{})
	for _, member := range []string{`filter: {`, `"odd key"?: string`, `labels?: string[]`, `delete?: boolean`} {
		if !strings.Contains(decls, member) {
			t.Fatalf("declarations lack %q:\n%s", member, decls)
		}
	}
	args := json.RawMessage(`{"filter":{"odd key":1,"labels":["a",2]},"delete":"x"}`)
	wantPaths := `delete: expected boolean, got string; filter.labels[1]: expected string, got number; filter["odd key"]: expected string, got number`
	var paths []string
	for _, e := range r.Entries() {
		if !strings.Contains(decls, "declare const "+e.Namespace+": {") || !strings.Contains(decls, "\n"+e.Method+"(args") {
			t.Errorf("%s is not declared as such:\n%s", e.Path(), decls)
		}
		_, err := r.Call(context.Background(), e.ID, args)
		var ae *ArgumentError
		if !errors.As(err, &ae) {
			t.Fatalf("%s: %v, want an ArgumentError", e.Path(), err)
		}
		if want := e.Path() + ": " + wantPaths; err.Error() != want {
			t.Errorf("got  %s\nwant %s", err, want)
		}
		paths = append(paths, e.Path())
	}
	want := "console_.log my_server._2fa_check my_server.a_b my_server.a_b_2 my_server.delete my_server.list_issues"
	if got := strings.Join(paths, " "); got != want {
		t.Errorf("tools are declared as %s, want %s", got, want)
	}
	if called != 0 {
		t.Errorf("handler called %d times on invalid arguments", called)
	}
}

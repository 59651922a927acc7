package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

func okHandler(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
	return mcp.NewToolResultText("ok"), nil
}

func TestAddErrors(t *testing.T) {
	r := newTestRegistry(t, Options{})
	if err := r.Add(NewTool("a", "x", "", nil, okHandler)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		tools []Tool
		want  string
	}{
		{"no handler", []Tool{{Server: "a", Name: "y"}}, "adding tool a.y: Handler is nil"},
		{"no server", []Tool{NewTool("", "y", "", nil, okHandler)}, `adding tool "y" of server "": both a server and a name are required`},
		{"taken", []Tool{NewTool("a", "x", "", nil, okHandler)}, "adding tool a.x: a tool with that server and name is already registered"},
		{"twice in one call", []Tool{NewTool("b", "y", "", nil, okHandler), NewTool("b", "y", "", nil, okHandler)},
			"adding tool b.y: a tool with that server and name is already registered"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := r.Version()
			err := r.Add(tt.tools...)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Add = %v, want %q", err, tt.want)
			}
			if r.Version() != v || len(r.Entries()) != 1 {
				t.Errorf("a failed Add changed the registry: version %d→%d, %d entries", v, r.Version(), len(r.Entries()))
			}
		})
	}
}

func TestNamingAndOrder(t *testing.T) {
	r := newTestRegistry(t, Options{})
	v0 := r.Version()
	err := r.Add(
		NewTool("my_server", "b", "", nil, okHandler),
		NewTool("my-server", "get-sum", "", nil, okHandler),
		NewTool("my-server", "get_sum", "", nil, okHandler),
		NewTool("my-server", "delete", "", nil, okHandler),
		NewTool("console", "log", "", nil, okHandler),
		NewTool("9lives", "2fast", "", nil, okHandler),
	)
	if err != nil {
		t.Fatal(err)
	}
	if r.Version() == v0 {
		t.Error("Version did not change")
	}
	var got []string
	for _, e := range r.Entries() {
		got = append(got, e.Path()+" ← "+e.Server+"/"+e.Name)
	}
	want := []string{
		"_9lives._2fast ← 9lives/2fast",
		"console_.log ← console/log",
		"my_server.b ← my_server/b",
		"my_server_2.delete ← my-server/delete",
		"my_server_2.get_sum ← my-server/get_sum",
		"my_server_2.get_sum_2 ← my-server/get-sum",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("entries (-want +got)\n%s", diff)
	}
	e, ok := r.Lookup(toolID("my-server", "get-sum"))
	if !ok || e.Path() != "my_server_2.get_sum_2" {
		t.Errorf("Lookup = %v, %v", e.Path(), ok)
	}
	var ns []string
	for _, n := range r.Namespaces() {
		ns = append(ns, n.Name+":"+n.Tools[0].Name)
	}
	if diff := cmp.Diff([]string{"_9lives:_2fast", "console_:log", "my_server:b", "my_server_2:delete"}, ns); diff != "" {
		t.Errorf("namespaces (-want +got)\n%s", diff)
	}
}

func TestCallBuiltin(t *testing.T) {
	r := newTestRegistry(t, Options{Secrets: []string{"tok-123456"}})
	called := 0
	must(t, r.Add(
		NewTool("t", "structured", "", json.RawMessage(`{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`),
			func(_ context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
				called++
				return mcp.NewToolResultStructured(map[string]any{"args": args, "token": "Bearer tok-123456"}, "x"), nil
			}),
		NewTool("t", "fails", "", nil, func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultError("bad token tok-123456"), nil
		}),
		NewTool("t", "errs", "", nil, func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return nil, errors.New("disk full")
		}),
		NewTool("t", "panics", "", nil, func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			panic("handler bug")
		}),
	))

	if got := mustCall(t, r, "t", "structured", `{"n":1}`); got != `{"args":{"n":1},"token":"Bearer [redacted]"}` {
		t.Errorf("structured = %s", got)
	}
	_, err := call(t, r, "t", "structured", `{"n":"1"}`)
	var ae *ArgumentError
	if !errors.As(err, &ae) || err.Error() != "t.structured: n: expected integer, got string" || ae.ErrorName() != "TypeError" {
		t.Errorf("bad args: %v", err)
	}
	if called != 1 {
		t.Errorf("handler called %d times, want 1 (not on invalid arguments)", called)
	}

	expectToolError(t, r, "fails", "bad token [redacted]")
	expectToolError(t, r, "errs", "disk full")
	expectToolError(t, r, "panics", "internal error in t.panics: handler bug")

	_, err = r.Call(context.Background(), "nope", nil)
	var ue *UnknownToolError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("unknown id: %v", err)
	}
}

func expectToolError(t *testing.T, r *Registry, tool, want string) {
	t.Helper()
	_, err := call(t, r, "t", tool, ``) // omitted arguments are {}
	var te *ToolError
	if !errors.As(err, &te) || te.Error() != want || te.ErrorName() != "ToolError" || te.Server != "t" || te.Tool != tool {
		t.Errorf("%s: err = %#v, want ToolError %q", tool, err, want)
	}
}

func TestFuncTool(t *testing.T) {
	type in struct {
		A int    `json:"a" jsonschema:"the first number"`
		B int    `json:"b"`
		N string `json:"note,omitempty"`
	}
	type out struct {
		Sum int `json:"sum"`
	}
	tool := MustFunc("calc", "add", "Add two numbers.", func(_ context.Context, x in) (out, error) {
		if x.A < 0 {
			return out{}, errors.New("negative")
		}
		return out{x.A + x.B}, nil
	})
	r := newTestRegistry(t, Options{})
	must(t, r.Add(tool))
	if got := mustCall(t, r, "calc", "add", `{"a":2,"b":3}`); got != `{"sum":5}` {
		t.Errorf("add = %s", got)
	}
	if _, err := call(t, r, "calc", "add", `{"a":2}`); err == nil || err.Error() != "calc.add: b: required" {
		t.Errorf("missing b: %v", err)
	}
	if _, err := call(t, r, "calc", "add", `{"a":-1,"b":0}`); err == nil || err.Error() != "negative" {
		t.Errorf("negative: %v", err)
	}
	if !strings.Contains(string(tool.OutputSchema), `"sum"`) {
		t.Errorf("output schema %s", tool.OutputSchema)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Namespaces is the input typegen.Declarations expects: final identifiers,
// one namespace per server, in the order of Entries.
func TestNamespacesFeedTypegen(t *testing.T) {
	r := corpusRegistry(t)
	ns := r.Namespaces()
	var names []string
	n := 0
	for _, x := range ns {
		names = append(names, x.Name)
		n += len(x.Tools)
	}
	want := []string{"everything", "filesystem", "github", "memory", "sequential_thinking", "workspace"}
	if diff := cmp.Diff(want, names); diff != "" || n != len(r.Entries()) {
		t.Errorf("namespaces (-want +got)\n%s\n%d tools, %d entries", diff, n, len(r.Entries()))
	}
	decls := typegen.Declarations(ns, typegen.Options{})
	for _, s := range []string{"declare const memory", "create_entities(", "declare const sequential_thinking", "get_env("} {
		if !strings.Contains(decls, s) {
			t.Errorf("declarations lack %q", s)
		}
	}
	v := r.Version()
	if r.Version() != v || &r.Namespaces()[0] == &ns[0] {
		t.Error("Namespaces must return a copy of a cached value")
	}
}

func TestEnvListInheritsOnlyTheShortList(t *testing.T) {
	t.Setenv("CODEMODE_TEST_HOST_SECRET", "s3cret-value")
	t.Setenv("PATH", "/usr/bin")
	got := envList(map[string]string{"TOKEN": "x", "PATH": "/opt/bin"})
	want := []string{"PATH=/opt/bin", "TOKEN=x"}
	var filtered []string
	for _, kv := range got {
		if !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "LOGNAME=") && !strings.HasPrefix(kv, "SHELL=") &&
			!strings.HasPrefix(kv, "TERM=") && !strings.HasPrefix(kv, "USER=") {
			filtered = append(filtered, kv)
		}
	}
	if diff := cmp.Diff(want, filtered); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
}

// A tool's input schema is compiled at its first call, once: a tool never
// called holds none, and a schema that does not compile is reported then,
// once, and not enforced.
func TestSchemaCompiledAtFirstCall(t *testing.T) {
	var logs bytes.Buffer
	r := newTestRegistry(t, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Secrets: []string{"sekrit-9876"}})
	ok := func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("ok"), nil
	}
	must(t, r.Add(
		NewTool("t", "strict", "", json.RawMessage(`{"type":"object","properties":{"n":{"type":"integer"}}}`), ok),
		NewTool("t", "idle", "", json.RawMessage(`{"type":"object","properties":{"n":{"type":"integer"}}}`), ok),
		NewTool("t", "sloppy", "", json.RawMessage(`{"type":"object","properties":{"a":{"type":"sekrit-9876"}}}`), ok),
	))
	rec := func(name string) *toolRec { return r.servers["t"].tools[name] }
	for _, name := range []string{"strict", "idle", "sloppy"} {
		if rec(name).schema != nil {
			t.Fatalf("%s: schema compiled before any call", name)
		}
	}
	if _, err := call(t, r, "t", "strict", `{"n":"1"}`); err == nil || err.Error() != "t.strict: n: expected integer, got string" {
		t.Errorf("first call with bad arguments: %v", err)
	}
	if rec("strict").schema == nil || rec("idle").schema != nil {
		t.Errorf("after calling strict: strict compiled %v, idle compiled %v; want true, false",
			rec("strict").schema != nil, rec("idle").schema != nil)
	}
	if logs.Len() != 0 {
		t.Fatalf("logged before the sloppy tool was called: %s", logs.String())
	}
	for range 2 {
		if got := mustCall(t, r, "t", "sloppy", `{"a":1}`); got != `"ok"` {
			t.Errorf("sloppy = %s, want ok (its schema not enforced)", got)
		}
	}
	if n := strings.Count(logs.String(), "input schema does not compile"); n != 1 {
		t.Errorf("warned %d times about the sloppy schema, want once:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "sekrit-9876") {
		t.Errorf("the warning leaks a secret: %s", logs.String())
	}
}

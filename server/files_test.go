package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// filesServer is a server whose snippets and imports reach ws directly
// (Options.Workspace) or, with direct false, through the registry's
// workspace tools; calls counts the calls of those tools. The registry
// scrubs the secret "hunter2-s3cret".
func filesServer(t *testing.T, direct bool, limits config.Codemode, wsLimits workspace.Limits) (*Server, *workspace.Workspace, *atomic.Int64) {
	t.Helper()
	ws := workspace.New(nil, wsLimits)
	t.Cleanup(func() { ws.Close() })
	var calls atomic.Int64
	list := ws.Tools()
	for i := range list {
		h := list[i].Handler
		list[i].Handler = func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
			calls.Add(1)
			return h(ctx, args)
		}
	}
	reg := tools.NewRegistry(tools.Options{Secrets: []string{"hunter2-s3cret"}})
	t.Cleanup(func() { reg.Close() })
	must(t, reg.Add(list...))
	must(t, reg.Add(tools.NewTool("t", "ping", "Answers pong.", nil, func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("pong"), nil
	})))
	opts := Options{Limits: limits}
	if direct {
		opts.Workspace = ws
	}
	return New(reg, opts), ws, &calls
}

// outcome is a script's value or error, as text.
func outcome(t *testing.T, srv *Server, ctx context.Context, code string) string {
	t.Helper()
	res := srv.Execute(ctx, code)
	if res.Err != nil {
		return res.Err.Name + ": " + res.Err.Message
	}
	return compactJSON(t, res.Value)
}

// TestFilesDirect: snippets and imports do the same whether the server
// calls the workspace directly or through its tools: the same results,
// the same errors (ToolError naming the tool, the workspace's own text),
// secrets scrubbed from what is read and from errors, each subject its own
// files, the snippets' calls counted in the execution's budget; and the
// direct server calls no workspace tool for them.
func TestFilesDirect(t *testing.T) {
	steps := []struct{ code, want string }{
		{`return await codemode.save("greet", "return 'hi ' + input", "Says hi")`, `{"name":"greet","path":"snippets/greet.ts","size":31}`},
		{`return await codemode.run("greet", "bob")`, `"hi bob"`},
		{`return await codemode.describe("snippets.leak")`,
			`"// Saved snippets: run one with ` + "`await codemode.run(name, input)`" + `; its code sees ` + "`input`" + ` and returns the result.\n\n// leak: Knows [redacted]\nreturn \"[redacted]\"\n"`},
		{`return await codemode.run("leak")`, `"[redacted]"`},
		{`return (await codemode.search("knows")).map(h => h.name + ": " + h.description)`, `["snippets.leak: Knows [redacted]"]`},
		{`return await codemode.run("nope")`, `ReferenceError: codemode.run: no snippet "nope"; codemode.save(name, code, description) saves one, codemode.search finds them`},
		{`import { n } from "./lib/n.ts";
return n`, `7`},
		{`import { n } from "./lib/missing.ts";
return n`, `SyntaxError: cannot import "lib/missing.ts": no file "lib/missing.ts" in the workspace; workspace.list_files() shows the files there are`},
		{`return await codemode.save("big", "return '` + strings.Repeat("x", 3000) + `'", "Too big for the quota")`,
			`ToolError: the workspace is full: this write would take it past 2000 bytes (each file and directory counts its path and its content); delete some files first`},
		{`return await codemode.run("pings", 5)`, `RangeError: snippet "pings": too many tool calls: the limit is 4 per execution, counting the snippets it runs (snippet line 1, column 41)`},
	}
	results := map[bool][]string{}
	for _, direct := range []bool{true, false} {
		srv, ws, calls := filesServer(t, direct, config.Codemode{MaxToolCalls: 4}, workspace.Limits{MaxBytes: 2000})
		ctx := context.Background()
		must(t, ws.WriteFile(ctx, "snippets/leak.ts", "// Knows hunter2-s3cret\nreturn \"hunter2-s3cret\""))
		must(t, ws.WriteFile(ctx, "lib/n.ts", "export const n = 7;"))
		must(t, ws.WriteFile(ctx, "snippets/pings.ts", "// Pings\nfor (let i = 0; i < input; i++) await t.ping();"))
		for _, s := range steps {
			got := outcome(t, srv, ctx, s.code)
			results[direct] = append(results[direct], got)
			if got != s.want {
				t.Errorf("direct %v: %.60s\n got %s\nwant %s", direct, s.code, got, s.want)
			}
		}
		other := tools.WithSubject(ctx, "other")
		if got := outcome(t, srv, other, `return await codemode.run("greet", "x")`); !strings.HasPrefix(got, `ReferenceError: codemode.run: no snippet "greet"`) {
			t.Errorf("direct %v: another subject runs greet: %s", direct, got)
		}
		if n := calls.Load(); direct && n != 0 {
			t.Errorf("the direct server called the workspace tools %d times", n)
		} else if !direct && n == 0 {
			t.Errorf("the server without the workspace called none of its tools")
		}
	}
	if diff := cmp.Diff(results[false], results[true]); diff != "" {
		t.Errorf("(-through the tools +direct)\n%s", diff)
	}
}

// TestFilesErrors: the direct workspace fails as its tools do, with a
// ToolError naming the tool whose message is the workspace's own, secrets
// scrubbed.
func TestFilesErrors(t *testing.T) {
	srv, ws, _ := filesServer(t, true, config.Codemode{}, workspace.Limits{MaxBytes: 100})
	ctx := context.Background()
	must(t, ws.WriteFile(ctx, "dir/hunter2-s3cret.txt", "x"))
	d, v := direct{ws, srv.reg}, viaTools{srv}
	type result struct {
		Value any
		Err   string
		Tool  string
	}
	errOf := func(v any, err error) result {
		r := result{Value: v}
		if te, ok := err.(*tools.ToolError); ok {
			r.Tool = te.Server + "." + te.Tool
		}
		if err != nil {
			r.Value, r.Err = nil, err.Error()
		}
		return r
	}
	for _, f := range []func(files) result{
		func(fs files) result { return errOf(fs.ReadFile(ctx, "hunter2-s3cret.ts")) },
		func(fs files) result { return errOf(fs.ReadFile(ctx, "dir")) },
		func(fs files) result { return errOf(fs.Stat(ctx, "dir/hunter2-s3cret.txt")) },
		func(fs files) result { return errOf(fs.Glob(ctx, "dir/*")) },
		func(fs files) result { return errOf(nil, fs.WriteFile(ctx, "big", strings.Repeat("x", 200))) },
		func(fs files) result { return errOf(nil, fs.WriteFile(ctx, "dir", "x")) },
	} {
		want, got := f(v), f(d)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-through the tools +direct)\n%s", diff)
		}
		if strings.Contains(fmt.Sprint(got), "hunter2") {
			t.Errorf("the secret shows: %v", got)
		}
	}
}

// TestFilesDirectApproval: with the workspace's tools gated, the direct
// server asks as the tools' server does: codemode.save as
// workspace.write_file, codemode.run and imports as workspace.read_file,
// each saying through which helper, with the call's arguments.
func TestFilesDirectApproval(t *testing.T) {
	code := `
const out = {};
for (const [k, f] of Object.entries({
  save: () => codemode.save("s", "return 1", "One"),
  run: () => codemode.run("trusted"),
})) {
  try { out[k] = await f(); } catch (e) { out[k] = e.name + ": " + e.message; }
}
return out;`
	prompts := map[bool][]string{}
	for _, direct := range []bool{true, false} {
		srv, ws, _ := filesServer(t, direct, config.Codemode{RequireApproval: []string{"workspace.write_file", "workspace.read_file"}}, workspace.Limits{})
		must(t, ws.WriteFile(context.Background(), "snippets/trusted.ts", "// Trusted\nreturn 'trusted'"))
		must(t, ws.WriteFile(context.Background(), "lib/n.ts", "export const n = 7;"))
		a := &asker{action: mcp.ElicitationResponseActionDecline}
		ctx := a.session().as(srv, "")
		got := outcome(t, srv, ctx, code)
		want := `{"run":"ApprovalError: the user declined the call of workspace.read_file","save":"ApprovalError: the user declined the call of workspace.write_file"}`
		if got != want {
			t.Errorf("direct %v:\n got %s\nwant %s", direct, got, want)
		}
		if got := outcome(t, srv, ctx, "import { n } from \"./lib/n.ts\";\nreturn n"); got != `SyntaxError: cannot import "lib/n.ts": the user declined the call of workspace.read_file` {
			t.Errorf("direct %v: import: %s", direct, got)
		}
		prompts[direct] = a.asked()
		if len(prompts[direct]) != 3 || !strings.HasPrefix(prompts[direct][0], "Allow the script to call workspace.write_file (for codemode.save)?\n\nArguments: {") {
			t.Errorf("direct %v: asked %q", direct, prompts[direct])
		}
	}
	if diff := cmp.Diff(prompts[false], prompts[true]); diff != "" {
		t.Errorf("prompts (-through the tools +direct)\n%s", diff)
	}
}

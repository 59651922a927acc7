package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
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
		// A rule naming a workspace tool gates those that do the same.
		{[]string{"workspace.write_file"}, false, entry("workspace", "append_file", "workspace", nil), "codemode.require_approval"},
		{[]string{"workspace.write_file"}, false, entry("workspace", "write_json", "workspace", nil), "codemode.require_approval"},
		{[]string{"workspace.write_file"}, false, entry("workspace", "move_file", "workspace", nil), "codemode.require_approval"},
		{[]string{"workspace.delete_file"}, false, entry("workspace", "move_file", "workspace", nil), "codemode.require_approval"},
		{[]string{"workspace.read_file"}, false, entry("workspace", "read_json", "workspace", nil), "codemode.require_approval"},
		{[]string{"workspace.write_file"}, false, entry("workspace", "read_file", "workspace", nil), ""},
		{[]string{"workspace.append_file"}, false, entry("workspace", "write_file", "workspace", nil), ""},
		{nil, true, entry("workspace", "move_file", "workspace", nil), "codemode.approve_destructive"}, // removes its source
		{nil, true, entry("workspace", "write_file", "workspace", nil), ""},
	}
	for i, tt := range tests {
		s := &Server{limits: config.Codemode{RequireApproval: tt.rules, ApproveDestructive: tt.destructive}}
		if got := s.needsApproval(tt.e); got != tt.want {
			t.Errorf("%d: needsApproval(%s) with %v, %v = %q, want %q", i, tt.e.Path(), tt.rules, tt.destructive, got, tt.want)
		}
	}
}

// TestApprovalWithoutClientNamesRule: the error names the entry of
// require_approval to take out, which may name another tool than the one
// called.
func TestApprovalWithoutClientNamesRule(t *testing.T) {
	reg := tools.NewRegistry(tools.Options{})
	must(t, reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...))
	srv := New(reg, Options{Limits: config.Codemode{RequireApproval: []string{"workspace.write_file"}}})
	res := srv.Execute(context.Background(), `await codemode.save("x", "return 1", "One")`)
	want := "ApprovalError: workspace.write_file (for codemode.save) needs the user's approval (codemode.require_approval), but this client cannot be asked: " +
		"it does not support MCP elicitation; use a client that does, or take workspace.write_file out of codemode.require_approval (line 1, column 16)"
	if res.Err == nil || res.Err.Error() != want {
		t.Errorf("got %v\nwant %s", res.Err, want)
	}
	res = srv.Execute(context.Background(), `await workspace.append_file({ path: "a.txt", content: "x" })`)
	want = "ApprovalError: workspace.append_file needs the user's approval (codemode.require_approval), but this client cannot be asked: " +
		"it does not support MCP elicitation; use a client that does, or take workspace.write_file out of codemode.require_approval (line 1, column 17)"
	if res.Err == nil || res.Err.Error() != want {
		t.Errorf("got %v\nwant %s", res.Err, want)
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
		"it does not support MCP elicitation; use a client that does, or take bank out of codemode.require_approval (line 1, column 12)"
	if res.Err == nil || res.Err.Error() != want || called {
		t.Errorf("got %v (called %v)\nwant %s", res.Err, called, want)
	}
}

// asker is a client that answers every approval with action and records
// the prompts.
type asker struct {
	mu      sync.Mutex
	prompts []string
	action  mcp.ElicitationResponseAction
}

func (a *asker) session() *fakeSession {
	return &fakeSession{id: "s", ask: func(req mcp.ElicitationRequest) *mcp.ElicitationResult {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.prompts = append(a.prompts, req.Params.Message)
		return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: a.action}}
	}}
}

func (a *asker) asked() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.prompts)
}

// TestApprovalEveryWritePath: with workspace.write_file gated and the user
// declining, no way of writing a workspace file gets through: not
// codemode.save (which once overwrote a trusted snippet after the user had
// declined the direct write), append_file, write_json or move_file.
func TestApprovalEveryWritePath(t *testing.T) {
	ws := workspace.New(nil, workspace.Limits{})
	reg := tools.NewRegistry(tools.Options{})
	must(t, reg.Add(ws.Tools()...))
	srv := New(reg, Options{Limits: config.Codemode{RequireApproval: []string{"workspace.write_file"}}})
	trusted := "// Trusted\nreturn 'trusted'"
	must(t, ws.WriteFile(context.Background(), "snippets/trusted.ts", trusted))
	must(t, ws.WriteFile(context.Background(), "evil.ts", "// Evil\nreturn 'evil'"))
	a := &asker{action: mcp.ElicitationResponseActionDecline}
	ctx := a.session().as(srv, "")
	res := srv.Execute(ctx, `
const tries = {
  write: () => workspace.write_file({ path: "snippets/trusted.ts", content: "return 'evil'" }),
  save: () => codemode.save("trusted", "return 'evil'", "Trusted"),
  append: () => workspace.append_file({ path: "snippets/trusted.ts", content: "\nreturn 'evil'" }),
  json: () => workspace.write_json({ path: "snippets/trusted.ts", value: "evil" }),
  move: () => workspace.move_file({ from: "evil.ts", to: "snippets/trusted.ts", overwrite: true }),
};
const out = {};
for (const [k, f] of Object.entries(tries)) {
  try { await f(); out[k] = "written"; } catch (e) { out[k] = e.name + ": " + e.message; }
}
out.run = await codemode.run("trusted");
return out;`)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	want := map[string]string{
		"write":  "ApprovalError: the user declined the call of workspace.write_file",
		"save":   "ApprovalError: the user declined the call of workspace.write_file",
		"append": "ApprovalError: the user declined the call of workspace.append_file",
		"json":   "ApprovalError: the user declined the call of workspace.write_json",
		"move":   "ApprovalError: the user declined the call of workspace.move_file",
		"run":    "trusted",
	}
	var got map[string]string
	must(t, json.Unmarshal(res.Value, &got))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if text, _ := ws.ReadFile(context.Background(), "snippets/trusted.ts"); text != trusted {
		t.Errorf("the trusted snippet is now %q", text)
	}
	prompts := a.asked()
	if len(prompts) != 5 {
		t.Fatalf("asked %d times, want 5:\n%s", len(prompts), strings.Join(prompts, "\n---\n"))
	}
	wantSave := "Allow the script to call workspace.write_file (for codemode.save)?\n\n" +
		`Arguments: {"content":"// Trusted\nreturn 'evil'","path":"snippets/trusted.ts"}` + "\n\n" +
		"Create or overwrite a workspace file (parent directories are implied). Files persist between executions.\n\n" +
		"(Asked because of codemode.require_approval.)"
	if prompts[1] != wantSave {
		t.Errorf("codemode.save asked\n%s\nwant\n%s", prompts[1], wantSave)
	}
}

// TestApprovalReadPaths: with workspace.read_file gated, running a snippet
// or showing its code asks, and search and describe leave the snippets out
// (their names and descriptions come from the files).
func TestApprovalReadPaths(t *testing.T) {
	ws := workspace.New(nil, workspace.Limits{})
	reg := tools.NewRegistry(tools.Options{})
	must(t, reg.Add(ws.Tools()...))
	srv := New(reg, Options{Limits: config.Codemode{RequireApproval: []string{"workspace.read_file"}}})
	must(t, ws.WriteFile(context.Background(), "snippets/secret.ts", "// The launch code is 0000\nreturn 1"))
	a := &asker{action: mcp.ElicitationResponseActionDecline}
	res := srv.Execute(a.session().as(srv, ""), `
const out = {};
for (const [k, f] of Object.entries({
  run: () => codemode.run("secret"),
  describe: () => codemode.describe("snippets.secret"),
  json: () => workspace.read_json({ path: "snippets/secret.ts" }),
})) {
  try { out[k] = await f(); } catch (e) { out[k] = e.name + ": " + e.message; }
}
out.list = await codemode.describe("snippets");
out.search = (await codemode.search("launch code")).map(h => h.name);
return out;`)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	want := map[string]any{
		"run":      "ApprovalError: the user declined the call of workspace.read_file",
		"describe": "ApprovalError: the user declined the call of workspace.read_file",
		"json":     "ApprovalError: the user declined the call of workspace.read_json",
		"list": "// Saved snippets: run one with `await codemode.run(name, input)`; its code sees `input` and returns the result.\n" +
			"// They are not listed here: reading workspace files needs the user's approval (codemode.require_approval); " +
			"codemode.describe(\"snippets.NAME\") asks for one.\n",
		"search": []any{},
	}
	var got map[string]any
	must(t, json.Unmarshal(res.Value, &got))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if n := len(a.asked()); n != 3 {
		t.Errorf("asked %d times, want 3", n)
	}
}

// TestApprovalInsideSnippet: a snippet that calls a gated tool is gated
// like the script that runs it.
func TestApprovalInsideSnippet(t *testing.T) {
	reg := tools.NewRegistry(tools.Options{})
	must(t, reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...))
	called := false
	must(t, reg.Add(tools.NewTool("bank", "pay", "Pays.", nil, func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
		called = true
		return mcp.NewToolResultText("paid"), nil
	})))
	srv := New(reg, Options{Limits: config.Codemode{RequireApproval: []string{"bank"}}})
	a := &asker{action: mcp.ElicitationResponseActionDecline}
	res := srv.Execute(a.session().as(srv, ""), `
await codemode.save("pay", "return await bank.pay({})", "Pays");
return await codemode.run("pay")`)
	want := `ApprovalError: snippet "pay": the user declined the call of bank.pay (snippet line 1, column 19) (line 3, column 23)`
	if res.Err == nil || res.Err.Error() != want || called {
		t.Errorf("got %v (called %v)\nwant %s", res.Err, called, want)
	}
}

// TestApprovalPromptArguments: the prompt never hides arguments without
// saying how much it leaves out; a long harmless first value cannot push
// the others out of sight.
func TestApprovalPromptArguments(t *testing.T) {
	long := strings.Repeat("a", 1000)
	manyKeys := "{"
	for i := range 45 {
		manyKeys += fmt.Sprintf(`"k%02d":%d,`, i, i)
	}
	manyKeys += `"last":"` + strings.Repeat("é", 300) + `"}`
	tests := []struct{ args, want string }{
		{`{"path":"a.txt"}`, `Arguments: {"path":"a.txt"}`},
		{`{"note":"` + long + `","to":"attacker@example.com","amount":1000000}`,
			"Arguments (1,056 bytes; each value shown up to 200 bytes):\n" +
				`  note: "` + strings.Repeat("a", 199) + "… (802 more bytes)\n" +
				`  to: "attacker@example.com"` + "\n" +
				"  amount: 1000000"},
		{`{"line\n  break":1,"pad":"` + long + `"}`,
			"Arguments (1,028 bytes; each value shown up to 200 bytes):\n" +
				`  "line\n  break": 1` + "\n" +
				`  pad: "` + strings.Repeat("a", 199) + "… (802 more bytes)"},
		{manyKeys, ""}, // checked below
		{`["` + long + `"]`, "Arguments (1,004 bytes; each value shown up to 200 bytes):\n" +
			`  ["` + strings.Repeat("a", 598) + "… (404 more bytes)"},
	}
	for _, tt := range tests {
		got := showArgs(json.RawMessage(tt.args))
		if tt.want == "" {
			lines := strings.Split(got, "\n")
			wantLast := "  … and 6 more keys not shown (655 bytes)"
			if len(lines) != 42 || lines[40] != "  k39: 39" || lines[41] != wantLast {
				t.Errorf("45 keys and a long one: %d lines, ending\n%s\nwant 42 ending\n  k39: 39\n%s", len(lines), strings.Join(lines[max(0, len(lines)-2):], "\n"), wantLast)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("showArgs(%.60s…)\n got %q\nwant %q", tt.args, got, tt.want)
		}
	}
}

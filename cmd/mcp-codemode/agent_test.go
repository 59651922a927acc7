package main

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// startAgent runs testdata/agent.mjs (the official TypeScript SDK client,
// counting tools/list_changed and, with elicit, answering elicitations)
// against the built binary.
func startAgent(t *testing.T, elicit bool, configPath string) *sdkClient {
	t.Helper()
	args := []string{binary(t), "--config", configPath}
	if elicit {
		args = append([]string{"--elicit"}, args...)
	}
	return startDriver(t, "testdata/agent.mjs", args...)
}

func (c *sdkClient) changes(t *testing.T, op string, n int) int {
	t.Helper()
	var r struct{ Changes int }
	if err := json.Unmarshal(c.do(t, map[string]any{"op": op, "more_than": n}), &r); err != nil {
		t.Fatal(err)
	}
	return r.Changes
}

func (c *sdkClient) executeDescription(t *testing.T) string {
	t.Helper()
	var list struct {
		Tools []struct{ Name, Description string }
	}
	if err := json.Unmarshal(c.do(t, map[string]any{"op": "list"}), &list); err != nil {
		t.Fatal(err)
	}
	for _, tool := range list.Tools {
		if tool.Name == "execute" {
			return tool.Description
		}
	}
	t.Fatal("no execute tool")
	return ""
}

// TestUpstreamListChanged: an upstream adds a tool and sends
// notifications/tools/list_changed; the registry re-lists it, execute's
// declarations show it, our client is notified, and the tool can be called.
func TestUpstreamListChanged(t *testing.T) {
	c := startAgent(t, false, writeConfig(t, map[string]any{"testup": upstreams(t)["testup"]}, nil))
	if strings.Contains(c.executeDescription(t), "fresh_tool") {
		t.Fatal("the tool is declared before it exists")
	}
	before := c.changes(t, "changes", 0)
	if r := c.execute(t, `return await testup.grow({ name: "fresh_tool" })`); r.IsError {
		t.Fatalf("grow: %s", r.text())
	}
	if got := c.changes(t, "wait_changes", before); got <= before {
		t.Fatal("no notifications/tools/list_changed reached the client")
	}
	// The upstream connects in the background, so the first change the
	// client sees may be its tools arriving, before grow's: wait for the
	// declaration, as a client re-listing on each change would.
	const want = "fresh_tool(args?: {}): Promise<unknown>;"
	desc := c.executeDescription(t)
	for deadline := time.Now().Add(testenv.Within(5 * time.Second)); !strings.Contains(desc, want) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		desc = c.executeDescription(t)
	}
	if !strings.Contains(desc, want) {
		t.Errorf("execute's description does not declare the new tool:\n%s", desc)
	}
	r := c.execute(t, `return await testup.fresh_tool()`)
	if r.IsError || compact(t, r.StructuredContent.Result) != `"fresh_tool"` {
		t.Errorf("calling the new tool: %s", r.text())
	}
}

// TestApprovals: memory.create_entities is listed in require_approval and
// approve_destructive covers memory.delete_entities (destructiveHint). The
// official SDK client answers each elicitation: accept lets the call
// through, decline throws an ApprovalError the script catches, and the
// upstream is not called. A client without elicitation gets an error
// naming the setting.
func TestApprovals(t *testing.T) {
	cfg := writeConfig(t, map[string]any{"memory": upstreams(t)["memory"]},
		map[string]any{"require_approval": []string{"memory.create_entities"}, "approve_destructive": true})
	c := startAgent(t, true, cfg)

	c.do(t, map[string]any{"op": "answer", "action": "accept"})
	r := c.execute(t, `await memory.create_entities({ entities: [{ name: "Ada", entityType: "person", observations: [] }] });
return (await memory.read_graph()).entities.map(e => e.name)`)
	if r.IsError || compact(t, r.StructuredContent.Result) != `["Ada"]` {
		t.Fatalf("accepted call: %s", r.text())
	}

	c.do(t, map[string]any{"op": "answer", "action": "decline"})
	r = c.execute(t, `try { await memory.delete_entities({ entityNames: ["Ada"] }) } catch (e) { console.log(e.name + ": " + e.message) }
return (await memory.read_graph()).entities.map(e => e.name)`)
	if r.IsError || compact(t, r.StructuredContent.Result) != `["Ada"]` {
		t.Fatalf("declined call: %s", r.text())
	}
	if want := "ApprovalError: the user declined the call of memory.delete_entities"; len(r.StructuredContent.Logs) != 1 || r.StructuredContent.Logs[0] != want {
		t.Errorf("logs = %q, want %q", r.StructuredContent.Logs, want)
	}

	c.do(t, map[string]any{"op": "answer", "action": "cancel"})
	r = c.execute(t, `await memory.delete_entities({ entityNames: ["Ada"] })`)
	if !r.IsError || !strings.HasPrefix(r.text(), "ApprovalError: the user dismissed the approval of memory.delete_entities without allowing it\n    at line 1, column 14 of your code") {
		t.Errorf("dismissed call: %s", r.text())
	}

	var asked []struct {
		Message         string
		RequestedSchema map[string]any
	}
	if err := json.Unmarshal(c.do(t, map[string]any{"op": "elicitations"}), &asked); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 3 {
		t.Fatalf("the client was asked %d times, want 3: %+v", len(asked), asked)
	}
	for i, want := range []string{
		"Allow the script to call memory.create_entities?\n\nArguments: {\"entities\":[{\"name\":\"Ada\",\"entityType\":\"person\",\"observations\":[]}]}",
		"(Asked because of codemode.approve_destructive.)",
		"Allow the script to call memory.delete_entities?",
	} {
		if !strings.Contains(asked[i].Message, want) {
			t.Errorf("elicitation %d = %q, want it to contain %q", i, asked[i].Message, want)
		}
	}

	// Allowed for the rest of the run: a loop asks once; the next run asks again.
	c.do(t, map[string]any{"op": "answer", "action": "accept", "content": map[string]any{"allow_for_this_run": true}})
	c.do(t, map[string]any{"op": "answer", "action": "decline"})
	r = c.execute(t, `for (const name of ["A", "B", "C"]) await memory.create_entities({ entities: [{ name, entityType: "x", observations: [] }] });
try { await memory.create_entities({ entities: [] }); return "not asked" } catch (e) { return "asked" }`)
	if r.IsError || compact(t, r.StructuredContent.Result) != `"not asked"` {
		t.Errorf("allowed for the run: %s", r.text())
	}
	r = c.execute(t, `try { await memory.create_entities({ entities: [] }); return "not asked" } catch (e) { return e.message }`)
	if r.IsError || compact(t, r.StructuredContent.Result) != `"the user declined the call of memory.create_entities"` {
		t.Errorf("the next run: %s", r.text())
	}
	if err := json.Unmarshal(c.do(t, map[string]any{"op": "elicitations"}), &asked); err != nil {
		t.Fatal(err)
	}
	if len(asked) != 5 {
		t.Errorf("the client was asked %d times, want 5", len(asked))
	}
	if prop, _ := asked[3].RequestedSchema["properties"].(map[string]any)["allow_for_this_run"].(map[string]any); prop["type"] != "boolean" {
		t.Errorf("requested schema = %v", asked[3].RequestedSchema)
	}

	plain := startAgent(t, false, cfg)
	r = plain.execute(t, `await memory.read_graph(); await memory.delete_entities({ entityNames: ["Ada"] })`)
	want := "ApprovalError: memory.delete_entities needs the user's approval (codemode.approve_destructive), but this client cannot be asked: " +
		"it does not support MCP elicitation; use a client that does, or take memory.delete_entities out of codemode.approve_destructive"
	if !r.IsError || !strings.HasPrefix(r.text(), want) {
		t.Errorf("without elicitation: %s\nwant %s", r.text(), want)
	}
}

// TestApprovalsHosted asks for approvals over streamable HTTP and SSE, the
// transports of hosted mode.
func TestApprovalsHosted(t *testing.T) {
	for _, transport := range []string{"http", "sse"} {
		t.Run(transport, func(t *testing.T) {
			cfg := writeConfig(t, map[string]any{"memory": upstreams(t)["memory"]},
				map[string]any{"require_approval": []string{"memory"}, "auth": map[string]any{"tokens": []string{"${ALICE}"}}})
			srv := startHosted(t, transport, cfg, "ALICE="+tokenAlice)
			c := startDriver(t, "testdata/agent.mjs", "--elicit", "--url", transport, srv.endpoint(transport), tokenAlice)
			c.do(t, map[string]any{"op": "answer", "action": "accept"})
			c.do(t, map[string]any{"op": "answer", "action": "decline"})
			r := c.execute(t, `const names = (await memory.read_graph()).entities.map(e => e.name);
try { await memory.read_graph() } catch (e) { return [names, e.name + ": " + e.message] }`)
			want := `[[],"ApprovalError: the user declined the call of memory.read_graph"]`
			if r.IsError || compact(t, r.StructuredContent.Result) != want {
				t.Errorf("result: %s\nwant %s", r.text(), want)
			}
		})
	}
}

// TestSnippetsHosted saves a snippet and a module over streamable HTTP,
// where executions run in worker processes (codemode.isolation "process"):
// the snippet's run takes a worker of its own and imports the module.
func TestSnippetsHosted(t *testing.T) {
	cfg := writeConfig(t, map[string]any{"memory": upstreams(t)["memory"]},
		map[string]any{"isolation": "process", "auth": map[string]any{"tokens": []string{"${ALICE}"}}})
	srv := startHosted(t, "http", cfg, "ALICE="+tokenAlice)
	c := startDriver(t, "testdata/agent.mjs", "--url", "http", srv.endpoint("http"), tokenAlice)
	r := c.execute(t, `await workspace.write_file({ path: "lib/names.ts", content: "export const upper = (xs: string[]) => xs.map(x => x.toUpperCase());\n" });
await codemode.save("entity_names", "import { upper } from '../lib/names.ts';\nconst g = await memory.read_graph();\nreturn upper(g.entities.map((e: any) => e.name).concat(input));", "Names of the knowledge graph's entities");
return "saved"`)
	if r.IsError {
		t.Fatalf("saving: %s", r.text())
	}
	r = c.execute(t, `return await codemode.run("entity_names", ["ada"])`)
	if r.IsError || compact(t, r.StructuredContent.Result) != `["ADA"]` {
		t.Errorf("running: %s", r.text())
	}
}

// TestWorkspaceHostedRestart: over HTTP each token's subject has its own
// workspace, and with data_dir it survives a restart of the server.
func TestWorkspaceHostedRestart(t *testing.T) {
	cfg := writeConfig(t, map[string]any{}, map[string]any{"data_dir": t.TempDir(),
		"auth": map[string]any{"tokens": []string{"${ALICE}", "${BOB}"}}})
	env := []string{"ALICE=" + tokenAlice, "BOB=" + tokenBob}
	client := func(srv *hostedServer, token string) *sdkClient {
		return startDriver(t, "testdata/agent.mjs", "--url", "http", srv.endpoint("http"), token)
	}
	srv := startHosted(t, "http", cfg, env...)
	if r := client(srv, tokenAlice).execute(t, `return await workspace.write_json({ path: "state.json", value: { step: 3 } })`); r.IsError {
		t.Fatalf("write: %s", r.text())
	}
	srv.stop(t)

	srv = startHosted(t, "http", cfg, env...)
	if r := client(srv, tokenAlice).execute(t, `return await workspace.read_json({ path: "state.json" })`); r.IsError || compact(t, r.StructuredContent.Result) != `{"step":3}` {
		t.Errorf("alice after the restart: %s", r.text())
	}
	if r := client(srv, tokenBob).execute(t, `return await workspace.list_files({})`); r.IsError || compact(t, r.StructuredContent.Result) != `[]` {
		t.Errorf("bob sees: %s", r.text())
	}
}

// stop ends the server with SIGTERM and waits for it to exit.
func (s *hostedServer) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(testenv.Within(15 * time.Second)):
		t.Fatal("the server did not stop on SIGTERM")
	}
}

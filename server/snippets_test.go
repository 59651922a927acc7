package server

import (
	"context"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// TestSnippets saves snippets and runs them: input in, return value out,
// tools inside, discovery, errors placed in the snippet's own lines.
func TestSnippets(t *testing.T) {
	srv := newTestServer(t, config.Codemode{})
	run := func(code string) (string, string) {
		t.Helper()
		res := srv.Execute(context.Background(), code)
		if res.Err != nil {
			return "", res.Err.Error()
		}
		return compactJSON(t, res.Value), ""
	}
	steps := []struct{ code, want, err string }{
		{`return await codemode.save("double", "const n: number = input.n;\nreturn { twice: n * 2 };", "Doubles input.n")`,
			`{"name":"double","path":"snippets/double.ts","size":70}`, ""},
		{`return await codemode.run("double", { n: 21 })`, `{"twice":42}`, ""},
		{`return await codemode.run({ name: "double", input: { n: 1 } })`, `{"twice":2}`, ""},
		{`await codemode.save("graph", "const g = await memory.read_graph();\nreturn [input, g];", "Reads the knowledge graph")
		  return await codemode.run("graph", "hi")`, `["hi",{"called":"read_graph"}]`, ""},
		{`await codemode.save("broken", "const a = 1;\n\nthrow new Error('boom ' + input);", "Fails on purpose")
		  try { await codemode.run("broken", 7) } catch (e) { return e.message }`,
			`"snippet \"broken\": boom 7 (snippet line 3, column 7)"`, ""},
		{`return (await codemode.search("double a number")).map(h => h.name)[0]`, `"snippets.double"`, ""},
		{`const d = await codemode.describe("snippets"); return [d.includes("// double: Doubles input.n"), d.includes("// graph:")]`, `[true,true]`, ""},
		{`return await codemode.describe("snippets.double")`, `"// Saved snippets: run one with ` + "`await codemode.run(name, input)`; its code sees `input` and returns the result." +
			`\n\n// double: Doubles input.n\nconst n: number = input.n;\nreturn { twice: n * 2 };\n"`, ""},
		{`return await workspace.read_file({ path: "snippets/double.ts" })`, `"// Doubles input.n\nconst n: number = input.n;\nreturn { twice: n * 2 };"`, ""},
		{`await codemode.run("nothing")`, ``, `ReferenceError: codemode.run: no snippet "nothing"; codemode.save(name, code, description) saves one, codemode.search finds them (line 1, column 16)`},
		{`await codemode.save("bad name!", "return 1", "")`, ``, `TypeError: codemode.save(name, code, description): name must be letters, digits, "_" or "-" (at most 64, not starting with a digit) and code a non-empty string (line 1, column 16)`},
		{`await codemode.save("loop", "return await codemode.run('loop', input)", "Runs itself")
		  await codemode.run("loop")`, ``, `RangeError: snippet "loop": snippet "loop": snippet "loop": snippet "loop": codemode.run("loop"): snippets may run snippets only 4 deep (snippet line 1, column 23) (snippet line 1, column 23) (snippet line 1, column 23) (snippet line 1, column 23) (line 2, column 20)`},
	}
	for _, s := range steps {
		got, err := run(s.code)
		if got != s.want || err != s.err {
			t.Errorf("%s\n got %s %s\nwant %s %s", s.code, got, err, s.want, s.err)
		}
	}
}

// TestSnippetCallBudget: the tool calls of the snippets an execution runs
// count against its max_tool_calls.
func TestSnippetCallBudget(t *testing.T) {
	srv := newTestServer(t, config.Codemode{MaxToolCalls: 6})
	res := srv.Execute(context.Background(), `
await codemode.save("many", "for (let i = 0; i < 10; i++) await memory.read_graph();\nreturn 'done'", "Calls ten times");
return await codemode.run("many")`)
	if res.Err == nil || res.Err.Name != "RangeError" || !strings.Contains(res.Err.Message, "too many tool calls: the limit is 6 per execution, counting the snippets it runs") {
		t.Errorf("got %s %v", res.Value, res.Err)
	}
}

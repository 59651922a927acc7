package server

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
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
		// Code that cannot run is not saved (issue 13.8); its imports need not exist yet.
		{`await codemode.save("typo", "const a = 1;\nconst b = a +;", "Broken")`, ``,
			`SyntaxError: codemode.save("typo"): nothing saved, the code does not compile: Unexpected ";" (snippet line 2, column 14) (line 1, column 16)`},
		{`try { await codemode.run("typo") } catch (e) { return e.name }`, `"ReferenceError"`, ""},
		{`return (await codemode.save("later", "import { f } from './lib/later.ts';\nreturn f(input)", "Uses a module")).name`, `"later"`, ""},
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

// countingWorkspace is a server whose workspace counts the bytes read_file
// returns.
func countingWorkspace(t *testing.T) (*Server, *workspace.Workspace, *atomic.Int64) {
	t.Helper()
	ws := workspace.New(nil, workspace.Limits{})
	var read atomic.Int64
	list := ws.Tools()
	for i := range list {
		if list[i].Name != "read_file" {
			continue
		}
		h := list[i].Handler
		list[i].Handler = func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
			res, err := h(ctx, args)
			if err == nil {
				for _, c := range res.Content {
					if tc, ok := c.(mcp.TextContent); ok {
						read.Add(int64(len(tc.Text)))
					}
				}
			}
			return res, err
		}
	}
	reg := tools.NewRegistry(tools.Options{})
	must(t, reg.Add(list...))
	must(t, reg.Add(memoryTools(t)...))
	return New(reg, Options{Limits: config.Codemode{MaxToolCalls: 1000}}), ws, &read
}

// quietAllocations waits, up to 20s, until the test binary allocates less
// than 1 MB in 100ms: runtimes that earlier tests abandoned in a native
// call (a backtracking regular expression) go on allocating until it
// returns, and a measurement of TotalAlloc would count them.
func quietAllocations() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		last := m.TotalAlloc
		time.Sleep(100 * time.Millisecond)
		runtime.ReadMemStats(&m)
		if m.TotalAlloc-last < 1<<20 {
			return
		}
	}
}

// snippetOf is a snippet file of about size bytes.
func snippetOf(desc string, size int) string {
	head := "// " + desc + "\nreturn 1;\n"
	return head + "//" + strings.Repeat("x", size-len(head)-2)
}

// TestSnippetIndex: codemode.search reads a snippet once, not at every
// search; the index follows writes, whoever makes them, and reads no
// snippet larger than one can be.
func TestSnippetIndex(t *testing.T) {
	srv, ws, read := countingWorkspace(t)
	ctx := context.Background()
	const n, size = 16, 200 << 10
	for i := range n {
		must(t, ws.WriteFile(ctx, fmt.Sprintf("snippets/s%02d.ts", i), snippetOf(fmt.Sprintf("Snippet %d reticulates splines", i), size)))
	}
	search := `return (await Promise.all(Array.from({ length: 12 }, () => codemode.search("reticulates", { limit: 50 })))).map(h => h.length)`
	if res := srv.Execute(ctx, search); res.Err != nil || compactJSON(t, res.Value) != "[16,16,16,16,16,16,16,16,16,16,16,16]" {
		t.Fatalf("got %s %v", res.Value, res.Err)
	}
	first := read.Load()
	quietAllocations()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 3 {
		if res := srv.Execute(ctx, search); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	runtime.ReadMemStats(&after)
	t.Logf("the first 12 searches read %d bytes of %d bytes of snippets; 36 more searches read %d bytes and allocated %d KB in all",
		first, n*size, read.Load()-first, (after.TotalAlloc-before.TotalAlloc)>>10)
	if first > n*size*2 || read.Load() != first {
		t.Errorf("searches read %d bytes, then %d more; want each snippet read once (%d bytes)", first, read.Load()-first, n*size)
	}
	// TotalAlloc counts every goroutine of the test binary, and runtimes
	// abandoned by earlier tests still allocate while these searches run
	// (4 MB alone, 34 MB in CI, 27 MB once past the bound below): the
	// measurement starts once they have gone quiet (quietAllocations).
	// Reading the snippets at each search allocated their size 36 times
	// over (115 MB and more); what is left (9 MB) is the executions' own
	// runtimes and the search indexes.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8*n*size {
		t.Errorf("36 searches allocated %d bytes, more than 8 times the snippets' %d", alloc, n*size)
	}

	steps := []struct{ code, want, err string }{
		// A script's write of the same size is seen.
		{`await workspace.write_file({ path: "/snippets/./s03.ts", content: ` + jsString(snippetOf("Snippet three now frobnicates", size)) + ` });
		  return (await codemode.search("frobnicates")).map(h => h.description)`, `["Snippet three now frobnicates"]`, ""},
		// So is a move onto a snippet, and codemode.save.
		{`await workspace.write_file({ path: "tmp.ts", content: ` + jsString(snippetOf("Snippet four now defenestrates", size)) + ` });
		  await workspace.move_file({ from: "tmp.ts", to: "snippets/s04.ts", overwrite: true });
		  await codemode.save("s05", "return 5", "Snippet five now transmogrifies");
		  return [(await codemode.search("defenestrates")).map(h => h.name), (await codemode.search("transmogrifies")).map(h => h.name)]`,
			`[["snippets.s04"],["snippets.s05"]]`, ""},
		// A deleted snippet is gone.
		{`await workspace.delete_file({ path: "snippets/s06.ts" }); return (await codemode.search("Snippet 6")).filter(h => h.name === "snippets.s06").length`, `0`, ""},
		{`return await codemode.save("huge", "//" + "x".repeat(300 << 10), "Too big")`, ``,
			`RangeError: codemode.save("huge"): the code is 307,202 bytes, over the code-size limit of 262,144 bytes; save it in parts (a snippet may import workspace modules or run other snippets) (line 1, column 23)`},
	}
	for _, s := range steps {
		res := srv.Execute(ctx, s.code)
		got, err := "", ""
		if res.Err != nil {
			err = res.Err.Error()
		} else {
			got = compactJSON(t, res.Value)
		}
		if got != s.want || err != s.err {
			t.Errorf("%.200s\n got %s %s\nwant %s %s", s.code, got, err, s.want, s.err)
		}
	}

	// A file too large to be a snippet is listed, never read.
	must(t, ws.WriteFile(ctx, "snippets/big.ts", snippetOf("Big", 1<<20)))
	was := read.Load()
	res := srv.Execute(ctx, `const d = await codemode.describe("snippets"); return d.split("\n").filter(l => l.startsWith("// big"))`)
	if got, want := compactJSON(t, res.Value), `["// big: (1,048,576 bytes, over the code-size limit: codemode.run cannot run it) (1,048,576 bytes)"]`; got != want || read.Load() != was {
		t.Errorf("describe: got %s %v, want %s; read %d bytes", got, res.Err, want, read.Load()-was)
	}
	res = srv.Execute(ctx, `await codemode.run("big")`)
	want := `RangeError: codemode.run("big"): snippets/big.ts is 1,048,576 bytes, over the code-size limit of 262,144 bytes; save a smaller one (line 1, column 16)`
	if res.Err == nil || res.Err.Error() != want || read.Load() != was {
		t.Errorf("run: got %v, want %s; read %d bytes", res.Err, want, read.Load()-was)
	}
}

// TestDescribeSnippetsBounded: codemode.describe("snippets") lists names,
// descriptions and sizes, never code, and at most describeSnippetsMax.
func TestDescribeSnippetsBounded(t *testing.T) {
	srv, ws, _ := countingWorkspace(t)
	ctx := context.Background()
	for i := range describeSnippetsMax + 5 {
		must(t, ws.WriteFile(ctx, fmt.Sprintf("snippets/s%03d.ts", i), fmt.Sprintf("// Snippet %d\nreturn %d /* body */", i, i)))
	}
	res := srv.Execute(ctx, `return await codemode.describe("snippets")`)
	var text string
	must(t, json.Unmarshal(res.Value, &text))
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	wantFirst := []string{
		"// Saved snippets: run one with `await codemode.run(name, input)`; its code sees `input` and returns the result.",
		`// codemode.describe("snippets.NAME") shows the code of one.`,
		"",
		"// s000: Snippet 0 (32 bytes)",
	}
	wantLast := "// … and 5 more, not listed: codemode.search(query) finds them"
	if diff := cmp.Diff(wantFirst, lines[:4]); diff != "" || lines[len(lines)-1] != wantLast || strings.Contains(text, "body") {
		t.Errorf("(-want +got)\n%s\nlast line %q, want %q\n%s", diff, lines[len(lines)-1], wantLast, text[:min(len(text), 300)])
	}
}

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

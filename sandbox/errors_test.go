package sandbox

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    Error
		want string
	}{
		{Error{Name: "TypeError", Message: "x is not a function", Line: 3, Column: 5}, "TypeError: x is not a function (line 3, column 5)"},
		{Error{Name: "SyntaxError", Message: "Unexpected end", Line: 2}, "SyntaxError: Unexpected end (line 2)"},
		{Error{Name: "TimeoutError", Message: "execution timed out after 30s"}, "TimeoutError: execution timed out after 30s"},
		{Error{Name: "Error"}, "Error"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v.Error() = %q; want %q", tt.e, got, tt.want)
		}
	}
}

// TestErrorPositions pins the line and column, in the model's own code, of
// runtime errors.
func TestErrorPositions(t *testing.T) {
	tools := map[string]fakeTool{"t.a": {Result: json.RawMessage(`{"ok":true}`)}}
	tests := []struct{ name, code, want string }{
		{"throw on line 5", "const a = 1;\nconst b = 2;\n\nconsole.log(a + b);\nthrow new Error('five');", "Error: five (line 5, column 7)"},
		{"nested function",
			"function outer() {\n  return inner();\n}\nfunction inner() {\n  return null.x;\n}\nouter();",
			"TypeError: Cannot read property 'x' of undefined (line 5, column 15)"},
		{"after an awaited tool call", "const r = await t.a();\nconsole.log(r.ok);\nr.missing.deep", "TypeError: Cannot read property 'deep' of undefined: r.missing is undefined or null (line 3, column 11)"},
		{"TS annotations above the throw",
			"interface A {\n  x: number;\n}\nconst a: A = { x: 1 };\nfunction f(v: A): never {\n  throw new TypeError(`bad ${v.x}`);\n}\nf(a);",
			"TypeError: bad 1 (line 6, column 9)"},
		{"inside an awaited arrow",
			"const rs = await Promise.all([1, 2].map(async (n: number) => {\n  await t.a();\n  if (n === 2) throw new RangeError(`n=${n}`);\n  return n;\n}));",
			"RangeError: n=2 (line 3, column 22)"},
		{"reference error", "const a = 1;\nundefinedThing + a", "ReferenceError: undefinedThing is not defined; the namespaces are t (line 2, column 1)"},
		{"not a function", "const o = {};\no.f()", "TypeError: Object has no member 'f' (line 2, column 3)"},
		{"inside a lone arrow", "async () => {\n  await t.a();\n  throw new Error('in arrow');\n}", "Error: in arrow (line 3, column 9)"},
		{"fenced", "```ts\nconst x: number = 1;\nthrow new Error(`x=${x}`);\n```", "Error: x=1 (line 3, column 7)"},
		{"in a timer", "await new Promise((resolve) => setTimeout(() => {\n  throw new Error('tick');\n}, 1));", "Error: tick (line 2, column 9)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.code, tools)
			if diff := cmp.Diff(tt.want, errText(res.Err)); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrorStack(t *testing.T) {
	res := run(t, "function outer() {\n  return inner();\n}\nfunction inner() {\n  throw new Error('deep');\n}\nouter();", nil)
	want := "at inner (line 5, column 9)\nat outer (line 2, column 10)\nat line 7, column 1"
	if res.Err == nil || res.Err.Stack != want {
		t.Errorf("stack = %q; want %q", res.Err.Stack, want)
	}
}

func TestThrownValues(t *testing.T) {
	tests := []struct{ code, want string }{
		{`throw "x"`, `Error: uncaught non-Error value: "x"`},
		{`throw {a: 1}`, `Error: uncaught non-Error value: {"a":1}`},
		{`throw 42`, `Error: uncaught non-Error value: 42`},
		{`throw null`, `Error: uncaught non-Error value: null`},
		{`throw undefined`, `Error: uncaught non-Error value: undefined`},
		{`throw Symbol("s")`, `Error: uncaught non-Error value: Symbol(s)`},
		{`const o: any = {}; o.o = o; throw o`, `Error: uncaught non-Error value: {"o":"[Circular]"}`},
		{`throw {name: "Custom", message: "plain object"}`, `Custom: plain object`},
		{`throw new Error()`, `Error (line 1, column 7)`},
		{`class MyError extends Error { name = "MyError" }; throw new MyError("sub")`, `MyError: sub (line 1, column 57)`},
		{`const e = new Error("renamed"); e.name = ""; throw e`, `Error: renamed (line 1, column 11)`},
		{`throw new Proxy({}, { get() { throw new Error("trap") } })`, `Error: uncaught value that cannot be described`},
		{`await Promise.reject(new TypeError("rejected"))`, `TypeError: rejected (line 1, column 22)`},
	}
	for _, tt := range tests {
		res := run(t, tt.code, nil)
		if got := errText(res.Err); got != tt.want {
			t.Errorf("Run(%q) error = %q; want %q", tt.code, got, tt.want)
		}
	}
}

func TestStackOverflow(t *testing.T) {
	for _, code := range []string{
		"function f() { f() }\nf()",
		"function f() { f() }\ntry { f() } catch (e) { 'caught' }", // goja's overflow is uncatchable
		"const f = async () => { await f() };\nawait f()",
		"function f(): number[] { return [1].map(f) as any }\nf()",
	} {
		res := run(t, code, nil)
		if res.Err == nil || res.Err.Name != "RangeError" || res.Err.Message != "Maximum call stack size exceeded" {
			t.Errorf("Run(%q) = %s, %v; want RangeError", code, res.Value, res.Err)
		}
	}
}

// TestNoSourceMapFiles checks that a sourceMappingURL in evaluated code can
// not make goja read a file: the map below would rename the source to
// SECRET.ts if it were read.
func TestNoSourceMapFiles(t *testing.T) {
	dir := t.TempDir()
	mapFile := filepath.Join(dir, "x.map")
	sm := `{"version":3,"sources":["SECRET.ts"],"names":[],"mappings":"AAAA"}`
	if err := os.WriteFile(mapFile, []byte(sm), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{
		"eval('1\\n//# sourceMappingURL=/etc/passwd')",
		"try { eval('throw new Error(\"e\")\\n//# sourceMappingURL=" + mapFile + "') } catch (e) { e.stack }",
		"try { new Function('throw new Error(\"f\")\\n//# sourceMappingURL=" + mapFile + "')() } catch (e) { e.stack }",
	} {
		res := run(t, code, nil)
		if res.Err != nil {
			t.Errorf("Run(%q): %v", code, res.Err)
		}
		if strings.Contains(string(res.Value), "SECRET") {
			t.Errorf("Run(%q) read the source map file: %s", code, res.Value)
		}
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "30s", time.Minute: "1m", 90 * time.Second: "1m30s", time.Hour: "1h",
		100 * time.Millisecond: "100ms", 2*time.Hour + time.Second: "2h0m1s", 10 * time.Minute: "10m",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q; want %q", d, got, want)
		}
	}
}

// TestDidYouMean: a misspelt tool or namespace gets the nearest binding,
// nearest first (issue 13.8), and the names there are (issue 16): a
// namespace's tools when the code names the namespace.
func TestDidYouMean(t *testing.T) {
	tools := map[string]fakeTool{}
	for _, id := range []string{"github.create_issue", "github.create_pull_request", "github.list_issues", "gitlab.create_issue", "memory.read_graph"} {
		tools[id] = fakeTool{Result: json.RawMessage(`1`)}
	}
	tests := []struct{ code, want string }{
		{"await github.create_isue({})", "TypeError: Object has no member 'create_isue'; did you mean github.create_issue? The tools of github are create_issue, create_pull_request, list_issues (line 1, column 14)"},
		{"await githb.create_issue({})", "ReferenceError: githb is not defined; did you mean github? The namespaces are github, gitlab, memory (line 1, column 7)"},
		{"await memory.read_grahp({})", "TypeError: Object has no member 'read_grahp'; did you mean memory.read_graph? The tools of memory are read_graph (line 1, column 14)"},
		{"await memory.something_else({})", "TypeError: Object has no member 'something_else'; the tools of memory are read_graph (line 1, column 14)"},
		{"nope", "ReferenceError: nope is not defined; the namespaces are github, gitlab, memory (line 1, column 1)"},
	}
	for _, tt := range tests {
		if got := errText(run(t, tt.code, tools).Err); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.code, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"create_pull_request", "list_issues", "create_issue", "create_issues", "get_issue"}
	if got, want := Closest("create_isue", names, 3), []string{"create_issue", "create_issues"}; !cmp.Equal(got, want) {
		t.Errorf("Closest = %q, want %q", got, want)
	}
	if got := Closest("zzz", names, 3); len(got) != 0 {
		t.Errorf("Closest(zzz) = %q, want none", got)
	}
}

// TestScriptStack: Error.stack as the script reads it names the code's own
// lines, in JavaScript and TypeScript (issue 13.8: one too high, the
// wrapper's head was a line of its own).
func TestScriptStack(t *testing.T) {
	for _, code := range []string{
		"function g() {\n  return new Error('x').stack;\n}\n\ng()",
		"function g(): string {\n  return new Error('x').stack!;\n}\n\ng()",
	} {
		res := run(t, code, nil)
		var stack string
		if res.Err != nil || json.Unmarshal(res.Value, &stack) != nil {
			t.Fatalf("%s: %v %s", code, res.Err, res.Value)
		}
		want, caller := "at g (code.ts:2:", "at code.ts:5:"
		if !strings.Contains(stack, want) || !strings.Contains(stack, caller) {
			t.Errorf("%s: stack %q lacks %q and %q", code, stack, want, caller)
		}
	}
}

// TestDynamicImport: import() is refused at its own line and column with
// what to write instead, not at a line of the generated code.
func TestDynamicImport(t *testing.T) {
	res := run(t, "const a = 1;\nconst m = await import(\"./lib/u.ts\");\nm.f()", nil)
	want := `SyntaxError: dynamic import() is not supported; import the file statically at the top of the code, e.g. import * as util from "./lib/util.ts" (line 2, column 17)`
	if got := errText(res.Err); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

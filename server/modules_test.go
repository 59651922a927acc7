package server

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/hostile"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// TestImports: the model's code imports .ts files of the workspace, errors
// keep their lines, a failed import is a SyntaxError at its line, and
// snippets may import too.
func TestImports(t *testing.T) {
	srv := newTestServer(t, config.Codemode{})
	setup := srv.Execute(context.Background(), `
await workspace.write_file({ path: "lib/util.ts", content: "export const slugify = (s: string): string => s.toLowerCase().replace(/ /g, '-');\n" });
await workspace.write_file({ path: "lib/throws.ts", content: "type T = string;\nexport function boom(): T {\n  throw new Error('inside');\n}\n" });
await workspace.write_file({ path: "lib/graph.ts", content: "export async function names(): Promise<string[]> { return [(await memory.read_graph()).called]; }\n" });
await codemode.save("slug", "import { slugify } from '../lib/util.ts';\nreturn slugify(input);", "Slugifies a title");
await codemode.save("rooted", "import { slugify } from '/lib/util.ts';\nreturn slugify(input);", "Slugifies a title");
await codemode.save("broken", "import { nope } from './lib/nope.ts';\nreturn nope;", "Imports a missing file");`)
	if setup.Err != nil {
		t.Fatal(setup.Err)
	}
	tests := []struct{ code, want, err string }{
		{"import { slugify } from \"./lib/util.ts\";\nreturn slugify(\"Hello World\");", `"hello-world"`, ""},
		{"import { names } from \"./lib/graph.ts\";\nreturn await names();", `["read_graph"]`, ""},
		{"import {\n  slugify,\n} from \"./lib/util.ts\";\n\nconst x: number = 1;\nthrow new Error(slugify(\"A B\"));", "",
			"Error: a-b (line 6, column 7)"},
		// An error inside an imported file names the file, line and column (issue 13.8).
		{"import { boom } from \"./lib/throws.ts\";\nboom()", "", "Error: inside (at lib/throws.ts:3:9) (line 1)"},
		{"const a = 1;\nimport { nope } from \"./lib/nope.ts\";\nreturn a;", "",
			`SyntaxError: cannot import "lib/nope.ts": no file "lib/nope.ts" in the workspace; workspace.list_files() shows the files there are (line 2)`},
		// A snippet's imports are relative to snippets/NAME.ts, its file (issue 13.8).
		{"return await codemode.run(\"slug\", \"My Title\")", `"my-title"`, ""},
		{"return await codemode.run(\"rooted\", \"A B\")", `"a-b"`, ""},
		{"try { await codemode.run(\"broken\") } catch (e) { return e.name + \": \" + e.message }", "",
			""},
	}
	for _, tt := range tests[:len(tests)-1] {
		res := srv.Execute(context.Background(), tt.code)
		got, err := "", ""
		if res.Err != nil {
			err = res.Err.Error()
		} else {
			got = compactJSON(t, res.Value)
		}
		if got != tt.want || err != tt.err {
			t.Errorf("%s\n got %s %s\nwant %s %s", tt.code, got, err, tt.want, tt.err)
		}
	}
	res := srv.Execute(context.Background(), tests[len(tests)-1].code)
	want := `"SyntaxError: snippet \"broken\": cannot import \"snippets/lib/nope.ts\": no file \"snippets/lib/nope.ts\" in the workspace; workspace.list_files() shows the files there are (snippet line 1)"`
	if res.Err != nil || compactJSON(t, res.Value) != want {
		t.Errorf("snippet import: %s %v\nwant %s", res.Value, res.Err, want)
	}
}

// TestImportLimits: what an import costs the server is bounded like the
// code itself. A file of 200,000 nested "[" (which esbuild's parser turned
// into a fatal stack overflow: the process died) is refused for its size,
// one of 120,000 (within the size limit) for its nesting, imported
// directly or from a snippet; a 15 MB file (a 20 MB one took 7.2 s and
// +1,040 MB of RSS) is refused without being read; files that are small
// one by one but over the limit together are refused.
func TestImportLimits(t *testing.T) {
	// Writing the files takes about 25 s under -race on its own (15
	// appends of 1 MB to one file through SQLite), more beside other tests.
	srv := newTestServer(t, config.Codemode{Timeout: testenv.Within(30 * time.Second)})
	setup := srv.Execute(context.Background(), `
await workspace.write_file({ path: "bomb.ts", content: "export const x = " + "[".repeat(2e5) + "]".repeat(2e5) + ";\n" });
await workspace.write_file({ path: "deep.ts", content: "export const x = " + "[".repeat(12e4) + "]".repeat(12e4) + ";\n" });
await codemode.save("deep", "import { x } from '../deep.ts';\nreturn x;", "imports a deep file");
await workspace.write_file({ path: "big.ts", content: "export const s = [" });
const chunk = "1,".repeat(1 << 19);
for (let i = 0; i < 15; i++) await workspace.append_file({ path: "big.ts", content: chunk });
await workspace.append_file({ path: "big.ts", content: "];" });
for (const n of ["a", "b", "c"]) await workspace.write_file({ path: "part/" + n + ".ts", content: "export const s = '" + "x".repeat(100 << 10) + "';" });
return 1`)
	if setup.Err != nil {
		t.Fatal(setup.Err)
	}
	tests := []struct{ code, want string }{
		{"import { x } from \"./bomb.ts\";\nreturn x",
			`SyntaxError: cannot import "bomb.ts": it is 390.6 KB, over the code size limit of 256.0 KB (the code and the files it imports together) (line 1)`},
		{"import { x } from \"./deep.ts\";\nreturn x",
			`SyntaxError: cannot import "deep.ts": its line 1 nests more than 500 levels deep; flatten it (line 1)`},
		{"try { await codemode.run(\"deep\") } catch (e) { throw new Error(e.name + \": \" + e.message) }",
			`Error: SyntaxError: snippet "deep": cannot import "deep.ts": its line 1 nests more than 500 levels deep; flatten it (snippet line 1) (line 1, column 54)`},
		{"import { s } from \"./big.ts\";\nreturn s.length",
			`SyntaxError: cannot import "big.ts": it is 15.0 MB, over the code size limit of 256.0 KB (the code and the files it imports together) (line 1)`},
		{"import * as a from \"./part/a.ts\";\nimport * as b from \"./part/b.ts\";\nimport * as c from \"./part/c.ts\";\nreturn 1",
			`SyntaxError: cannot import "part/?.ts" (100.0 KB): the code and the files it imports come to 300.2 KB, over the code size limit of 256.0 KB; import fewer or smaller files (line 1)`},
	}
	for _, tt := range tests {
		before := hostile.Settle()
		start := time.Now()
		res := srv.Execute(context.Background(), tt.code)
		d := time.Since(start)
		_, peak := hostile.RSS()
		got := "ok"
		if res.Err != nil {
			got = partFile.ReplaceAllString(res.Err.Error(), `"part/?.ts"`)
		}
		if got != tt.want {
			t.Errorf("%.30q:\n got %s\nwant %s", tt.code, got, tt.want)
		}
		t.Logf("%.30q: %v, RSS +%d MB", tt.code, d, (peak-before)>>20)
		if d > testenv.Within(250*time.Millisecond) {
			t.Errorf("%.30q took %v", tt.code, d)
		}
		if !testenv.RaceEnabled && before > 0 && peak-before > 64<<20 {
			t.Errorf("%.30q: RSS grew by %d MB", tt.code, (peak-before)>>20)
		}
	}
}

var partFile = regexp.MustCompile(`"part/[abc]\.ts"`)

// slowWorkspace serves stat and read_file of files, each call taking delay
// (or, with delay 0, until the call is cancelled).
func slowWorkspace(files map[string]string, delay time.Duration) []tools.Tool {
	wait := func(ctx context.Context) error {
		if delay == 0 {
			<-ctx.Done()
			return ctx.Err()
		}
		select {
		case <-time.After(delay):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	schema := json.RawMessage(`{"type":"object","properties":{"path":{"type":"string"}}}`)
	serve := func(f func(text string, ok bool) any) tools.Handler {
		return func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
			if err := wait(ctx); err != nil {
				return nil, err
			}
			var a struct{ Path string }
			_ = json.Unmarshal(args, &a)
			text, ok := files[a.Path]
			out, _ := json.Marshal(f(text, ok))
			return mcp.NewToolResultStructured(json.RawMessage(out), string(out)), nil
		}
	}
	return []tools.Tool{
		tools.NewTool(workspace.Namespace, "stat", "", schema, serve(func(text string, ok bool) any {
			return workspace.Stat{Exists: ok, Type: "file", Size: int64(len(text))}
		})),
		tools.NewTool(workspace.Namespace, "read_file", "", schema, serve(func(text string, _ bool) any { return text })),
	}
}

// TestImportTimeout: bundling counts against the execution's timeout: a
// run after a slow bundling has only what is left of it, and a bundling
// that does not end within it is a TimeoutError.
func TestImportTimeout(t *testing.T) {
	files := map[string]string{"a.ts": "export { b } from \"./b.ts\";\n", "b.ts": "export const b = 1;\n"}
	for _, tt := range []struct {
		delay time.Duration
		want  string
	}{
		{100 * time.Millisecond, "TimeoutError: execution timed out after "}, // what was left: about 600ms
		{0, "TimeoutError: execution timed out after 1s while bundling its imports"},
	} {
		reg := tools.NewRegistry(tools.Options{})
		if err := reg.Add(slowWorkspace(files, tt.delay)...); err != nil {
			t.Fatal(err)
		}
		srv := New(reg, Options{Limits: config.Codemode{Timeout: time.Second}})
		start := time.Now()
		res := srv.Execute(context.Background(), "import { b } from \"./a.ts\";\nwhile (true) {}")
		d := time.Since(start)
		if res.Err == nil || !strings.HasPrefix(res.Err.Error(), tt.want) {
			t.Errorf("delay %v: %v; want %s", tt.delay, res.Err, tt.want)
		}
		t.Logf("delay %v: %v after %v", tt.delay, res.Err, d)
		if tt.delay > 0 && (strings.Contains(res.Err.Error(), "bundling") || strings.Contains(res.Err.Error(), "after 1s")) {
			t.Errorf("delay %v: %v; want the run to time out with what bundling left of 1s", tt.delay, res.Err)
		}
		if d > time.Second+testenv.Within(100*time.Millisecond) {
			t.Errorf("delay %v: took %v; the timeout is 1s", tt.delay, d)
		}
	}
}

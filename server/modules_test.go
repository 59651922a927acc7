package server

import (
	"context"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// TestImports: the model's code imports .ts files of the workspace, errors
// keep their lines, a failed import is a SyntaxError at its line, and
// snippets may import too.
func TestImports(t *testing.T) {
	srv := newTestServer(t, config.Codemode{})
	setup := srv.Execute(context.Background(), `
await workspace.write_file({ path: "lib/util.ts", content: "export const slugify = (s: string): string => s.toLowerCase().replace(/ /g, '-');\n" });
await workspace.write_file({ path: "lib/graph.ts", content: "export async function names(): Promise<string[]> { return [(await memory.read_graph()).called]; }\n" });
await codemode.save("slug", "import { slugify } from './lib/util.ts';\nreturn slugify(input);", "Slugifies a title");
await codemode.save("broken", "import { nope } from './lib/nope.ts';\nreturn nope;", "Imports a missing file");`)
	if setup.Err != nil {
		t.Fatal(setup.Err)
	}
	tests := []struct{ code, want, err string }{
		{"import { slugify } from \"./lib/util.ts\";\nreturn slugify(\"Hello World\");", `"hello-world"`, ""},
		{"import { names } from \"./lib/graph.ts\";\nreturn await names();", `["read_graph"]`, ""},
		{"import {\n  slugify,\n} from \"./lib/util.ts\";\n\nconst x: number = 1;\nthrow new Error(slugify(\"A B\"));", "",
			"Error: a-b (line 6, column 7)"},
		{"const a = 1;\nimport { nope } from \"./lib/nope.ts\";\nreturn a;", "",
			`SyntaxError: cannot import "lib/nope.ts": no file "lib/nope.ts" in the workspace; list_files shows the 4 that exist (line 2)`},
		{"return await codemode.run(\"slug\", \"My Title\")", `"my-title"`, ""},
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
	want := `"SyntaxError: snippet \"broken\": cannot import \"lib/nope.ts\": no file \"lib/nope.ts\" in the workspace; list_files shows the 4 that exist (snippet line 1)"`
	if res.Err != nil || compactJSON(t, res.Value) != want {
		t.Errorf("snippet import: %s %v\nwant %s", res.Value, res.Err, want)
	}
}

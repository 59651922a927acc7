package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

func ExampleRun() {
	// A Caller runs the real tools; this one knows a single tool.
	caller := sandbox.CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		if id == "memory/read_graph" {
			return json.RawMessage(`{"entities":[{"name":"Ada"},{"name":"Grace"}]}`), nil
		}
		return nil, fmt.Errorf("unknown tool %q", id)
	})
	opts := sandbox.Options{Bindings: []sandbox.Binding{
		{Object: "memory", Method: "read_graph", ID: "memory/read_graph"},
	}}
	code := "```ts\n" +
		"const graph: { entities: { name: string }[] } = await memory.read_graph();\n" +
		"console.log(`${graph.entities.length} entities`);\n" +
		"graph.entities.map(e => e.name)\n" +
		"```"

	res := sandbox.Run(context.Background(), code, caller, opts)
	fmt.Println(string(res.Value), res.Logs, res.Err == nil)

	res = sandbox.Run(context.Background(), "const g = await memory.read_graph();\ng.relations.length", caller, opts)
	fmt.Println(res.Err)
	// Output:
	// ["Ada","Grace"] [2 entities] true
	// TypeError: Cannot read property 'length' of undefined: g.relations is undefined or null (line 2, column 13)
}

package sandbox

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestHints: runtime errors name the expression that was undefined, the
// tools of a namespace, and the namespaces (issue 16).
func TestHints(t *testing.T) {
	tools := map[string]fakeTool{
		"memory.read_graph":      {Result: json.RawMessage(`{"entities":[]}`)},
		"memory.create_entities": {Result: json.RawMessage(`{}`)},
	}
	tests := []struct{ code, want string }{
		{"const g = await memory.read_graph();\ng.relations.length",
			"TypeError: Cannot read property 'length' of undefined: g.relations is undefined or null (line 2, column 13)"},
		{"```ts\nconst g: any = await memory.read_graph();\n  return g.relations[0].name;\n```",
			"TypeError: Cannot read property '0' of undefined: g.relations is undefined or null (line 3, column 12)"},
		{"(await memory.read_graph()).relations.length",
			"TypeError: Cannot read property 'length' of undefined: (await memory.read_graph()).relations is undefined or null (line 1, column 39)"},
		{"const g = await memory.read_graph(); g?.relations.x",
			"TypeError: Cannot read property 'x' of undefined: g?.relations is undefined or null (line 1, column 51)"},
		{"let a = null; a.b", "TypeError: Cannot read property 'b' of undefined: a is undefined or null (line 1, column 17)"},
		{"null.x", "TypeError: Cannot read property 'x' of undefined (line 1, column 6)"},
		{"await memory.list_all()",
			"TypeError: Object has no member 'list_all'; the tools of memory are create_entities, read_graph (line 1, column 14)"},
		{"await memory.raed_graph()",
			"TypeError: Object has no member 'raed_graph'; did you mean memory.read_graph? The tools of memory are create_entities, read_graph (line 1, column 14)"},
		{"const o = {};\no.f()", "TypeError: Object has no member 'f' (line 2, column 3)"},
		{"await slack.post()", "ReferenceError: slack is not defined; the namespaces are memory (line 1, column 7)"},
		{"await memroy.read_graph()",
			"ReferenceError: memroy is not defined; did you mean memory? The namespaces are memory (line 1, column 7)"},
	}
	for _, tt := range tests {
		if got := errText(run(t, tt.code, tools).Err); got != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.code, got, tt.want)
		}
	}
}

// A namespace of many tools lists maxListed of them and where the rest are.
func TestHintsManyTools(t *testing.T) {
	tools := map[string]fakeTool{}
	for i := range 25 {
		tools[fmt.Sprintf("big.tool_%02d", i)] = fakeTool{Result: json.RawMessage(`1`)}
	}
	got := errText(run(t, "await big.nothing_like_it()", tools).Err)
	want := `and 5 more (codemode.describe("big") lists them)`
	if !strings.Contains(got, "the tools of big are tool_00, tool_01,") || !strings.Contains(got, want) {
		t.Errorf("got %s", got)
	}
}

func TestReceiver(t *testing.T) {
	s := &script{source: "a.b.c\nfoo(x)[1].y\n x?.y\nreturn o['k'].z\ng.rel[0]"}
	for _, tc := range []struct {
		line, col  int
		prop, want string
	}{
		{1, 5, "c", "a.b"}, {1, 3, "b", "a"}, {1, 1, "a", ""}, {1, 5, "d", ""}, {2, 11, "y", "foo(x)[1]"}, {3, 5, "y", "x"},
		{4, 15, "z", "o['k']"}, {5, 3, "0", "g.rel"}, {5, 6, "0", "g.rel"}, {9, 1, "x", ""}, {1, 99, "x", ""}, {0, 0, "x", ""},
	} {
		if got := s.receiver(tc.line, tc.col, tc.prop); got != tc.want {
			t.Errorf("receiver(%d, %d) = %q, want %q", tc.line, tc.col, got, tc.want)
		}
	}
}

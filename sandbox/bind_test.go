package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

func TestBindingArgs(t *testing.T) {
	tests := []struct{ arg, want string }{
		{"", "{}"},
		{"undefined", "{}"},
		{"{ a: 1, b: [true, null] }", `{"a":1,"b":[true,null]}`},
		{"[1, 2]", "[1,2]"},
		{`"s"`, `"s"`},
		{"null", "null"},
		{"{ skip: undefined, f() {} }", "{}"},
		{"{ d: new Date(0) }", `{"d":"1970-01-01T00:00:00.000Z"}`},
		{`{ m: new Map([["k", 1]]), s: new Set(["x"]) }`, `{"m":{"k":1},"s":["x"]}`},
		{"{ a: 1 }, 'extra'", `{"a":1}`},
	}
	for _, tt := range tests {
		f := newFake(map[string]fakeTool{"t.echo": {Echo: true}})
		res := Run(context.Background(), "await t.echo("+tt.arg+")", f, Options{Bindings: f.bindings()})
		if res.Err != nil || string(res.Value) != tt.want {
			t.Errorf("t.echo(%s) = %s, %v; want %s", tt.arg, res.Value, res.Err, tt.want)
		}
	}
}

func TestBindingArgErrors(t *testing.T) {
	tests := []struct{ arg, want string }{
		{"{ n: 1n }", "TypeError: t.echo: the argument cannot be serialised to JSON: a BigInt at argument.n (line 1, column 9)"},
		{"(() => { const o: any = {}; o.self = o; return o })()", "TypeError: t.echo: the argument cannot be serialised to JSON: a cyclic reference at argument.self (line 1, column 9)"},
		{"() => 1", "TypeError: t.echo: the argument must be a JSON value, not a function (line 1, column 9)"},
		{"{ get x() { throw new RangeError('getter') } }", "TypeError: t.echo: getter (line 1, column 9)"},
	}
	for _, tt := range tests {
		f := newFake(map[string]fakeTool{"t.echo": {Echo: true}})
		res := Run(context.Background(), "await t.echo("+tt.arg+")", f, Options{Bindings: f.bindings()})
		if got := errText(res.Err); got != tt.want {
			t.Errorf("t.echo(%s): %q; want %q", tt.arg, got, tt.want)
		}
		if calls := f.sortedCalls(); len(calls) != 0 || res.Stats.ToolCalls != 0 {
			t.Errorf("t.echo(%s) called the tool: %q", tt.arg, calls)
		}
	}
	// The rejection is catchable like any other.
	res := run(t, "try { await t.echo({ n: 1n }) } catch (e) { e instanceof TypeError }", map[string]fakeTool{"t.echo": {Echo: true}})
	if string(res.Value) != "true" {
		t.Errorf("caught: %s, %v", res.Value, res.Err)
	}
}

func TestMaxToolCalls(t *testing.T) {
	f := newFake(map[string]fakeTool{"t.a": {Result: json.RawMessage("1")}})
	code := `const out: string[] = [];
for (let i = 0; i < 5; i++) {
  try { await t.a({ i }); out.push("ok") } catch (e: any) { out.push(e.name + ": " + e.message) }
}
out`
	res := Run(context.Background(), code, f, Options{Bindings: f.bindings(), MaxToolCalls: 3})
	want := `["ok","ok","ok","RangeError: t.a: too many tool calls: the limit is 3 per execution","RangeError: t.a: too many tool calls: the limit is 3 per execution"]`
	if res.Err != nil || string(res.Value) != want {
		t.Errorf("got %s, %v;\nwant %s", res.Value, res.Err, want)
	}
	if res.Stats.ToolCalls != 3 || len(f.sortedCalls()) != 3 {
		t.Errorf("stats %d, calls %d; want 3", res.Stats.ToolCalls, len(f.sortedCalls()))
	}
	res = Run(context.Background(), "await t.a();\nawait t.a()", f, Options{Bindings: f.bindings(), MaxToolCalls: 1})
	if got, want := errText(res.Err), "RangeError: t.a: too many tool calls: the limit is 1 per execution (line 2, column 9)"; got != want {
		t.Errorf("uncaught: %q; want %q", got, want)
	}
}

func TestCallerErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // [e.name, e.message, instanceof checks]
	}{
		{"ToolError", toolError{"ToolError", "upstream said no"}, `["ToolError","upstream said no",true,false,false]`},
		{"TypeError", toolError{"TypeError", "t.a: x: required"}, `["TypeError","t.a: x: required",true,true,false]`},
		{"RangeError", toolError{"RangeError", "too big"}, `["RangeError","too big",true,false,true]`},
		{"wrapped", fmt.Errorf("calling upstream %q: %w", "t", toolError{"ToolError", "down"}), `["ToolError","calling upstream \"t\": down",true,false,false]`},
		{"plain", errors.New("plain failure"), `["Error","plain failure",true,false,false]`},
		{"empty name", toolError{"", "nameless"}, `["Error","nameless",true,false,false]`},
	}
	code := "try { await t.a() } catch (e) { [e.name, e.message, e instanceof Error, e instanceof TypeError, e instanceof RangeError] }"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caller := CallerFunc(func(context.Context, string, json.RawMessage) (json.RawMessage, error) { return nil, tt.err })
			res := Run(context.Background(), code, caller, Options{Bindings: []Binding{{Object: "t", Method: "a", ID: "a"}}})
			if res.Err != nil || string(res.Value) != tt.want {
				t.Errorf("got %s, %v; want %s", res.Value, res.Err, tt.want)
			}
		})
	}
}

func TestCallerPanics(t *testing.T) {
	tools := map[string]fakeTool{"t.boom": {Panic: "nil map"}}
	res := run(t, "await t.boom()", tools)
	if got, want := errText(res.Err), "InternalError: internal error in t.boom: the tool crashed (line 1, column 9)"; got != want {
		t.Errorf("uncaught: %q; want %q", got, want)
	}
	res = run(t, "try { await t.boom() } catch (e) { 'survived ' + e.name }", tools)
	if string(res.Value) != `"survived InternalError"` {
		t.Errorf("caught: %s, %v", res.Value, res.Err)
	}
}

func TestSandboxPanics(t *testing.T) {
	res := Run(context.Background(), "console.log('x')", nil, Options{OnLog: func(string) { panic("in OnLog") }})
	if got, want := errText(res.Err), "InternalError: internal error: in OnLog"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestToolResults(t *testing.T) {
	caller := CallerFunc(func(_ context.Context, id string, _ json.RawMessage) (json.RawMessage, error) {
		switch id {
		case "empty":
			return nil, nil
		case "bad":
			return json.RawMessage("{bad"), nil
		}
		return json.RawMessage(`{"list":[1,2],"when":"2024-01-01","n":null}`), nil
	})
	opts := Options{Bindings: []Binding{{Object: "t", Method: "empty", ID: "empty"}, {Object: "t", Method: "bad", ID: "bad"}, {Object: "t", Method: "ok", ID: "ok"}}}
	tests := []struct{ code, want, err string }{
		{"const r = await t.ok(); [Array.isArray(r.list), typeof r.when, r.n === null, Object.getPrototypeOf(r) === Object.prototype]", "[true,\"string\",true,true]", ""},
		{"const r = await t.ok(); r.list.push(3); r.list", "[1,2,3]", ""},
		{"typeof (await t.empty())", `"undefined"`, ""},
		{"await t.bad()", "", "InternalError: t.bad: the tool returned invalid JSON (line 1, column 9)"},
	}
	for _, tt := range tests {
		res := Run(context.Background(), tt.code, caller, opts)
		if string(res.Value) != tt.want || errText(res.Err) != tt.err {
			t.Errorf("Run(%q) = %s, %q; want %s, %q", tt.code, res.Value, errText(res.Err), tt.want, tt.err)
		}
	}
}

func TestOnCall(t *testing.T) {
	var mu sync.Mutex
	var got [][2]int
	tools := map[string]fakeTool{"t.a": {Result: json.RawMessage("1"), Delay: "5ms"}, "t.b": {Result: json.RawMessage("2"), Delay: "40ms"}}
	f := newFake(tools)
	opts := Options{Bindings: f.bindings(), OnCall: func(done, started int) {
		mu.Lock()
		got = append(got, [2]int{done, started})
		mu.Unlock()
	}}
	res := Run(context.Background(), "await Promise.all([t.a(), t.b()]); await t.a()", f, opts)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if diff := cmp.Diff([][2]int{{1, 2}, {2, 2}, {3, 3}}, got); diff != "" {
		t.Errorf("OnCall (-want +got):\n%s", diff)
	}
}

func TestBindingObjects(t *testing.T) {
	bindings := []Binding{{Object: "memory", Method: "read", ID: "r"}, {Object: "memory", Method: "write", ID: "w"}, {Object: "console", Method: "log", ID: "shadow"}}
	caller := CallerFunc(func(_ context.Context, id string, _ json.RawMessage) (json.RawMessage, error) {
		return json.Marshal(id)
	})
	res := Run(context.Background(), "[Object.keys(memory).sort(), await console.log(), typeof memory.read({})?.then]", caller,
		Options{Bindings: bindings, Timeout: testenv.Within(time.Second)})
	if got, want := string(res.Value), `[["read","write"],"shadow","function"]`; got != want || res.Err != nil {
		t.Errorf("got %s, %v; want %s", got, res.Err, want)
	}
}

func TestBindingNames(t *testing.T) {
	bindings := []Binding{{Object: "__proto__", Method: "__proto__", ID: "p"}, {Object: "ns", Method: "constructor", ID: "c"}, {Object: "ns", Method: "delete", ID: "d"}}
	caller := CallerFunc(func(_ context.Context, id string, _ json.RawMessage) (json.RawMessage, error) {
		return json.Marshal(id)
	})
	code := "[await globalThis['__proto__']['__proto__'](), await ns.constructor(), await ns.delete(), typeof globalThis.hasOwnProperty]"
	res := Run(context.Background(), code, caller, Options{Bindings: bindings})
	if got, want := string(res.Value), `["p","c","d","function"]`; got != want || res.Err != nil {
		t.Errorf("got %s, %v; want %s", got, res.Err, want)
	}
}

// TestBindingParams: a binding with Params packs positional arguments into
// one object; one object argument passes as it is.
func TestBindingParams(t *testing.T) {
	var got []string
	var mu sync.Mutex
	caller := CallerFunc(func(_ context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		mu.Lock()
		got = append(got, id+" "+string(args))
		mu.Unlock()
		return json.RawMessage(`null`), nil
	})
	bindings := []Binding{
		{Object: "c", Method: "search", ID: "search", Params: []string{"query", "...options"}},
		{Object: "c", Method: "save", ID: "save", Params: []string{"name", "code", "description"}},
		{Object: "c", Method: "one", ID: "one", Params: []string{"name"}},
		{Object: "c", Method: "plain", ID: "plain"},
	}
	code := `
		await c.search("q");
		await c.search("q", { limit: 3, query: "x" });
		await c.search({ query: "q", limit: 2 });
		await c.search("q", null);
		await c.search("q", "not an object");
		await c.search("q", JSON.parse('{"__proto__": 1, "limit": 4}'));
		await c.save("n", "return 1");
		await c.save("n", undefined, "d");
		await c.save({ name: "n", code: "c" });
		await c.save();
		await c.save(() => 1);
		await c.one("n");
		await c.one(["a"]);
		await c.plain("a", "b");
		const big = []; big.length = 3e6;
		try { await c.search("q", big); return "not guarded" } catch (e) { return e.name }`
	res := Run(context.Background(), code, caller, Options{Bindings: bindings})
	if string(res.Value) != `"RangeError"` || res.Err != nil {
		t.Fatalf("got %s, %v", res.Value, res.Err)
	}
	want := []string{
		`search {"query":"q"}`,
		`search {"limit":3,"query":"q"}`,
		`search {"query":"q","limit":2}`,
		`search {"query":"q"}`,
		`search {"query":"q"}`,
		`search {"__proto__":1,"limit":4,"query":"q"}`,
		`save {"name":"n","code":"return 1"}`,
		`save {"name":"n","description":"d"}`,
		`save {"name":"n","code":"c"}`,
		`save {}`,
		`save {}`,
		`one "n"`,
		`one ["a"]`,
		`plain "a"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestSameBindings(t *testing.T) {
	a := []Binding{{Object: "ns", Method: "a", ID: "1"}, {Object: "c", Method: "s", ID: "2", Params: []string{"q", "...o"}}}
	b := slices.Clone(a)
	b[1].Params = slices.Clone(a[1].Params)
	for _, c := range []struct {
		x, y []Binding
		want bool
	}{
		{a, a, true}, {a, b, true}, {nil, []Binding{}, true}, {a, a[:1], false},
		{a, []Binding{a[0], {Object: "c", Method: "s", ID: "2", Params: []string{"q"}}}, false},
		{a, []Binding{a[0], {Object: "c", Method: "s", ID: "3", Params: []string{"q", "...o"}}}, false},
	} {
		if got := SameBindings(c.x, c.y); got != c.want {
			t.Errorf("SameBindings(%v, %v) = %v", c.x, c.y, got)
		}
	}
}

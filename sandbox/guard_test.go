package sandbox

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestGuardsKeepSemantics: ordinary uses of every guarded built-in behave
// as without the guards.
func TestGuardsKeepSemantics(t *testing.T) {
	tests := []struct{ code, want string }{
		{"'ab'.repeat(3)", `"ababab"`},
		{"['5'.padStart(3, '0'), '5'.padEnd(3, '.')]", `["005","5.."]`},
		{"'a,b'.split(',').concat('x'.split(''))", `["a","b","x"]`},
		{"'abc'.concat(1, null)", `"abc1null"`},
		{"'a-b-c'.replace('-', '+') + 'a-b'.replaceAll('-', '$&$&')", `"a+b-ca--b"`},
		{"'x1y2'.replace(/(\\d)/g, '<$1>')", `"x<1>y<2>"`},
		{"['é'.normalize('NFD').length, 'straße'.toUpperCase()]", `[2,"STRASSE"]`},
		{"[...'héllo'].length", `5`},
		{"[1, [2, [3, [4]]]].flat(Infinity)", `[1,2,3,4]`},
		{"String([1, [2, [3]]]) + [1, 2].join('-')", `"1,2,31-2"`},
		{"new Array(3).fill(7).map((x, i) => x + i)", `[7,8,9]`},
		{"Array.from({ length: 3 }, (_, i) => i * 2)", `[0,2,4]`},
		{"Math.max.apply(null, [1, 5, 2]) + Reflect.apply(Math.min, null, [4, 3])", `8`},
		{"JSON.stringify({ b: 1, a: [1, { c: 2 }] })", `"{\"b\":1,\"a\":[1,{\"c\":2}]}"`},
		{"JSON.stringify({ b: 1, a: 2, c: 3 }, ['c', 'b'])", `"{\"c\":3,\"b\":1}"`},
		{"JSON.stringify({ a: 1, b: 'x' }, (k, v) => typeof v === 'number' ? v * 10 : v)", `"{\"a\":10,\"b\":\"x\"}"`},
		{"JSON.stringify([1], null, 2)", `"[\n  1\n]"`},
		{"JSON.stringify({ toJSON() { return 'j' } })", `"\"j\""`},
		{"JSON.stringify(undefined) === undefined", `true`},
		{"JSON.parse('{\"a\":[1,2]}', (k, v) => Array.isArray(v) ? v.length : v)", `{"a":2}`},
		{"const u = new Uint8Array([1, 2, 300]); [u[2], u instanceof Uint8Array, u.constructor === Uint8Array]", `[44,true,true]`},
		{"Array.from(Uint8Array.from([1, 2]).map(x => x * 2))", `[2,4]`},
		{"class B extends Uint8Array {}; const b = new B(2); [b.length, b instanceof B, b instanceof Uint8Array]", `[2,true,true]`},
		{"[new ArrayBuffer(8).byteLength, new DataView(new ArrayBuffer(4)).byteLength, Float64Array.BYTES_PER_ELEMENT]", `[8,4,8]`},
		{"const m = new Map([[1, 'a']]); const s = new Set('aab'); [m.get(1), s.size, m instanceof Map]", `["a",2,true]`},
		{"await Promise.all([1, Promise.resolve(2)])", `[1,2]`},
		{"class P extends Promise {}; (await P.all([1])).length", `1`},
		{"[Object.keys({ a: 1, b: 2 }), Object.entries({ c: 3 }), Object.assign({}, { d: 4 })]", `[["a","b"],[["c",3]],{"d":4}]`},
		{"[eval('1 + 1'), Function('a', 'b', 'return a * b')(3, 4), new Function('return 5')()]", `[2,12,5]`},
		{"const AF = (async () => {}).constructor; await new AF('return 6')()", `6`},
		{"const GF = Object.getPrototypeOf(function* () {}).constructor; [...GF('yield 1; yield 2')()]", `[1,2]`},
		{"[(function () {}) instanceof Function, Function.prototype.constructor === Function, typeof eval]", `[true,true,"function"]`},
		{"const r = new RegExp('a(b)', 'g'); ['xabab'.match(r), r instanceof RegExp, RegExp('x').source]", `[["ab","ab"],true,"x"]`},
		{"[...'a1b2'.matchAll(/\\d/g)].map(m => m[0] + m.index)", `["11","23"]`},
		{"['a1b2c'.split(/\\d/), /b/.test('abc'), /(?<x>b)/.exec('abc').groups.x, 'abc'.search(/c/)]", `[["a","b","c"],true,"b",2]`},
		{"[[].map.name, 'a'.repeat.name, JSON.stringify.name, Uint8Array.name, RegExp.prototype.exec.name, [].map.length]", `["map","repeat","stringify","Uint8Array","exec",1]`},
		{"const a = [3, 1, 2]; a.sort(); [a, a.indexOf(2), a.includes(3), a.at(-1), a.reverse()]", `[[3,2,1],1,true,3,[3,2,1]]`},
	}
	for _, tt := range tests {
		res := Run(context.Background(), tt.code, nil, Options{Timeout: testenv.Within(5 * time.Second)})
		if res.Err != nil || string(res.Value) != tt.want {
			t.Errorf("%s\n got %s, %v\nwant %s", tt.code, res.Value, res.Err, tt.want)
		}
	}
}

// TestGuardsIgnoreArraySetters: accessors the code defines on
// Array.prototype's indices do not take the writes of the guards' and the
// helpers' stacks. They did: JSON.stringify's depth then never grew, and a
// value nested 200,000 deep ran until the deadline with 270 MB resident.
func TestGuardsIgnoreArraySetters(t *testing.T) {
	const trap = `for (let i = 0; i < 8; i++) Object.defineProperty(Array.prototype, i, { get() {}, set(v) {}, configurable: true });
let deep = 1; for (let i = 0; i < 700; i++) deep = [deep];
`
	for code, want := range map[string]string{
		`try { JSON.stringify(deep); return "not guarded" } catch (e) { return e.message }`:             `"JSON.stringify: the value nests more than 500 levels deep"`,
		`console.log(deep); return "logged"`:                                                            `"logged"`,
		`try { await ns.a(new Map([[1, deep]])); return "not guarded" } catch (e) { return e.message }`: `"ns.a: the argument cannot be serialised to JSON: nesting deeper than 100 levels at argument.1[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]"`,
	} {
		res := Run(context.Background(), trap+code, idCaller, Options{Bindings: nsBindings, Timeout: testenv.Within(5 * time.Second)})
		if string(res.Value) != want || res.Err != nil {
			t.Errorf("%s\n got %s, %v\nwant %s", code, res.Value, res.Err, want)
		}
		if strings.HasPrefix(code, "console") && (len(res.Logs) != 1 || !strings.Contains(res.Logs[0], "[Array]")) {
			t.Errorf("%s: logs %.200q; want the value cut at its depth ([Array])", code, res.Logs)
		}
	}
}

// TestGuardsIgnoreObjectPrototype: a "get" or "set" the code put on
// Object.prototype does not stop the guards' wrappers from being made (the
// descriptors they define with have no prototype): a guarded constructor
// made after it is still guarded, and works.
func TestGuardsIgnoreObjectPrototype(t *testing.T) {
	const trap = `Object.defineProperty(Object.prototype, "get", { value: function () {}, writable: true, configurable: true });
Object.prototype.set = undefined;
`
	for code, want := range map[string]string{
		`const a = []; a.length = 2e6; try { new Map(a); return "not guarded" } catch (e) { return e.name }`: `"RangeError"`,
		`try { new Uint8Array(2 ** 30); return "not guarded" } catch (e) { return e.name }`:                  `"RangeError"`,
		`return [new Map([[1, 2]]).get(1), new Set([3]).size, new Uint8Array(2).length, /a+/.test("aa")]`:    `[2,1,2,true]`,
	} {
		res := Run(context.Background(), trap+code, nil, Options{Timeout: testenv.Within(5 * time.Second)})
		if string(res.Value) != want || res.Err != nil {
			t.Errorf("%s\n got %s, %v\nwant %s", code, res.Value, res.Err, want)
		}
	}
}

// TestHelpersDefineKeys: what the helpers and JSON.stringify's guard build
// from a Map or a property list has every key, "__proto__" too, as
// JSON.stringify and Object.fromEntries give them, whatever accessors the
// code put on Object.prototype, Array.prototype or Map.prototype.
func TestHelpersDefineKeys(t *testing.T) {
	const values = `return [new Map([["__proto__", 1], ["a", 2]]), new Map([[{}, 3]]),
		JSON.stringify({ a: 1, b: 2 }, ["b", "__proto__", "a"]), JSON.parse(JSON.stringify({ a: 1, b: 2 }, ["a", "b"]))]`
	const want = `[{"__proto__":1,"a":2},[[{},3]],"{\"b\":2,\"__proto__\":{\"__proto__\":null},\"a\":1}",{"a":1,"b":2}]`
	for name, trap := range map[string]string{
		"plain": "",
		"accessors": `for (const k of ["a", "b", "0", "1"]) Object.defineProperty(Object.prototype, k, { set(v) {}, configurable: true });
			for (let i = 0; i < 4; i++) Object.defineProperty(Array.prototype, i, { set(v) {}, configurable: true });
			Map.prototype.forEach = function () {};
`,
	} {
		res := Run(context.Background(), trap+values, nil, Options{Timeout: testenv.Within(5 * time.Second)})
		if string(res.Value) != want || res.Err != nil {
			t.Errorf("%s: got %s, %v\nwant %s", name, res.Value, res.Err, want)
		}
		res = Run(context.Background(), trap+`console.log(new Map([["__proto__", 1], ["a", 2]])); return 1`, nil, Options{})
		if len(res.Logs) != 1 || res.Logs[0] != `{"__proto__":1,"a":2}` {
			t.Errorf("%s: logs %q; want the Map's two keys", name, res.Logs)
		}
	}
}

// TestGuardErrors: the guards' errors are catchable RangeErrors (or
// SyntaxErrors for code and patterns) that name the built-in.
func TestGuardErrors(t *testing.T) {
	tests := []struct{ code, want string }{
		{"'x'.repeat(2 ** 30)", "RangeError: String.prototype.repeat: the result would be 1073741824 characters; the limit is 33554432"},
		{"new Array(1e8).fill(0)", "RangeError: Array.prototype.fill: filling 100000000 elements; the limit is 2097152"},
		{"const a = []; a.length = 1e9; a.map(x => x)", "RangeError: Array.prototype.map: the array has 1000000000 elements (holes count); the limit is 2097152"},
		{"new Uint8Array(2 ** 30)", "RangeError: Uint8Array: length 1073741824; the limit is 2097152"},
		{"JSON.parse('['.repeat(600) + ']'.repeat(600))", "RangeError: JSON.parse: the text nests more than 500 levels deep"},
		{"eval('('.repeat(600) + ')'.repeat(600))", "SyntaxError: the code nests more than 500 levels deep; flatten it (line 1 of the code given to eval or Function)"},
		{"Function('a', 'return 1;\\n' + '('.repeat(600) + ')'.repeat(600))", "SyntaxError: the code nests more than 500 levels deep; flatten it (line 4 of the code given to eval or Function)"},
		{"(async () => {}).constructor('('.repeat(600) + ')'.repeat(600))", "SyntaxError: the code nests more than 500 levels deep; flatten it (line 3 of the code given to eval or Function)"},
		{"const e = eval; e('1;' + '['.repeat(600))", "SyntaxError: the code nests more than 500 levels deep; flatten it (line 1 of the code given to eval or Function)"},
		{"new RegExp('('.repeat(600) + ')'.repeat(600))", "SyntaxError: RegExp: the pattern's groups nest more than 500 levels deep"},
	}
	for _, tt := range tests {
		code := "try { " + tt.code + " } catch (e) { e.name + ': ' + e.message }"
		res := Run(context.Background(), code, nil, Options{Timeout: testenv.Within(5 * time.Second)})
		if got := strings.Trim(string(res.Value), `"`); res.Err != nil || got != tt.want {
			t.Errorf("%s\n got %s, %v\nwant %s", tt.code, res.Value, res.Err, tt.want)
		}
	}
}

func TestMemoryLimit(t *testing.T) {
	mem := NewMemory(256 << 20)
	res := Run(context.Background(), "const a = []; for (;;) a.push({ n: a.length })", nil,
		Options{Timeout: 10 * time.Second, MemoryLimit: 32 << 20, Memory: mem})
	want := "MemoryLimitError: the execution used more than its memory limit of 32 MB and was stopped; work on less data at a time"
	if res.Err == nil || res.Err.Name+": "+res.Err.Message != want {
		t.Errorf("got %v; want %s", res.Err, want)
	}
}

// TestAdmission: an execution waits for the process budget, and gives up
// at its timeout with a MemoryLimitError.
func TestAdmission(t *testing.T) {
	mem := NewMemory(64 << 20)
	hold := make(chan struct{})
	caller := CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		<-hold
		return json.RawMessage("1"), nil
	})
	done := make(chan Result)
	opts := Options{Timeout: 5 * time.Second, MemoryLimit: 64 << 20, Memory: mem, Bindings: []Binding{{Object: "t", Method: "wait", ID: "w"}}}
	go func() { done <- Run(context.Background(), "await t.wait()", caller, opts) }()
	for mem.Active() == 0 {
		time.Sleep(time.Millisecond)
	}
	res := Run(context.Background(), "1", nil, Options{Timeout: 100 * time.Millisecond, MemoryLimit: 64 << 20, Memory: mem})
	if res.Err == nil || res.Err.Name != "MemoryLimitError" {
		t.Errorf("second execution: %v; want a MemoryLimitError", res.Err)
	}
	close(hold)
	if res := <-done; res.Err != nil {
		t.Errorf("first execution: %v", res.Err)
	}
	if n := mem.Active(); n != 0 {
		t.Errorf("Run returned, and %d executions still hold memory", n)
	}
	if res := Run(context.Background(), "1", nil, Options{MemoryLimit: 64 << 20, Memory: mem}); res.Err != nil {
		t.Errorf("after the first: %v", res.Err)
	}
}

func TestGuardEdges(t *testing.T) {
	tests := []struct{ code, want string }{
		{"'x'.repeat(2e6).split().length", `1`},
		{"try { new RegExp({ toString() { return '('.repeat(600) + ')'.repeat(600) } }) } catch (e) { e.name }", `"SyntaxError"`},
		{"new RegExp(/a+/g).flags + new RegExp({ toString() { return 'b' } }).source", `"gb"`},
		{"let a = []; for (let i = 0; i < 600; i++) a = [a]; try { a.flat(Infinity) } catch (e) { e.name }", `"RangeError"`},
		{"new Array(100000).fill([1]).flat(Infinity).length", `100000`},
		// Code compiled at run time is checked as it is compiled: a
		// toString that answers differently the second time is asked once.
		{"let n = 0; const f = Function({ toString() { return ++n === 1 ? 'return 7' : '('.repeat(600) } }); [f(), n]", `[7,1]`},
		{"try { Function.prototype.constructor.call(null, 'return ' + '['.repeat(600)) } catch (e) { e.name }", `"SyntaxError"`},
	}
	for _, tt := range tests {
		res := Run(context.Background(), tt.code, nil, Options{Timeout: testenv.Within(5 * time.Second)})
		if res.Err != nil || string(res.Value) != tt.want {
			t.Errorf("%s\n got %s, %v\nwant %s", tt.code, res.Value, res.Err, tt.want)
		}
	}
}

// TestMemoryConcurrent: many small executions waiting on a tool call at
// once are not stopped for each other's allocations, while one hog among
// them is.
func TestMemoryConcurrent(t *testing.T) {
	mem := NewMemory(1 << 30)
	caller := CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		time.Sleep(200 * time.Millisecond)
		return json.RawMessage("1"), nil
	})
	opts := Options{Timeout: 10 * time.Second, MemoryLimit: 10 << 20, Memory: mem, Bindings: []Binding{{Object: "t", Method: "wait", ID: "w"}}}
	results := make(chan Result, 51)
	for range 50 {
		go func() {
			results <- Run(context.Background(), "const xs = new Array(1000).fill('x'); await t.wait(); xs.length", caller, opts)
		}()
	}
	go func() {
		results <- Run(context.Background(), "const a = []; for (;;) a.push({ n: a.length })", caller, opts)
	}()
	hogs := 0
	for range 51 {
		res := <-results
		switch {
		case res.Err == nil:
		case res.Err.Name == "MemoryLimitError" && hogs == 0:
			hogs++
		default:
			t.Errorf("unexpected: %v", res.Err)
		}
	}
	if hogs != 1 {
		t.Errorf("the hog was not stopped")
	}
}

// TestStringLimit: + and template literals, which are instructions rather
// than calls the guards could wrap, refuse to build a string longer than a
// quarter of the memory limit (in UTF-16 units) with a catchable RangeError,
// before allocating it.
func TestStringLimit(t *testing.T) {
	const msg = "RangeError: string concatenation: the result would be 67108864 characters; " +
		"the limit is 33554432 (a quarter of the memory limit): work on less data at a time"
	tests := []struct{ code, want string }{
		{"let s = 'y'; for (;;) s += s", msg + " (line 1, column 28)"},
		{"let s = 'y'; for (;;) s = `${s}${s}`", msg + " (line 1, column 34)"},
		{"let s = 'é'; for (;;) s = s + s", msg + " (line 1, column 27)"},
	}
	for _, tt := range tests {
		res := Run(context.Background(), tt.code, nil, Options{Timeout: testenv.Within(5 * time.Second)})
		if got := errText(res.Err); got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.code, got, tt.want)
		}
	}
	// Caught, the error leaves the string as it was; up to the limit, + works.
	code := "let s = 'y'; try { for (;;) s += s } catch (e) { }; s += 'x'.repeat((2 ** 25) - s.length); s.length"
	res := Run(context.Background(), code, nil, Options{Timeout: testenv.Within(5 * time.Second)})
	if res.Err != nil || string(res.Value) != "33554432" {
		t.Errorf("caught: got %s, %v; want 33554432", res.Value, res.Err)
	}
}

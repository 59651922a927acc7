package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestGuardsMadeOnFirstUse: a fresh runtime has not made the guarded
// methods the setup does not use (guard.go makes each wrapper when goja
// makes the property), and every way of reaching one gives the wrapper.
func TestGuardsMadeOnFirstUse(t *testing.T) {
	x, err := prepare(Options{}.withDefaults(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ path, name string }{{"String.prototype", "repeat"}, {"Array.prototype", "map"}, {"Array.prototype", "values"}} {
		if x.path(p.path).OwnMaterialised(p.name, nil) {
			t.Errorf("%s.%s was made by the setup", p.path, p.name)
		}
	}
	for _, name := range []string{"Uint8Array", "Float64Array", "WeakMap", "Map", "Set"} {
		if x.rt.GlobalObject().OwnMaterialised(name, nil) {
			t.Errorf("%s was made by the setup", name)
		}
	}
	// Of guards.js's (jsGuards): Promise's are made with Promise, and the
	// setup uses Object.keys and JSON.stringify.
	for _, name := range []string{"values", "entries", "getOwnPropertyNames", "getOwnPropertyDescriptors", "assign"} {
		if x.path("Object").OwnMaterialised(name, nil) {
			t.Errorf("Object.%s was made by the setup", name)
		}
	}
	if x.path("Array.prototype").OwnMaterialised("", goja.SymIterator) {
		t.Errorf("Array.prototype[Symbol.iterator] was made by the setup")
	}
	routes := map[string]string{
		"get":          "'x'.repeat(2 ** 30)",
		"descriptor":   "Object.getOwnPropertyDescriptor(String.prototype, 'repeat').value.call('x', 2 ** 30)",
		"descriptors":  "Object.getOwnPropertyDescriptors(String.prototype).repeat.value.call('x', 2 ** 30)",
		"keys":         "const k = Object.getOwnPropertyNames(Array.prototype); const a = []; a.length = 1e9; a.map(x => x)",
		"in":           "'map' in Array.prototype; const a = []; a.length = 1e9; a.map(x => x)",
		"iterator":     "const a = []; a.length = 1e9; [...a]",
		"values":       "const a = []; a.length = 1e9; a.values()",
		"spread":       "[...'x'.repeat(3e6)]",
		"typed":        "new Float64Array(2 ** 30)",
		"typed global": "new (Object.getOwnPropertyDescriptor(globalThis, 'Uint8Array').value)(2 ** 30)",
		"typed proto":  "new (new TextEncoder().encode('x').constructor)(2 ** 30)",
		"typed keys":   "Object.getOwnPropertyNames(globalThis); new Int32Array(2 ** 30)",
		"typed from":   "Uint16Array.from({ length: 2 ** 30 })",
		"weakmap":      "const a = []; a.length = 2e6; new WeakMap(a)",
		"promise":      "const a = []; a.length = 2e6; Promise.all(a)",
		"promise desc": "const a = []; a.length = 2e6; Object.getOwnPropertyDescriptor(Promise, 'race').value.call(Promise, a)",
		"object":       "Object.keys('x'.repeat(3e6))",
		"object desc":  "Object.getOwnPropertyDescriptors(Object).values.value('x'.repeat(3e6))",
		"reflect":      "Reflect.ownKeys(new Uint8Array(2e6))",
		"stringify":    "let v = 1; for (let i = 0; i < 600; i++) v = [v]; Reflect.apply(JSON.stringify, JSON, [v])",
		"string swap":  "const S = String; globalThis.String = function () {}; Object.keys(new S('x'.repeat(3e6)))",
	}
	for name, code := range routes {
		res := Run(context.Background(), "try { "+code+"; return 'not guarded' } catch (e) { return e.name }", nil,
			Options{Timeout: testenv.Within(5 * time.Second)})
		if string(res.Value) != `"RangeError"` {
			t.Errorf("%s: %s, %v; want a RangeError from the guard", name, res.Value, res.Err)
		}
	}
	res := Run(context.Background(), `const u = new TextEncoder().encode("x");
		return [u.constructor === Uint8Array, Uint8Array.prototype.constructor === Uint8Array, Uint8Array.name, Uint8Array.length,
		Object.getOwnPropertyDescriptor(globalThis, "WeakSet").writable, Object.keys(globalThis).includes("Int8Array"), typeof BigUint64Array]`,
		nil, Options{})
	if want := `[true,true,"Uint8Array",3,true,false,"function"]`; string(res.Value) != want {
		t.Errorf("got %s, %v; want %s", res.Value, res.Err, want)
	}
	// The prelude's and structuredClone's Map and Set are the originals,
	// whether the code made them first, replaced them, or never used them.
	for code, want := range map[string]string{
		`const M = Map, S = Set; globalThis.Map = globalThis.Set = function () {}; return [new M([["a", 1]]), new S([2])]`:                                                           `[{"a":1},[2]]`,
		`const m = new Map([["a", new Set([1])]]); const f = Map.prototype.forEach; Map.prototype.forEach = null; const c = structuredClone(m); Map.prototype.forEach = f; return c`: `{"a":[1]}`,
		`delete globalThis.Map; return structuredClone({ a: [1, { b: 2 }] })`:                                                                                                        `{"a":[1,{"b":2}]}`,
		`const c = structuredClone(new Set([1, 2])); return [c instanceof Set, c.size, [...c]]`:                                                                                      `[true,2,[1,2]]`,
		`Function.prototype.bind = null; const c = structuredClone(new Map([[1, 2]])); return [c instanceof Map, c.get(1)]`:                                                          `[true,2]`,
	} {
		res := Run(context.Background(), code, nil, Options{Timeout: testenv.Within(5 * time.Second)})
		if string(res.Value) != want {
			t.Errorf("%s\n got %s, %v\nwant %s", code, res.Value, res.Err, want)
		}
	}
	res = Run(context.Background(), `return [Array.prototype.values === Array.prototype[Symbol.iterator],
		String.prototype.repeat.name, String.prototype.repeat.length, Array.prototype.values.name,
		Object.getOwnPropertyDescriptor(Array.prototype, "map")]`, nil, Options{})
	if want := `[true,"repeat",1,"values",{"writable":true,"enumerable":false,"configurable":true}]`; string(res.Value) != want {
		t.Errorf("got %s, %v; want %s", res.Value, res.Err, want)
	}
}

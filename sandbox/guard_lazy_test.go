package sandbox

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// path returns a built-in object such as "String.prototype", making it.
func (x *execution) path(p string) *goja.Object {
	obj := x.rt.GlobalObject()
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			obj = obj.Get(p[start:i]).ToObject(x.rt)
			start = i + 1
		}
	}
	return obj
}

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
	// Of guards.js's (jsGuards): the setup makes none (JSON is made whole on
	// first use: TestMadeWholeOnFirstUse).
	for _, name := range []string{"keys", "values", "entries", "getOwnPropertyNames", "getOwnPropertyDescriptors", "assign"} {
		if x.path("Object").OwnMaterialised(name, nil) {
			t.Errorf("Object.%s was made by the setup", name)
		}
	}
	for _, name := range []string{"all", "allSettled", "any", "race", "resolve"} {
		if x.path("Promise").OwnMaterialised(name, nil) {
			t.Errorf("Promise.%s was made by the setup", name)
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
	expectGuarded(t, "RangeError", routes)
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
	// A wrapper keeps the attributes of the method it replaces (writable,
	// configurable, not enumerable), whenever it was installed: at setup
	// (JSON's, Array.from), as goja made it whole (Reflect's, RegExp's), or
	// made it on first use (Promise's, Object's).
	res = Run(context.Background(), `const d = (o, k) => { const p = Object.getOwnPropertyDescriptor(o, k); return [p.writable, p.enumerable, p.configurable].join() };
		return [Object.keys(JSON), Object.keys(Array), Object.keys(Reflect), Object.keys(Promise), Object.keys(RegExp.prototype),
			d(JSON, "stringify"), d(Array, "from"), d(Reflect, "apply"), d(Promise, "all"), d(Object, "keys"), d(RegExp.prototype, "exec"), d(String.prototype, "repeat"),
			d(Array.prototype, Symbol.iterator)]`, nil, Options{})
	if want := `[[],[],[],[],[],"true,false,true","true,false,true","true,false,true","true,false,true","true,false,true","true,false,true","true,false,true","true,false,true"]`; string(res.Value) != want {
		t.Errorf("got %s, %v; want %s", res.Value, res.Err, want)
	}
	res = Run(context.Background(), `return [Array.prototype.values === Array.prototype[Symbol.iterator],
		String.prototype.repeat.name, String.prototype.repeat.length, Array.prototype.values.name,
		Object.getOwnPropertyDescriptor(Array.prototype, "map")]`, nil, Options{})
	if want := `[true,"repeat",1,"values",{"writable":true,"enumerable":false,"configurable":true}]`; string(res.Value) != want {
		t.Errorf("got %s, %v; want %s", res.Value, res.Err, want)
	}
}

// TestSetupMakesNoBuiltins: setting a runtime up makes none of the
// built-ins it guards or that guards.js and the prelude use (goja's made
// hook hands the guards each as goja makes it, and guards.js runs when
// goja first makes something it wraps), and guards.js, run after the code
// replaced every built-in it once took at setup, still guards, with goja's
// originals.
func TestSetupMakesNoBuiltins(t *testing.T) {
	x, err := prepare(Options{}.withDefaults(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range madeTemplatedNames {
		if x.rt.Made(path) != nil {
			t.Errorf("%s was made by the setup", path)
		}
	}
	for _, name := range []string{"Array", "String", "Number", "Math", "Object", "Function", "Promise", "JSON", "Reflect"} {
		if x.rt.GlobalObject().OwnMaterialised(name, nil) {
			t.Errorf("the global %s was made by the setup", name)
		}
	}
	if x.wrapFunction != nil || x.wrapCtor != nil {
		t.Error("guards.js ran at setup")
	}
	// What guards.js and the prelude took at setup, replaced first.
	const replace = `Object.defineProperty = Object.setPrototypeOf = Object.getPrototypeOf = Array.isArray = Number.isFinite = null;
		Array.prototype.slice = Array.prototype.indexOf = null; Function.prototype.call = Function.prototype.bind = null;
		String = Number = Math = null; `
	expectGuarded(t, "RangeError", map[string]string{
		"typed":         replace + "new Uint8Array(2 ** 30)",
		"typed sub":     replace + "new (class extends Float64Array {})(2 ** 30)",
		"stringify":     replace + "let v = 1; for (let i = 0; i < 600; i++) v = [v]; JSON.stringify(v, null, 2)",
		"elements":      replace + "Object.keys('x'.repeat(3e6))",
		"array from":    replace + "[].constructor.from({ length: 2 ** 30 })",
		"array global":  "Array.from({ length: 2 ** 30 })",
		"array desc":    "Object.getOwnPropertyDescriptor(Array, 'from').value({ length: 2 ** 30 })",
		"promise route": "const a = []; a.length = 2e6; Promise.resolve().constructor.all(a)",
	})
	expectGuarded(t, "SyntaxError", map[string]string{
		"pattern": replace + `new RegExp({ toString() { return "(".repeat(600) + ")".repeat(600) } })`,
	})
	res := Run(context.Background(), replace+`
		const T = class extends Uint8Array {};
		return [new T(4).length, Uint8Array.name, Uint8Array.length, new Uint8Array(2).constructor === Uint8Array,
			JSON.parse(JSON.stringify({ a: 1, b: 2, 3: 4 }, ["b", 3, new globalThis.Object(), "b"])),
			Object.keys({ x: 1 }), JSON.stringify([1], null, "    ").length]`, nil, Options{})
	if want := `[4,"Uint8Array",3,true,{"3":4,"b":2},["x"],9]`; string(res.Value) != want {
		t.Errorf("after replacing the built-ins guards.js uses: got %s, %v; want %s", res.Value, res.Err, want)
	}
	// The prelude's helpers, made after the same, describe and serialise as before.
	res = Run(context.Background(), replace+`console.log("a", 1, [NaN], { b: [2] }); return [Infinity, -0, "s", [undefined]]`, nil, Options{})
	if want := `[null,0,"s",[null]]`; string(res.Value) != want || len(res.Logs) != 1 || res.Logs[0] != `a 1 ["NaN"] {"b":[2]}` {
		t.Errorf("the helpers after replacing the built-ins: got %s, %v, logs %q; want %s", res.Value, res.Err, res.Logs, want)
	}
	// What Go hands guards.js and web.js, which run after the code did, is
	// out of reach of accessors the code put on Object.prototype: none is
	// set through them (originalOf would give the code the originals the
	// guards wrap), and none is read from them (limits of Infinity).
	res = Run(context.Background(), `const leaked = [];
		for (const k of ["limits", "String", "Number", "min", "floor", "defineProperty", "setPrototypeOf", "isArray", "slice",
			"indexOf", "checkPattern", "originalOf", "errorCtor", "elementSize", "maxString", "maxElements", "maxStringElements",
			"maxBuffer", "maxNesting", "atob", "btoa", "encode", "decode"])
			Object.defineProperty(Object.prototype, k, { set() { leaked.push(k) }, get() { return Infinity }, configurable: true });
		const r = [];
		try { new Uint8Array(2 ** 30) } catch (e) { r.push(e.name) }
		let v = 1; for (let i = 0; i < 600; i++) v = [v];
		try { JSON.stringify(v) } catch (e) { r.push(e.name) }
		r.push(btoa("hi"), new TextDecoder().decode(new TextEncoder().encode("é")));
		return [leaked, r]`, nil, Options{Timeout: testenv.Within(5 * time.Second)})
	if want := `[[],["RangeError","RangeError","aGk=","é"]]`; string(res.Value) != want {
		t.Errorf("with accessors on Object.prototype: got %s, %v; want %s", res.Value, res.Err, want)
	}
}

// TestMadeWholeOnFirstUse: Reflect, RegExp and ArrayBuffer, which goja
// makes whole (not a property at a time), are not made by the setup, and
// are guarded on every route that makes them (builtinMade): the global, a
// regular expression literal, a string method that makes a RegExp inside
// goja, a typed array, TextEncoder, enumerating the global object, the
// namespaces' traps, guards.js and structuredClone.
func TestMadeWholeOnFirstUse(t *testing.T) {
	x, err := prepare(Options{Bindings: []Binding{{Object: "ns", Method: "m", ID: "1"}}}.withDefaults(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Reflect", "RegExp", "ArrayBuffer", "JSON"} {
		if x.rt.GlobalObject().OwnMaterialised(name, nil) {
			t.Errorf("the global %s was made by the setup", name)
		}
	}
	if len(x.made) > 0 {
		t.Errorf("the setup made %v", x.made)
	}
	nested := `'('.repeat(600) + ')'.repeat(600)`
	expectGuarded(t, "SyntaxError", map[string]string{
		"regexp global":       "new RegExp(" + nested + ")",
		"regexp literal":      "/a/.constructor(" + nested + ")",
		"regexp proto":        "new (Object.getPrototypeOf(/a/).constructor)(" + nested + ")",
		"regexp match first":  "'a'.match('a'); new RegExp(" + nested + ")",
		"regexp match":        "'a'.match(" + nested + ")",
		"regexp keys":         "Object.getOwnPropertyNames(globalThis); new RegExp(" + nested + ")",
		"regexp replaced":     "const R = RegExp; globalThis.RegExp = null; new R(" + nested + ")",
		"regexp clone":        "structuredClone(/a/); new RegExp(" + nested + ")",
		"regexp literal ctor": "const r = /a/; r.constructor === RegExp ? new RegExp(" + nested + ") : 'another constructor'",
	})
	deepText := `'['.repeat(600) + ']'.repeat(600)`
	deepValue := "let o = 1; for (let i = 0; i < 600; i++) o = [o]; "
	expectGuarded(t, "RangeError", map[string]string{
		"json parse":          "JSON.parse(" + deepText + ")",
		"json stringify":      deepValue + "JSON.stringify(o)",
		"json replaced":       "const J = JSON; globalThis.JSON = null; J.parse(" + deepText + ")",
		"json stringify kept": "const J = JSON; globalThis.JSON = {}; " + deepValue + "J.stringify(o)",
		"json descriptor":     "Object.getOwnPropertyDescriptor(globalThis, 'JSON').value.parse(" + deepText + ")",
		"json keys":           "Object.getOwnPropertyNames(globalThis); JSON.parse(" + deepText + ")",
		"json after helpers":  "console.log({ m: new Map() }); " + deepValue + "JSON.stringify(o)",
		"json method keys":    "Object.keys(JSON).length === 0 && JSON.parse(" + deepText + ")",
	})
	args := "const a = []; a.length = 2e6; "
	expectGuarded(t, "RangeError", map[string]string{
		"reflect apply":     args + "Reflect.apply(Math.max, null, a)",
		"reflect construct": args + "Reflect.construct(Array, a)",
		"reflect ownKeys":   "Reflect.ownKeys(new Uint8Array(2e6))",
		"buffer global":     "new ArrayBuffer(2 ** 40)",
		"buffer typed":      "new (new Uint8Array(1).buffer.constructor)(2 ** 40)",
		"buffer encoder":    "new (new TextEncoder().encode('x').buffer.constructor)(2 ** 40)",
		"buffer proto":      "new (Object.getPrototypeOf(new Int8Array(1).buffer).constructor)(2 ** 40)",
		"buffer replaced":   "const A = ArrayBuffer; globalThis.ArrayBuffer = null; new A(2 ** 40)",
		"buffer keys":       "Object.getOwnPropertyNames(globalThis); new ArrayBuffer(2 ** 40)",
		"buffer elements":   "new Uint8Array(1); Object.keys(new Uint8Array(3e6))",
		"reflect replaced":  "const R = Reflect; globalThis.Reflect = null; " + args + "R.apply(Math.max, null, a)",
		"reflect keys":      "Object.getOwnPropertyNames(globalThis); " + args + "Reflect.apply(Math.max, null, a)",
		"after a ctor":      "new Uint8Array(2); " + args + "Reflect.apply(Math.max, null, a)",
	})
	// What uses the originals works whatever the code did to the globals
	// first: a guarded constructor (guards.js calls Reflect.construct), the
	// namespaces' traps, the result's RegExp, structuredClone.
	caller := CallerFunc(func(context.Context, string, json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`1`), nil
	})
	for code, want := range map[string]string{
		`globalThis.Reflect = null; return [new Uint8Array(2).length, new Map([[1, 2]]).size]`:                                                                    `[2,1]`,
		`Reflect.get = Reflect.has = () => { throw new Error("replaced") }; return [typeof ns.m, await ns.m({})]`:                                                 `["function",1]`,
		`globalThis.Reflect = null; return [typeof ns.m, "m" in ns, Object.keys(ns)]`:                                                                             `["function",true,["m"]]`,
		`globalThis.RegExp = null; const c = structuredClone(/a+/gi); return [String(c), c !== null]`:                                                             `["/a+/gi",true]`,
		`const r = /x/g; globalThis.RegExp = function () {}; console.log(r); return r.test("x")`:                                                                  `true`,
		`return [/a/.constructor === RegExp, RegExp.prototype.constructor === RegExp, RegExp.name, new RegExp("b").source]`:                                       `[true,true,"RegExp","b"]`,
		`const u = new Uint8Array([1, 2]); return [u.buffer.constructor === ArrayBuffer, ArrayBuffer.isView(u), ArrayBuffer.name, new ArrayBuffer(3).byteLength]`: `[true,true,"ArrayBuffer",3]`,
		`globalThis.ArrayBuffer = null; const c = structuredClone({ u: new Uint8Array([1, 2]), b: new Uint8Array([3]).buffer }); return [c.u, c.b.byteLength]`:    `[[1,2],1]`,
		`const b = new TextEncoder().encode("hé"); globalThis.ArrayBuffer = null; return [new TextDecoder().decode(b), new TextDecoder().decode(b.buffer), b]`:    `["hé","hé",[104,195,169]]`,
	} {
		res := Run(context.Background(), code, caller, Options{Timeout: testenv.Within(5 * time.Second),
			Bindings: []Binding{{Object: "ns", Method: "m", ID: "1"}}})
		if string(res.Value) != want {
			t.Errorf("%s\n got %s, %v\nwant %s", code, res.Value, res.Err, want)
		}
	}
}

// TestPromiseConstructor: Promise, made from a template in goja
// (third_party/goja/PATCHES.md), behaves as the constructor did.
func TestPromiseConstructor(t *testing.T) {
	const code = `const d = Object.getOwnPropertyDescriptor;
		let threw; try { Promise(() => {}) } catch (e) { threw = e instanceof TypeError }
		class P extends Promise {}
		const p = P.resolve(1);
		return [threw, Promise.length, Promise.name, typeof Promise.all, d(Promise, "prototype").writable,
			p instanceof P, Promise.prototype.constructor === Promise, Promise[Symbol.species] === Promise,
			Object.getOwnPropertyNames(Promise).join(), await Promise.all([1, Promise.resolve(2)]), await P.race([3]),
			await Promise.allSettled([Promise.reject(4)]), await Promise.any([5])]`
	res := Run(context.Background(), code, nil, Options{})
	want := `[true,1,"Promise","function",false,true,true,true,"length,name,prototype,all,allSettled,any,race,reject,resolve",[1,2],3,[{"status":"rejected","reason":4}],5]`
	if string(res.Value) != want {
		t.Errorf("got %s, %v\nwant %s", res.Value, res.Err, want)
	}
}

// expectGuarded runs each of codes (by name) and expects it to throw the
// error named want, from a guard.
func expectGuarded(t *testing.T, want string, codes map[string]string) {
	t.Helper()
	for name, code := range codes {
		res := Run(context.Background(), "try { "+code+"; return 'not guarded' } catch (e) { return e.name }", nil,
			Options{Timeout: testenv.Within(5 * time.Second)})
		if string(res.Value) != `"`+want+`"` {
			t.Errorf("%s: %s, %v; want a %s from the guard", name, res.Value, res.Err, want)
		}
	}
}

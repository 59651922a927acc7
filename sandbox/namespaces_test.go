package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// nsBindings are out of alphabetical order, so that the order of the keys
// is the bindings' own.
var nsBindings = []Binding{{Object: "ns", Method: "b", ID: "ns.b"}, {Object: "ns", Method: "a", ID: "ns.a"}, {Object: "ns", Method: "c", ID: "ns.c"}, {Object: "other", Method: "x", ID: "other.x"}}

// idCaller answers every call with the binding's ID.
var idCaller = CallerFunc(func(_ context.Context, id string, _ json.RawMessage) (json.RawMessage, error) {
	return json.Marshal(id)
})

// TestNamespaceObjects checks that a namespace whose methods are made on
// first use behaves as the ordinary object with every method defined up
// front that it was: keys, in, typeof, names, descriptors, enumeration,
// JSON, calls through a copy, deleting, adding, replacing, freezing and a
// new prototype, whichever method was touched first.
func TestNamespaceObjects(t *testing.T) {
	tests := []struct{ code, want string }{
		{`Object.keys(ns)`, `["b","a","c"]`},
		{`ns.c; ns.a; Object.keys(ns)`, `["b","a","c"]`},
		{`Object.getOwnPropertyNames(ns)`, `["b","a","c"]`},
		{`Reflect.ownKeys(ns)`, `["b","a","c"]`},
		{`const ks = []; for (const k in ns) ks.push(k); ks`, `["b","a","c"]`},
		{`Object.keys({ ...ns })`, `["b","a","c"]`},
		{`[typeof ns, typeof ns.a, ns.a.name, ns.a.length, typeof ns.zz]`, `["object","function","a",0,"undefined"]`},
		{`JSON.stringify(ns)`, `"{}"`},
		{`["a" in ns, "zz" in ns, "toString" in ns, ns.hasOwnProperty("c"), Object.hasOwn(ns, "zz")]`, `[true,false,true,true,false]`},
		{`const f = ns.a; [await f({}), await ns.c(), await other.x()]`, `["ns.a","ns.c","other.x"]`},
		{`const d = Object.getOwnPropertyDescriptor(ns, "b"); [d.writable, d.enumerable, d.configurable, typeof d.value]`, `[true,true,true,"function"]`},
		{`[Object.getPrototypeOf(ns) === Object.prototype, ns instanceof Object, Object.prototype.toString.call(ns)]`, `[true,true,"[object Object]"]`},
		{`delete ns.a; [Object.keys(ns), "a" in ns, typeof ns.a]`, `[["b","c"],false,"undefined"]`},
		{`ns.a; delete ns.a; [Object.keys(ns), "a" in ns]`, `[["b","c"],false]`},
		{`delete ns.a; ns.a = 1; [Object.keys(ns), ns.a]`, `[["b","c","a"],1]`},
		{`ns.z = 1; ns.b = 2; [Object.keys(ns), ns.b]`, `[["b","a","c","z"],2]`},
		{`Object.defineProperty(ns, "a", { enumerable: false }); [Object.keys(ns), typeof ns.a]`, `[["b","c"],"function"]`},
		{`Object.freeze(ns); [Object.isFrozen(ns), Object.keys(ns), typeof ns.c, Reflect.set(ns, "q", 1), Reflect.deleteProperty(ns, "b")]`, `[true,["b","a","c"],"function",false,false]`},
		{`Object.preventExtensions(ns); [Object.isExtensible(ns), Object.keys(ns), await ns.b()]`, `[false,["b","a","c"],"ns.b"]`},
		{`Object.setPrototypeOf(ns, null); [Object.getPrototypeOf(ns), "toString" in ns, "a" in ns]`, `[null,false,true]`},
		{`const s = Symbol("s"); ns[s] = 1; [Reflect.ownKeys(ns).length, ns[s]]`, `[4,1]`},
		{`Object.defineProperty(ns, "k", { value: 1 }); [ns.k, Object.keys(ns), Object.getOwnPropertyNames(ns)]`, `[1,["b","a","c"],["b","a","c","k"]]`},
		{`Object.defineProperty(ns, "g", { get() { return this === ns }, configurable: true }); ns.g`, `true`},
		{`Object.defineProperty(ns, "g", { get() { throw new RangeError("x") }, configurable: true }); try { ns.g } catch (e) { e.name }`, `"RangeError"`},
		// A method read once, then changed by each route: later reads see the change.
		{`const f = ns.a; ns.a = 5; [ns.a, typeof f, "a" in ns]`, `[5,"function",true]`},
		{`ns.a; Object.defineProperty(ns, "a", { get() { return 7 }, configurable: true }); ns.a`, `7`},
		{`ns.a; Object.defineProperty(ns, "a", { value: 8 }); [ns.a, Object.keys(ns)]`, `[8,["b","a","c"]]`},
		{`ns.a; delete ns.a; [typeof ns.a, "a" in ns]`, `["undefined",false]`},
		{`const f = ns.a; Object.freeze(ns); [ns.a === f, "a" in ns, Object.isFrozen(ns)]`, `[true,true,true]`},
		{`ns.a; ns.q = 1; [typeof ns.a, ns.q, "q" in ns, typeof other.x]`, `["function",1,true,"function"]`},
		{`const f = ns.a; [ns.a === f, ns.a === ns.a, "a" in ns, "zz" in ns, "toString" in ns]`, `[true,true,true,false,true]`},
	}
	for _, tt := range tests {
		res := Run(context.Background(), tt.code, idCaller, Options{Bindings: nsBindings, Timeout: testenv.Within(2 * time.Second)})
		if string(res.Value) != tt.want || res.Err != nil {
			t.Errorf("%s\n got %s, %v\nwant %s", tt.code, res.Value, res.Err, tt.want)
		}
	}
}

// TestNamespaceAccessors: accessors defined on a namespace, configurable
// or not, behave as on a plain object; goja's proxy invariant check made a
// non-configurable one a TypeError (third_party/goja/PATCHES.md).
func TestNamespaceAccessors(t *testing.T) {
	tests := []struct{ code, want string }{
		{`Object.defineProperty(obj, "g", { get() { return 1 }, configurable: true }); obj.g`, `1`},
		{`Object.defineProperty(obj, "g", { get() { return 1 } }); const d = Object.getOwnPropertyDescriptor(obj, "g"); [obj.g, d.configurable, d.enumerable, d.set]`, `[1,false,false,null]`},
		{`let v = 0; Object.defineProperty(obj, "s", { set(x) { v = x }, enumerable: true }); obj.s = 5; [v, Object.keys(obj).includes("s")]`, `[5,true]`},
		{`Object.defineProperty(obj, "a", { get() { return "mine" }, configurable: false }); [obj.a, Object.getOwnPropertyDescriptor(obj, "a").configurable]`, `["mine",false]`},
		{`const g = () => 2; Object.defineProperty(obj, "g", { get: g }); Object.defineProperty(obj, "g", { get: g, set: undefined }); obj.g`, `2`},
		{`Object.defineProperty(obj, "g", { get: () => 1 }); try { Object.defineProperty(obj, "g", { get: () => 2 }) } catch (e) { e.name }`, `"TypeError"`},
		{`Object.defineProperty(obj, "g", { get: () => 1 }); [Reflect.defineProperty(obj, "g", { set() {} }), delete obj.g, obj.g]`, `[false,false,1]`},
	}
	for _, tt := range tests {
		for _, obj := range []string{"ns", "{}"} {
			code := "const obj = " + obj + ";\n" + tt.code
			res := Run(context.Background(), code, idCaller, Options{Bindings: nsBindings, Timeout: testenv.Within(2 * time.Second)})
			if string(res.Value) != tt.want || res.Err != nil {
				t.Errorf("%s\n got %s, %v\nwant %s", code, res.Value, res.Err, tt.want)
			}
		}
	}
}

// TestProxyAccessorInvariant: a Proxy's defineProperty trap that reports
// success for a non-configurable accessor of its target passes the
// invariant check when the descriptor matches the target's getter and
// setter (SameValue), and is a TypeError when it does not. goja had the
// comparison the wrong way round (third_party/goja/PATCHES.md).
func TestProxyAccessorInvariant(t *testing.T) {
	const setup = `const g = () => 1, s = (x) => {};
const target = {};
Object.defineProperty(target, "gs", { get: g, set: s });
Object.defineProperty(target, "g", { get: g });
Object.defineProperty(target, "d", { value: 1 });
const p = new Proxy(target, { defineProperty() { return true } });
const tryDefine = (k, d) => { try { return Reflect.defineProperty(p, k, d) } catch (e) { return e.name } };
`
	tests := []struct{ code, want string }{
		{`tryDefine("gs", { get: g, set: s })`, `true`},
		{`tryDefine("gs", { get: g })`, `true`},
		{`tryDefine("gs", { set: s })`, `true`},
		{`tryDefine("g", { get: g, set: undefined })`, `true`},
		{`tryDefine("gs", { get: () => 1 })`, `"TypeError"`},
		{`tryDefine("gs", { set: (x) => {} })`, `"TypeError"`},
		{`tryDefine("gs", { get: g, set: undefined })`, `"TypeError"`},
		{`tryDefine("g", { set: s })`, `"TypeError"`},
		// A non-configurable property cannot change kind.
		{`tryDefine("d", { get: g })`, `"TypeError"`},
		{`tryDefine("g", { value: 1 })`, `"TypeError"`},
		{`tryDefine("d", { value: 1, enumerable: false })`, `true`},
	}
	for _, tt := range tests {
		res := Run(context.Background(), setup+tt.code, nil, Options{Timeout: testenv.Within(2 * time.Second)})
		if string(res.Value) != tt.want || res.Err != nil {
			t.Errorf("%s\n got %s, %v\nwant %s", tt.code, res.Value, res.Err, tt.want)
		}
	}
}

// TestNamespaceUnknownMethod checks that calling a method a namespace does
// not have is the TypeError of any object, with the hints on it.
func TestNamespaceUnknownMethod(t *testing.T) {
	res := Run(context.Background(), "await ns.d()", idCaller, Options{Bindings: nsBindings})
	if res.Err == nil || res.Err.Name != "TypeError" || !strings.HasPrefix(res.Err.Message, "Object has no member 'd'") {
		t.Fatalf("ns.d(): %v; want TypeError: Object has no member 'd'", res.Err)
	}
	if !strings.Contains(res.Err.Message, "the tools of ns are a, b, c") {
		t.Errorf("ns.d(): %q does not list the tools of ns", res.Err.Message)
	}
}

// TestToolCallMakesNoReflect: calling a tool reads its method without
// Reflect.get, so a script that uses neither Reflect nor anything made
// from it leaves Reflect unmade (making it whole and guarding it cost
// about 40 µs per execution).
func TestToolCallMakesNoReflect(t *testing.T) {
	res, x := runPrepared(t, `const a = await ns.a(); const b = await ns.a({ n: 1 }); return [a, b, "a" in ns]`,
		Options{Bindings: nsBindings, Timeout: testenv.Within(2 * time.Second)})
	if string(res.Value) != `["ns.a","ns.a",true]` || res.Err != nil {
		t.Fatalf("got %s, %v", res.Value, res.Err)
	}
	if x.rt.GlobalObject().OwnMaterialised("Reflect", nil) {
		t.Error("calling a tool made Reflect")
	}
}

// TestNamespacesFresh checks that nothing a run does to the namespaces is
// seen by the next, whether it sets its runtime up or starts from a spare.
func TestNamespacesFresh(t *testing.T) {
	mess := `ns.a = 1; delete ns.b; ns.z = 2; other.x.extra = 3;
Object.defineProperty(ns, "c", { value: 4, enumerable: false });
Object.setPrototypeOf(ns, null); Object.freeze(ns); Object.freeze(other);`
	check := `[Object.keys(ns), typeof ns.a, typeof ns.c, "z" in ns, Object.isFrozen(ns), Object.isFrozen(other),
Object.getPrototypeOf(ns) === Object.prototype, other.x.extra, await ns.a()]`
	want := `[["b","a","c"],"function","function",false,false,false,true,null,"ns.a"]`
	for _, spares := range []int{0, 1} {
		t.Run(fmt.Sprintf("spares=%d", spares), func(t *testing.T) {
			opts := Options{Bindings: nsBindings, Timeout: testenv.Within(2 * time.Second), Spares: NewSpares(spares)}
			for i := range 3 {
				if res := Run(context.Background(), mess, idCaller, opts); res.Err != nil {
					t.Fatalf("run %d: %v", i, res.Err)
				}
				if spares > 0 {
					waitSpare(t, opts.Spares)
				}
				res := Run(context.Background(), check+" ?? null", idCaller, opts)
				if got := string(res.Value); got != want || res.Err != nil {
					t.Fatalf("run %d after one that changed the namespaces: %s, %v; want %s", i, got, res.Err, want)
				}
			}
		})
	}
}

// manyBindings are n bindings over 5 namespaces.
func manyBindings(n int) []Binding {
	bs := make([]Binding, n)
	for i := range bs {
		ns, m := fmt.Sprintf("server%d", i%5), fmt.Sprintf("tool_%d", i)
		bs[i] = Binding{Object: ns, Method: m, ID: ns + "/" + m}
	}
	return bs
}

// setupBytes is what setting a runtime up for opts allocates, on average.
func setupBytes(t *testing.T, opts Options) uint64 {
	t.Helper()
	opts = opts.withDefaults()
	if _, err := prepare(opts, time.Minute); err != nil { // builds the binding table, once
		t.Fatal(err)
	}
	const n = 10
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		if _, err := prepare(opts, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / n
}

// TestSetupDoesNotGrowWithTools checks that setting a runtime up for 5,000
// tools allocates about what it does for 50: the methods are made on first
// use (a function per tool was about 1 KB, 5 MB in all).
func TestSetupDoesNotGrowWithTools(t *testing.T) {
	small := setupBytes(t, Options{Bindings: manyBindings(50)})
	large := setupBytes(t, Options{Bindings: manyBindings(5000)})
	t.Logf("setting a runtime up allocates %d KB with 50 tools, %d KB with 5,000", small>>10, large>>10)
	if large > small+small/4 {
		t.Errorf("setting a runtime up allocates %d KB with 5,000 tools, %d KB with 50: want at most 1.25×", large>>10, small>>10)
	}
}

// runPrepared runs code in a runtime set up by prepare and returns the
// result with the execution, for tests that look at the runtime after.
func runPrepared(t *testing.T, code string, opts Options) (Result, *execution) {
	t.Helper()
	opts = opts.withDefaults()
	opts.Memory = NewMemory(DefaultProcessMemory)
	x, err := prepare(opts, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	s, serr := compile(code, opts.MaxCodeBytes)
	if serr != nil {
		t.Fatal(serr)
	}
	deadline := time.Now().Add(opts.Timeout)
	mem, merr := opts.Memory.admit(context.Background(), opts.MemoryLimit, deadline)
	if merr != nil {
		t.Fatal(merr)
	}
	return x.begin(context.Background(), s, idCaller, opts, mem).wait(deadline), x
}

// TestHelpersMadeOnFirstUse: an execution whose tool argument and result
// are plain JSON, that neither logs nor throws, does not make the
// prelude's helpers; one that needs them makes them with the built-ins as
// they were before its code ran, whatever the code replaced since.
func TestHelpersMadeOnFirstUse(t *testing.T) {
	opts := Options{Bindings: nsBindings, Timeout: testenv.Within(2 * time.Second)}
	res, x := runPrepared(t, `const r = await ns.a({ q: [1, "x"] }); return { r, ok: true }`, opts)
	if string(res.Value) != `{"r":"ns.a","ok":true}` || res.Err != nil {
		t.Fatalf("got %s, %v", res.Value, res.Err)
	}
	if x.helpers != nil {
		t.Error("a plain execution made the helpers")
	}
	replace := `JSON.stringify = () => "replaced"; JSON.parse = () => "replaced"; Array.isArray = () => false;
String = function () { return "replaced" }; Object.getPrototypeOf = () => null; Number.isFinite = () => true;
Error = TypeError = RangeError = function () { return { name: "Fake" } }; Array.from = () => ["replaced"];
`
	for code, want := range map[string]string{
		`console.log({ a: [1, "two"] }, 3n, NaN, new Map([["k", 1]]), new Set([2])); return 1`: `{"a":[1,"two"]} 3n NaN {"k":1} [2]`,
		`return { m: new Map([["k", { v: 1 }]]), s: new Set([1, 2]), n: NaN }`:                 `{"m":{"k":{"v":1}},"s":[1,2],"n":null}`,
		`return await ns.b(new Map([["k", 1]]))`:                                               `"ns.b"`,
		`throw new (Object.getPrototypeOf(new Uint8Array(0).constructor))("x")`:                `TypeError`,
		`const o = {}; o.self = o; return o`:                                                   `TypeError: the result cannot be serialised to JSON: a cyclic reference at result.self`,
		`return { big: 1n }`:                                                                   `TypeError: the result cannot be serialised to JSON: a BigInt at result.big`,
	} {
		res, x := runPrepared(t, replace+code, opts)
		got := string(res.Value)
		if res.Err != nil {
			got = res.Err.Name
			if res.Err.Message != "" && !strings.HasPrefix(code, "throw") {
				got += ": " + res.Err.Message
			}
		}
		if len(res.Logs) > 0 {
			got = strings.Join(res.Logs, "\n")
		}
		if got != want {
			t.Errorf("%s\n got %s\nwant %s", code, got, want)
		}
		if x.helpers == nil {
			t.Errorf("%s: the helpers were not made", code)
		}
	}
}

// A table found for another slice of the same bindings is kept for that
// slice: the runs given it find the table without comparing each binding.
func TestTableAdoptsEqualSlice(t *testing.T) {
	mk := func() []Binding {
		var bs []Binding
		for i := range 100 {
			bs = append(bs, Binding{Object: fmt.Sprintf("adopt%d", i%3), Method: fmt.Sprintf("m%d", i), ID: fmt.Sprint(i)})
		}
		return bs
	}
	a, b := mk(), mk()
	ta := tableFor(a)
	if tb := tableFor(b); tb != ta {
		t.Fatal("equal bindings in another slice built another table")
	}
	tables.Lock()
	kept := ta.bindings
	tables.Unlock()
	if &kept[0] != &b[0] {
		t.Error("the table kept the slice it was built from, not the one it was last found for")
	}
	c := append(mk(), Binding{Object: "adopt0", Method: "extra", ID: "x"})
	if tableFor(c) == ta {
		t.Error("other bindings found the same table")
	}
}

package sandbox

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestLazyGlobals: console, the timers and the web APIs are not made by
// the setup, and every way of reaching one makes it with the attributes
// defining it at setup gave.
func TestLazyGlobals(t *testing.T) {
	x, err := prepare(Options{}.withDefaults(), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"console", "setTimeout", "clearInterval", "atob", "TextEncoder", "structuredClone"} {
		if x.rt.GlobalObject().OwnMaterialised(name, nil) {
			t.Errorf("%s was made by the setup", name)
		}
	}
	if x.web != nil {
		t.Error("web.js ran at setup")
	}
	for _, name := range []string{"Error", "TypeError", "RangeError", "SyntaxError", "URIError"} {
		if x.rt.GlobalObject().OwnMaterialised(name, nil) || x.ctors[name] != nil {
			t.Errorf("%s was made by the setup", name)
		}
	}
	if v := x.rt.GlobalObject().Get("GoError"); v != nil {
		t.Errorf("GoError is %v; want none", v)
	}
	for code, want := range map[string]string{
		// Attributes: console and the timers were assigned, the web APIs defined.
		`const d = (n) => { const p = Object.getOwnPropertyDescriptor(globalThis, n); return [typeof p.value, p.writable, p.enumerable, p.configurable] };
		 return [d("console"), d("setTimeout"), d("atob"), d("structuredClone")]`: `[["object",true,true,true],["function",true,true,true],["function",true,false,true],["function",true,false,true]]`,
		`const k = Object.keys(globalThis); return ["console", "setTimeout", "clearInterval", "atob", "TextDecoder"].map((n) => k.includes(n))`:                                                                               `[true,true,true,false,false]`,
		`return ["console" in globalThis, "TextDecoder" in globalThis, globalThis.hasOwnProperty("btoa"), "nothing" in globalThis]`:                                                                                           `[true,true,true,false]`,
		`return Object.getOwnPropertyNames(globalThis).filter((n) => ["console", "setTimeout", "setInterval", "clearTimeout", "clearInterval", "atob", "btoa", "TextEncoder", "TextDecoder", "structuredClone"].includes(n))`: `["console","setTimeout","setInterval","clearTimeout","clearInterval","atob","btoa","TextEncoder","TextDecoder","structuredClone"]`,
		`delete globalThis.console; delete globalThis.atob; return [typeof console, typeof atob, typeof btoa]`:                                                                                                                `["undefined","undefined","function"]`,
		`globalThis.TextEncoder = 1; console = { log() {} }; console.log("x"); return [TextEncoder, typeof TextDecoder, new TextDecoder().decode(new Uint8Array([104, 105]))]`:                                                `[1,"function","hi"]`,
		`return await new Promise((r) => setTimeout(() => r([btoa("hi"), atob("aGk="), structuredClone({ a: [1] })]), 1))`:                                                                                                    `["aGk=","hi",{"a":[1]}]`,
		`return [typeof clearTimeout(setTimeout(() => {}, 1)), typeof setInterval, typeof clearInterval]`:                                                                                                                     `["undefined","function","function"]`,
		// The sandbox's own errors are of the original constructors, whatever
		// the code did to the globals first.
		`const S = SyntaxError; globalThis.SyntaxError = function () { return { fake: true } };
		 try { eval("(".repeat(600) + ")".repeat(600)) } catch (e) { return [e instanceof S, e.name, typeof GoError] }`: `[true,"SyntaxError","undefined"]`,
		`const S = SyntaxError; delete globalThis.SyntaxError; try { new Function("[".repeat(600)) } catch (e) { return [e instanceof S, e.name] }`:                      `[true,"SyntaxError"]`,
		`try { eval("(".repeat(600) + ")".repeat(600)) } catch (e) { return [e instanceof SyntaxError, e.name] }`:                                                        `[true,"SyntaxError"]`,
		`const R = RangeError; globalThis.RangeError = function () { return { fake: true } }; try { "x".repeat(2 ** 30) } catch (e) { return [e instanceof R, e.name] }`: `[true,"RangeError"]`,
		`const R = RangeError; delete globalThis.RangeError; let o = 1; for (let i = 0; i < 600; i++) o = [o];
		 try { JSON.stringify(o) } catch (e) { return [e instanceof R, e.name] }`: `[true,"RangeError"]`,

		// Made with the built-ins as the code left them, and still working
		// where it uses the originals.
		`Function.prototype.bind = null; Function.prototype.call = null; return structuredClone(new Map([[1, new Set([2])]])).get(1).has(2)`: `true`,
		// web.js, run after the code put a value on Object.prototype, still
		// defines its accessors.
		`Object.prototype.value = 1; return [new TextDecoder().encoding, new TextEncoder().encoding, new TextDecoder().fatal]`: `["utf-8","utf-8",false]`,
		// console, made after the code put an accessor on Object.prototype, has its methods.
		`Object.defineProperty(Object.prototype, "log", { set(v) {}, get() { return 1 }, configurable: true });
		 return [typeof console.log, Object.keys(console).includes("log")]`: `["function",true]`,
	} {
		res := Run(context.Background(), code, nil, Options{})
		if string(res.Value) != want {
			t.Errorf("%s\n got %s, %v\nwant %s", code, res.Value, res.Err, want)
		}
	}
	// The helpers, made after the code replaced the error constructors,
	// use the originals.
	res := Run(context.Background(), `globalThis.TypeError = Error = null; const o = {}; o.o = o;
console.log(new Map([[1, o]])); return [1n]`, nil, Options{})
	if res.Err == nil || res.Err.Name != "TypeError" || !strings.Contains(res.Err.Message, "a BigInt at result[0]") ||
		len(res.Logs) != 1 || res.Logs[0] != `{"1":{"o":"[Circular]"}}` {
		t.Errorf("after replacing TypeError and Error: %v, logs %q", res.Err, res.Logs)
	}
}

package sandbox

import (
	"errors"
	"testing"

	"github.com/dop251/goja"
)

// TestResultReplacerMatchesPrelude serialises results with the Go replacer
// and with the prelude's JavaScript one it replaces: the same JSON, or the
// same error, for plain values and every kind of value the prelude
// converts or refuses.
func TestResultReplacerMatchesPrelude(t *testing.T) {
	cases := map[string]string{
		"plain":        `return {a: 1, b: "two", c: [true, null, 3.5, -0], d: {e: {f: "é☃"}}}`,
		"undefined":    `return undefined`,
		"string":       `return "x".repeat(50)`,
		"number":       `return 42`,
		"non-finite":   `return [NaN, Infinity, -Infinity]`,
		"holes":        `return [1, , 3, undefined, function () {}, Symbol("s")]`,
		"left out":     `return {f: function () {}, s: Symbol("s"), u: undefined, k: 1}`,
		"map":          `return {m: new Map([["a", 1], ["b", {c: 2}]]), n: new Map([[{}, 1]])}`,
		"set":          `return {s: new Set([1, 2, "x"])}`,
		"typed array":  `return {u: new Uint8Array([1, 2, 3])}`,
		"error":        `return {e: new TypeError("bad")}`,
		"date":         `return {d: new Date(0)}`,
		"class":        `class P { constructor() { this.x = 1 } }; return [new P()]`,
		"null proto":   `const o = Object.create(null); o.a = 1; return o`,
		"proxy":        `return {p: new Proxy({a: 1}, {}), q: new Proxy([1, 2], {})}`,
		"getter":       `return {get g() { return [1, 2] }}`,
		"toJSON":       `return {t: {toJSON() { return {x: new Map([["y", 1]])} }}}`,
		"boxed":        `return [new String("s"), new Number(1), new Boolean(false)]`,
		"bigint root":  `return 1n`,
		"bigint deep":  `return {a: [{b: 1}, {b: 2n}]}`,
		"cycle":        `const o = {a: {b: []}}; o.a.b.push(o); return o`,
		"cycle in map": `const o = {}; o.m = new Map([["k", o]]); return o`,
		"shared":       `const s = {x: 1}; return [s, s, {s}]`,
		"deep":         `let o = 1; for (let i = 0; i < 101; i++) o = {n: o}; return o`,
		"deep arrays":  `let o = 1; for (let i = 0; i < 150; i++) o = [o]; return o`,
		"depth 100":    `let o = 1; for (let i = 0; i < 99; i++) o = [o]; return o`,
		"too large":    `return {s: "x".repeat(300)}`,
		"too many":     `return Array.from({length: 100}, (_, i) => i)`,
		"utf16 size":   `return "☃".repeat(190)`,
		"key size":     `return {["k".repeat(150)]: 1, ["l".repeat(60)]: 2}`,
	}
	for name, code := range cases {
		t.Run(name, func(t *testing.T) {
			rt := goja.New()
			h, err := loadHelpers(rt)
			if err != nil {
				t.Fatal(err)
			}
			x := &execution{rt: rt, helpers: h}
			x.limits.maxResult = 400
			v, err := rt.RunString("(function () {" + code + "})()")
			if err != nil {
				t.Fatal(err)
			}
			want, werr := h.serialize(goja.Undefined(), v, rt.ToValue(x.limits.maxResult))
			got, gerr := x.serializeResult(v)
			if werr != nil || gerr != nil {
				if thrown(werr) != thrown(gerr) {
					t.Fatalf("error %q, the prelude's %q", thrown(gerr), thrown(werr))
				}
				return
			}
			if got != want.String() {
				t.Fatalf("got %s\nthe prelude's %s", got, want)
			}
		})
	}
}

// thrown is the thrown error's name and message, or "".
func thrown(err error) string {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		return ex.Value().String()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// TestParseResultMatchesJSONParse makes values of tool results with
// jsonBuilder and with JSON.parse: serialised again, and with their
// prototypes and property descriptors, they are the same.
func TestParseResultMatchesJSONParse(t *testing.T) {
	texts := []string{
		`{"a":1,"b":[true,false,null],"c":{"d":"e"}}`,
		` [ 1 , -0 , 2.5e3 , 1E-7 , 123456789012345678901 , -12 ] `,
		`{"__proto__":{"x":1},"a":1,"a":2,"b":3,"2":4,"1":5}`,
		`"esc\"aped \\ \/ \n \u00e9 \ud83d\ude00 lone \ud800 end"`,
		"\"bad utf-8 \xff\xfe here\"",
		`"é☃ 😀 plain unicode"`,
		`[[[[[]]]],{},[{}],""]`,
		`1e400`,
		`{"big":1e400}`,
		`null`,
		`"x"`,
		`[{"a":[1,[2,[]],{"a":4}],"b":"x"},{"a":[],"b\u0041":5,"bA":6},[[{"a":1}],{"b":[{"a":2}]}]]`,
	}
	const show = `(function (v) {
		function d(v) {
			if (v === null || typeof v !== "object") return Object.is(v, -0) ? "-0" : JSON.stringify(v);
			var p = Object.getPrototypeOf(v) === (Array.isArray(v) ? Array.prototype : Object.prototype);
			return (p ? "" : "?") + (Array.isArray(v) ? "[" + v.map(d).join(",") + "]" :
				"{" + Object.getOwnPropertyNames(v).map(function (k) {
					var desc = Object.getOwnPropertyDescriptor(v, k);
					return JSON.stringify(k) + (desc.writable && desc.enumerable && desc.configurable ? ":" : "!") + d(v[k]);
				}).join(",") + "}");
		}
		return d(v);
	})`
	for _, text := range texts {
		rt := goja.New()
		h, err := loadHelpers(rt)
		if err != nil {
			t.Fatal(err)
		}
		x := &execution{rt: rt, helpers: h}
		f, _ := goja.AssertFunction(must1(rt.RunString(show)))
		want, werr := h.parse(goja.Undefined(), rt.ToValue(text))
		got, gerr := x.parseResult([]byte(text))
		if werr != nil || gerr != nil {
			if thrown(werr) != thrown(gerr) {
				t.Errorf("%s: error %q, JSON.parse's %q", text, thrown(gerr), thrown(werr))
			}
			continue
		}
		if g, w := must1(f(goja.Undefined(), got)).String(), must1(f(goja.Undefined(), want)).String(); g != w {
			t.Errorf("%s:\ngot  %s\nwant %s", text, g, w)
		}
	}
	// Properties are defined, as JSON.parse defines them: a setter or a
	// read-only property the code put on Object.prototype does not apply.
	rt := goja.New()
	h, err := loadHelpers(rt)
	if err != nil {
		t.Fatal(err)
	}
	must1(rt.RunString(`Object.defineProperty(Object.prototype, "a", { set() { throw new Error("the setter ran") }, configurable: true });
		Object.defineProperty(Object.prototype, "b", { value: 0, writable: false, configurable: true })`))
	x := &execution{rt: rt, helpers: h}
	v, err := x.parseResult([]byte(`{"a":1,"b":2,"c":{"a":3}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := must1(h.stringifyWith(goja.Undefined(), v, goja.Undefined())).String(); got != `{"a":1,"b":2,"c":{"a":3}}` {
		t.Errorf("got %s", got)
	}
}

func must1(v goja.Value, err error) goja.Value {
	if err != nil {
		panic(err)
	}
	return v
}

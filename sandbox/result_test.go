package sandbox

import (
	"errors"
	"strconv"
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
		// What goja's AppendPlainJSON writes in Go, and what it must leave to
		// JSON.stringify and the replacer.
		"non-enumerable":  `const o = {a: 1}; Object.defineProperty(o, "h", {value: 2}); Object.defineProperty(o, "r", {value: 3, enumerable: true}); return o`,
		"index keys":      `return {b: 1, 2: "two", a: 3, 1: "one", "01": 4, [2 ** 32]: 5}`,
		"unicode keys":    `return {"é": 1, "☃☃": "😀", "\ud800": "lone \udc00 x", "a\u0000": "\u2028"}`,
		"escapes":         `return "\u0000\u0001\b\t\n\f\r\u001f\"\\/\u007f<>&"`,
		"numbers":         `return [0, -0, 1.5, 1e21, 1e-7, 2 ** 53, -1, 123456789, 0.1 + 0.2, Number.MAX_VALUE, Number.MIN_VALUE]`,
		"frozen":          `return Object.freeze({a: 1, b: Object.seal({c: "x"}), d: Object.preventExtensions({})})`,
		"frozen array":    `return Object.freeze([1, 2])`,
		"empty":           `return [[], {}, [[]], {"": 1}]`,
		"proto key":       `return JSON.parse('{"__proto__": 1, "a": {"__proto__": []}}')`,
		"functions":       `return [function () {}, () => 1, Math.max, class {}, async () => 1, function* () {}]`,
		"size edge":       `return "x".repeat(398)`,
		"size over":       `return "x".repeat(399)`,
		"sparse":          `const a = [1, 2]; a[10] = 3; return a`,
		"array prop":      `const a = [1, 2]; a.extra = 5; return a`,
		"array accessor":  `const a = [1, 2]; Object.defineProperty(a, 0, {get() { return 9 }, enumerable: true}); return a`,
		"array subclass":  `class A extends Array {}; return A.from([1, 2])`,
		"array own json":  `const a = [1]; a.toJSON = () => "own"; return [a]`,
		"arguments":       `return (function () { return arguments })(1, 2)`,
		"proto toJSON":    `Object.prototype.toJSON = function () { return "p" }; return {a: 1}`,
		"proto getter":    `let n = 0; Object.defineProperty(Object.prototype, "toJSON", {get() { n++ }}); return {a: [1]}`,
		"array toJSON":    `Array.prototype.toJSON = () => "arr"; return [1, {a: [2]}]`,
		"function toJSON": `Function.prototype.toJSON = () => "fn"; return {f() {}, g: () => 1}`,
		"fn own toJSON":   `const f = () => 1; f.toJSON = () => "own"; return [f]`,
		"object toJSON":   `return {a: 1, toJSON: 5}`,
	}
	// plain are the cases AppendPlainJSON writes itself.
	plain := map[string]bool{"plain": true, "string": true, "number": true, "non-finite": true, "left out": true,
		"shared": true, "key size": true, "utf16 size": true, "too large": true, "non-enumerable": true, "index keys": true,
		"unicode keys": true, "escapes": true, "numbers": true, "frozen": true, "empty": true, "proto key": true,
		"size edge": true, "array prop": true}
	for name, code := range cases {
		t.Run(name, func(t *testing.T) {
			x := helperExecution(t)
			rt, h := x.rt, x.helpers
			x.limits.maxResult = 400
			v, err := rt.RunString("(function () {" + code + "})()")
			if err != nil {
				t.Fatal(err)
			}
			want, werr := h.serialize(goja.Undefined(), v, rt.ToValue(x.limits.maxResult))
			fast, ok := x.plainJSON(v)
			if ok != plain[name] {
				t.Errorf("written in Go: %v; want %v", ok, plain[name])
			}
			if ok {
				if werr != nil || fast != want.String() {
					t.Fatalf("written in Go: %s\nthe prelude's: %s, %v", fast, want, werr)
				}
				args, err := h.args(goja.Undefined(), v, rt.ToValue(x.limits.maxResult))
				if err != nil || args.String() != fast {
					t.Fatalf("written in Go: %s\nthe prelude's as an argument: %s, %v", fast, args, err)
				}
			}
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
		x := helperExecution(t)
		rt, h := x.rt, x.helpers
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
	x := helperExecution(t)
	rt, h := x.rt, x.helpers
	must1(rt.RunString(`Object.defineProperty(Object.prototype, "a", { set() { throw new Error("the setter ran") }, configurable: true });
		Object.defineProperty(Object.prototype, "b", { value: 0, writable: false, configurable: true })`))
	v, err := x.parseResult([]byte(`{"a":1,"b":2,"c":{"a":3}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := must1(h.stringifyWith(goja.Undefined(), v, goja.Undefined())).String(); got != `{"a":1,"b":2,"c":{"a":3}}` {
		t.Errorf("got %s", got)
	}
}

// helperExecution is an execution on a bare goja runtime, without the
// sandbox's setup, with the prelude's helpers made: for tests of the
// helpers and of the result's paths.
func helperExecution(tb testing.TB) *execution {
	tb.Helper()
	rt := goja.New()
	h, err := loadHelpers(rt)
	if err != nil {
		tb.Fatal(err)
	}
	return &execution{rt: rt, helpers: h}
}

func must1(v goja.Value, err error) goja.Value {
	if err != nil {
		panic(err)
	}
	return v
}

// TestPlainJSONBounds: goja's AppendPlainJSON writes values nested up to
// the replacers' depth, and leaves deeper ones and cycles to them (which
// throw); a large mixed value comes out as the prelude writes it.
func TestPlainJSONBounds(t *testing.T) {
	nest := func(n int, open, close string) string {
		return `let o = 1; for (let i = 0; i < ` + strconv.Itoa(n) + `; i++) o = ` + open + `o` + close + `; return o`
	}
	cases := []struct {
		code  string
		plain bool
	}{
		{nest(100, "{n: ", "}"), true},
		{nest(101, "{n: ", "}"), false},
		{nest(100, "[", "]"), true},
		{nest(101, "[", "]"), false},
		{`const o = {a: [{}]}; o.a[0].o = o; return o`, false},
		{`const a = []; a.push(a); return a`, false},
		{`const out = []; for (let i = 0; i < 3000; i++) out.push({id: i, name: "item " + i, ok: i % 3 === 0, score: i / 7,
			tags: ["a", "é", "\n"], nested: {deep: [null, undefined, i % 2 ? "x" : -0], when: i * 1e15}}); return out`, true},
	}
	for _, tt := range cases {
		x := helperExecution(t)
		rt, h := x.rt, x.helpers
		x.limits.maxResult = 4 << 20
		v, err := rt.RunString("(function () {" + tt.code + "})()")
		if err != nil {
			t.Fatal(err)
		}
		want, werr := h.serialize(goja.Undefined(), v, rt.ToValue(x.limits.maxResult))
		got, ok := x.plainJSON(v)
		if ok != tt.plain {
			t.Errorf("%.60s: written in Go: %v; want %v", tt.code, ok, tt.plain)
		}
		if ok && (werr != nil || got != want.String()) {
			t.Errorf("%.60s: written in Go (%d bytes) differs from the prelude's (%d bytes, %v)", tt.code, len(got), len(want.String()), werr)
		}
		if !ok && werr == nil && tt.plain {
			t.Errorf("%.60s: not written in Go, but the prelude writes it", tt.code)
		}
	}
}

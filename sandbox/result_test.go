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

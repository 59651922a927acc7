package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestWebGlobals: atob, btoa, TextEncoder, TextDecoder, structuredClone and
// setInterval work as in a browser (issue 13.8).
func TestWebGlobals(t *testing.T) {
	tests := []struct{ name, code, want string }{
		{"btoa", `btoa("hello")`, `"aGVsbG8="`},
		{"atob, whitespace and no padding", `atob(" aGVs\nbG8")`, `"hello"`},
		{"atob bytes", `[...atob("/wA=")].map(c => c.charCodeAt(0))`, `[255,0]`},
		{"btoa outside Latin-1", `try { btoa("€") } catch (e) { e.name + ": " + e.message }`,
			`"InvalidCharacterError: btoa: the string has characters outside Latin-1; encode it as UTF-8 first: btoa(String.fromCharCode(...new TextEncoder().encode(s)))"`},
		{"atob invalid", `try { atob("a*") } catch (e) { e.name + ": " + e.message }`, `"InvalidCharacterError: atob: the string is not valid base64"`},
		{"TextEncoder", `const b = new TextEncoder().encode("é€"); [b instanceof Uint8Array, Array.from(b)]`, `[true,[195,169,226,130,172]]`},
		{"TextDecoder", `new TextDecoder().decode(new Uint8Array([0xEF, 0xBB, 0xBF, 104, 0xC3, 0xA9]))`, `"hé"`},
		{"TextDecoder of a buffer, invalid bytes", `new TextDecoder("utf8").decode(new Uint8Array([104, 0xFF]).buffer)`, "\"h\ufffd\""},
		{"TextDecoder of a view", `new TextDecoder().decode(new DataView(new TextEncoder().encode("abcdé").buffer, 3, 3))`, `"dé"`},
		{"TextDecoder fatal", `try { new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array([0xFF])) } catch (e) { e.name + ": " + e.message }`,
			`"TypeError: TextDecoder.decode: the data is not valid UTF-8"`},
		{"TextDecoder other encodings", `try { new TextDecoder("latin1") } catch (e) { e.message }`, `"TextDecoder: the encoding \"latin1\" is not supported; only utf-8 is"`},
		{"structuredClone", `const o: any = { d: new Date(5), m: new Map([[1, new Set(["a"])]]), u: new Uint8Array([1, 2]) }; o.self = o;
const c = structuredClone(o);
[c !== o, c.self === c, c.d.getTime(), [...c.m.get(1)], Array.from(c.u), c.u.buffer !== o.u.buffer]`, `[true,true,5,["a"],[1,2],true]`},
		{"structuredClone of a function", `try { structuredClone({ f() {} }) } catch (e) { e.name + ": " + e.message }`,
			`"DataCloneError: structuredClone: a function cannot be cloned"`},
		// An own "__proto__" key is a key of the clone, not its prototype.
		{"structuredClone of __proto__", `const c = structuredClone(JSON.parse('{"__proto__": {"x": 1}, "a": [2]}'));
[Object.keys(c), (c as any).x, Object.getPrototypeOf(c) === Object.prototype, c.a]`, `[["__proto__","a"],null,true,[2]]`},
		{"TextDecoder labels", `try { new TextDecoder("constructor") } catch (e) { e.message }`,
			`"TextDecoder: the encoding \"constructor\" is not supported; only utf-8 is"`},
		{"setInterval", `let n = 0;
await new Promise<void>(r => { const id = setInterval((step: number) => { n += step; if (n === 6) { clearInterval(id); r() } }, 1, 2) });
n`, `6`},
		{"at most 1000 timers", `for (let i = 0; i < 1000; i++) setInterval(() => {}, 1000);
try { setTimeout(() => {}, 1) } catch (e) { e.name + ": " + e.message }`,
			`"RangeError: setTimeout: 1000 timers are pending, the limit; clear some (clearTimeout, clearInterval) or await them first"`},
		{"clearTimeout clears an interval", `let n = 0; const id = setInterval(() => n++, 1); clearTimeout(id); await new Promise(r => setTimeout(r, 20)); n`, `0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.code, nil)
			if res.Err != nil {
				t.Fatalf("%s: %v", tt.code, res.Err)
			}
			if got := string(res.Value); got != tt.want {
				t.Errorf("%s\n got %s\nwant %s", tt.code, got, tt.want)
			}
		})
	}
}

// TestWebLimits: one call of atob, btoa, TextEncoder.encode or
// TextDecoder.decode takes at most a sixteenth of the memory budget in or
// out (4 MB of 64), checked as it reads, before goja's String() could
// allocate 130 MB for 8 M characters.
func TestWebLimits(t *testing.T) {
	tests := []struct{ code, want string }{
		{`btoa("a".repeat(4194305))`, "RangeError: btoa: the input is 4194305 long; the limit is 4194304 (a sixteenth of memory_limit_mb): work in parts (line 1, column 1)"},
		{`new TextEncoder().encode("€".repeat(1500000))`, "RangeError: TextEncoder.encode: the result is over 4194304 bytes, the limit (a sixteenth of memory_limit_mb): work in parts (line 1, column 19)"},
		{`new TextDecoder().decode(new DataView(new ArrayBuffer(4194306), 1))`, "RangeError: TextDecoder.decode: the input is 4194305 long; the limit is 4194304 (a sixteenth of memory_limit_mb): work in parts (line 1, column 19)"},
	}
	for _, tt := range tests {
		res := Run(context.Background(), tt.code, newFake(nil), Options{MemoryLimit: 64 << 20, Timeout: testenv.Within(5 * time.Second)})
		if got := errText(res.Err); got != tt.want {
			t.Errorf("%s\n got %s\nwant %s", tt.code, got, tt.want)
		}
	}
}

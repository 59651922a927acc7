package sandbox

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStripFence(t *testing.T) {
	tests := []struct {
		code, body string
		skipped    int
	}{
		{"1 + 1", "1 + 1", 0},
		{"```ts\n1\n```", "1\n", 1},
		{"```typescript\n1\n```", "1\n", 1},
		{"```js\n1\n```", "1\n", 1},
		{"```javascript\n1\n```", "1\n", 1},
		{"```\n1\n```", "1\n", 1},
		{"```TS\n1\n```", "1\n", 1},
		{"\n\n  ```ts\n1\n```\n\n", "1\n", 3},
		{"```ts\r\n1\r\n```\r\n", "1\r\n", 1},
		{"```ts\n1\n", "1\n", 1}, // no closing fence: the opening one still goes
		{"```python\n1\n```", "```python\n1\n```", 0},
		{"```", "```", 0},
		{"const s = `\n```\n`", "const s = `\n```\n`", 0},
	}
	for _, tt := range tests {
		body, skipped := stripFence(tt.code)
		if body != tt.body || skipped != tt.skipped {
			t.Errorf("stripFence(%q) = %q, %d; want %q, %d", tt.code, body, skipped, tt.body, tt.skipped)
		}
	}
}

// TestPreprocessing pins every rule for what the code's result is.
func TestPreprocessing(t *testing.T) {
	tests := []struct{ name, code, want string }{
		{"last expression", "1 + 1", "2"},
		{"explicit return", "return 3", "3"},
		{"return wins over last expression", "if (false) return 1;\n2", "null"},
		{"return in nested function does not count", "function f() { return 1 }\nf() + 1", "2"},
		{"return inside try counts", "try { return 1 } finally {}\n2", "1"},
		{"declaration last", "const x = 1", "null"},
		{"if last", "if (true) { 5 }", "5"},
		{"else last", "if (false) { 5 } else if (false) 6; else { 7 }", "7"},
		{"if without else", "if (false) { 5 }", "null"},
		{"block last", "{ 1; { 2 } }", "2"},
		{"try last", "try { JSON.parse('{') } catch (e) { 'caught ' + e.name } finally { 'ignored' }", `"caught SyntaxError"`},
		{"try last, no throw", "try { 1 } catch { 2 }", "1"},
		{"loop last", "for (const x of [1]) x", "null"},
		{"updated variable", "let x = 0; x++; x", "1"},
		{"top-level await", "await Promise.resolve(4)", "4"},
		{"multi-line expression", "1\n+ 2", "3"},
		{"comma expression", "(1, 2)", "2"},
		{"object literal", "({ a: 1 })", `{"a":1}`},
		{"empty code", "", "null"},
		{"only a comment", "// nothing", "null"},
		{"trailing comment", "5 // five", "5"},
		{"fenced ts", "```ts\nconst n: number = 6;\nn\n```", "6"},
		{"fenced bare", "```\n7\n```", "7"},
		{"lone async arrow", "async () => { return 8 }", "8"},
		{"lone async arrow, expression body", "async () => 9", "9"},
		{"lone arrow", "() => 10", "10"},
		{"lone arrow with types", "async (): Promise<number> => {\n  const a: number = 11;\n  return a;\n}", "11"},
		{"lone function expression", "(function () { return 12 })", "12"},
		{"lone async function declaration", "async function main() { return 13 }", "13"},
		{"lone plain function declaration is not called", "function main() { return 14 }", "null"},
		{"arrow called explicitly", "(async () => 15)()", "15"},
		{"arrow undefined result", "async () => {}", "null"},
		{"enum", "enum Color { Red, Green }\nColor.Green", "1"},
		{"type alias and assertion", "type A = number;\nconst a = 16 as A;\na", "16"},
		{"generic function", "function id<T>(x: T): T { return x }\nid<string>('s')", `"s"`},
		{"class fields", "class P { #x = 17; get x() { return this.#x } }\nnew P().x", "17"},
		{"optional chaining", "const o: any = {}; o?.a?.b ?? 18", "18"},
		{"using is lowered", "{ using r = null; }\n19", "19"},
		{"this at top level", "typeof this", `"object"`},
		// The last expression statement's value, past declarations (issue 13.8).
		{"declaration after the last expression", "1 + 2; const y = 3;", "3"},
		{"empty statements after the last expression", "1 + 2;;", "3"},
		{"declarations after run", "let a = 1; a + 1; a = 5; let b = globalThis.b = a; function f() {}", "5"},
		{"types after the last expression", "const z = 20; z; interface I {}\ntype T = number;", "20"},
		// Common TypeScript that needs a module (issue 13.6).
		{"namespace", "namespace X { export const a = 21 }\nX.a", "21"},
		{"export {}", "export {};\nconst v = await Promise.resolve(22);\nv", "22"},
		{"namespace and await", "namespace N { export const f = () => 23 }\nawait N.f()", "23"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.code, nil)
			if res.Err != nil {
				t.Fatalf("Run(%q): %v", tt.code, res.Err)
			}
			if got := string(res.Value); got != tt.want {
				t.Errorf("Run(%q) = %s; want %s", tt.code, got, tt.want)
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct{ name, code, want string }{
		{"line 3", "const a = 1;\nconst b = 2;\nconst c = a +;\n", `SyntaxError: Unexpected ";" (line 3, column 14)`},
		{"fenced", "```ts\nconst a = 1;\nconst b = 2;\nconst c = a +;\n```", `SyntaxError: Unexpected ";" (line 4, column 14)`},
		{"type error in TS syntax", "let x: = 1", `SyntaxError: Unexpected "=" (line 1, column 8)`},
		{"characters, not bytes", `const s = "ééé"; let = ;`, `SyntaxError: Unexpected ";" (line 1, column 24)`},
		{"unclosed brace", "if (true) {\n  1", `SyntaxError: Unexpected ")" (line 2)`},
		{"import", "import fs from 'fs'", `SyntaxError: Unexpected "fs" (line 1, column 8)`},
		{"namespace and a return", "namespace X {}\nawait 1;\nreturn 1", "SyntaxError: a top-level return cannot be used with namespace or export, which make TypeScript read the code as a module; end the code with the value as its last expression instead (line 3, column 1)"},
		{"export of a declaration", "export const b = 2;\nb", `SyntaxError: Unexpected "export" (line 1, column 1)`},
		{"error in a namespace", "namespace X {\n  export const a = ;\n}", `SyntaxError: Unexpected ";" (line 2, column 20)`},
		{"RegExp flag goja lacks", "/a/d.test('a')", "SyntaxError: Invalid flags supplied to RegExp constructor 'd' (line 1, column 1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.code, nil)
			if diff := cmp.Diff(tt.want, errText(res.Err)); diff != "" {
				t.Errorf("Run(%q) error (-want +got):\n%s", tt.code, diff)
			}
		})
	}
}

func TestCodeSize(t *testing.T) {
	opts := Options{MaxCodeBytes: 10}
	if res := Run(context.Background(), "1234567890", nil, opts); res.Err != nil {
		t.Errorf("10 bytes: %v", res.Err)
	}
	res := Run(context.Background(), "12345678901", nil, opts)
	want := "SyntaxError: the code is 11 bytes; the limit is 10 bytes"
	if got := errText(res.Err); got != want {
		t.Errorf("11 bytes: %q; want %q", got, want)
	}
	big := "1" + strings.Repeat(" ", DefaultMaxCodeBytes)
	if res := Run(context.Background(), big, nil, Options{}); res.Err == nil || res.Err.Name != "SyntaxError" {
		t.Errorf("default limit: %v", res.Err)
	}
}

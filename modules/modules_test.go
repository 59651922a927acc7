package modules

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dop251/goja"
	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// files is an in-memory workspace.
type files map[string]string

func (f files) Size(_ context.Context, p string) (int64, error) {
	if text, ok := f[p]; ok {
		return int64(len(text)), nil
	}
	return 0, fmt.Errorf("no file %q", p)
}

func (f files) Read(_ context.Context, p string) (string, error) {
	if text, ok := f[p]; ok {
		return text, nil
	}
	return "", fmt.Errorf("no file %q", p)
}

var lib = files{
	"lib/util.ts":       "export function slugify(s: string): string { return s.toLowerCase().replace(/ /g, `-`) }\nexport const greeting = `hello\nworld`;\nexport default function shout(s: string) { return s.toUpperCase() + \"!\" }\n",
	"lib/math.ts":       "import { twice } from \"./deep/twice\";\nexport const four = twice(2);\nexport type Num = number;\n",
	"lib/deep/twice.ts": "export const twice = (n: number) => n * 2;\n",
	"data.json":         `{"answer": 42}`,
	"side.js":           "globalThis.sideEffect = 'ran';\n",
	"bad.ts":            "export const x = ;\n",
	"escape.ts":         "import { x } from \"../../etc/passwd\";\nexport const y = x;\n",
	"pkg.ts":            "import _ from \"lodash\";\nexport const y = _;\n",
	"types.ts":          "export type T = number;\nexport interface I { a: number }\nexport const v = 1;\n",
	"re.ts":             "export { T, I, v } from \"./types.ts\";\nimport { T as U } from \"./types.ts\";\nexport { U };\nexport const w: U = 2;\n",
	"enum.ts":           "export const enum E { A = 1, B = 2 }\nexport enum F { X = 3 }\n",
}

// run bundles code, strips its TypeScript the way the sandbox would (here:
// the test only uses JavaScript after the imports) and evaluates it in goja
// as the body of a function.
func run(t *testing.T, code string) (string, error) {
	t.Helper()
	out, err := Bundle(context.Background(), code, lib, 0)
	if err != nil {
		return "", err
	}
	if got, want := strings.Count(out, "\n"), strings.Count(code, "\n"); got != want {
		t.Errorf("the bundle changed the line count from %d to %d:\n%s", want, got, out)
	}
	return evaluateErr(out)
}

// evaluateErr evaluates bundled code in goja as the body of a function.
func evaluateErr(out string) (string, error) {
	vm := goja.New()
	v, err := vm.RunString("(function () {\n" + out + "\n})()")
	if err != nil {
		return "", err
	}
	return fmt.Sprint(v.Export()), nil
}

// evaluate is evaluateErr for code that must not throw.
func evaluate(t *testing.T, out string) string {
	t.Helper()
	v, err := evaluateErr(out)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestBundle(t *testing.T) {
	tests := []struct{ code, want string }{
		{"return 1 + 1", "2"},
		{"import { slugify } from \"./lib/util.ts\";\nreturn slugify(\"Hello World\")", "hello-world"},
		{"import shout, { slugify as slug, type Num } from './lib/util.ts'\nreturn shout(slug('A B'))", "A-B!"},
		{"import * as util from \"/lib/util.ts\";\nreturn util.greeting", "hello\nworld"},
		{"import {\n  four,\n} from \"./lib/math.ts\";\nimport data from \"./data.json\";\nreturn four + data.answer", "46"},
		{"import type { Num } from \"./lib/math.ts\";\nconst n = 1;\nreturn n", "1"},
		{"import \"./side.js\";\nreturn globalThis.sideEffect", "ran"},
		{"import { four } from \"./lib/math\";\nreturn four", "4"},
		// TypeScript erases type-only imports: the file need not exist (issue 13.6).
		{"import type { Nope } from \"./nope.ts\";\nimport { type A, type B } from './gone';\nreturn 5", "5"},
		{"import type Nope from \"./nope.ts\";\nimport { four } from \"./lib/math\";\nreturn four", "4"},
		// A TypeScript file may re-export types, which its JavaScript
		// (see load.go) no longer has.
		{"import { v, w, T } from \"./re.ts\";\nreturn v + w", "3"},
		{"import { E, F } from \"./enum.ts\";\nreturn E.B + F.X", "5"},
	}
	for _, tt := range tests {
		got, err := run(t, tt.code)
		if err != nil || got != tt.want {
			t.Errorf("%q = %q, %v; want %q", tt.code, got, err, tt.want)
		}
	}
}

// TestBundleLines: an error after the imports is on its own line.
func TestBundleLines(t *testing.T) {
	code := "import {\n  slugify\n} from \"./lib/util.ts\";\nimport * as m from \"./lib/math.ts\";\n\nthrow new Error(slugify('X Y'))"
	_, err := run(t, code)
	var ex *goja.Exception
	if !errors.As(err, &ex) || !strings.Contains(ex.Error(), "x-y") || !strings.Contains(ex.String(), ":7:") {
		t.Errorf("error = %v; want x-y at line 7 of the wrapped code (line 6 of the model's)", err)
	}
}

func TestBundleErrors(t *testing.T) {
	tests := []struct{ code, want string }{
		{"const a = 1;\nimport { x } from \"./missing.ts\";", `cannot import "missing.ts": no file "missing.ts" (line 2)`},
		{"import { x } from \"../outside.ts\";", `import "../outside.ts" leaves the workspace: ".." cannot climb above its root (line 1)`},
		{"import _ from \"lodash\";", `import "lodash": only workspace files can be imported, by a relative path such as "./lib/util.ts" (line 1)`},
		{"import { x } from \"./bad.ts\";", `bad.ts:1:18: Unexpected ";" (line 1)`},
		{"import { x } from \"./escape.ts\";", `escape.ts:1:19: import "../../etc/passwd" leaves the workspace: ".." cannot climb above its root (line 1)`},
		{"import { x } from \"./pkg.ts\";", `pkg.ts:1:15: import "lodash": only workspace files can be imported, by a relative path such as "./lib/util.ts" (line 1)`},
		{"import { x } from \"./lib/\";", `import "./lib/" names a directory; name a file such as "./lib/util.ts" (line 1)`},
	}
	for _, tt := range tests {
		_, err := Bundle(context.Background(), tt.code, lib, 0)
		var e *Error
		if !errors.As(err, &e) || err.Error() != tt.want {
			t.Errorf("%q: %v\nwant %s", tt.code, err, tt.want)
		}
	}
}

// TestBundleAt: code kept in a workspace file resolves its imports from
// that file's directory, as the file itself would (issue 13.8: a snippet's
// "../lib/util.ts" was refused as leaving the workspace).
func TestBundleAt(t *testing.T) {
	tests := []struct{ code, want string }{
		{"import { twice } from \"../lib/deep/twice.ts\";\nreturn twice(4)", "8"},
		{"import { twice } from \"./deep/twice\";\nreturn twice(5)", "10"},
		{"import { four } from \"/lib/math.ts\";\nreturn four", "4"},
	}
	for i, tt := range tests {
		file := "snippets/s.ts"
		if i == 1 {
			file = "lib/s.ts"
		}
		out, err := BundleAt(context.Background(), tt.code, file, lib, 0)
		if err != nil {
			t.Errorf("%q from %s: %v", tt.code, file, err)
			continue
		}
		if got := evaluate(t, out); got != tt.want {
			t.Errorf("%q from %s = %q, want %q", tt.code, file, got, tt.want)
		}
	}
	_, err := BundleAt(context.Background(), "import { x } from \"../../x.ts\";", "snippets/s.ts", lib, 0)
	if want := `import "../../x.ts" leaves the workspace: ".." cannot climb above its root (line 1)`; err == nil || err.Error() != want {
		t.Errorf("climbing out: %v, want %s", err, want)
	}
}

// TestOrigins: an error thrown inside an imported file is placed in that
// file, at its TypeScript line and column, not at the first import's line
// and a column deep in the bundle (issue 13.8: "line 1, column 927").
func TestOrigins(t *testing.T) {
	ws := files{
		"lib/u.ts":     "type N = number;\nexport function f(x: N): N {\n  if (x > 1)\n    throw new Error(\"too big\");\n  return x;\n}\n",
		"lib/other.ts": "export const g = (s: string) => s.length;\n",
	}
	code := "  import { g } from \"./lib/other.ts\";\nimport { f } from \"./lib/u.ts\";\nf(5)"
	out, o, err := BundleMapped(context.Background(), code, "", ws, 0)
	if err != nil {
		t.Fatal(err)
	}
	at := strings.Index(out, "throw new Error")
	col := utf8.RuneCountInString(out[strings.LastIndexByte(out[:at], '\n')+1:at]) + 1
	e := &sandbox.Error{Name: "Error", Message: "too big", Line: 1, Column: col,
		Stack: fmt.Sprintf("at f (line 1, column %d)\nat line 3, column 1", col)}
	o.Place(e)
	want := &sandbox.Error{Name: "Error", Message: "too big (at lib/u.ts:4:5)", Line: 1,
		Stack: "at f (lib/u.ts:4:5)\nat line 3, column 1"}
	if diff := cmp.Diff(want, e); diff != "" {
		t.Errorf("placed (-want +got):\n%s", diff)
	}
	other := &sandbox.Error{Name: "Error", Message: "x", Line: 2, Column: 3}
	o.Place(other)
	if other.Message != "x" || other.Column != 3 {
		t.Errorf("an error on another line was moved: %+v", other)
	}
}

package modules

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// FuzzBundle: whatever the code, Bundle never panics, and code it accepts
// keeps its number of lines. Every path names a file (everywhere), so
// that the code gets past resolution to esbuild and the rewriting.
func FuzzBundle(f *testing.F) {
	for _, s := range []string{
		"import { slugify } from \"./lib/util.ts\";\nreturn slugify('a')",
		"import {\n a,\n b as c } from './lib/util.ts'\nimport * as m from \"/lib/math.ts\"",
		"import x, { y } from \"../up\"",
		"import \"./side.js\"; import type { T } from './t'",
		"importx from './a'\nimport (\"./b\")",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		out, err := Bundle(context.Background(), code, everywhere{}, 0)
		if err == nil && strings.Count(out, "\n") != strings.Count(code, "\n") {
			t.Errorf("line count %d → %d for %q", strings.Count(code, "\n"), strings.Count(out, "\n"), code)
		}
	})
}

// FuzzRewrite fuzzes the rewriting of import declarations alone (no
// esbuild, so it runs fast): whatever the code, rewrite never panics, and
// when it accepts the code it keeps its number of lines, puts the bundle
// in once, leaves the text between declarations as it was, and emits for
// each declaration one line made only of identifiers and the punctuation
// of a const declaration: nothing of a declaration can become code of
// another kind.
func FuzzRewrite(f *testing.F) {
	for _, s := range []string{
		"import { slugify } from \"./lib/util.ts\";\nreturn slugify('a')",
		"import {\n a,\n b as c,\n type T } from './lib/util.ts'\nimport * as m from \"/lib/math.ts\"",
		"import x, { y } from \"../up\"\nimport x, * as ns from './a'",
		"import \"./side.js\"; import type { T } from './t'",
		"  import { a as b, } from './a';;\r\nimport d from './d' ; x",
		"import { 'str' as s } from './a'\nimport { a b } from './b'\nimport {} from './c'",
		"import\u00a0x from './a'\nimport é, { ñ as ü } from './a'",
	} {
		f.Add(s)
	}
	const bundle = "var __codemode_imports=(()=>({}))()"
	f.Fuzz(func(t *testing.T, code string) {
		decls := findImports(code)
		for i := range decls {
			decls[i].module = fmt.Sprintf("m%d", i)
		}
		out, err := rewrite(code, decls, bundle)
		if err != nil {
			return
		}
		if strings.Count(out, "\n") != strings.Count(code, "\n") {
			t.Errorf("line count %d → %d for %q", strings.Count(code, "\n"), strings.Count(out, "\n"), code)
		}
		if len(decls) == 0 {
			if out != code {
				t.Errorf("code without imports changed: %q → %q", code, out)
			}
			return
		}
		rest, ok := strings.CutPrefix(out, code[:decls[0].start]+bundle)
		if !ok {
			t.Fatalf("the bundle is not where the first import was: %q", out)
		}
		for i, d := range decls {
			stmt, _ := binding(d)
			if !plainStatement.MatchString(stmt) {
				t.Errorf("declaration %q became %q", code[d.start:d.end], stmt)
			}
			if i == 0 {
				rest = strings.TrimPrefix(rest, ";")
			}
			between := code[d.end:]
			if i+1 < len(decls) {
				between = code[d.end:decls[i+1].start]
			}
			want := stmt + strings.Repeat("\n", strings.Count(code[d.start:d.end], "\n")) + between
			if !strings.HasPrefix(rest, want) {
				t.Fatalf("declaration %d: %q does not start with %q", i, rest, want)
			}
			rest = rest[len(want):]
		}
		if rest != "" {
			t.Errorf("left over: %q", rest)
		}
	})
}

// plainStatement is what a rewritten declaration may be: const
// declarations of identifiers from the bundle's module objects.
var plainStatement = regexp.MustCompile(`^[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}$_ {},:;=.]*$`)

// everywhere is a workspace with the same small module at every path.
type everywhere struct{}

const anyModule = "export const a = 1, b = 2, x = 3, y = 4;\nexport default function d() { return 5 }\n"

func (everywhere) Size(context.Context, string) (int64, error)  { return int64(len(anyModule)), nil }
func (everywhere) Read(context.Context, string) (string, error) { return anyModule, nil }

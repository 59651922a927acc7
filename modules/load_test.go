package modules

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// reads is a workspace that records which files were read.
type reads struct {
	files
	mu   sync.Mutex
	read []string
}

func (r *reads) Read(ctx context.Context, p string) (string, error) {
	r.mu.Lock()
	r.read = append(r.read, p)
	r.mu.Unlock()
	return r.files.Read(ctx, p)
}

// TestBundleDeepNesting: a file nesting deeper than the sandbox allows is
// refused before esbuild parses it (200,000 "[" were a fatal stack
// overflow of the whole process), imported directly or through another
// file, as TypeScript or as JSON; so is one with an expression too long
// for goja's compiler, or too many template substitutions for esbuild to
// lower.
func TestBundleDeepNesting(t *testing.T) {
	bomb := strings.Repeat("[", 200_000) + strings.Repeat("]", 200_000)
	ws := files{
		"bomb.ts":     "export const x = 1;\nexport const y = " + bomb + ";\n",
		"bomb.json":   bomb,
		"via.ts":      "export { y } from \"./bomb.ts\";\n",
		"long.ts":     "export const a = 1;\nexport const z = a" + strings.Repeat(" + a", 501) + ";\n",
		"template.ts": "export const t = `" + strings.Repeat("${1}", 1001) + "`;\n",
	}
	tests := []struct{ code, want string }{
		{"import { y } from \"./bomb.ts\";\nreturn y",
			`cannot import "bomb.ts": its line 2 nests more than 500 levels deep; flatten it (line 1)`},
		{"const a = 1;\nimport b from \"./bomb.json\";",
			`cannot import "bomb.json": its line 1 nests more than 500 levels deep; flatten it (line 2)`},
		{"import { y } from \"./via.ts\";",
			`via.ts:1:19: cannot import "bomb.ts": its line 2 nests more than 500 levels deep; flatten it (line 1)`},
		{"import { y } from \"./via.ts\";\nreturn " + strings.Repeat("(", 600) + "1" + strings.Repeat(")", 600),
			`the code nests more than 500 levels deep; flatten it (line 2)`},
		{"import { z } from \"./long.ts\";",
			`cannot import "long.ts": its line 2 has an expression of more than 500 operators; split it (line 1)`},
		{"import { t } from \"./template.ts\";",
			`cannot import "template.ts": the imported files have more than 1000 substitutions ${…} in template literals; build long strings with join (line 1)`},
	}
	for _, tt := range tests {
		_, err := Bundle(context.Background(), tt.code, ws, 1<<20)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%.40q: %v\nwant %s", tt.code, err, tt.want)
		}
	}
}

// anyFile stands for the file of a.ts, b.ts and c.ts that esbuild, which
// loads them at once, happened to load last.
var anyFile = regexp.MustCompile(`"[abc]\.ts"`)

// TestBundleSize: the code and the files it imports stay within the code
// size limit together, and a file over it is never read.
func TestBundleSize(t *testing.T) {
	const limit = 10 << 10
	file := func(n int) string { return "export const s = \"" + strings.Repeat("x", n-22) + "\";\n" }
	ws := &reads{files: files{
		"big.ts": file(20 << 20),
		"a.ts":   file(4 << 10), "b.ts": file(4 << 10), "c.ts": file(4 << 10),
		"small.ts": file(100),
	}}
	tests := []struct{ code, want string }{
		{"import { s } from \"./big.ts\";",
			`cannot import "big.ts": it is 20.0 MB, over the code size limit of 10.0 KB (the code and the files it imports together) (line 1)`},
		{"import * as a from \"./a.ts\";\nimport * as b from \"./b.ts\";\nimport * as c from \"./c\";",
			`cannot import "?.ts" (4.0 KB): the code and the files it imports come to 12.1 KB, over the code size limit of 10.0 KB; import fewer or smaller files (line 1)`},
		{"// " + strings.Repeat("x", limit-150) + "\nimport { s } from \"./small.ts\";",
			`the imported files bundle to 949 bytes, which with the code is 10.8 KB, over the code size limit of 10.0 KB; import fewer or smaller files (line 2)`},
		{"import { s } from \"./small.ts\";" + strings.Repeat(" ", limit),
			`the code is 10271 bytes; the limit is 10240 bytes`},
	}
	for _, tt := range tests {
		ws.read = nil
		_, err := Bundle(context.Background(), tt.code, ws, limit)
		if err == nil || anyFile.ReplaceAllString(err.Error(), `"?.ts"`) != tt.want {
			t.Errorf("%.40q: %v\nwant %s", tt.code, err, tt.want)
		}
		for _, p := range ws.read {
			if p == "big.ts" {
				t.Errorf("%.40q: big.ts was read", tt.code)
			}
		}
	}
}

// grown is a workspace whose files grow between Size and Read.
type grown struct{ files }

func (g grown) Size(context.Context, string) (int64, error) { return 10, nil }

// TestBundleFileGrew: what was read counts, not what the size said.
func TestBundleFileGrew(t *testing.T) {
	ws := grown{files{"a.ts": "export const s = \"" + strings.Repeat("x", 8000) + "\";\n"}}
	_, err := Bundle(context.Background(), "import { s } from \"./a.ts\";", ws, 4096)
	want := `cannot import "a.ts": it is 7.8 KB, over the code size limit of 4.0 KB (the code and the files it imports together) (line 1)`
	if err == nil || err.Error() != want {
		t.Errorf("%v\nwant %s", err, want)
	}
}

// TestBundleManyFiles: empty files cost nothing against the size limit,
// but no more than maxFiles are imported.
func TestBundleManyFiles(t *testing.T) {
	ws := files{}
	var code strings.Builder
	for i := range maxFiles + 1 {
		ws[fmt.Sprintf("e/%d.ts", i)] = ""
		fmt.Fprintf(&code, "import \"./e/%d.ts\";\n", i)
	}
	_, err := Bundle(context.Background(), code.String(), ws, 1<<20)
	want := fmt.Sprintf("the code imports more than %d files; put them together in fewer (line 1)", maxFiles)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%v; want %s", err, want)
	}
}

// TestBundleChain: a chain of imports as deep as the file limit allows
// bundles, and so does a cycle.
func TestBundleChain(t *testing.T) {
	ws := files{
		"cycle/a.ts": "import { b } from \"./b.ts\";\nexport const a = () => \"a\" + b();\n",
		"cycle/b.ts": "import { a } from \"./a.ts\";\nexport const b = () => \"b\";\nexport const ab = () => a();\n",
	}
	n := maxFiles - 1
	for i := range n {
		ws[fmt.Sprintf("chain/%d.ts", i)] = fmt.Sprintf("export { v } from \"./%d.ts\";\n", i+1)
	}
	ws[fmt.Sprintf("chain/%d.ts", n)] = "export const v = 42;\n"
	for code, want := range map[string]string{
		"import { v } from \"./chain/0.ts\";\nreturn v":     "42",
		"import { ab } from \"./cycle/b.ts\";\nreturn ab()": "ab",
	} {
		out, err := Bundle(context.Background(), code, ws, 1<<20)
		if err != nil {
			t.Errorf("%q: %v", code, err)
			continue
		}
		if got := evaluate(t, out); got != want {
			t.Errorf("%q = %s; want %s", code, got, want)
		}
	}
}

// stalled is a workspace whose reads wait for the context to end.
type stalled struct{ files }

func (s stalled) Read(ctx context.Context, _ string) (string, error) {
	<-ctx.Done()
	return "", ctx.Err()
}

// TestBundleDeadline: bundling ends with ctx (the execution's deadline),
// and its error is ctx's.
func TestBundleDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Bundle(ctx, "import { x } from \"./lib/util.ts\";", stalled{lib}, 0)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v; want the deadline's", err)
	}
	if d := time.Since(start); d > 50*time.Millisecond+testenv.Within(time.Second) {
		t.Errorf("took %v", d)
	}
}

// TestBundleExportStar: export * from another file is refused however it
// is written (esbuild's linker follows it along every path: a lattice of
// 50 files never finished), export * as a namespace is not.
func TestBundleExportStar(t *testing.T) {
	ws := files{
		"ns.ts":       "export * as lib from \"./lib/util.ts\";\n",
		"lib/util.ts": lib["lib/util.ts"],
		"hidden.ts":   "export /* a comment */\n  * from './lib/util.ts'\n",
	}
	const n = 50
	for i := range n - 1 {
		ws[fmt.Sprintf("lattice/%d.ts", i)] = fmt.Sprintf("export * from \"./%d.ts\";\nexport * from \"./%d.ts\";\nexport const v%d = 1;\n", i+1, min(i+2, n-1), i)
	}
	ws[fmt.Sprintf("lattice/%d.ts", n-1)] = "export const v = 42;\n"
	const refused = `: export * from another file is not supported in imported files; re-export by name (export { a, b } from "./x.ts") or as a namespace (export * as x from "./x.ts") (line 1)`
	tests := []struct{ code, want string }{
		{"import { v } from \"./lattice/0.ts\";", `cannot import "lattice/?.ts"` + refused},
		{"import { slugify } from \"./hidden.ts\";", `cannot import "hidden.ts"` + refused},
	}
	start := time.Now()
	for _, tt := range tests {
		_, err := Bundle(context.Background(), tt.code, ws, 1<<20)
		if err == nil || latticeFile.ReplaceAllString(err.Error(), `"lattice/?.ts"`) != tt.want {
			t.Errorf("%q: %v\nwant %s", tt.code, err, tt.want)
		}
	}
	if d := time.Since(start); d > testenv.Within(time.Second) {
		t.Errorf("took %v", d)
	}
	out, err := Bundle(context.Background(), "import { lib } from \"./ns.ts\";\nreturn lib.slugify('A B')", ws, 0)
	if err != nil || evaluate(t, out) != "a-b" {
		t.Errorf("export * as: %v", err)
	}
}

var latticeFile = regexp.MustCompile(`"lattice/\d+\.ts"`)

// TestBundleLinkerBound: the costliest shapes left within the limits (a
// chain of maxFiles files re-exporting maxNames names between them, by
// export-from and by import then export) bundle quickly; one name more is
// refused.
func TestBundleLinkerBound(t *testing.T) {
	per := maxNames / maxFiles
	for _, form := range []string{"export { %[1]s } from \"./%[2]d.ts\";\n", "import { %[1]s } from \"./%[2]d.ts\";\nexport { %[1]s };\n"} {
		ws, names := chain(form, maxFiles, per)
		if strings.Contains(form, "import") {
			ws, names = chain(form, maxFiles, per/2)
		}
		start := time.Now()
		_, err := Bundle(context.Background(), "import * as c from \"./c/0.ts\";\nreturn c", ws, 0)
		d := time.Since(start)
		t.Logf("%d files re-exporting %d names: %v", maxFiles, len(names), d)
		if err != nil {
			t.Errorf("%.30q: %v", form, err)
		}
		if d > testenv.Within(time.Second) {
			t.Errorf("%.30q: took %v", form, d)
		}
	}
	ws, _ := chain("export { %[1]s } from \"./%[2]d.ts\";\n", maxFiles/2, 2*per+1)
	_, err := Bundle(context.Background(), "import * as c from \"./c/0.ts\";", ws, 0)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("import and export more than %d names in { } clauses", maxNames)) {
		t.Errorf("%d names: %v", maxFiles/2*(2*per+1), err)
	}
}

// chain is n files c/0.ts … re-exporting per names each from the next, in
// form (names, next index), the last one defining them.
func chain(form string, n, per int) (files, []string) {
	var names []string
	for i := range per {
		names = append(names, fmt.Sprintf("a%d", i))
	}
	ws := files{}
	for i := range n - 1 {
		ws[fmt.Sprintf("c/%d.ts", i)] = fmt.Sprintf(form, strings.Join(names, ", "), i+1)
	}
	ws[fmt.Sprintf("c/%d.ts", n-1)] = "export const " + strings.Join(names, " = 0, ") + " = 0;\n"
	return ws, names
}

// TestBundleSlots: while every slot is taken, a small build goes on, and
// a large one waits for a slot until its deadline.
func TestBundleSlots(t *testing.T) {
	for range cap(slots) {
		slots <- struct{}{}
	}
	defer func() {
		for range cap(slots) {
			<-slots
		}
	}()
	ws := files{"small.ts": "export const s = 1;\n", "large.ts": "export const s = \"" + strings.Repeat("x", smallBuild) + "\";\n"}
	if _, err := Bundle(context.Background(), "import { s } from \"./small.ts\";", ws, 0); err != nil {
		t.Errorf("small: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := Bundle(ctx, "import { s } from \"./large.ts\";", ws, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("large: %v; want it to wait for a slot until its deadline", err)
	}
}

// TestClauseNames: names are counted however they are quoted.
func TestClauseNames(t *testing.T) {
	tests := []struct {
		js   string
		want int
	}{
		{"import { a, b as c } from \"./x\";\nexport { a };\nexport {};\n", 3},
		{"import d, { a } from \"./x\";\nimport * as ns from \"./y\";\n", 1},
		{"export {\n  a,\n  b\n} from \"./x\";\n", 2},
		{"export { x as \"}\", a, b as \"\\\"},\", c } from \"./x\";\n", 4},
		// Text of a template may count, and never hides a clause.
		{"const s = `\nexport { a, b`;\nexport { c };\n", 2},
		{"const s = `\nexport { \"`;\nexport { c, d, e } from \"./x\";\n", 3},
		{"const s = `\nexport { \"\\\n`;\nexport { c, d, e } from \"./x\";\n", 3},
	}
	for _, tt := range tests {
		if got := clauseNames(tt.js); got != tt.want {
			t.Errorf("%q: %d names; want %d", tt.js, got, tt.want)
		}
	}
}

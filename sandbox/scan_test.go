package sandbox

import (
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// peakNesting is the deepest nesting the scanner sees in src.
func peakNesting(src string) int {
	s := &scanner{src: src, max: 1 << 30, line: 1, levels: []level{{}}}
	s.scan()
	return s.peak
}

func TestNesting(t *testing.T) {
	tests := []struct {
		src  string
		want int
	}{
		{"1 + 2", 0},
		{"f(a[0], {b: 1})", 4}, // a call or an index counts one more: its target
		{"f(a[g(0)])", 6},
		{"!!x", 1}, // one operator token
		{"! ! ! x", 3},
		{"typeof typeof x", 2},
		{"a ? b : c ? d : e", 2},
		{"a = b = c", 2},
		{"a == b == c", 0},
		{"a => b => c", 2},
		{"a?.b?.c", 0},
		{"x = 1\ny = 2\nz = 3", 1},
		{"x = 1; y = 2", 1},
		{"f(a = 1, b = 2)", 3},
		{"'((((' + \"[[[[\" + `{{{{`", 0},
		{"`a${`b${c}`}`", 2},
		{"// ((((\n1", 0},
		{"/* [[[[ */ 1", 0},
		{"x = /(a(b))[(]/g.test(s)", 4},
		{"a / (b) / c", 1},
		{"return /[/]((x))/", 2},
		{"new new new X", 3},
		{"a ** b ** c", 2},
		{"for (const a of b) { if (a) { c() } }", 6}, // a statement head counts too
		{"a.b.c.d", 3},
		{"a.b(c).d[e]`f`", 5},
		{"x = 1.5 + 2.5", 1},
		{"f(...a)", 2},
		{"if (a) b()\nelse if (c) d()\nelse if (e) f()", 3},
		{"if (a) if (b) if (c) d()", 5},
	}
	for _, tt := range tests {
		if got := peakNesting(tt.src); got != tt.want {
			t.Errorf("peakNesting(%q) = %d; want %d", tt.src, got, tt.want)
		}
	}
}

// TestNestingRealCode: ordinary code, like the prelude, stays far below
// the limit.
func TestNestingRealCode(t *testing.T) {
	for name, src := range map[string]string{"prelude.js": preludeSource, "guards.js": guardSource} {
		if got := peakNesting(src); got > 30 {
			t.Errorf("%s nests %d levels; want few", name, got)
		}
	}
}

// deepSources are the constructs that make a recursive parser recurse once
// per repetition, at the size of the code limit.
func deepSources(n int) map[string]string {
	return map[string]string{
		"parens":    strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
		"arrays":    strings.Repeat("[", n) + strings.Repeat("]", n),
		"objects":   strings.Repeat("{a:", n) + "1" + strings.Repeat("}", n),
		"blocks":    strings.Repeat("{", n) + strings.Repeat("}", n),
		"unary":     strings.Repeat("!", n) + "1",
		"minus":     strings.Repeat("- ", n/2) + "1",
		"typeof":    strings.Repeat("typeof ", n/7) + "1",
		"ternary":   strings.Repeat("a?b:", n/4) + "c",
		"assign":    strings.Repeat("a=", n/2) + "1",
		"assign-nl": strings.Repeat("a=\n", n/3) + "1",
		"arrows":    strings.Repeat("a=>", n/3) + "1",
		"new":       strings.Repeat("new ", n/4) + "a",
		"power":     strings.Repeat("2**", n/3) + "1",
		"template":  strings.Repeat("`${", n/3) + strings.Repeat("}`", n/3),
		"functions": strings.Repeat("function f(){", n/13) + strings.Repeat("}", n/13),
		"ifs":       strings.Repeat("if(x)", n/5) + ";",
		"whiles":    strings.Repeat("while(x)", n/8) + ";",
		"members":   "x" + strings.Repeat(".a", n/2),
		"calls":     "x" + strings.Repeat("(1)", n/3),
		"regexp":    "/" + strings.Repeat("(", n/2) + strings.Repeat(")", n/2) + "/",
	}
}

// TestDeepSourceRejected: each construct is refused before parsing, at
// every size from just over the limit to the code-size limit.
func TestDeepSourceRejected(t *testing.T) {
	for _, n := range []int{maxNesting * 20, DefaultMaxCodeBytes - 10} {
		for name, src := range deepSources(n) {
			if err := checkSource(src, DefaultMaxCodeBytes); err == nil {
				t.Errorf("%s (%d bytes): accepted", name, len(src))
			}
		}
	}
}

// TestDeepSourceBelowLimitParses: just below the limit, goja parses each
// construct quickly (no quadratic blow-up left within the limit).
func TestDeepSourceBelowLimitParses(t *testing.T) {
	for name, src := range deepSources(maxNesting / 2) {
		if err := checkSource(src, DefaultMaxCodeBytes); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		start := time.Now()
		_, _ = parser.ParseFile(nil, "x.js", src, 0)
		if d := time.Since(start); d > testenv.Within(time.Second) {
			t.Errorf("%s: parsing took %v", name, d)
		}
	}
}

func FuzzNesting(f *testing.F) {
	for _, s := range []string{"(a", "`${`", "/[/", "a=>b", "'\\", "/*", "}}}", "x\n=y", "?.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_, _ = nestingWithin(src, 10)
		if p := peakNesting(src); p > len(src) {
			t.Errorf("peak %d for %d bytes", p, len(src))
		}
	})
}

// TestCheckSource: the check exported for text parsed outside Run (the
// files a bundler imports) says what Run would say of the same code.
func TestCheckSource(t *testing.T) {
	deep := "const a = 1;\nexport const x = " + strings.Repeat("[", 600) + strings.Repeat("]", 600)
	tests := []struct {
		src  string
		max  int
		want string
	}{
		{"export const x = [[1]];", 100, ""},
		{deep, 2000, "SyntaxError: the code nests more than 500 levels deep; flatten it (line 2)"},
		{strings.Repeat("x", 101), 100, "SyntaxError: the code is 101 bytes; the limit is 100 bytes"},
	}
	for _, tt := range tests {
		got := ""
		if err := CheckSource(tt.src, tt.max); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%.30q: %q; want %q", tt.src, got, tt.want)
		}
	}
}

// TestLongExpressions: an expression of more operators than maxOperators
// is refused before parsing (goja's compiler takes quadratic time in
// them, uninterruptibly: the 120,000 "+1" within the size limit took
// 100 s), however its operators are spelled; at the limit each shape
// compiles quickly, and statements or lists of any length are fine.
func TestLongExpressions(t *testing.T) {
	shapes := map[string]string{"plus": "+x", "minus": "-1", "concat": "+'a'", "and": "&&x", "optional": "?.a", "parens": "+(x)", "newlines": "\n+ x"}
	for name, op := range shapes {
		over := "let x = 1;\nreturn x" + strings.Repeat(op, maxOperators+1)
		want := "SyntaxError: the code has an expression of more than 500 operators; split it (line 2)"
		if name == "newlines" {
			want = "SyntaxError: the code has an expression of more than 500 operators; split it (line 503)"
		}
		if err := checkSource(over, DefaultMaxCodeBytes); err == nil || err.Error() != want {
			t.Errorf("%s over the limit: %v; want %s", name, err, want)
		}
		at := "(function () { let x = 1; return x" + strings.Repeat(op, maxOperators) + " })()"
		if err := checkSource(at, DefaultMaxCodeBytes); err != nil {
			t.Errorf("%s at the limit: %v", name, err)
			continue
		}
		prg, err := parser.ParseFile(nil, "x.js", at, 0)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		start := time.Now()
		if _, err := goja.CompileAST(prg, false); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if d := time.Since(start); d > testenv.Within(100*time.Millisecond) {
			t.Errorf("%s at the limit: compiling took %v", name, d)
		}
	}
	for name, src := range map[string]string{
		"statements": strings.Repeat("x + 1;\n", 2*maxOperators),
		"asi":        strings.Repeat("x + 1\n", 2*maxOperators),
		"list":       "f(" + strings.Repeat("a + 1, ", 2*maxOperators) + "0)",
		"array":      "[" + strings.Repeat("a + 1, ", 2*maxOperators) + "]",
		"nested":     strings.Repeat("x + (1 + 2) + ", maxOperators/3) + "x",
	} {
		if err := checkSource(src, DefaultMaxCodeBytes); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestLongPostfixChains: member accesses, calls, indexes and tags on one
// operand count as nesting (esbuild and goja recurse once per level: a
// chain of 130,000 ".a", within the size limit, held 935 MB of esbuild's
// stack and took 0.9 s); method chains of real code stay far below.
func TestLongPostfixChains(t *testing.T) {
	for name, op := range map[string]string{"member": ".a", "index": "[0]", "call": "()", "tag": "``", "mixed": ".a(1)[0]", "non-null": ".a!"} {
		src := "let x: any = {};\nx" + strings.Repeat(op, maxNesting+1)
		want := "SyntaxError: the code nests more than 500 levels deep; flatten it (line 2)"
		if err := checkSource(src, DefaultMaxCodeBytes); err == nil || err.Error() != want {
			t.Errorf("%s: %v; want %s", name, err, want)
		}
	}
	// The operands of an expression do not nest in each other: a
	// conditional of calls (prettier's TypeScript plugin has one of 160),
	// and consecutive declarations (478 functions in one block).
	for name, src := range map[string]string{
		"conditional":  strings.Repeat("f(a.b) ? g(a.c) : ", maxNesting/2) + "h(a)",
		"functions":    strings.Repeat("function f(a) { return a.b }", maxNesting),
		"declarations": strings.Repeat("function f() {}\nx.a.b.c;\n", maxNesting),
	} {
		if err := checkSource(src, DefaultMaxCodeBytes); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	real := "const rows = (await t.list({})).items.filter((r) => r.ok).map((r) => ({ id: r.id, name: r.name.trim() })).slice(0, 10);\n" +
		"if (rows.length) console.log(rows[0].name.toUpperCase().split(' ').join('-'))\nelse if (x) y()\nelse z()\n"
	if p := peakNesting(real); p > 20 {
		t.Errorf("real code nests %d", p)
	}
}

// sequence is n expressions joined by commas, each made by item(i).
func sequence(n int, item func(i int) string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = item(i)
	}
	return strings.Join(items, ", ")
}

// TestCommaSequences: a comma operator sequence of more than maxSequence
// expressions is refused wherever an expression may hold one (esbuild's
// printer takes time quadratic in its length, with either loader: 16,000
// took 3 s); at the limit each is accepted.
func TestCommaSequences(t *testing.T) {
	shapes := map[string]func(seq string) string{
		"statement": func(seq string) string { return seq + ";" },
		"parens":    func(seq string) string { return "const v: number = (" + seq + ");" },
		"body":      func(seq string) string { return "function f(): void { " + seq + " }" },
		"generic":   func(seq string) string { return "async function f(): Promise<void> { " + seq + " }" },
		"method":    func(seq string) string { return "class A { m(a: number) { " + seq + " } }" },
		"arrow":     func(seq string) string { return "const f = () => { " + seq + " };" },
		"export":    func(seq string) string { return "export function f() { " + seq + " }" },
		"export-arrow": func(seq string) string {
			return "export const f = (x: number) => { " + seq + " };"
		},
		"namespace": func(seq string) string { return "namespace N { " + seq + " }" },
		"if":        func(seq string) string { return "if (" + seq + ") {}" },
		"if-body":   func(seq string) string { return "if (x) " + seq + ";" },
		"else":      func(seq string) string { return "if (x) {} else { " + seq + " }" },
		"for":       func(seq string) string { return "for (let i = 0; i < 1; " + seq + ") {}" },
		"for-init":  func(seq string) string { return "for (" + seq + "; ;) {}" },
		"case":      func(seq string) string { return "switch (x) { case 1: { " + seq + " } }" },
		"label":     func(seq string) string { return "l: { " + seq + " }" },
		"index":     func(seq string) string { return "x[" + seq + "];" },
		"template":  func(seq string) string { return "`${" + seq + "}`;" },
		"argument":  func(seq string) string { return "f((" + seq + "));" },
		"return":    func(seq string) string { return "function f() { return " + seq + " }" },
		"object":    func(seq string) string { return "x = { a: (" + seq + ") };" },
	}
	items := map[string]func(int) string{"names": func(int) string { return "x" }, "calls": func(int) string { return "g()" }}
	for name, shape := range shapes {
		for kind, item := range items {
			over := "let x = 1;\n" + shape(sequence(maxSequence+1, item))
			want := "SyntaxError: the code has a comma sequence of more than 500 expressions; split it (line 2)"
			if err := checkSource(over, DefaultMaxCodeBytes); err == nil || err.Error() != want {
				t.Errorf("%s of %s over the limit: %v; want %s", name, kind, err, want)
			}
			if err := checkSource("let x = 1;\n"+shape(sequence(maxSequence, item)), DefaultMaxCodeBytes); err != nil {
				t.Errorf("%s of %s at the limit: %v", name, kind, err)
			}
		}
	}
	seq := sequence(maxSequence+1, func(int) string { return "x" })
	for name, src := range map[string]string{
		"let-name":     "let, " + seq,                   // let is a name here, not a declaration
		"after-string": "x = 'a'\n{ " + seq + " }",      // a block after automatic semicolon insertion
		"after-regexp": "x = /a/\n{ " + seq + " }",      // the same
		"directive":    "'use strict'\n{ " + seq + " }", // the same
	} {
		if err := checkSource(src, DefaultMaxCodeBytes); err == nil || !strings.Contains(err.Error(), "comma sequence") {
			t.Errorf("%s: %v; want a comma sequence refused", name, err)
		}
	}
}

// TestLists: the items of a list are no comma sequence (esbuild keeps them
// flat: 16,000 arguments or array items take milliseconds), however many.
func TestLists(t *testing.T) {
	n := 4 * maxSequence
	name := func(i int) string { return "a" + strconv.Itoa(i) }
	lists := map[string]string{
		"arguments":      "f(" + sequence(n, name) + ");",
		"new":            "new F(" + sequence(n, name) + ");",
		"array":          "x = [" + sequence(n, name) + "];",
		"object":         "x = {" + sequence(n, name) + "};",
		"object-values":  "x = {" + sequence(n, func(i int) string { return name(i) + ": " + name(i) }) + "};",
		"return-object":  "function f() { return {" + sequence(n, name) + "} }",
		"arrow-object":   "const f = () => ({" + sequence(n, name) + "});",
		"nested-object":  "x = { a: {" + sequence(n, name) + "} };",
		"ternary-object": "x = y ? {" + sequence(n, name) + "} : {};",
		"parameters":     "function f(" + sequence(n, name) + ") {}",
		"anonymous":      "x = function (" + sequence(n, name) + ") {};",
		"method":         "class A { m(" + sequence(n, name) + ") {} }",
		"arrow":          "const f = (" + sequence(n, name) + ") => 1;",
		"typed-arrow":    "const f = (" + sequence(n, func(i int) string { return name(i) + ": number" }) + ") => 1;",
		"declarators":    "let " + sequence(n, func(i int) string { return name(i) + " = 1" }) + ";",
		"var-asi":        "var " + sequence(n, func(i int) string { return name(i) + " = f()" }) + "\nx = 1",
		"for-let":        "for (let " + sequence(n, func(i int) string { return name(i) + " = 0" }) + "; ;) {}",
		"array-pattern":  "const [" + sequence(n, name) + "] = x;",
		"object-pattern": "const {" + sequence(n, name) + "} = x;",
		"import":         "import { " + sequence(n, name) + " } from './m.ts';",
		"export":         "export { " + sequence(n, name) + " };",
		"export-default": "export default { " + sequence(n, name) + " };",
		"enum":           "enum E { " + sequence(n, name) + " }",
		"export-enum":    "export enum E { " + sequence(n, name) + " }",
		"interface":      "interface I { " + sequence(n, func(i int) string { return name(i) + ": number" }) + " }",
		"statements":     strings.Repeat("x, y;\n", n),
	}
	for name, src := range lists {
		if err := checkSource(src, DefaultMaxCodeBytes); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRealCodeAccepted: no JavaScript file of npm/node_modules (3,705:
// TypeScript, prettier's plugins, lodash, minified bundles) is refused by
// the pre-scan; the longest comma sequence among them is TypeScript's
// SyntaxKind enum, compiled and minified in prettier's TypeScript plugin
// (397 expressions).
func TestRealCodeAccepted(t *testing.T) {
	n := checkTree(t, testenv.NodeModules(t))
	if n < 1000 {
		t.Fatalf("%d JavaScript files in npm/node_modules: run `npm ci --prefix npm` first", n)
	}
	t.Logf("%d JavaScript files", n)
}

// checkTree reports each JavaScript file under dir that checkSource
// refuses, and returns how many it checked.
func checkTree(t *testing.T, dir string) int {
	n := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".js") && !strings.HasSuffix(path, ".mjs") && !strings.HasSuffix(path, ".cjs") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if problem, line := SourceProblem(string(src)); problem != "" {
			t.Errorf("%s: line %d %s", path, line, problem)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

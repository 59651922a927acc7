package sandbox

import (
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
	for name, op := range map[string]string{"member": ".a", "index": "[0]", "call": "()", "tag": "``", "mixed": ".a(1)[0]"} {
		src := "let x: any = {};\nx" + strings.Repeat(op, maxNesting+1)
		want := "SyntaxError: the code nests more than 500 levels deep; flatten it (line 2)"
		if err := checkSource(src, DefaultMaxCodeBytes); err == nil || err.Error() != want {
			t.Errorf("%s: %v; want %s", name, err, want)
		}
	}
	real := "const rows = (await t.list({})).items.filter((r) => r.ok).map((r) => ({ id: r.id, name: r.name.trim() })).slice(0, 10);\n" +
		"if (rows.length) console.log(rows[0].name.toUpperCase().split(' ').join('-'))\nelse if (x) y()\nelse z()\n"
	if p := peakNesting(real); p > 20 {
		t.Errorf("real code nests %d", p)
	}
}

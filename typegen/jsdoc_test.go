package typegen

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCleanText(t *testing.T) {
	long := strings.Repeat("word ", 200)
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "Read a file.", 500, "Read a file."},
		{"whitespace collapsed", "  a\n\n b\t\tc \r\n", 500, "a b c"},
		{"comment end", "a */ b", 500, `a *\/ b`},
		{"comment end repeated", "**/*/", 500, `**\/*\/`},
		{"comment start kept", "a /* b", 500, "a /* b"},
		{"control characters dropped", "a\x00b\x07c\x1bd\u0085e", 500, "abcd e"},
		{"format characters dropped", "a\u200bb\ufeffc", 500, "abc"},
		{"line separators are spaces", "a\u2028b\u2029c", 500, "a b c"},
		{"invalid UTF-8 replaced", "a\xffb", 500, "a\uFFFDb"},
		{"cut at a word", long, 20, "word word word word…"},
		{"cut counts runes", strings.Repeat("é", 10), 5, "éééé…"},
		{"cut without a space nearby", strings.Repeat("x", 100), 10, "xxxxxxxxx…"},
		{"not cut at the limit", "abcde", 5, "abcde"},
		{"cut cannot split an escape", "abc*/def", 5, "abc*…"},
		{"no limit", long, 0, strings.TrimSpace(long)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, cleanText(tt.in, tt.max)); diff != "" {
				t.Errorf("cleanText(%q, %d) (-want +got):\n%s", tt.in, tt.max, diff)
			}
		})
	}
}

// hostileTexts are descriptions that try to end a comment early, start a new
// one, break a line, or carry characters that do not belong in source.
var hostileTexts = []string{
	"*/",
	"*/ declare const pwned: number; /*",
	"/* nested /* comment */ */",
	"ends with a star *",
	"ends with a slash /",
	"**/",
	"*\\/ already escaped",
	"line\nbreak */\n@param x",
	"nul\x00bell\x07escape\x1b[31mred",
	"\u2028\u2029\u0085",
	"\xff\xfe invalid UTF-8",
	"`${backtick}`",
	strings.Repeat("long text */ ", 100),
	strings.Repeat("*", 499) + "/",
}

// injectionNamespace carries every hostile text in every place text reaches
// the output: namespace, tool and property descriptions, defaults, formats,
// patterns, enum values, property names and $refs.
func injectionNamespace() Namespace {
	ns := Namespace{Name: "injection", Description: strings.Join(hostileTexts, " ")}
	for i, text := range hostileTexts {
		q, _ := json.Marshal(text)
		s := string(q)
		schema := `{"type":"object","properties":{` +
			`"a":{"type":"string","description":` + s + `,"default":` + s + `,"format":` + s + `,"pattern":` + s + `},` +
			`"b":{"enum":[` + s + `]},` + s + `:{"$ref":` + s + `},` +
			`"c":{"$ref":"#/$defs/d"}},"$defs":{"d":{"description":` + s + `,"type":"object","properties":{"d":{"$ref":"#/$defs/d"}}}}}`
		ns.Tools = append(ns.Tools, Tool{
			Name:         "t" + string(rune('a'+i)),
			Description:  text,
			InputSchema:  json.RawMessage(schema),
			OutputSchema: json.RawMessage(schema),
		})
	}
	return ns
}

// TestInjectionComments checks that no hostile text can end a comment: every
// "/*" the output opens is closed by the very "*/" the generator wrote.
func TestInjectionComments(t *testing.T) {
	out := Declarations([]Namespace{injectionNamespace()}, Options{})
	if err := checkComments(out); err != "" {
		t.Fatal(err)
	}
}

// checkComments scans TypeScript text the way a lexer does, skipping string
// literals, and reports a comment that does not close on the line it opens
// or a "*/" outside any comment: the sign that text closed a comment early
// and the generator's own "*/" was left over.
func checkComments(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if msg := checkLine(line); msg != "" {
			return msg + ": " + line
		}
	}
	return ""
}

func checkLine(line string) string {
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '"':
			end := stringEnd(line, i)
			if end < 0 {
				return "unterminated string"
			}
			i = end
		case strings.HasPrefix(line[i:], "/*"):
			end := strings.Index(line[i+2:], "*/")
			if end < 0 {
				return "unterminated comment"
			}
			i += 2 + end + 1
		case strings.HasPrefix(line[i:], "*/"):
			return "comment end outside a comment"
		case strings.HasPrefix(line[i:], "//"):
			return "line comment"
		}
	}
	return ""
}

// stringEnd returns the index of the quote that ends the string literal
// starting at line[i], or -1.
func stringEnd(line string, i int) int {
	for j := i + 1; j < len(line); j++ {
		switch line[j] {
		case '\\':
			j++
		case '"':
			return j
		}
	}
	return -1
}

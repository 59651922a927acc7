package typegen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// maxTokenRatio is the most the declarations of the corpus may cost, in
// tokens, against the JSON a tool-calling API would send for the same tools.
const maxTokenRatio = 0.6

// byName orders a namespace's tools by name, as the registry does, so that
// what is measured is what the model reads.
func byName(ns Namespace) Namespace {
	ns.Tools = slices.Clone(ns.Tools)
	slices.SortFunc(ns.Tools, func(a, b Tool) int { return strings.Compare(a.Name, b.Name) })
	return ns
}

// tokenRow is one line of tokens.mjs --json.
type tokenRow struct {
	File  string  `json:"file"`
	JSON  int     `json:"json"`
	TS    int     `json:"ts"`
	Ratio float64 `json:"ratio"`
}

// TestTokens counts, with the real o200k tokenizer (testdata/tokens.mjs),
// what the declarations of each corpus file cost against the JSON
// [{name, description, input_schema}] of its tools, and holds the total to
// maxTokenRatio. The declarations also carry result types, which the JSON
// lacks.
func TestTokens(t *testing.T) {
	node, modules := testenv.Node(t), testenv.NodeModules(t)
	testenv.Package(t, "gpt-tokenizer")
	dir := t.TempDir()
	args := []string{filepath.Join("testdata", "tokens.mjs"), modules, "--json"}
	for _, path := range corpusFiles(t) {
		ns := byName(loadNamespace(t, path))
		out := filepath.Join(dir, ns.Name+".ts")
		if err := os.WriteFile(out, []byte(Declarations([]Namespace{ns}, Options{})), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, path+"="+out)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(node, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tokens.mjs: %v\n%s", err, stderr.String())
	}
	var total tokenRow
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var r tokenRow
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("tokens.mjs printed %q: %v", sc.Text(), err)
		}
		t.Logf("%-32s JSON %5d  TS %5d  ratio %.3f", r.File, r.JSON, r.TS, r.Ratio)
		if r.File == "total" {
			total = r
		}
	}
	if total.JSON == 0 {
		t.Fatalf("tokens.mjs printed no total:\n%s", out)
	}
	if total.Ratio > maxTokenRatio {
		t.Errorf("declarations cost %.3f of the JSON tokens, more than %.2f", total.Ratio, maxTokenRatio)
	}
}

// TestNothingLost checks that the declarations of every corpus file keep
// what a valid call needs: the text of every description (whitespace
// collapsed, cut only beyond the cap), every enum and const value, and every
// required name as a required member.
func TestNothingLost(t *testing.T) {
	for _, path := range corpusFiles(t) {
		ns := byName(loadNamespace(t, path))
		t.Run(ns.Name, func(t *testing.T) {
			out := Declarations([]Namespace{ns}, Options{})
			for _, tool := range ns.Tools {
				expectText(t, out, tool.Description, "description of "+tool.Name)
				for _, schema := range []json.RawMessage{tool.InputSchema, tool.OutputSchema} {
					var v any
					if len(schema) > 0 {
						if err := json.Unmarshal(schema, &v); err != nil {
							t.Fatal(err)
						}
					}
					checkKept(t, out, tool.Name, v)
				}
			}
		})
	}
}

// checkKept walks a schema for what must be in the declarations.
func checkKept(t *testing.T, out, tool string, v any) {
	switch v := v.(type) {
	case []any:
		for _, e := range v {
			checkKept(t, out, tool, e)
		}
	case map[string]any:
		if d, ok := v["description"].(string); ok {
			expectText(t, out, d, tool+" description")
		}
		for _, e := range append(asList(v["enum"]), v["const"]) {
			if s, ok := e.(string); ok && !strings.Contains(out, quote(s)) {
				t.Errorf("%s: enum value %s missing", tool, quote(s))
			}
		}
		for _, r := range asList(v["required"]) {
			if name, ok := r.(string); ok && !strings.Contains(out, propertyName(name)+": ") {
				t.Errorf("%s: required %s missing", tool, name)
			}
		}
		for k, c := range v {
			if k != "enum" && k != "const" && k != "default" && k != "examples" {
				checkKept(t, out, tool, c)
			}
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// expectText checks that text, as a comment shows it, is in out: whitespace
// collapsed, "*/" escaped, and only its start when it is over the cap.
func expectText(t *testing.T, out, text, what string) {
	t.Helper()
	want := escapeComment(strings.Join(strings.Fields(text), " "))
	if len([]rune(want)) > defaultMaxDescription {
		want = string([]rune(want)[:defaultMaxDescription-40])
	}
	if want != "" && !strings.Contains(out, want) {
		t.Errorf("%s missing: %q", what, want)
	}
}

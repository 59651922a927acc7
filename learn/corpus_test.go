package learn

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/internal/toolsfile"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// TestCorpus replays the recorded results of the reference servers of the
// corpus (testdata/results.json, made by testdata/record.ts: ten calls of
// each tool with varied arguments) through the inference, and reports how
// many tools have a concrete type after 1, 3 and 10 results, and how many
// have then reached the type of all ten. Every tool is learned as if it
// declared no outputSchema; for those that declare one, the log compares.
// The declarations compile under tsc --strict, and each recorded result is
// assignable to its tool's learned type.
func TestCorpus(t *testing.T) {
	results := readResults(t)
	var nss []typegen.Namespace
	var checks strings.Builder
	counts := map[int][2]int{} // after n results: concrete, as after ten
	structured, withSchema, agree := 0, 0, 0
	for _, server := range []string{"everything", "filesystem", "memory"} {
		ns := typegen.Namespace{Name: server}
		list := readTools(t, server)
		methods := typegen.MethodNames(list.Names())
		for i, tool := range list.Tools {
			recorded := results[server+"."+tool.Name]
			tt := typegen.Tool{Name: methods[i], Original: tool.Name, Description: tool.Description, InputSchema: tool.InputSchema}
			if len(recorded) == 0 {
				ns.Tools = append(ns.Tools, tt)
				continue
			}
			shapes := learnEach(t, recorded)
			final := typegen.TypeOf(shapes[len(shapes)-1].Schema())
			for _, n := range []int{1, 3, 10} {
				s := shapes[min(n, len(shapes))-1]
				c := counts[n]
				if s.Concrete() {
					c[0]++
				}
				if typegen.TypeOf(s.Schema()) == final {
					c[1]++
				} else {
					t.Logf("%s.%s after %d results: %s; after ten: %s", server, tool.Name, n, noComments(typegen.TypeOf(s.Schema())), noComments(final))
				}
				counts[n] = c
			}
			if final != "string" {
				structured++
			}
			if len(tool.OutputSchema) > 0 {
				declared, same := typegen.TypeOf(tool.OutputSchema), false
				if same = noComments(declared) == noComments(final); same {
					agree++
				}
				withSchema++
				t.Logf("%s.%s declares %s; learned %s (same: %v)", server, tool.Name, noComments(declared), noComments(final), same)
			}
			tt.OutputSchema, tt.Observed = shapes[len(shapes)-1].Schema(), int64(len(recorded))
			ns.Tools = append(ns.Tools, tt)
			for j, r := range recorded {
				fmt.Fprintf(&checks, "const %s_%s_%d: Awaited<ReturnType<typeof %s.%s>> = %s;\n", server, methods[i], j, server, methods[i], r)
			}
		}
		nss = append(nss, ns)
	}
	tools := len(results)
	for _, n := range []int{1, 3, 10} {
		t.Logf("after %2d results: %d of %d recorded tools have a concrete type; %d have the type of all ten", n, counts[n][0], tools, counts[n][1])
	}
	t.Logf("%d of %d learned types are more than string; of the %d tools that declare an outputSchema, %d learned the declared type (less its JSDoc)",
		structured, tools, withSchema, agree)
	if counts[10][0] != tools {
		t.Errorf("after ten results %d of %d tools have a concrete type", counts[10][0], tools)
	}
	decls := typegen.Declarations(nss, typegen.Options{})
	tsc(t, map[string]string{"decls.ts": decls, "check.ts": checks.String()})
}

func learnEach(t *testing.T, recorded []json.RawMessage) []*Shape {
	var s *Shape
	var out []*Shape
	for _, r := range recorded {
		one, err := Of(r)
		if err != nil {
			t.Fatal(err)
		}
		s = Merge(s, one)
		out = append(out, s)
	}
	return out
}

// noComments is a type on one line, without its JSDoc.
func noComments(s string) string {
	s = regexp.MustCompile(`/\*\*.*?\*/`).ReplaceAllString(s, "")
	s = strings.Join(strings.Fields(s), " ")
	return strings.NewReplacer("; }", " }", "{ ", "{ ").Replace(s)
}

func readResults(t *testing.T) map[string][]json.RawMessage {
	data, err := os.ReadFile("testdata/results.json")
	if err != nil {
		t.Fatal(err)
	}
	var out map[string][]json.RawMessage
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func readTools(t *testing.T, server string) toolsfile.List {
	t.Helper()
	l, err := toolsfile.Read(filepath.Join("testdata", server+".tools.json"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// tsc compiles files with tsc --strict and fails t with its errors.
func tsc(t *testing.T, files map[string]string) {
	t.Helper()
	dir := t.TempDir()
	args := []string{"--strict", "--noEmit", "--target", "es2022", "--lib", "es2022", "--pretty", "false"}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(files[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, name)
	}
	cmd := exec.Command(testenv.Bin(t, "tsc"), args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("tsc --strict: %v\n%.4000s", err, out)
	}
}

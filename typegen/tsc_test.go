package typegen

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// zooCase is one schema of testdata/zoo (see its README.md).
type zooCase struct {
	Name         string          `json:"name"`
	Schema       json.RawMessage `json:"schema"`
	OutputSchema json.RawMessage `json:"outputSchema"`
	CompileOnly  string          `json:"compileOnly"` // how the reference departs from the schema
}

func loadZoo(t testing.TB) []zooCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "zoo", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no zoo files: %v", err)
	}
	var cases []zooCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c zooCase
		if err := json.Unmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cases = append(cases, c)
	}
	return cases
}

// zooNamespace declares every zoo schema as the input (and output, when
// given) of one tool each, under namespace zoo.
func zooNamespace(t testing.TB) Namespace {
	cases := loadZoo(t)
	raw := make([]string, len(cases))
	for i, c := range cases {
		raw[i] = strings.TrimPrefix(c.Name, "e2e/")
	}
	names := MethodNames(raw)
	ns := Namespace{Name: "zoo", Description: "Schemas from json-schema-to-typescript's end-to-end tests."}
	for i, c := range cases {
		ns.Tools = append(ns.Tools, Tool{Name: names[i], Description: c.Name, InputSchema: c.Schema, OutputSchema: c.OutputSchema})
	}
	return ns
}

// featureNamespace declares every schema of the expectTS tables, so that
// tsc checks each feature's output too, not only its text.
func featureNamespace() Namespace {
	ns := Namespace{Name: "features"}
	for i, c := range allFeatureCases() {
		ns.Tools = append(ns.Tools, Tool{
			Name:         "f" + strconv.Itoa(i),
			InputSchema:  json.RawMessage(`{"type":"object","properties":{"x":` + c.schema + `}}`),
			OutputSchema: json.RawMessage(c.schema),
		})
	}
	return ns
}

// checkFile asserts, for tsc, that typeof N.T is a function returning a
// Promise for every tool T of every namespace N.
func checkFile(ns []Namespace) string {
	var b strings.Builder
	n := 0
	for _, s := range ns {
		for _, tool := range s.Tools {
			access := s.Name + "." + tool.Name
			if !isIdentifier(tool.Name) {
				access = s.Name + "[" + quote(tool.Name) + "]"
			}
			fmt.Fprintf(&b, "type _check%d = (typeof %s) extends (...a: any[]) => Promise<any> ? true : never;\n", n, access)
			fmt.Fprintf(&b, "const _c%d: _check%d = true;\n", n, n)
			n++
		}
	}
	return b.String()
}

// tscError is one error tsc reported.
type tscError struct {
	file      string
	line, col int
	msg, src  string // the message, and the source line it points at
}

func (e tscError) String() string {
	return fmt.Sprintf("%s:%d:%d: %s\n\t%s", e.file, e.line, e.col, e.msg, e.src)
}

// tscRun compiles files (name → contents) with
// tsc --strict --noEmit --target es2022 --lib es2022 in one invocation, and
// returns its errors; other output it could not parse fails t.
func tscRun(t *testing.T, files map[string]string) []tscError {
	t.Helper()
	tsc := testenv.Bin(t, "tsc")
	dir := t.TempDir()
	args := []string{"--strict", "--noEmit", "--target", "es2022", "--lib", "es2022", "--pretty", "false"}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, name)
	}
	cmd := exec.Command(tsc, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	errLine := regexp.MustCompile(`^(\S+)\((\d+),(\d+)\): (.*)$`)
	var errs []tscError
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		m := errLine.FindStringSubmatch(line)
		if m == nil {
			if strings.HasPrefix(line, " ") && len(errs) > 0 { // a message's continuation
				errs[len(errs)-1].msg += "\n" + line
				continue
			}
			t.Errorf("tsc: %v: %s", err, line)
			continue
		}
		e := tscError{file: m[1], msg: m[4]}
		e.line, _ = strconv.Atoi(m[2])
		e.col, _ = strconv.Atoi(m[3])
		if src := strings.Split(files[e.file], "\n"); e.line-1 < len(src) {
			e.src = src[e.line-1]
		}
		errs = append(errs, e)
	}
	if len(errs) == 0 {
		t.Errorf("tsc: %v\n%s", err, out)
	}
	return errs
}

// tscCheck compiles files in one tsc run, and reports each error with the
// source line it points at.
func tscCheck(t *testing.T, files map[string]string) {
	t.Helper()
	for i, e := range tscRun(t, files) {
		if i == 30 {
			t.Errorf("... more errors")
			break
		}
		t.Errorf("%s", e)
	}
}

// TestCompiles compiles, in one tsc run, the declarations of every corpus
// file, every zoo schema, every feature-table schema and the JSDoc-injection
// cases and tools named after keywords, with a check that typeof N.T is a function for every tool.
func TestCompiles(t *testing.T) {
	var ns []Namespace
	for _, path := range corpusFiles(t) {
		ns = append(ns, loadNamespace(t, path))
	}
	ns = append(ns, zooNamespace(t), featureNamespace(), injectionNamespace(), keywordNamespace())
	ns = append(ns, collisionNamespaces()...)
	decls := Declarations(ns, Options{})
	tscCheck(t, map[string]string{"decls.ts": decls, "check.ts": checkFile(ns)})
}

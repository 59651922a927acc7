package openapi

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// octokitSample are GitHub operations whose types are compared with
// @octokit/openapi-types: operationId, and the 2xx status of the result.
var octokitSample = []struct{ id, status string }{
	{"issues/create", "201"}, {"issues/get", "200"}, {"issues/list-for-repo", "200"}, {"issues/update", "200"},
	{"issues/create-comment", "201"}, {"pulls/create", "201"}, {"pulls/get", "200"}, {"pulls/list", "200"},
	{"pulls/merge", "200"}, {"repos/get", "200"}, {"repos/list-for-org", "200"}, {"repos/get-content", "200"},
	{"users/get-authenticated", "200"}, {"search/code", "200"}, {"git/create-ref", "201"}, {"actions/list-workflow-runs", "200"},
}

// octokitDiffs are the comparisons known not to hold both ways, and why.
var octokitDiffs = map[string]string{}

// TestOctokitTypes checks, for each sampled operation, that our argument
// type (parameters and body) and result type are assignable to Octokit's
// and back: the same types, from the same document, by another generator.
func TestOctokitTypes(t *testing.T) {
	api, err := Load(Options{Spec: githubSpec(t)})
	if err != nil {
		t.Fatal(err)
	}
	decls := typegen.Declarations([]typegen.Namespace{namespace("github", api)}, typegen.Options{})
	byID := map[string]*Operation{}
	for _, op := range api.Operations {
		byID[op.OperationID] = op
	}
	var b strings.Builder
	b.WriteString("import type { operations } from \"@octokit/openapi-types\";\n")
	b.WriteString("type Get<T, K> = K extends keyof T ? T[K] : {};\n")
	b.WriteString("type Flat<T> = { [K in keyof T]: T[K] };\n")
	// Octokit types format int64 as number | bigint; JSON.parse never
	// makes a bigint, and we say number. The comparison leaves bigint out.
	b.WriteString("type NoBig<T> = T extends bigint ? never : T extends object ? { [K in keyof T]: NoBig<T[K]> } : T;\n")
	var checks []string
	for _, s := range octokitSample {
		op := byID[s.id]
		if op == nil {
			t.Fatalf("no operation %s", s.id)
		}
		m := typegen.MethodNames([]string{op.Name})[0]
		o := fmt.Sprintf("operations[%q]", s.id)
		fmt.Fprintf(&b, "namespace %s {\n", m)
		fmt.Fprintf(&b, "  type Ours = NonNullable<Parameters<typeof github.%s>[0]>;\n", m)
		fmt.Fprintf(&b, "  type Theirs = NoBig<Flat<Get<Get<%s, \"parameters\">, \"path\"> & Get<Get<%s, \"parameters\">, \"query\"> & (%s extends { requestBody: { content: { \"application/json\": infer B } } } ? { body: B } : %s extends { requestBody?: { content: { \"application/json\": infer B } } } ? { body?: B } : {})>>;\n", o, o, o, o)
		fmt.Fprintf(&b, "  type OurResult = Awaited<ReturnType<typeof github.%s>>;\n", m)
		fmt.Fprintf(&b, "  type TheirResult = NoBig<%s[\"responses\"][%q][\"content\"][\"application/json\"]>;\n", o, s.status)
		for _, c := range []string{"args, ours → Octokit's:Theirs:Ours", "args, Octokit's → ours:Ours:Theirs",
			"result, ours → Octokit's:TheirResult:OurResult", "result, Octokit's → ours:OurResult:TheirResult"} {
			parts := strings.Split(c, ":")
			checks = append(checks, s.id+" "+parts[0])
			fmt.Fprintf(&b, "  export const c%d: %s = null! as %s;\n", len(checks)-1, parts[1], parts[2])
		}
		b.WriteString("}\n")
	}
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "api.ts"), []byte(decls), 0o644))
	must(os.WriteFile(filepath.Join(dir, "check.ts"), []byte(b.String()), 0o644))
	nm, _ := filepath.Abs(testenv.NodeModules(t))
	must(os.Symlink(nm, filepath.Join(dir, "node_modules")))
	cmd := exec.Command(testenv.Bin(t, "tsc"), "--strict", "--noEmit", "--target", "es2022", "--lib", "es2022",
		"--moduleResolution", "node", "--module", "es2022", "--skipLibCheck", "--pretty", "false", "api.ts", "check.ts")
	cmd.Dir = dir
	out, _ := cmd.CombinedOutput()
	if os.Getenv("OCTOKIT_VERBOSE") != "" {
		t.Logf("%s", out)
	}
	lines := strings.Split(b.String(), "\n")
	at := regexp.MustCompile(`^check\.ts\((\d+),\d+\): (.*)`)
	failed := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		m := at.FindStringSubmatch(l)
		if m == nil {
			if strings.HasPrefix(l, "api.ts") {
				t.Error(l)
			}
			continue
		}
		var n int
		fmt.Sscan(m[1], &n)
		var c int
		if _, err := fmt.Sscanf(strings.TrimSpace(lines[n-1]), "export const c%d:", &c); err == nil {
			failed[checks[c]] = m[2]
		} else {
			t.Errorf("check.ts:%d: %s\n\t%s", n, m[2], lines[n-1])
		}
	}
	for _, c := range checks {
		why, bad := failed[c]
		switch {
		case bad && octokitDiffs[c] == "":
			t.Errorf("%s: not assignable: %s", c, why)
		case !bad && octokitDiffs[c] != "":
			t.Errorf("%s: assignable now; drop it from octokitDiffs", c)
		}
	}
	t.Logf("%d of %d comparisons hold", len(checks)-len(failed), len(checks))
}

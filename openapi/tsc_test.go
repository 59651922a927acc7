package openapi

import (
	"github.com/mcp-codemode/mcp-codemode/internal/golden"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// namespace declares a loaded document's operations as typegen does for
// the registry.
func namespace(name string, api *API) typegen.Namespace {
	raw := make([]string, len(api.Operations))
	for i, op := range api.Operations {
		raw[i] = op.Name
	}
	methods := typegen.MethodNames(raw)
	ns := typegen.Namespace{Name: name, Original: name, Description: api.Title}
	for i, op := range api.Operations {
		ns.Tools = append(ns.Tools, typegen.Tool{Name: methods[i], Original: op.Name, Description: op.Description,
			InputSchema: op.Input, OutputSchema: op.Output})
	}
	return ns
}

// The declarations of GitHub's API and of every @readme/oas-examples
// document compile under tsc --strict, in one run.
func TestDeclarationsCompile(t *testing.T) {
	github, err := Load(Options{Spec: githubSpec(t)})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"github"}
	apis := []*API{github}
	root := npm(t, "@readme", "oas-examples")
	for _, v := range []string{"2.0", "3.0", "3.1"} {
		files, _ := filepath.Glob(filepath.Join(root, v, "yaml", "*.yaml"))
		for _, f := range files {
			api, err := Load(Options{Spec: f, BaseURL: "https://api.example.com"})
			if err != nil {
				continue // TestOASExamples reports it
			}
			names = append(names, "oas"+v+"_"+strings.TrimSuffix(filepath.Base(f), ".yaml"))
			apis = append(apis, api)
		}
	}
	nsNames := typegen.NamespaceNames(names)
	var ns []typegen.Namespace
	for i, api := range apis {
		ns = append(ns, namespace(nsNames[i], api))
	}
	start := time.Now()
	decls := typegen.Declarations(ns, typegen.Options{})
	t.Logf("declarations of %d namespaces: %d bytes in %v", len(ns), len(decls), time.Since(start))
	tsc(t, decls)
}

func tsc(t *testing.T, decls string) {
	t.Helper()
	bin := testenv.Bin(t, "tsc")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "api.ts"), []byte(decls), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--strict", "--noEmit", "--target", "es2022", "--lib", "es2022", "--pretty", "false", "api.ts")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil {
		return
	}
	lines := strings.Split(decls, "\n")
	pos := regexp.MustCompile(`^api\.ts\((\d+),\d+\)`)
	for i, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if i == 20 {
			t.Error("... more errors")
			break
		}
		if m := pos.FindStringSubmatch(l); m != nil {
			var n int
			for _, c := range m[1] {
				n = n*10 + int(c-'0')
			}
			if n-1 < len(lines) {
				l += "\n\t" + lines[n-1]
			}
		}
		t.Error(l)
	}
}

// TestDeclarationsGolden pins what the model reads of two small documents:
// the OpenAPI 3.0 expanded pet store and the Swagger 2.0 one.
func TestDeclarationsGolden(t *testing.T) {
	root := npm(t, "@readme", "oas-examples")
	var ns []typegen.Namespace
	for _, f := range []struct{ name, path string }{{"pets", "3.0/yaml/petstore-expanded.yaml"}, {"swagger", "2.0/yaml/petstore.yaml"}} {
		api, err := Load(Options{Spec: filepath.Join(root, f.path)})
		if err != nil {
			t.Fatal(err)
		}
		ns = append(ns, namespace(f.name, api))
	}
	golden.Check(t, "testdata/petstore.golden", typegen.Declarations(ns, typegen.Options{}))
}

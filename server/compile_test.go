package server

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestDeclarationsCompile compiles what the model sees with the real
// TypeScript compiler, as README "Command line" promises of `types`, and checks that
// typeof N.T is a function type for every tool.
func TestDeclarationsCompile(t *testing.T) {
	tsc := testenv.Bin(t, "tsc")
	srv := newTestServer(t, config.Codemode{})
	var b strings.Builder
	b.WriteString(srv.Declarations())
	for i, e := range srv.current().entries {
		fmt.Fprintf(&b, "const _check%d: (...a: any[]) => Promise<unknown> = %s.%s;\n", i, e.Namespace, e.Method)
	}
	path := filepath.Join(t.TempDir(), "api.ts")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tsc, "--strict", "--noEmit", "--target", "es2022", "--lib", "es2022", path).CombinedOutput()
	if err != nil {
		t.Fatalf("tsc: %v\n%s\n%s", err, out, b.String())
	}
}

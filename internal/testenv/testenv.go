// Package testenv finds the pinned Node packages that the tests run for real:
// the reference MCP servers, the official TypeScript SDK client, tsc and a
// tokenizer. They are installed by `npm ci --prefix npm` (see .ci/run); a test
// that needs one fails, never skips, when it is missing.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the repository root (the directory holding go.mod).
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// NodeModules returns the path of npm/node_modules, failing t when it is absent.
func NodeModules(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(Root(), "npm", "node_modules")
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("npm packages are not installed (%v): run `npm ci --prefix npm` first", err)
	}
	return dir
}

// Node returns the path of the node binary, failing t when it is absent.
func Node(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is not installed: %v", err)
	}
	return p
}

// Package returns the directory of an installed npm package, failing t when
// it is absent.
func Package(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(NodeModules(t), filepath.FromSlash(name))
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		t.Fatalf("npm package %s is not installed (%v): run `npm ci --prefix npm` first", name, err)
	}
	return dir
}

// Bin returns the path of an executable in node_modules/.bin, failing t when
// it is absent.
func Bin(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(NodeModules(t), ".bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is not installed (%v): run `npm ci --prefix npm` first", name, err)
	}
	return p
}

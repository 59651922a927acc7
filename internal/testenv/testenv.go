// Package testenv finds the pinned Node packages that the tests run for real:
// the reference MCP servers, the official TypeScript SDK client, tsc and a
// tokenizer. They are installed by `npm ci --prefix npm` (see .ci/run). A test
// that needs one skips when it is missing, saying how to install it, and
// fails instead under $CI, where everything must be installed.
package testenv

import (
	"fmt"
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

// Missing ends t for want of something the tests install: a skip that says
// how to install it, or under $CI, where everything must be installed, a
// failure.
func Missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "" {
		t.Skip(msg)
		return
	}
	t.Fatalf("testenv: %s", msg)
}

// NodeModules returns the path of npm/node_modules; without it t ends
// (Missing).
func NodeModules(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(Root(), "npm", "node_modules")
	if _, err := os.Stat(dir); err != nil {
		Missing(t, fmt.Sprintf("npm packages are not installed (%v): run `npm ci --prefix npm` first", err))
	}
	return dir
}

// Node returns the path of the node binary; without it t ends (Missing).
func Node(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		Missing(t, fmt.Sprintf("node is not installed (%v): install Node 22, or run `npm ci --prefix npm`, which pins it", err))
	}
	return p
}

// Package returns the directory of an installed npm package; without it t
// ends (Missing).
func Package(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(NodeModules(t), filepath.FromSlash(name))
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		Missing(t, fmt.Sprintf("npm package %s is not installed (%v): run `npm ci --prefix npm` first", name, err))
	}
	return dir
}

// Bin returns the path of an executable in node_modules/.bin; without it t
// ends (Missing).
func Bin(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(NodeModules(t), ".bin", name)
	if _, err := os.Stat(p); err != nil {
		Missing(t, fmt.Sprintf("%s is not installed (%v): run `npm ci --prefix npm` first", name, err))
	}
	return p
}

package openapi

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// npm is the folder of the pinned npm packages.
func npm(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "npm", "node_modules"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: run npm ci --prefix npm (%v)", p, err)
	}
	return p
}

func githubSpec(t testing.TB) string {
	return npm(t, "@octokit", "openapi", "generated", "api.github.com.json")
}

func TestLoadGitHub(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	api, err := Load(Options{Spec: githubSpec(t)})
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	runtime.GC()
	runtime.ReadMemStats(&after)
	size := 0
	for _, op := range api.Operations {
		size += len(op.Input) + len(op.Output)
	}
	t.Logf("GitHub: %d operations in %v, %d MB allocated, %d MB kept, %d MB of schemas", len(api.Operations), took, alloc>>20, (after.HeapAlloc-before.HeapAlloc)>>20, size>>20)
	runtime.KeepAlive(api)
}

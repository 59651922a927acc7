package openapi

import (
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// npm is a path in the pinned npm packages.
func npm(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{testenv.NodeModules(t)}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("%s is missing: run `npm ci --prefix npm` first (%v)", p, err)
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
	if len(api.Operations) != 1223 {
		t.Errorf("%d operations, want GitHub's 1,223", len(api.Operations))
	}
	if took > testenv.Within(2*time.Second) {
		t.Errorf("loading took %v; it must take under 2 s (%v with this machine's slack)", took, testenv.Within(2*time.Second))
	}
	runtime.KeepAlive(api)
}

package workspace

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"runtime"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// backend is a database the workspace's tests run on.
type backend struct {
	name string
	// options name a fresh, empty database of the backend for t.
	options func(t testing.TB) store.Options
}

// backends are memory, a SQLite file and PostgreSQL: every semantics test
// runs on each (onEach).
var backends = []backend{
	{"memory", func(testing.TB) store.Options { return store.Options{} }},
	{"sqlite", func(t testing.TB) store.Options { return store.Options{Dir: t.TempDir()} }},
	{"postgres", func(t testing.TB) store.Options { return store.Options{URL: testenv.Postgres(t)} }},
}

// onEach runs fn on each backend, as a subtest named after it.
func onEach(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// open returns a workspace within limits on a fresh database of b.
func (b backend) open(t testing.TB, limits Limits) *Workspace {
	t.Helper()
	return New(openStore(t, b.options(t)), limits)
}

// openStore opens the store o names, closed with the test.
func openStore(t testing.TB, o store.Options) *store.Store {
	t.Helper()
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.Open(context.Background(), o)
	must(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

// workspaceRegistry is a registry holding w's tools, closed with the test.
func workspaceRegistry(t testing.TB, w *Workspace) *tools.Registry {
	t.Helper()
	r := tools.NewRegistry(tools.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Stderr: io.Discard})
	t.Cleanup(func() { _ = r.Close() })
	must(t, r.Add(w.Tools()...))
	return r
}

// call calls the workspace tool named tool as the stdio subject.
func call(t testing.TB, r *tools.Registry, tool, args string) (json.RawMessage, error) {
	t.Helper()
	return callAs(t, context.Background(), r, tool, args)
}

// callAs calls the workspace tool named tool with ctx's subject.
func callAs(t testing.TB, ctx context.Context, r *tools.Registry, tool, args string) (json.RawMessage, error) {
	t.Helper()
	for _, e := range r.Entries() {
		if e.Server == Namespace && e.Name == tool {
			return r.Call(ctx, e.ID, json.RawMessage(args))
		}
	}
	t.Fatalf("no tool workspace.%s", tool)
	return nil, nil
}

// mustCall calls and fails the test on error.
func mustCall(t testing.TB, r *tools.Registry, tool, args string) string {
	t.Helper()
	out, err := call(t, r, tool, args)
	if err != nil {
		t.Fatalf("workspace.%s(%s): %v", tool, args, err)
	}
	return string(out)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// allocated is how many bytes fn allocated.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

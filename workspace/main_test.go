package workspace

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"runtime"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/tools"
)

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

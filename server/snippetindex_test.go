package server

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// TestSnippetIndexEviction: past its bound the cache drops the subjects
// used least recently, and a subject dropped while it refreshed comes back
// with its cost counted once.
func TestSnippetIndexEviction(t *testing.T) {
	x := &snippetIndex{limit: 1000}
	entries := map[string]snippetMeta{"a": {name: "a"}}
	a, _ := x.subject("a")
	b, _ := x.subject("b")
	x.store("a", a, entries, 600, nil, 1)
	x.store("b", b, entries, 600, nil, 1) // over: a goes
	if _, ok := x.subjects["a"]; ok || x.bytes != 600 {
		t.Fatalf("after b: subjects %v, %d bytes; want only b, 600", len(x.subjects), x.bytes)
	}
	x.store("a", a, entries, 300, []string{"a"}, 2) // a refreshed after it was dropped
	if x.subjects["a"] != a || x.subjects["b"] != b || x.bytes != 900 || !a.stale["a"] {
		t.Errorf("a back: %d subjects, %d bytes (want 2, 900), stale %v", len(x.subjects), x.bytes, a.stale)
	}
}

// TestSnippetIndexCancelled: a snippet that a cancelled search could not
// read is read again by the next one, not kept without its description.
func TestSnippetIndexCancelled(t *testing.T) {
	srv, ws, _ := countingWorkspace(t)
	must(t, ws.WriteFile(context.Background(), "snippets/a.ts", "// Alpha\nreturn 1"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if metas, err := srv.snippetsOf(ctx); err == nil && len(metas) > 0 && metas[0].description != "" {
		t.Logf("the cancelled refresh read it anyway: %v", metas)
	}
	metas, err := srv.snippetsOf(context.Background())
	if err != nil || len(metas) != 1 || metas[0].description != "Alpha" {
		t.Errorf("got %v, %v; want [a: Alpha]", metas, err)
	}
}

// TestSnippetIndexSubjects: each subject sees its own snippets.
func TestSnippetIndexSubjects(t *testing.T) {
	srv := newTestServer(t, config.Codemode{})
	for _, s := range []string{"x", "y"} {
		ctx := tools.WithSubject(context.Background(), s)
		if res := srv.Execute(ctx, fmt.Sprintf(`return await codemode.save("mine_%s", "return 1", "Belongs to %s")`, s, s)); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	res := srv.Execute(tools.WithSubject(context.Background(), "x"), `return (await codemode.search("belongs", { limit: 50 })).map(h => h.name)`)
	if got := compactJSON(t, res.Value); got != `["snippets.mine_x"]` {
		t.Errorf("subject x finds %s", got)
	}
}

// TestSearchesTakeTurns: with snippets each search builds an index over
// every tool, so a script's searches at once take turns, and those still
// waiting when the execution ends are dropped instead of computed (400
// searches over 2,000 tools kept both cores busy for 1.8 s after the
// execution's end; now at most the one search running finishes).
func TestSearchesTakeTurns(t *testing.T) {
	reg := tools.NewRegistry(tools.Options{})
	must(t, reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...))
	var list []tools.Tool
	for i := range 2000 {
		list = append(list, tools.NewTool("big", fmt.Sprintf("tool_%d", i),
			fmt.Sprintf("Does thing %d with the widgets, gadgets and sprockets of the account; returns a page of results, "+
				"filtered by owner, label, state and date, sorted by any field, with the totals of each group and a cursor", i),
			json.RawMessage(`{"type":"object","properties":{"query":{"type":"string"},"page":{"type":"integer"}}}`),
			func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
				return mcp.NewToolResultText("1"), nil
			}))
	}
	must(t, reg.Add(list...))
	ctx := context.Background()
	// The snippet is saved by a server with time to spare (a busy machine
	// can take more than the searches' 300 ms to compile it); the searches
	// run on one that shares its registry and so its workspace.
	saver := New(reg, Options{Limits: config.Codemode{Timeout: testenv.Within(10 * time.Second)}})
	if res := saver.Execute(ctx, `return await codemode.save("x", "return 1", "A snippet")`); res.Err != nil {
		t.Fatal(res.Err)
	}
	// Batches of 4,000 searches until the timeout, however fast the machine:
	// when it fires, most of a batch is still waiting its turn (seconds of
	// work, were it not dropped).
	srv := New(reg, Options{Limits: config.Codemode{MaxToolCalls: 1 << 30, Timeout: 300 * time.Millisecond}})
	res := srv.Execute(ctx, `for (;;) await Promise.all(Array.from({ length: 4000 }, () => codemode.search("widgets sprockets")))`)
	if res.Err == nil || res.Err.Name != "TimeoutError" {
		t.Fatalf("searches over 2,000 tools until the 300 ms timeout: %s %v, want a TimeoutError", res.Value, res.Err)
	}
	ended := time.Now()
	until(t, "the searches to stop", func() bool { return srv.snips.searches.Load() == 0 })
	t.Logf("the searches stopped %v after the execution", time.Since(ended))
	// One search takes 10-20 ms here, several times that under the race
	// detector (Within stretches the bound by its slack).
	if d := time.Since(ended); d > testenv.Within(250*time.Millisecond) {
		t.Errorf("the searches went on for %v after the execution ended", d)
	}
}

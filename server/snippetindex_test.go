package server

import (
	"context"
	"fmt"
	"testing"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// TestSnippetIndexEviction: past its bound the cache drops the subjects
// used least recently, and a subject dropped while it refreshed comes back
// with its cost counted once.
func TestSnippetIndexEviction(t *testing.T) {
	x := &snippetIndex{limit: 1000}
	entries := map[string]snippetMeta{"a": {name: "a"}}
	a, b := x.subject("a"), x.subject("b")
	x.store("a", a, entries, 600, nil)
	x.store("b", b, entries, 600, nil) // over: a goes
	if _, ok := x.subjects["a"]; ok || x.bytes != 600 {
		t.Fatalf("after b: subjects %v, %d bytes; want only b, 600", len(x.subjects), x.bytes)
	}
	x.store("a", a, entries, 300, []string{"a"}) // a refreshed after it was dropped
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

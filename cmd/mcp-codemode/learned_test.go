package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestLearnedTypesAgent: on the built binary, a tool's first result gives
// it a learned type in the execute description, announced with
// tools/list_changed to the official TypeScript SDK client; and
// codemode.describe shows it (README: Learned result types).
func TestLearnedTypesAgent(t *testing.T) {
	c := startAgent(t, false, writeConfig(t, map[string]any{"testup": upstreams(t)["testup"]}, nil))
	const before = "pid(args?: {}): Promise<unknown>;"
	desc := c.executeDescription(t)
	for deadline := time.Now().Add(testenv.Within(5 * time.Second)); !strings.Contains(desc, before) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond) // testup connects in the background
		desc = c.executeDescription(t)
	}
	if !strings.Contains(desc, before) {
		t.Fatalf("before any result:\n%s", desc)
	}
	changes := c.changes(t, "changes", 0)
	if r := c.execute(t, `return await testup.pid()`); r.IsError {
		t.Fatalf("pid: %s", r.text())
	}
	if got := c.changes(t, "wait_changes", changes); got <= changes {
		t.Fatal("no notifications/tools/list_changed after the first result")
	}
	const want = "@returns observed in 1 result, not declared by the server */\npid(args?: {}): Promise<number>;"
	desc = c.executeDescription(t)
	for deadline := time.Now().Add(testenv.Within(5 * time.Second)); !strings.Contains(desc, want) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		desc = c.executeDescription(t)
	}
	if !strings.Contains(desc, want) {
		t.Errorf("the execute description does not declare the learned type:\n%s", desc)
	}
	r := c.execute(t, `return await codemode.describe("testup.pid")`)
	if r.IsError || !strings.Contains(r.text(), "@returns observed in ") || !strings.Contains(r.text(), "Promise<number>") {
		t.Errorf("codemode.describe: %s", r.text())
	}
}

package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// startAgent runs testdata/agent.mjs (the official TypeScript SDK client,
// counting tools/list_changed and, with elicit, answering elicitations)
// against the built binary.
func startAgent(t *testing.T, elicit bool, configPath string) *sdkClient {
	t.Helper()
	args := []string{binary(t), "--config", configPath}
	if elicit {
		args = append([]string{"--elicit"}, args...)
	}
	return startDriver(t, "testdata/agent.mjs", args...)
}

func (c *sdkClient) changes(t *testing.T, op string, n int) int {
	t.Helper()
	var r struct{ Changes int }
	if err := json.Unmarshal(c.do(t, map[string]any{"op": op, "more_than": n}), &r); err != nil {
		t.Fatal(err)
	}
	return r.Changes
}

func (c *sdkClient) executeDescription(t *testing.T) string {
	t.Helper()
	var list struct {
		Tools []struct{ Name, Description string }
	}
	if err := json.Unmarshal(c.do(t, map[string]any{"op": "list"}), &list); err != nil {
		t.Fatal(err)
	}
	for _, tool := range list.Tools {
		if tool.Name == "execute" {
			return tool.Description
		}
	}
	t.Fatal("no execute tool")
	return ""
}

// TestUpstreamListChanged: an upstream adds a tool and sends
// notifications/tools/list_changed; the registry re-lists it, execute's
// declarations show it, our client is notified, and the tool can be called.
func TestUpstreamListChanged(t *testing.T) {
	c := startAgent(t, false, writeConfig(t, map[string]any{"testup": upstreams(t)["testup"]}, nil))
	if strings.Contains(c.executeDescription(t), "fresh_tool") {
		t.Fatal("the tool is declared before it exists")
	}
	before := c.changes(t, "changes", 0)
	if r := c.execute(t, `return await testup.grow({ name: "fresh_tool" })`); r.IsError {
		t.Fatalf("grow: %s", r.text())
	}
	if got := c.changes(t, "wait_changes", before); got <= before {
		t.Fatal("no notifications/tools/list_changed reached the client")
	}
	if desc := c.executeDescription(t); !strings.Contains(desc, "fresh_tool(args?: {}): Promise<unknown>;") {
		t.Errorf("execute's description does not declare the new tool:\n%s", desc)
	}
	r := c.execute(t, `return await testup.fresh_tool()`)
	if r.IsError || compact(t, r.StructuredContent.Result) != `"fresh_tool"` {
		t.Errorf("calling the new tool: %s", r.text())
	}
}

package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestSDKEndToEnd drives the built binary with the official TypeScript SDK
// client, wrapping the real reference servers from npm.
func TestSDKEndToEnd(t *testing.T) {
	// The four servers' declarations take more than the default description
	// budget (4,000 tokens), which would show the compact index instead.
	c := startSDK(t, writeConfig(t, upstreams(t), map[string]any{"timeout": "2s", "description_budget_tokens": 20000}))

	t.Run("list", func(t *testing.T) {
		var list struct {
			Tools []struct {
				Name         string          `json:"name"`
				Description  string          `json:"description"`
				OutputSchema json.RawMessage `json:"outputSchema"`
			} `json:"tools"`
		}
		// The upstreams connect in the background: their declarations
		// arrive with tools/list_changed, as a real client sees it.
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			if err := json.Unmarshal(c.do(t, map[string]any{"op": "list"}), &list); err != nil {
				t.Fatal(err)
			}
			if len(list.Tools) == 0 || !strings.Contains(list.Tools[0].Description, "// unavailable:") || time.Now().After(deadline) {
				break
			}
		}
		var names []string
		for _, tool := range list.Tools {
			names = append(names, tool.Name)
		}
		if diff := cmp.Diff([]string{"execute", "search_tools"}, names); diff != "" {
			t.Fatalf("tools (-want +got):\n%s", diff)
		}
		desc := list.Tools[0].Description
		for _, want := range []string{"declare const memory", "create_entities(", "declare const everything", "declare const filesystem", "declare const workspace", "declare const testup"} {
			if !strings.Contains(desc, want) {
				t.Errorf("execute description lacks %q", want)
			}
		}
		if len(list.Tools[0].OutputSchema) == 0 {
			t.Error("execute has no outputSchema")
		}
	})

	t.Run("two upstreams with Promise.all", func(t *testing.T) {
		r := c.execute(t, `
const [created, echoed] = await Promise.all([
  memory.create_entities({ entities: [{ name: "Ada", entityType: "person", observations: ["wrote the first program"] }] }),
  everything.echo({ message: "hi" }),
]);
const graph: { entities: { name: string }[] } = await memory.read_graph();
console.log("entities:", graph.entities.length);
return { names: graph.entities.map(e => e.name), echoed };`)
		if r.IsError {
			t.Fatalf("error: %s", r.text())
		}
		want := `{"echoed":"Echo: hi","names":["Ada"]}`
		if got := compact(t, r.StructuredContent.Result); got != want {
			t.Errorf("result = %s, want %s", got, want)
		}
		if diff := cmp.Diff([]string{"entities: 1"}, r.StructuredContent.Logs); diff != "" {
			t.Errorf("logs (-want +got):\n%s", diff)
		}
		if !strings.Contains(r.text(), "Console output:\nentities: 1") {
			t.Errorf("text lacks the console output: %q", r.text())
		}
	})

	t.Run("thrown error has its line", func(t *testing.T) {
		r := c.execute(t, "const a: number = 1;\nconsole.log('before');\nif (a) {\n  throw new Error(\"boom\");\n}")
		if !r.IsError {
			t.Fatalf("not an error: %s", r.text())
		}
		if !strings.HasPrefix(r.text(), "Error: boom") || !strings.Contains(r.text(), "line 4") || !strings.Contains(r.text(), "before") {
			t.Errorf("text = %q", r.text())
		}
		if e := r.StructuredContent.Error; e == nil || e.Name != "Error" || e.Line != 4 {
			t.Errorf("structured error = %+v", e)
		}
	})

	t.Run("invalid arguments name the path", func(t *testing.T) {
		r := c.execute(t, `await memory.create_entities({ entities: [{ name: "x", entityType: "y" }] });`)
		want := "TypeError: memory.create_entities: entities[0].observations: required"
		if !r.IsError || !strings.HasPrefix(r.text(), want) {
			t.Errorf("text = %q, want prefix %q", r.text(), want)
		}
	})

	t.Run("syntax error", func(t *testing.T) {
		r := c.execute(t, "const x = 1;\nconst y = ;\nreturn x;")
		if e := r.StructuredContent.Error; !r.IsError || e == nil || e.Name != "SyntaxError" || e.Line != 2 {
			t.Errorf("result = %s %+v", r.text(), e)
		}
	})

	t.Run("timeout, then keeps working", func(t *testing.T) {
		start := time.Now()
		r := c.execute(t, "while (true) {}")
		if e := r.StructuredContent.Error; !r.IsError || e == nil || e.Name != "TimeoutError" {
			t.Fatalf("result = %s", r.text())
		}
		if d := time.Since(start); d > 2*time.Second+testenv.Within(2*time.Second) {
			t.Errorf("timeout of 2s took %v", d)
		}
		if r := c.execute(t, "return 40 + 2"); r.IsError || compact(t, r.StructuredContent.Result) != "42" {
			t.Errorf("after the timeout: %s", r.text())
		}
	})

	t.Run("crashed upstream restarts", func(t *testing.T) {
		r := c.execute(t, "await testup.crash({});")
		if e := r.StructuredContent.Error; !r.IsError || e == nil || e.Name != "UpstreamError" {
			t.Fatalf("crash result = %s", r.text())
		}
		// Restarting waits out a short backoff; the server keeps answering meanwhile.
		deadline := time.Now().Add(15 * time.Second)
		for {
			r = c.execute(t, "return await testup.pid({});")
			if !r.IsError || time.Now().After(deadline) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if r.IsError {
			t.Errorf("upstream not restarted: %s", r.text())
		}
	})

	t.Run("tool error is catchable", func(t *testing.T) {
		r := c.execute(t, `try { await filesystem.read_text_file({ path: "/nonexistent/x" }); return "no error"; } catch (e) { return e.name; }`)
		if r.IsError || compact(t, r.StructuredContent.Result) != `"ToolError"` {
			t.Errorf("result = %s", r.text())
		}
	})

	t.Run("calls on one connection run concurrently", func(t *testing.T) {
		ms := testenv.Within(100 * time.Millisecond) // 400 ms, more under -race
		sleep := map[string]any{"name": "execute", "arguments": map[string]any{"code": fmt.Sprintf("return await testup.sleep({ ms: %d })", ms.Milliseconds())}}
		start := time.Now()
		var results []callResult
		if err := json.Unmarshal(c.do(t, map[string]any{"op": "concurrent", "calls": []any{sleep, sleep, sleep}}), &results); err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if r.IsError {
				t.Fatalf("sleep: %s", r.text())
			}
		}
		if d := time.Since(start); d >= 3*ms {
			t.Errorf("three %v executions took %v: the server ran them one at a time", ms, d)
		}
	})

	t.Run("search_tools", func(t *testing.T) {
		var r callResult
		raw := c.do(t, map[string]any{"op": "call", "name": "search_tools", "arguments": map[string]any{"query": "add observations to an entity", "limit": 3}})
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		if r.IsError || !strings.Contains(r.text(), "add_observations(") {
			t.Errorf("search_tools = %s", r.text())
		}
	})
}

// TestFigures measures what the foundation issue reports: the trivial
// execute round trip over stdio, and Promise.all of three 100 ms calls to a
// real upstream. Only the concurrency is asserted; times are logged.
func TestFigures(t *testing.T) {
	c := startSDK(t, writeConfig(t, upstreams(t), nil))
	var timed struct {
		Durations []float64 `json:"durations"`
	}
	c.do(t, map[string]any{"op": "time", "n": 20, "code": "return 1"}) // warm up
	if err := json.Unmarshal(c.do(t, map[string]any{"op": "time", "n": 200, "code": "return 1"}), &timed); err != nil {
		t.Fatal(err)
	}
	t.Logf("trivial execute round trip over stdio: p50 %.2f ms over %d calls", median(timed.Durations), len(timed.Durations))

	const three = `const op = () => everything.trigger_long_running_operation({ duration: 0.1, steps: 1 });
const t0 = Date.now();
await Promise.all([op(), op(), op()]);
return Date.now() - t0;`
	var walls []float64
	for i := 0; i < 7; i++ {
		r := c.execute(t, three)
		if r.IsError {
			t.Fatalf("Promise.all run: %s", r.text())
		}
		var ms float64
		if err := json.Unmarshal(r.StructuredContent.Result, &ms); err != nil {
			t.Fatal(err)
		}
		walls = append(walls, ms)
	}
	t.Logf("Promise.all of three 100 ms calls to server-everything: median %.0f ms (runs: %v)", median(walls), walls)
	if m := median(walls); m >= 250 {
		t.Errorf("Promise.all of three 100 ms calls took %.0f ms: they ran one after another", m)
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestSDKOutputLimit: the official SDK client, which validates
// structuredContent against execute's outputSchema once it has listed the
// tools, accepts a result cut to max_output_bytes, over stdio and HTTP (where
// runs go to worker processes). The result alone over the limit used to
// send "logs": null ("MCP error -32602 … data/logs must be array") and the
// result's prefix as a string. Text from a worker keeps <, > and &.
func TestSDKOutputLimit(t *testing.T) {
	cfg := writeConfig(t, map[string]any{}, map[string]any{"max_output_bytes": 2000})
	clients := map[string]func(*testing.T) *sdkClient{
		"stdio": func(t *testing.T) *sdkClient { return startSDK(t, cfg) },
		"http": func(t *testing.T) *sdkClient {
			srv := startHosted(t, "http", cfg)
			return startHTTPSDK(t, "http", srv.endpoint("http"), "")
		},
	}
	for name, start := range clients {
		t.Run(name, func(t *testing.T) {
			c := start(t)
			c.do(t, map[string]any{"op": "list"}) // the client now validates results
			r := c.limited(t, `return { big: "x".repeat(10000) }`)
			if r.IsError || string(r.StructuredContent.Result) != "null" || r.StructuredContent.Logs == nil {
				t.Errorf("result %s, logs %v, isError %v", r.StructuredContent.Result, r.StructuredContent.Logs, r.IsError)
			}
			if want := (truncation{ResultBytes: 10015, ResultShownBytes: 1943}); !r.StructuredContent.Truncated || r.StructuredContent.Stats.Truncated != want {
				t.Errorf("truncated %v, stats.truncated %+v, want %+v", r.StructuredContent.Truncated, r.StructuredContent.Stats.Truncated, want)
			}
			if !strings.HasPrefix(r.text(), "{\n  \"big\": \"xxx") || !strings.HasSuffix(r.text(), "[result truncated: 10015 bytes in total, limit 2000]") {
				t.Errorf("text = %q", r.text())
			}

			r = c.limited(t, `for (let i = 0; i < 100; i++) console.log("line " + i); return [1]`)
			if r.IsError || string(r.StructuredContent.Result) != "[1]" || r.StructuredContent.Stats.Truncated.LogLinesShown >= 100 {
				t.Errorf("result %s, stats %+v, isError %v", r.StructuredContent.Result, r.StructuredContent.Stats, r.IsError)
			}

			r = c.limited(t, `return ["a < b && c > d", await codemode.describe("workspace.read_file")]`)
			if text := r.text(); !strings.Contains(text, `"a < b && c > d"`) || !strings.Contains(text, "Promise<string>") {
				t.Errorf("text = %q", text)
			}
		})
	}
}

type truncation struct {
	ResultBytes      int `json:"result_bytes"`
	ResultShownBytes int `json:"result_shown_bytes"`
	LogLines         int `json:"log_lines"`
	LogLinesShown    int `json:"log_lines_shown"`
}

// limitedResult is an execute result with what the output limit cut.
type limitedResult struct {
	callResult
	StructuredContent struct {
		Result    json.RawMessage `json:"result"`
		Logs      []string        `json:"logs"`
		Truncated bool            `json:"truncated"`
		Stats     struct {
			Truncated truncation `json:"truncated"`
		} `json:"stats"`
	} `json:"structuredContent"`
}

func (c *sdkClient) limited(t *testing.T, code string) limitedResult {
	t.Helper()
	var r limitedResult
	raw := c.do(t, map[string]any{"op": "call", "name": "execute", "arguments": map[string]any{"code": code}})
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("execute result %s: %v", raw, err)
	}
	return r
}

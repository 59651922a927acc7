package hosted

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// initialize20250326 opens a session of protocol version 2025-03-26, the
// one revision with JSON-RPC batches.
func (c *client) initialize20250326() *client {
	c.t.Helper()
	resp := c.post(strings.Replace(initialize, "2025-06-18", "2025-03-26", 1))
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("initialize: %s %s", resp.Status, body(resp))
	}
	c.session = resp.Header.Get("Mcp-Session-Id")
	if r := c.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`); r.StatusCode != http.StatusAccepted {
		c.t.Fatalf("notifications/initialized: %s", r.Status)
	}
	return c
}

// batchAnswer reads the JSON array a batch is answered with.
func batchAnswer(t *testing.T, resp *http.Response) []map[string]any {
	t.Helper()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("batch: %s %s: %s", resp.Status, resp.Header.Get("Content-Type"), body(resp))
	}
	var out []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func batch(msgs ...string) string { return "[" + strings.Join(msgs, ",") + "]" }

// errorOf is "CODE MESSAGE" of a JSON-RPC error response.
func errorOf(m map[string]any) string {
	e, ok := m["error"].(map[string]any)
	if !ok {
		return fmt.Sprintf("not an error: %v", m)
	}
	return fmt.Sprintf("%v %v", e["code"], e["message"])
}

// TestBatch: on a 2025-03-26 session a batch is answered as one JSON
// array, in the order of its requests: an execute next to other requests,
// a notification (no answer), an unknown method (its error, in place).
func TestBatch(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{}), HTTP)
	c := f.client(t, tokenA).initialize20250326()

	got := batchAnswer(t, c.post(`[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","id":3,"method":"tools/list"}]`))
	if diff := cmp.Diff([]string{"response 2", "response 3"}, summary(got)); diff != "" {
		t.Fatalf("ping and tools/list (-want +got):\n%s", diff)
	}
	if tools := got[1]["result"].(map[string]any)["tools"].([]any); len(tools) == 0 {
		t.Errorf("tools/list in a batch listed no tools")
	}

	got = batchAnswer(t, c.post(batch(
		executeReq(4, `await step.ok(); return 6*7`, ""),
		`{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}`,
		`{"jsonrpc":"2.0","id":"five","method":"no/such/method"}`,
		executeReq(6, `throw new Error("boom")`, ""),
		`{"jsonrpc":"2.0","id":7,"method":"ping"}`,
	)))
	if diff := cmp.Diff([]string{"response 4", "response five", "response 6", "response 7"}, summary(got)); diff != "" {
		t.Fatalf("mixed batch (-want +got):\n%s", diff)
	}
	if text := resultText(t, got[0]); text != "42" {
		t.Errorf("execute in a batch: %q", text)
	}
	if e := errorOf(got[1]); !strings.HasPrefix(e, "-32601 ") {
		t.Errorf("unknown method in a batch: %s", e)
	}
	if text := resultText(t, got[2]); !strings.Contains(text, "boom") || got[2]["result"].(map[string]any)["isError"] != true {
		t.Errorf("throwing execute in a batch: %v", got[2])
	}

	r := c.post(`[{"jsonrpc":"2.0","method":"notifications/roots/list_changed"},{"jsonrpc":"2.0","method":"notifications/initialized"}]`)
	if b := body(r); r.StatusCode != http.StatusAccepted || b != "" {
		t.Errorf("a batch of notifications: %s %q; want 202 and no body", r.Status, b)
	}

	got = batchAnswer(t, c.post(batch(`17`, strings.Replace(initialize, `"id":0`, `"id":8`, 1), `{"jsonrpc":"2.0","id":9,"method":"ping"}`)))
	want := []string{
		"<nil> -32600 Invalid Request: a batch member is not a JSON-RPC message",
		"8 -32600 initialize must not be part of a JSON-RPC batch (MCP 2025-03-26): post it on its own",
		"9 ",
	}
	var have []string
	for _, m := range got {
		e := ""
		if m["error"] != nil {
			e = errorOf(m)
		}
		have = append(have, fmt.Sprintf("%v %s", m["id"], e))
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Errorf("invalid members (-want +got):\n%s", diff)
	}
}

// TestBatchRefused: an empty batch, one over maxBatch messages, and any
// batch on a session of another revision get a clear error, not "not
// valid json".
func TestBatchRefused(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{}), HTTP)
	c := f.client(t, tokenA).initialize20250326()
	pings := make([]string, maxBatch+1)
	for i := range pings {
		pings[i] = fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"ping"}`, i)
	}
	modern := f.client(t, tokenA).initialize() // 2025-06-18
	stateless := newFixture(t, authConfig(config.Codemode{Stateless: true}), HTTP).client(t, tokenA)
	stateless.header["MCP-Protocol-Version"] = "2025-11-25"
	for _, tc := range []struct {
		name string
		c    *client
		body string
		want string
	}{
		{"empty", c, `[ ]`, "the JSON-RPC batch is empty: a batch holds at least one message"},
		{"too long", c, batch(pings...), "the JSON-RPC batch has 65 messages, over the 64 this server accepts in one: send it as several batches"},
		{"2025-06-18", modern, batch(pings[:2]...), "JSON-RPC batches are not part of MCP 2025-06-18, the protocol version of this session " +
			"(only 2025-03-26 has them): post each message on its own"},
		{"stateless 2025-11-25", stateless, batch(pings[:2]...), "JSON-RPC batches are not part of MCP 2025-11-25, the protocol version " +
			"of this session (only 2025-03-26 has them): post each message on its own"},
		{"2026-07-28", c, batch(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}`),
			"JSON-RPC batches are not part of MCP 2026-07-28, the protocol version of this session (only 2025-03-26 has them): " +
				"post each message on its own"},
	} {
		r := tc.c.post(tc.body)
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Fatalf("%s: %s: %v", tc.name, r.Status, err)
		}
		if r.StatusCode != http.StatusBadRequest || errorOf(m) != "-32600 "+tc.want {
			t.Errorf("%s: %s %s", tc.name, r.Status, errorOf(m))
		}
	}
	// Without a session or a version header, 2025-03-26 is assumed.
	stateless.header["MCP-Protocol-Version"] = ""
	if got := summary(batchAnswer(t, stateless.post(batch(pings[:2]...)))); len(got) != 2 {
		t.Errorf("stateless, no version header: %v", got)
	}
}

// TestBatchGuards: each message of a batch passes the guards one posted
// alone does. With max_concurrent_per_session 1 and an execution running,
// an execute in a batch is turned away busy while its neighbour is
// answered; another subject cannot use the session in a batch.
func TestBatchGuards(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{MaxConcurrentPerSession: 1}), HTTP)
	c := f.client(t, tokenA).initialize20250326()
	done := make(chan *http.Response, 1)
	go func() { done <- c.post(batch(executeReq(1, `return await step.slow({ms: 1000})`, ""))) }()
	select {
	case <-f.started:
	case r := <-done:
		t.Fatalf("a batch of one execute: %s %s", r.Status, body(r))
	}
	got := batchAnswer(t, c.post(batch(executeReq(2, "1", ""), `{"jsonrpc":"2.0","id":3,"method":"ping"}`)))
	if diff := cmp.Diff([]string{"response 2", "response 3"}, summary(got)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if text := resultText(t, got[0]); !strings.HasPrefix(text, "BusyError: busy: this session already runs 1") {
		t.Errorf("second execution of the session, in a batch: %q", text)
	}
	if text := resultText(t, batchAnswer(t, <-done)[0]); text != `"slept"` {
		t.Errorf("the first execution: %q", text)
	}

	bob := f.client(t, tokenB)
	bob.session = c.session
	if r := bob.post(batch(`{"jsonrpc":"2.0","id":4,"method":"ping"}`)); r.StatusCode != http.StatusNotFound {
		t.Errorf("another subject's batch on the session: %s", r.Status)
	}

	f.h.draining.Store(true)
	got = batchAnswer(t, c.post(batch(`{"jsonrpc":"2.0","id":5,"method":"ping"}`)))
	if e := errorOf(got[0]); got[0]["id"] != float64(5) || e != "-32600 the server is shutting down; retry on another" {
		t.Errorf("a batch while shutting down: %v", got[0])
	}
}

// TestSSEBatch: a batch posted to a 2025-03-26 SSE session is answered on
// its stream, each message as if posted alone; on a 2025-06-18 session it
// is refused.
func TestSSEBatch(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{}), SSE)
	c := sseStream(t, f, tokenA)
	c.post(strings.Replace(initialize, "2025-06-18", "2025-03-26", 1))
	c.until(0)
	r := c.post(batch(`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		executeReq(1, `await step.ok(); return 6*7`, ""), `{"jsonrpc":"2.0","id":2,"method":"ping"}`))
	if r.StatusCode != http.StatusAccepted {
		t.Fatalf("batch: %s", r.Status)
	}
	answers := map[float64]map[string]any{}
	for len(answers) < 2 {
		select {
		case m := <-c.events:
			if id, ok := m["id"].(float64); ok && m["method"] == nil {
				answers[id] = m
			}
		case <-time.After(testenv.Within(10 * time.Second)):
			t.Fatalf("answers on the stream after 10 s: %v", answers)
		}
	}
	if text := resultText(t, answers[1]); text != "42" {
		t.Errorf("execute in an SSE batch: %q", text)
	}

	modern := f.sse(t, tokenA) // 2025-06-18
	resp := modern.postResp(batch(`{"jsonrpc":"2.0","id":3,"method":"ping"}`))
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	if want := "-32600 JSON-RPC batches are not part of MCP 2025-06-18, the protocol version of this session " +
		"(only 2025-03-26 has them): post each message on its own"; resp.StatusCode != http.StatusBadRequest || errorOf(m) != want {
		t.Errorf("batch on a 2025-06-18 SSE session: %s %s", resp.Status, errorOf(m))
	}
}

// TestSSEBatchUnanswered: SSE's cap of unanswered requests counts each
// request of a batch: past it, the ones refused are answered on the POST
// (429, their errors in an array) and the rest on the stream.
func TestSSEBatchUnanswered(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{}), SSE)
	c := sseStream(t, f, tokenA)
	c.post(strings.Replace(initialize, "2025-06-18", "2025-03-26", 1))
	c.until(0)
	id := strings.TrimPrefix(c.endpoint, "/message?sessionId=")
	f.h.sse.mu.Lock()
	out := f.h.sse.conns[id].out
	f.h.sse.mu.Unlock()
	// initialize's answer counts until its write returned, which may be
	// after the client read it.
	waitFor(t, "initialize's answer to be written", func() bool {
		out.umu.Lock()
		defer out.umu.Unlock()
		return len(out.unanswered) == 0
	})
	for i := range maxUnanswered - 1 { // as if that many answers were still to write
		out.expect(fmt.Sprintf(`"pending %d"`, i))
	}
	// The stream's writes wait while the batch is posted: the first ping's
	// answer, written at once, would otherwise free its place before the
	// second ping asks for one.
	out.mu.Lock()
	resp := c.postResp(batch(`{"jsonrpc":"2.0","id":1,"method":"ping"}`, `{"jsonrpc":"2.0","id":2,"method":"ping"}`))
	out.mu.Unlock()
	var got []map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusTooManyRequests || len(got) != 1 {
		t.Fatalf("batch past the cap: %s %v %v", resp.Status, got, err)
	}
	want := "-32600 this session has 64 requests unanswered, the most an SSE session may have: " +
		"read their answers from its /sse stream before posting more"
	if e := errorOf(got[0]); e != want || (got[0]["id"] != float64(1) && got[0]["id"] != float64(2)) {
		t.Errorf("the refused request: %v", got[0])
	}
	accepted := 3 - got[0]["id"].(float64)
	if m := c.until(accepted); m[len(m)-1]["result"] == nil {
		t.Errorf("the accepted request: %v", m)
	}
}

package hosted

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// summary is "progress MESSAGE" or "response ID" for each message.
func summary(ms []map[string]any) []string {
	var out []string
	for _, m := range ms {
		switch m["method"] {
		case "notifications/progress":
			p := m["params"].(map[string]any)
			out = append(out, fmt.Sprintf("progress %v %v", p["progressToken"], p["message"]))
		case nil:
			out = append(out, fmt.Sprintf("response %v", m["id"]))
		default:
			out = append(out, fmt.Sprint(m["method"]))
		}
	}
	return out
}

// TestStreamableProgress: a POST with a progress token is answered as an
// SSE stream carrying its progress, then its response; two requests at once
// on one session each get their own progress only.
func TestStreamableProgress(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{}), HTTP)
	c := f.client(t, tokenA).initialize()
	var wg sync.WaitGroup
	got := make([][]string, 2)
	for i := range 2 {
		wg.Go(func() {
			resp := c.post(executeReq(10+i, `for (let i = 0; i < 7; i++) await step.ok(); return "done"`, fmt.Sprintf(`{"progressToken":"t%d"}`, i)))
			got[i] = summary(messages(t, resp))
		})
	}
	wg.Wait()
	for i := range 2 {
		var want []string
		for n := 1; n <= 7; n++ {
			want = append(want, fmt.Sprintf("progress t%d %d/%d tool calls", i, n, n))
		}
		want = append(want, fmt.Sprintf("response %d", 10+i))
		if diff := cmp.Diff(want, got[i]); diff != "" {
			t.Errorf("request %d (-want +got):\n%s", i, diff)
		}
	}
	// Without a token the answer is plain JSON.
	resp := c.post(executeReq(20, `await step.ok(); return 1`, ""))
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("no progress token: Content-Type %q", ct)
	}
}

// TestStreamableCancel: notifications/cancelled interrupts the execution
// and its tool call in flight (well within 100 ms; asserted with a wide
// margin) and the POST of the request ends without a response.
func TestStreamableCancel(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{}), HTTP)
	c := f.client(t, tokenA).initialize()
	done := make(chan []map[string]any)
	go func() { done <- messages(t, c.post(executeReq(5, `await step.block(); return "not reached"`, ""))) }()
	<-f.started
	sent := time.Now()
	if r := c.post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5,"reason":"user"}}`); r.StatusCode != http.StatusAccepted {
		t.Fatalf("notifications/cancelled: %s", r.Status)
	}
	select {
	case at := <-f.cancelled:
		d := at.Sub(sent)
		t.Logf("tool call cancelled %v after notifications/cancelled was sent", d)
		if d > time.Second {
			t.Errorf("the tool call was cancelled %v after the request; want well under 100 ms", d)
		}
	case <-time.After(testenv.Within(5 * time.Second)):
		t.Fatal("the tool call was not cancelled")
	}
	select {
	case ms := <-done:
		if len(ms) != 0 {
			t.Errorf("the cancelled request got %v; want no response", summary(ms))
		}
	case <-time.After(testenv.Within(5 * time.Second)):
		t.Fatal("the cancelled request's POST did not end")
	}
	if n := f.h.opts.Server.Running(); n != 0 {
		t.Errorf("%d executions still running", n)
	}
	// Another subject cannot cancel alice's requests, even knowing the ids.
	go func() {
		done <- messages(t, c.post(executeReq(6, `await step.slow({ms: 300}); return "finished"`, "")))
	}()
	<-f.started
	bob := f.client(t, tokenB).initialize()
	bob.session = c.session
	bob.post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":6}}`)
	if ms := <-done; len(ms) != 1 || resultText(t, ms[0]) != `"finished"` {
		t.Errorf("bob cancelled alice's request: %v", summary(ms))
	}
}

// TestRequestChecks: the body cap (413), MCP-Protocol-Version (400) and a
// server shutting down (503).
func TestRequestChecks(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{}), HTTP)
	c := f.client(t, tokenA).initialize()
	big := executeReq(1, "// "+strings.Repeat("x", 70<<10), "")
	if r := c.post(big); r.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body(r), "over 65536 bytes") {
		t.Errorf("big body: %s", r.Status)
	}
	c.header["MCP-Protocol-Version"] = "1999-01-01"
	if r := c.post(executeReq(2, "1", "")); r.StatusCode != http.StatusBadRequest || !strings.Contains(body(r), `unsupported MCP-Protocol-Version \"1999-01-01\"`) {
		t.Errorf("bad protocol version: %s", r.Status)
	}
	c.header["MCP-Protocol-Version"] = "2025-06-18"
	if r := c.post(executeReq(3, "1", "")); r.StatusCode != http.StatusOK {
		t.Errorf("good protocol version: %s", r.Status)
	}
	f.h.drain()
	if r := c.post(executeReq(4, "1", "")); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("while draining: %s", r.Status)
	}
}

// TestSessions: a session answers only to its subject (404 to others, on
// POST, GET and DELETE), expires when idle, and ends on DELETE.
func TestSessions(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{SessionIdleTimeout: 300 * time.Millisecond}), HTTP)
	alice := f.client(t, tokenA).initialize()
	bob := f.client(t, tokenB)
	bob.session = alice.session
	for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
		if r := bob.do(method, map[string]string{http.MethodPost: executeReq(1, "1", "")}[method]); r.StatusCode != http.StatusNotFound {
			t.Errorf("bob %s with alice's session: %s", method, r.Status)
		}
	}
	if r := alice.post(executeReq(2, "1", "")); r.StatusCode != http.StatusOK {
		t.Errorf("alice: %s", r.Status)
	}
	time.Sleep(500 * time.Millisecond)
	if r := alice.post(executeReq(3, "1", "")); r.StatusCode != http.StatusNotFound || !strings.Contains(body(r), "expired") {
		t.Errorf("after the idle timeout: %s", r.Status)
	}
	alice.session = ""
	alice.initialize()
	if r := alice.do(http.MethodDelete, ""); r.StatusCode != http.StatusOK {
		t.Errorf("DELETE: %s", r.Status)
	}
	if r := alice.post(executeReq(4, "1", "")); r.StatusCode != http.StatusNotFound {
		t.Errorf("after DELETE: %s", r.Status)
	}
}

// TestStateless: no session ids; each request stands alone; the
// per-session cap counts per subject.
func TestStateless(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{Stateless: true, MaxConcurrentPerSession: 1}), HTTP)
	c := f.client(t, tokenA)
	if r := c.post(initialize); r.Header.Get("Mcp-Session-Id") != "" {
		t.Errorf("stateless initialize gave a session id %q", r.Header.Get("Mcp-Session-Id"))
	}
	if text := resultText(t, messages(t, c.post(executeReq(1, "return 6*7", "")))[0]); text != "42" {
		t.Errorf("a call without a session: %q", text)
	}
	done := make(chan string)
	go func() {
		done <- resultText(t, messages(t, c.post(executeReq(2, `return await step.slow({ms: 500})`, "")))[0])
	}()
	<-f.started
	if text := resultText(t, messages(t, c.post(executeReq(3, "1", "")))[0]); !strings.HasPrefix(text, "BusyError: busy: this session already runs 1") {
		t.Errorf("second execution of the subject: %q", text)
	}
	other := f.client(t, tokenB)
	if text := resultText(t, messages(t, other.post(executeReq(4, "2", "")))[0]); text != "2" {
		t.Errorf("another subject meanwhile: %q", text)
	}
	if text := <-done; text != `"slept"` {
		t.Errorf("the first execution: %q", text)
	}
}

// TestBusy: over max_concurrent, an execution is turned away at once.
func TestBusy(t *testing.T) {
	f := newFixture(t, authConfig(config.Codemode{MaxConcurrent: 2}), HTTP)
	done := make(chan struct{}, 2)
	for i := range 2 {
		c := f.client(t, tokenA).initialize()
		go func() { messages(t, c.post(executeReq(i, `await step.slow({ms: 500})`, ""))); done <- struct{}{} }()
		<-f.started
	}
	c := f.client(t, tokenB).initialize()
	start := time.Now()
	text := resultText(t, messages(t, c.post(executeReq(9, "1", "")))[0])
	if !strings.HasPrefix(text, "BusyError: the server is busy: 2 executions are already running") {
		t.Errorf("third: %q", text)
	}
	if d := time.Since(start); d > testenv.Within(250*time.Millisecond) {
		t.Errorf("turning away took %v; it must not wait for a slot", d)
	}
	<-done
	<-done
}

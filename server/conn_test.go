package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// wire is a raw JSON-RPC client of ServeStdio: what a stdio client sees,
// message by message, in order.
type wire struct {
	t   *testing.T
	in  *io.PipeWriter
	out chan map[string]any
}

// startStdio serves srv on pipes and initializes the session.
func startStdio(t *testing.T, srv *Server) *wire {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.ServeStdio(ctx, inR, outW, io.Discard) }()
	w := &wire{t: t, in: inW, out: make(chan map[string]any, 1000)}
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("server wrote a line that is not JSON: %q", sc.Text())
			}
			w.out <- m
		}
	}()
	t.Cleanup(func() {
		inW.Close()
		cancel()
		<-served
		outW.Close()
	})
	w.send(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"wire","version":"1"}}}`)
	w.next()
	w.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	return w
}

func (w *wire) send(msg string) {
	w.t.Helper()
	if _, err := io.WriteString(w.in, msg+"\n"); err != nil {
		w.t.Fatal(err)
	}
}

// next returns the next message the server wrote.
func (w *wire) next() map[string]any {
	w.t.Helper()
	select {
	case m := <-w.out:
		return m
	case <-time.After(testenv.Within(10 * time.Second)):
		w.t.Fatal("the server wrote nothing for 10 s")
		return nil
	}
}

// until returns the messages written up to and including the response to id.
func (w *wire) until(id float64) []map[string]any {
	w.t.Helper()
	var got []map[string]any
	for {
		m := w.next()
		got = append(got, m)
		if m["id"] == id && m["method"] == nil {
			return got
		}
	}
}

func executeCall(id int, code string, meta string) string {
	c, _ := json.Marshal(code)
	if meta != "" {
		meta = `,"_meta":` + meta
	}
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"execute","arguments":{"code":%s}%s}}`, id, c, meta)
}

// blockingServer has step.ok (returns at once) and step.block (returns when
// its call is cancelled, then reports it on cancelled).
func blockingServer(t *testing.T, limits config.Codemode) (*Server, chan struct{}, chan struct{}) {
	t.Helper()
	started, cancelled := make(chan struct{}, 10), make(chan struct{}, 10)
	reg := tools.NewRegistry(tools.Options{})
	err := reg.Add(
		tools.Tool{Server: "step", Name: "ok", Handler: func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(`"ok"`), nil
		}},
		tools.Tool{Server: "step", Name: "block", Handler: func(ctx context.Context, _ json.RawMessage) (*mcp.CallToolResult, error) {
			started <- struct{}{}
			<-ctx.Done()
			cancelled <- struct{}{}
			return nil, ctx.Err()
		}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return New(reg, Options{Limits: limits}), started, cancelled
}

// TestStdioProgressBeforeResult: every progress notification of a call is
// written before its response, on stdio where mcp-go's transport wrote
// them from a goroutine of its own (and so, at times, after the response).
func TestStdioProgressBeforeResult(t *testing.T) {
	srv, _, _ := blockingServer(t, config.Codemode{})
	w := startStdio(t, srv)
	for round := 1; round <= 20; round++ {
		w.send(executeCall(round, `for (let i = 0; i < 7; i++) await step.ok(); return "done"`, fmt.Sprintf(`{"progressToken":"p%d"}`, round)))
		var got []string
		for _, m := range w.until(float64(round)) {
			if m["method"] == "notifications/progress" {
				p := m["params"].(map[string]any)
				got = append(got, fmt.Sprintf("%v %v", p["progressToken"], p["message"]))
				continue
			}
			got = append(got, fmt.Sprintf("response %v", m["id"]))
		}
		var want []string
		for i := 1; i <= 7; i++ {
			want = append(want, fmt.Sprintf("p%d %d/%d tool calls", round, i, i))
		}
		want = append(want, fmt.Sprintf("response %d", round))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("round %d: messages in order (-want +got):\n%s", round, diff)
		}
	}
}

// TestStdioCancel: notifications/cancelled interrupts the execution and its
// tool call in flight, and the request gets no response.
func TestStdioCancel(t *testing.T) {
	srv, started, cancelled := blockingServer(t, config.Codemode{})
	w := startStdio(t, srv)
	w.send(executeCall(7, `await step.block(); return "not reached"`, ""))
	<-started
	sent := time.Now()
	w.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":7,"reason":"user"}}`)
	select {
	case <-cancelled:
		t.Logf("the tool call saw its cancellation %v after notifications/cancelled", time.Since(sent))
	case <-time.After(testenv.Within(5 * time.Second)):
		t.Fatal("the tool call in flight was not cancelled")
	}
	deadline := time.Now().Add(5 * time.Second)
	for srv.Running() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if n := srv.Running(); n != 0 {
		t.Fatalf("%d executions still running after the cancel", n)
	}
	w.send(`{"jsonrpc":"2.0","id":8,"method":"ping"}`)
	for _, m := range w.until(8) {
		if m["id"] == float64(7) {
			t.Errorf("the cancelled request got a response: %v", m)
		}
	}
}

// TestStdioConsoleLogs: console lines reach a client that set the log
// level to info as notifications/message, each at its level, before the
// response; by default (level error) none do: they are opt-in.
func TestStdioConsoleLogs(t *testing.T) {
	srv, _, _ := blockingServer(t, config.Codemode{})
	w := startStdio(t, srv)
	code := `console.log("one"); console.warn("two"); console.error("three"); return 1`
	w.send(executeCall(1, code, ""))
	if got := w.until(1); len(got) != 1 {
		t.Errorf("without logging/setLevel the client got %v, want only the response", got)
	}
	w.send(`{"jsonrpc":"2.0","id":2,"method":"logging/setLevel","params":{"level":"info"}}`)
	w.until(2)
	w.send(executeCall(3, code, ""))
	var got []string
	for _, m := range w.until(3) {
		if m["method"] == "notifications/message" {
			p := m["params"].(map[string]any)
			got = append(got, fmt.Sprintf("%v %v %v", p["level"], p["logger"], p["data"]))
		} else {
			got = append(got, "response")
		}
	}
	want := []string{"info console one", "warning console two", "error console three", "response"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
}

// TestAdmission: over the per-session cap an execution is turned away at
// once with a BusyError; the global cap likewise; a slot comes back when
// an execution ends.
func TestAdmission(t *testing.T) {
	srv, started, _ := blockingServer(t, config.Codemode{MaxConcurrent: 3, MaxConcurrentPerSession: 2})
	w := startStdio(t, srv)
	w.send(executeCall(1, `await step.block()`, ""))
	w.send(executeCall(2, `await step.block()`, ""))
	<-started
	<-started
	start := time.Now()
	w.send(executeCall(3, `return 1`, ""))
	res := w.until(3)
	text := fmt.Sprint(res[len(res)-1]["result"])
	if !strings.Contains(text, "BusyError: busy: this session already runs 2 executions at once") {
		t.Errorf("third execution: %s", text)
	}
	t.Logf("turned away in %v", time.Since(start))
	w.send(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}`)
	deadline := time.Now().Add(5 * time.Second)
	for srv.Running() > 1 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	w.send(executeCall(4, `return 4`, ""))
	res = w.until(4)
	if r := res[len(res)-1]["result"].(map[string]any); r["isError"] == true {
		t.Errorf("after a slot came back: %v", r)
	}

	adm := newAdmission(2, 2, 2)
	releaseA, _ := adm.take("a", "x")
	_, _ = adm.take("b", "y")
	if _, over := adm.take("c", "z"); over != keyMax {
		t.Errorf("over the global cap: %q", over)
	}
	releaseA()
	releaseA() // a second release is a no-op
	if _, over := adm.take("c", "z"); over != "" {
		t.Errorf("after a release: %q", over)
	}
	if _, over := adm.take("d", "w"); over == "" {
		t.Error("a double release freed two slots")
	}
}

// TestConnCloseWhileRequests: requests that arrive while a Conn closes (an
// SSE session ending as its client posts) are dropped, not started: Close
// waits for the requests in flight, and a request starting then raced that
// wait (the race detector saw it in CI).
func TestConnCloseWhileRequests(t *testing.T) {
	srv := newTestServer(t, config.Codemode{})
	for i := range 50 {
		c, err := srv.NewConn(fmt.Sprintf("s%d", i), func([]byte) error { return nil })
		if err != nil {
			t.Fatal(err)
		}
		c.Handle(context.Background(), []byte(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`))
		posted := make(chan struct{})
		go func() {
			defer close(posted)
			for j := 1; j <= 200; j++ {
				c.Handle(context.Background(), fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"method":"ping"}`, j))
			}
		}()
		c.Close()
		<-posted
	}
}

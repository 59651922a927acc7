package hosted

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// backends are the shared states replicas are tested on: one in-memory
// Store for both (SQLite, the bus in process), and two Stores on one
// PostgreSQL database (the bus through LISTEN/NOTIFY).
var backends = []struct {
	name   string
	stores func(t *testing.T, n int) []*store.Store
}{
	{"memory", func(t *testing.T, n int) []*store.Store {
		st := openStore(t, store.Options{})
		return slices.Repeat([]*store.Store{st}, n)
	}},
	{"postgres", func(t *testing.T, n int) []*store.Store {
		url := testenv.Postgres(t)
		var out []*store.Store
		for range n {
			out = append(out, openStore(t, store.Options{URL: url}))
		}
		return out
	}},
}

func openStore(t *testing.T, o store.Options) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// eachBackend runs test on every backend with n replicas on streamable
// HTTP.
func eachBackend(t *testing.T, c config.Codemode, n int, test func(t *testing.T, rs []*fixture)) {
	eachBackendOn(t, c, n, HTTP, test)
}

// eachBackendOn runs test on every backend with n replicas on transport.
// SSE sessions are kept in the store only on PostgreSQL (no other process
// shares an SQLite file): SSE runs there only.
func eachBackendOn(t *testing.T, c config.Codemode, n int, transport string, test func(t *testing.T, rs []*fixture)) {
	for _, b := range backends {
		if transport == SSE && b.name != "postgres" {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			var rs []*fixture
			for _, st := range b.stores(t, n) {
				rs = append(rs, newReplica(t, c, st, transport))
			}
			test(t, rs)
		})
	}
}

// newReplica is newFixture sharing st.
func newReplica(t *testing.T, c config.Codemode, st *store.Store, transport string) *fixture {
	t.Helper()
	f := &fixture{started: make(chan struct{}, 100), cancelled: make(chan time.Time, 100)}
	reg := stepRegistry(t, f)
	srv := server.New(reg, server.Options{Limits: c, Logger: testLogger(t)})
	h, err := New(Options{Server: srv, Registry: reg, Transport: transport, Config: c, Loopback: true,
		Logger: testLogger(t), MaxBodyBytes: 64 << 10, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	f.h = h
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	t.Cleanup(h.closeSSE)
	return f
}

// on returns a copy of c that posts to replica f.
func (c *client) on(f *fixture) *client {
	o := *c
	o.url = f.srv.URL + "/mcp"
	o.header = map[string]string{}
	for k, v := range c.header {
		o.header[k] = v
	}
	return &o
}

const initializeElicit = `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18",` +
	`"capabilities":{"elicitation":{}},"clientInfo":{"name":"t","version":"1"}}}`

// initializeWith opens a session with the initialize body init.
func (c *client) initializeWith(init string) *client {
	c.t.Helper()
	resp := c.post(init)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("initialize: %s %s", resp.Status, body(resp))
	}
	c.session = resp.Header.Get("Mcp-Session-Id")
	c.header["MCP-Protocol-Version"] = "2025-06-18"
	return c
}

// events reads the messages of an SSE response as they come.
func events(t *testing.T, resp *http.Response) <-chan map[string]any {
	out := make(chan map[string]any, 16)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m map[string]any
				if json.Unmarshal([]byte(data), &m) == nil {
					out <- m
				}
			}
		}
	}()
	return out
}

// next is the next message of ch with method ("" for a response), skipping
// others.
func next(t *testing.T, ch <-chan map[string]any, method string) map[string]any {
	t.Helper()
	timeout := time.After(testenv.Within(10 * time.Second))
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatalf("the stream ended before a %q", method)
			}
			if got, _ := m["method"].(string); got == method {
				return m
			}
		case <-timeout:
			t.Fatalf("no %q came", method)
		}
	}
}

// TestReplicaSessions: a legacy session opened on one replica is served by
// the others, with what its initialize and logging/setLevel said; it stays
// its subject's; the caps count every replica's sessions; DELETE on one
// ends it on all.
func TestReplicaSessions(t *testing.T) {
	c := authConfig(config.Codemode{MaxSessionsPerSubject: 2})
	eachBackend(t, c, 2, func(t *testing.T, rs []*fixture) {
		a, b := rs[0], rs[1]
		alice := a.client(t, tokenA).initializeWith(initialize)
		alice.header["MCP-Protocol-Version"] = "2025-06-18"
		if r := alice.post(`{"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"info"}}`); r.StatusCode != http.StatusOK {
			t.Fatalf("setLevel on A: %s %s", r.Status, body(r))
		}
		ms := messages(t, alice.on(b).post(executeReq(2, `console.log("from B"); await step.ok(); return 6*7`, `{"progressToken":"p"}`)))
		if got := summary(ms); !slices.Contains(got, "notifications/message") || resultText(t, ms[len(ms)-1]) == "" {
			t.Errorf("execute on B: %v; want its console line (the level set on A) and its result", got)
		}
		if text := resultText(t, ms[len(ms)-1]); !strings.Contains(text, "42") {
			t.Errorf("execute on B: %s", text)
		}
		bob := b.client(t, tokenB)
		bob.session = alice.session
		if r := bob.post(executeReq(3, `return 1`, "")); r.StatusCode != http.StatusNotFound {
			t.Errorf("bob with alice's session on B: %s; want 404", r.Status)
		}
		b.client(t, tokenA).initializeWith(initialize)
		r := a.client(t, tokenA).post(initialize)
		if r.StatusCode != http.StatusTooManyRequests || !strings.Contains(body(r), "codemode.max_sessions_per_subject") {
			t.Errorf("alice's third session, her two on A and B: %s; want 429 naming the cap", r.Status)
		}
		if r := alice.on(b).do(http.MethodDelete, ""); r.StatusCode != http.StatusOK {
			t.Fatalf("DELETE on B: %s", r.Status)
		}
		// A learns of it from the bus, within milliseconds.
		deadline := time.Now().Add(testenv.Within(time.Second))
		for alice.post(executeReq(4, `return 1`, "")).StatusCode != http.StatusNotFound {
			if time.Now().After(deadline) {
				t.Fatal("alice's session, deleted on B, is still served on A")
			}
			time.Sleep(5 * time.Millisecond)
		}
		if r := a.client(t, tokenA).post(initialize); r.StatusCode != http.StatusOK {
			t.Errorf("a session in place of the deleted one: %s", r.Status)
		}
	})
}

// TestReplicaCancel: notifications/cancelled posted to one replica
// interrupts the request running on another, whose POST then ends without
// a response; another subject's cancel does nothing.
func TestReplicaCancel(t *testing.T) {
	eachBackend(t, authConfig(config.Codemode{}), 2, func(t *testing.T, rs []*fixture) {
		a, b := rs[0], rs[1]
		alice := a.client(t, tokenA).initializeWith(initialize)
		bob := b.client(t, tokenB).initializeWith(initialize)
		done := make(chan []map[string]any, 1)
		go func() { done <- messages(t, alice.post(executeReq(5, `await step.block(); return "not reached"`, ""))) }()
		<-a.started
		bob.post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5}}`)
		sent := time.Now()
		if r := alice.on(b).post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5}}`); r.StatusCode != http.StatusAccepted {
			t.Fatalf("notifications/cancelled on B: %s", r.Status)
		}
		select {
		case at := <-a.cancelled:
			t.Logf("cancelled on A %v after the notification was posted to B", at.Sub(sent))
			if d := at.Sub(sent); d > testenv.Within(time.Second) {
				t.Errorf("cancelled %v after; want under one second", d)
			}
		case <-time.After(testenv.Within(5 * time.Second)):
			t.Fatal("the request on A was not cancelled")
		}
		if ms := <-done; len(ms) != 0 {
			t.Errorf("the cancelled request got %v; want no response", summary(ms))
		}
		for _, c := range []struct {
			f    *fixture
			line string
		}{ // bob's cancel and alice's
			{b, `mcp_codemode_replica_messages_total{channel="cancel",way="sent"} 2`},
			{a, `mcp_codemode_replica_messages_total{channel="cancel",way="received"} 2`},
		} {
			rec := httptest.NewRecorder()
			c.f.h.metrics.handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			if !strings.Contains(rec.Body.String(), c.line) {
				t.Errorf("/metrics lacks %s", c.line)
			}
		}
	})
}

// TestReplicaElicitation: the approval one replica asks for is answered by
// a POST to another; an answer from another subject's session (knowing
// the id) is ignored. The session was opened on B: A knows from its state
// that the client can be asked.
func TestReplicaElicitation(t *testing.T) {
	c := authConfig(config.Codemode{RequireApproval: []string{"step.ok"}})
	eachBackend(t, c, 2, func(t *testing.T, rs []*fixture) {
		a, b := rs[0], rs[1]
		alice := b.client(t, tokenA).initializeWith(initializeElicit).on(a)
		bob := b.client(t, tokenB).initializeWith(initializeElicit)
		ch := events(t, alice.post(executeReq(7, `await step.ok(); return "approved"`, "")))
		ask := next(t, ch, string(mcp.MethodElicitationCreate))
		id, _ := json.Marshal(ask["id"])
		if !strings.HasPrefix(string(id), `"codemode-`+a.h.rep.id+`-`) {
			t.Errorf("the request's id %s does not name replica A (%s)", id, a.h.rep.id)
		}
		answer := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"action":"accept","content":{}}}`, id)
		if r := bob.post(answer); r.StatusCode != http.StatusAccepted {
			t.Errorf("bob's answer: %s", r.Status)
		}
		sent := time.Now()
		if r := alice.on(b).post(answer); r.StatusCode != http.StatusAccepted {
			t.Fatalf("alice's answer on B: %s %s", r.Status, body(r))
		}
		res := next(t, ch, "")
		t.Logf("the answer posted to B reached A's execution in %v", time.Since(sent))
		if text := resultText(t, res); !strings.Contains(text, "approved") {
			t.Errorf("after the approval: %s", text)
		}
	})
}

// TestReplicaElicitationForeign: bob's answer is not taken for alice's,
// even on the replica that asked.
func TestReplicaElicitationForeign(t *testing.T) {
	c := authConfig(config.Codemode{RequireApproval: []string{"step.ok"}, Timeout: 2 * time.Second})
	eachBackend(t, c, 2, func(t *testing.T, rs []*fixture) {
		a, b := rs[0], rs[1]
		alice := a.client(t, tokenA).initializeWith(initializeElicit)
		bob := a.client(t, tokenB).initializeWith(initializeElicit)
		ch := events(t, alice.post(executeReq(8, `await step.ok(); return "approved"`, "")))
		id, _ := json.Marshal(next(t, ch, string(mcp.MethodElicitationCreate))["id"])
		answer := fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"action":"accept","content":{}}}`, id)
		bob.post(answer)
		bob.on(b).post(answer)
		if text := resultText(t, next(t, ch, "")); strings.Contains(text, `"approved"`) {
			t.Errorf("bob's answer approved alice's call: %s", text)
		}
	})
}

// TestReplicaListChanged: a change of one replica's tools reaches the GET
// streams of the others' sessions as notifications/tools/list_changed.
func TestReplicaListChanged(t *testing.T) {
	eachBackend(t, authConfig(config.Codemode{}), 2, func(t *testing.T, rs []*fixture) {
		a, b := rs[0], rs[1]
		alice := b.client(t, tokenA).initializeWith(initialize)
		ch := events(t, alice.do(http.MethodGet, "")) // its headers come once the stream is registered
		if err := a.h.opts.Registry.Add(tools.Tool{Server: "extra", Name: "tool", Handler: okTool}); err != nil {
			t.Fatal(err)
		}
		next(t, ch, string(mcp.MethodNotificationToolsListChanged))
	})
}

// TestReplicaRefreshesUpstream: when an upstream tells one replica that
// its tools changed, another replica, which the upstream did not tell,
// lists that upstream's tools again (once) and its declarations have the
// new tool. Each replica has its own connection to the upstream, here its
// own in-process server holding the same tools; only a's announces the
// change (b's has no listChanged capability).
func TestReplicaRefreshesUpstream(t *testing.T) {
	eachBackend(t, authConfig(config.Codemode{}), 2, func(t *testing.T, rs []*fixture) {
		var ups []*mcpserver.MCPServer
		var lists [2]atomic.Int32 // tools/list calls each upstream answered
		for i, f := range rs {
			hooks := &mcpserver.Hooks{}
			hooks.AddBeforeListTools(func(context.Context, any, *mcp.ListToolsRequest) { lists[i].Add(1) })
			up := mcpserver.NewMCPServer("up", "1.0.0", mcpserver.WithToolCapabilities(i == 0), mcpserver.WithHooks(hooks))
			up.AddTool(mcp.NewTool("first"), upTool)
			if err := f.h.opts.Registry.AddMCPServer(context.Background(), "up", up); err != nil {
				t.Fatal(err)
			}
			ups = append(ups, up)
		}
		b := rs[1]
		if strings.Contains(b.h.opts.Server.Declarations(), "fresh") {
			t.Fatal("the new tool is declared before it was added")
		}
		ups[1].AddTool(mcp.NewTool("fresh"), upTool) // b's connection is not told
		ups[0].AddTool(mcp.NewTool("fresh"), upTool) // a's is
		deadline := time.Now().Add(testenv.Within(5 * time.Second))
		for !strings.Contains(b.h.opts.Server.Declarations(), "fresh(") {
			if time.Now().After(deadline) {
				t.Fatalf("replica b's declarations lack the tool a's upstream announced:\n%s", b.h.opts.Server.Declarations())
			}
			time.Sleep(10 * time.Millisecond)
		}
		if n := lists[1].Load(); n != 2 {
			t.Errorf("b's upstream was listed %d times; want 2 (at connect, and once on a's news)", n)
		}
	})
}

func upTool(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	return mcp.NewToolResultText(`"ok"`), nil
}

func okTool(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
	return mcp.NewToolResultText(`"ok"`), nil
}

// TestReplicaListen: a 2026-07-28 client (mcp-go's) listening with
// subscriptions/listen on one replica is told of a tool change on its own
// replica and on another.
func TestReplicaListen(t *testing.T) {
	eachBackend(t, authConfig(config.Codemode{}), 2, func(t *testing.T, rs []*fixture) {
		a, b := rs[0], rs[1]
		c, err := mcpclient.NewStreamableHttpClient(b.srv.URL+"/mcp",
			transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + tokenA}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		changed := make(chan struct{}, 10)
		c.OnNotification(func(n mcp.JSONRPCNotification) {
			if n.Method == string(mcp.MethodNotificationToolsListChanged) {
				changed <- struct{}{}
			}
		})
		ctx := context.Background()
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		init := mcp.InitializeRequest{}
		init.Params.ClientInfo = mcp.Implementation{Name: "t", Version: "1"}
		if _, err := c.Initialize(ctx, init); err != nil {
			t.Fatal(err)
		}
		listening := make(chan error, 1)
		stop, err := c.ListenAsync(ctx, mcp.SubscriptionFilter{ToolsListChanged: true}, func(err error) { listening <- err })
		if err != nil {
			t.Fatal(err)
		}
		defer stop()
		// The stream may open after a change: each replica changes again
		// until one is announced.
		n := 0
		for i, f := range []*fixture{b, a} {
			time.Sleep(100 * time.Millisecond) // the last change's other notices, if any, are in
			for len(changed) > 0 {
				<-changed
			}
			for try := 0; ; try++ {
				n++
				if err := f.h.opts.Registry.Add(tools.Tool{Server: "extra", Name: fmt.Sprint("tool", n), Handler: okTool}); err != nil {
					t.Fatal(err)
				}
				select {
				case <-changed:
				case err := <-listening:
					t.Fatalf("subscriptions/listen ended: %v", err)
				case <-time.After(testenv.Within(time.Second)):
					if try < 5 {
						continue
					}
					t.Fatalf("no notifications/tools/list_changed for a change on replica %d", 1-i)
				}
				break
			}
		}
	})
}

// TestReplicaLatency measures, on each backend, how long a cancel posted
// to one replica takes to interrupt a request on another, and an answer to
// reach the execution that asked (the median of 50 each; the bound is a
// second).
func TestReplicaLatency(t *testing.T) {
	c := authConfig(config.Codemode{RequireApproval: []string{"step.ok"}})
	eachBackend(t, c, 2, func(t *testing.T, rs []*fixture) {
		a, b := rs[0], rs[1]
		alice := a.client(t, tokenA).initializeWith(initializeElicit)
		var cancels, answers []time.Duration
		for i := range 50 {
			done := make(chan struct{})
			go func() { defer close(done); body(alice.post(executeReq(100+i, `await step.block()`, ""))) }()
			<-a.started
			sent := time.Now()
			alice.on(b).post(fmt.Sprintf(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":%d}}`, 100+i))
			cancels = append(cancels, (<-a.cancelled).Sub(sent))
			<-done
			ch := events(t, alice.post(executeReq(200+i, `await step.ok(); return "approved"`, "")))
			id, _ := json.Marshal(next(t, ch, string(mcp.MethodElicitationCreate))["id"])
			sent = time.Now()
			alice.on(b).post(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"action":"accept","content":{}}}`, id))
			next(t, ch, "")
			answers = append(answers, time.Since(sent))
		}
		pc, pa := median(cancels), median(answers)
		t.Logf("over 50 tries: a cancel crosses replicas in %v (p50), an answer reaches the execution in %v (p50)", pc, pa)
		if pc > testenv.Within(time.Second) || pa > testenv.Within(time.Second) {
			t.Errorf("p50 of %v and %v; want under a second", pc, pa)
		}
	})
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// TestReplicaSSE: a message posted to another replica than the one that
// holds an SSE session's stream is answered on the stream; a cancel posted
// there interrupts the request; another subject's post is refused. (On
// PostgreSQL: on SQLite an SSE session lives in its process only.)
func TestReplicaSSE(t *testing.T) {
	eachBackendOn(t, authConfig(config.Codemode{}), 2, SSE, func(t *testing.T, rs []*fixture) {
		a, b := rs[0], rs[1]
		c := sseStream(t, a, tokenA)
		c.base = b.srv.URL // every post goes to B
		if r := c.post(initialize); r.StatusCode != http.StatusAccepted {
			t.Fatalf("initialize posted to B: %s", r.Status)
		}
		c.until(0)
		c.post(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
		c.post(executeReq(1, `await step.ok(); return 6*7`, ""))
		if ms := c.until(1); !strings.Contains(resultText(t, ms[len(ms)-1]), "42") {
			t.Errorf("execute posted to B, answered on A's stream: %v", ms)
		}
		c.post(executeReq(2, `await step.block(); return "not reached"`, ""))
		<-a.started
		c.post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":2}}`)
		select {
		case <-a.cancelled:
		case <-time.After(testenv.Within(5 * time.Second)):
			t.Fatal("the request on A was not cancelled by a cancel posted to B")
		}
		bob := *c
		bob.token = tokenB
		if r := bob.post(executeReq(3, `return 1`, "")); r.StatusCode != http.StatusNotFound {
			t.Errorf("bob posting to alice's session on B: %s; want 404", r.Status)
		}
	})
}

// TestReplicaSSEDeadReplica: the SSE sessions of a replica whose heartbeat
// lapsed (it died, its streams with it) no longer count against
// max_sessions_per_subject, where they counted until they idled out; the
// next sweep deletes their rows. (On PostgreSQL, where SSE sessions have
// rows.)
func TestReplicaSSEDeadReplica(t *testing.T) {
	eachBackendOn(t, authConfig(config.Codemode{MaxSessionsPerSubject: 1}), 2, SSE, func(t *testing.T, rs []*fixture) {
		a, b := rs[0], rs[1]
		alice := sseStream(t, a, tokenA)
		if code := openSSE(t, b, tokenA); code != http.StatusTooManyRequests {
			t.Fatalf("alice's second SSE session while A holds her first: %d; want 429", code)
		}
		// A dies: its heartbeat stops, and its last one is past the lease.
		a.h.rep.beats.stop()
		if err := a.h.opts.Store.Heartbeat(context.Background(), a.h.rep.id, time.Now().Add(-store.ReplicaLease-time.Second)); err != nil {
			t.Fatal(err)
		}
		if code := openSSE(t, b, tokenA); code != http.StatusOK {
			t.Errorf("alice's SSE session after the replica holding her first died: %d; want 200", code)
		}
		if err := b.h.sessions.sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := a.h.opts.Store.Session(context.Background(), strings.TrimPrefix(alice.endpoint, "/message?sessionId=")); found {
			t.Error("the dead replica's session has a row after the sweep")
		}
	})
}

// openSSE opens an SSE stream on f, returns its status and closes it.
func openSSE(t *testing.T, f *fixture, token string) int {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.srv.URL+"/sse", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestReplicaIdle: a session used on one replica stays open on the others,
// however long they do not see it; idle everywhere, it is swept and gone
// on every replica. (The replicas share a clock the test moves.)
func TestReplicaIdle(t *testing.T) {
	idle := time.Minute
	eachBackend(t, authConfig(config.Codemode{SessionIdleTimeout: idle}), 2, func(t *testing.T, rs []*fixture) {
		var mu sync.Mutex
		now := time.Now()
		for _, f := range rs {
			f.h.sessions.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		}
		wait := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
		a, b := rs[0], rs[1]
		alice := a.client(t, tokenA).initializeWith(initialize)
		for range 12 {
			wait(idle / 4)
			if r := alice.on(b).post(`{"jsonrpc":"2.0","id":1,"method":"ping"}`); r.StatusCode != http.StatusOK {
				t.Fatalf("ping on B: %s", r.Status)
			}
			if err := a.h.sessions.sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		if r := alice.post(`{"jsonrpc":"2.0","id":2,"method":"ping"}`); r.StatusCode != http.StatusOK {
			t.Fatalf("on A, after %v used only on B: %s", 3*idle, r.Status)
		}
		wait(idle + time.Second)
		if err := b.h.sessions.sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		for i, f := range rs {
			if r := alice.on(f).post(`{"jsonrpc":"2.0","id":3,"method":"ping"}`); r.StatusCode != http.StatusNotFound {
				t.Errorf("replica %d, the session idle everywhere and swept: %s; want 404", i, r.Status)
			}
		}
	})
}

// TestReplicaStoreDown: while PostgreSQL is down, a session this replica
// holds is still served (what it runs may not need the store), opening a
// session or using one the replica never saw answers 503 saying why, and
// /readyz is 503; once it is back, everything works again by itself.
func TestReplicaStoreDown(t *testing.T) {
	pg := testenv.PostgresServer(t)
	url := pg.NewDatabase(t)
	a := newReplica(t, authConfig(config.Codemode{}), openStore(t, store.Options{URL: url}), HTTP)
	b := newReplica(t, authConfig(config.Codemode{}), openStore(t, store.Options{URL: url}), HTTP)
	alice := a.client(t, tokenA).initializeWith(initialize)
	other := b.client(t, tokenA).initializeWith(initialize)
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = pg.Start()
		}
	})
	a.h.sessions.now = func() time.Time { return time.Now().Add(2 * touchEvery) } // its row's touch is due
	if ms := messages(t, alice.post(executeReq(1, `await step.ok(); return 6*7`, ""))); !strings.Contains(resultText(t, ms[0]), "42") {
		t.Errorf("a held session, the database down: %v", ms)
	}
	if r := alice.on(b).post(executeReq(2, `return 1`, "")); r.StatusCode != http.StatusServiceUnavailable ||
		!strings.Contains(body(r), "StoreError") {
		t.Errorf("a session B never saw, the database down: %s; want 503 with the StoreError", r.Status)
	}
	if r := a.client(t, tokenA).post(initialize); r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("initialize, the database down: %s; want 503", r.Status)
	}
	if r, err := http.Get(a.srv.URL + "/readyz"); err != nil || r.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz, the database down: %v %v", r.Status, err)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	deadline := time.Now().Add(testenv.Within(10 * time.Second))
	for other.on(a).post(executeReq(3, `return 1`, "")).StatusCode != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("B's session is not served on A after the database came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r, err := http.Get(a.srv.URL + "/readyz"); err != nil || r.StatusCode != http.StatusOK {
		t.Errorf("/readyz, the database back: %v %v", r.Status, err)
	}
}

// TestReplicaCancelModern: a 2026-07-28 request (no session) is cancelled
// by a notifications/cancelled of its subject posted to another replica.
func TestReplicaCancelModern(t *testing.T) {
	eachBackend(t, authConfig(config.Codemode{}), 2, func(t *testing.T, rs []*fixture) {
		a, b := rs[0], rs[1]
		meta := `{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},` +
			`"io.modelcontextprotocol/clientCapabilities":{}}`
		alice := a.client(t, tokenA)
		alice.header["MCP-Protocol-Version"] = "2026-07-28"
		call := alice.on(a)
		call.header["Mcp-Method"], call.header["Mcp-Name"] = "tools/call", "execute"
		alice.header["Mcp-Method"] = "notifications/cancelled"
		done := make(chan *http.Response, 1)
		go func() { done <- call.post(executeReq(9, `await step.block(); return "not reached"`, meta)) }()
		select {
		case <-a.started:
		case r := <-done:
			t.Fatalf("the 2026-07-28 request: %s %s", r.Status, body(r))
		}
		r := alice.on(b).post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9,"_meta":` + meta + `}}`)
		if r.StatusCode != http.StatusAccepted {
			t.Fatalf("notifications/cancelled on B: %s %s", r.Status, body(r))
		}
		select {
		case <-a.cancelled:
		case <-time.After(testenv.Within(5 * time.Second)):
			t.Fatal("the 2026-07-28 request on A was not cancelled")
		}
		<-done
	})
}

// TestOutboundIDs: a server request leaving on a stream gets this
// replica's id; responses and notifications pass as they are; the answer
// maps back to mcp-go's id once, for the same subject and session only,
// and not after the stream ended.
func TestOutboundIDs(t *testing.T) {
	o := newOutbound("r1")
	st := &stream{o: o, subject: "alice", session: "s1"}
	event := func(msg string) []byte { return []byte("event: message\ndata: " + msg + "\n\n") }
	for _, msg := range []string{`{"jsonrpc":"2.0","id":3,"result":{}}`, `{"jsonrpc":"2.0","method":"notifications/progress","params":{}}`} {
		if got := st.rewrite(event(msg)); string(got) != string(event(msg)) {
			t.Errorf("rewrote %s into %s", msg, got)
		}
	}
	got := string(st.rewrite(event(`{"jsonrpc":"2.0","id":7,"method":"elicitation/create","params":{}}`)))
	if want := string(event(`{"id":"codemode-r1-7","jsonrpc":"2.0","method":"elicitation/create","params":{}}`)); got != want {
		t.Errorf("a server request went out as %q, want %q", got, want)
	}
	if owner, ok := o.owner(`"codemode-r1-7"`); !ok || owner != "r1" {
		t.Errorf("owner = %q, %v", owner, ok)
	}
	if _, ok := o.owner(`"codemode-7"`); ok {
		t.Error("a Conn's id (stdio, SSE) was taken for a replica's")
	}
	if _, ok := o.take("bob", "s1", `"codemode-r1-7"`); ok {
		t.Error("bob's answer was taken")
	}
	if theirs, ok := o.take("alice", "s1", `"codemode-r1-7"`); !ok || string(theirs) != "7" {
		t.Errorf("alice's answer: %s, %v; want mcp-go's id 7", theirs, ok)
	}
	if _, ok := o.take("alice", "s1", `"codemode-r1-7"`); ok {
		t.Error("an answer was taken twice")
	}
	st.rewrite(event(`{"jsonrpc":"2.0","id":8,"method":"elicitation/create","params":{}}`))
	st.end()
	if _, ok := o.take("alice", "s1", `"codemode-r1-8"`); ok {
		t.Error("an answer was taken after its stream ended")
	}
}

// TestSessionsSurviveRestart: with a data directory, a legacy session
// outlives the process that opened it: the next one serves it, with what
// its initialize said.
func TestSessionsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	c := authConfig(config.Codemode{RequireApproval: []string{"step.ok"}})
	st := openStore(t, store.Options{Dir: dir})
	first := newReplica(t, c, st, HTTP)
	alice := first.client(t, tokenA).initializeWith(initializeElicit)
	first.srv.Close()
	first.h.Close()
	st.Close()
	second := newReplica(t, c, openStore(t, store.Options{Dir: dir}), HTTP)
	ch := events(t, alice.on(second).post(executeReq(1, `await step.ok(); return "approved"`, "")))
	ask := next(t, ch, string(mcp.MethodElicitationCreate)) // the client still can be asked
	id, _ := json.Marshal(ask["id"])
	alice.on(second).post(fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"action":"accept","content":{}}}`, id))
	if text := resultText(t, next(t, ch, "")); !strings.Contains(text, "approved") {
		t.Errorf("after the restart: %s", text)
	}
}

// TestSSEOnSQLiteKeepsNoRows: on SQLite an SSE session is not written to
// the sessions table: it ends with its stream, and a row left by a crash
// would count against the caps until it idled out.
func TestSSEOnSQLiteKeepsNoRows(t *testing.T) {
	st := openStore(t, store.Options{Dir: t.TempDir()})
	f := newReplica(t, authConfig(config.Codemode{}), st, SSE)
	c := f.sse(t, tokenA)
	c.post(executeReq(1, `return 1`, ""))
	c.until(1)
	var n int
	if err := st.Read().QueryRow(`SELECT COUNT(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows in sessions (%v); want none", n, err)
	}
}

//lint:file-ignore SA1019 the clients are tested on the logging feature that 2026-07-28 deprecates and still carries

package main

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	mcpgo "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	gosdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Protocol revisions the Go clients are tested in: the newest, which both
// negotiate by default, and the last one with sessions and initialize.
const (
	rev20260728 = "2026-07-28"
	rev20251125 = "2025-11-25"
)

// goClient is what the client matrix needs of an MCP client library.
type goClient interface {
	// version is the protocol revision the client and server agreed on.
	version() string
	tools(ctx context.Context) ([]string, error)
	// call calls a tool with a progress token and the log level "info",
	// and returns "result TEXT" or "error TEXT".
	call(ctx context.Context, name string, args map[string]any) (string, error)
	// setLevel asks for log messages from level on: with logging/setLevel
	// before 2026-07-28, and in each request's _meta from it on.
	setLevel(ctx context.Context, level string) error
	// notifications waits for n notifications (at most 10 s) and returns
	// those that came, sorted: "progress MESSAGE", "log LEVEL TEXT".
	notifications(n int) []string
	close()
}

// clientEvents collects notifications as they arrive.
type clientEvents struct {
	mu     sync.Mutex
	events []string
}

func (e *clientEvents) add(s string) {
	e.mu.Lock()
	e.events = append(e.events, s)
	e.mu.Unlock()
}

// notifications waits for n events, then takes those there are, sorted.
func (e *clientEvents) notifications(n int) []string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		e.mu.Lock()
		if len(e.events) >= n || time.Now().After(deadline) {
			out := slices.Sorted(slices.Values(e.events))
			e.events = nil
			e.mu.Unlock()
			return out
		}
		e.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
}

// --- mcp-go's client ---

type mcpgoClient struct {
	c      *mcpgo.Client
	rev    string
	events *clientEvents
}

func connectMCPGo(t *testing.T, transportName, target, token, rev string) goClient {
	t.Helper()
	var tr transport.Interface
	var err error
	switch transportName {
	case "stdio":
		tr = transport.NewStdio(binary(t), nil, "--config", target)
	case "http":
		tr, err = transport.NewStreamableHTTP(target, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	case "sse":
		tr, err = transport.NewSSE(target, transport.WithHeaders(map[string]string{"Authorization": "Bearer " + token}))
	}
	if err != nil {
		t.Fatal(err)
	}
	ev := &clientEvents{}
	opts := []mcpgo.ClientOption{mcpgo.WithElicitationHandler(accepter{ev})}
	if rev != rev20260728 {
		opts = append(opts, mcpgo.WithProtocolVersion(rev))
	}
	c := mcpgo.NewClient(tr, opts...)
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		switch n.Method {
		case "notifications/progress":
			ev.add(fmt.Sprintf("progress %v", n.Params.AdditionalFields["message"]))
		case "notifications/message":
			ev.add(fmt.Sprintf("log %v %v", n.Params.AdditionalFields["level"], n.Params.AdditionalFields["data"]))
		}
	})
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = rev
	init.Params.ClientInfo = mcp.Implementation{Name: "mcp-go", Version: "1.6.0"}
	res, err := c.Initialize(ctx, init)
	if err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return &mcpgoClient{c: c, rev: res.ProtocolVersion, events: ev}
}

func (m *mcpgoClient) version() string              { return m.rev }
func (m *mcpgoClient) notifications(n int) []string { return m.events.notifications(n) }
func (m *mcpgoClient) close()                       { m.c.Close() }

func (m *mcpgoClient) tools(ctx context.Context) ([]string, error) {
	res, err := m.c.ListTools(ctx, mcp.ListToolsRequest{})
	if err != nil {
		return nil, err
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names, nil
}

// setLevel: mcp-go's client sends logging/setLevel, or from 2026-07-28
// on keeps the level for each request's _meta.
func (m *mcpgoClient) setLevel(ctx context.Context, level string) error {
	return m.c.SetLevel(ctx, mcp.SetLevelRequest{Params: mcp.SetLevelParams{Level: mcp.LoggingLevel(level)}})
}

func (m *mcpgoClient) call(ctx context.Context, name string, args map[string]any) (string, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	req.Params.Meta = &mcp.Meta{ProgressToken: "p1"}
	res, err := m.c.CallTool(ctx, req)
	if err != nil {
		return "", err
	}
	return resultEvent(res.IsError, textOf(res.Content)), nil
}

func textOf(content []mcp.Content) string {
	var parts []string
	for _, c := range content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func resultEvent(isError bool, text string) string {
	if isError {
		return "error " + text
	}
	return "result " + text
}

// accepter is mcp-go's elicitation handler: it notes the question as an
// event "asked" and accepts.
type accepter struct{ events *clientEvents }

func (a accepter) Elicit(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	a.events.add("asked")
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept}}, nil
}

// --- the official Go SDK's client ---

type gosdkClient struct {
	s      *gosdk.ClientSession
	events *clientEvents
	level  string // for _meta, from 2026-07-28 on
}

// bearer adds a token to every request.
type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func connectGoSDK(t *testing.T, transportName, target, token, rev string) goClient {
	t.Helper()
	ev := &clientEvents{}
	client := gosdk.NewClient(&gosdk.Implementation{Name: "go-sdk", Version: "1.8.0"}, &gosdk.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, r *gosdk.ProgressNotificationClientRequest) {
			ev.add("progress " + r.Params.Message)
		},
		LoggingMessageHandler: func(_ context.Context, r *gosdk.LoggingMessageRequest) {
			ev.add(fmt.Sprintf("log %s %v", r.Params.Level, r.Params.Data))
		},
		ElicitationHandler: func(context.Context, *gosdk.ElicitRequest) (*gosdk.ElicitResult, error) {
			ev.add("asked")
			return &gosdk.ElicitResult{Action: "accept"}, nil
		},
	})
	hc := &http.Client{Transport: bearer{token}}
	var tr gosdk.Transport
	switch transportName {
	case "stdio":
		tr = &gosdk.CommandTransport{Command: exec.Command(binary(t), "--config", target)}
	case "http":
		tr = &gosdk.StreamableClientTransport{Endpoint: target, HTTPClient: hc}
	case "sse":
		tr = &gosdk.SSEClientTransport{Endpoint: target, HTTPClient: hc}
	}
	s, err := client.Connect(context.Background(), tr, &gosdk.ClientSessionOptions{ProtocolVersion: rev})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return &gosdkClient{s: s, events: ev}
}

func (g *gosdkClient) version() string              { return g.s.InitializeResult().ProtocolVersion }
func (g *gosdkClient) notifications(n int) []string { return g.events.notifications(n) }
func (g *gosdkClient) close()                       { g.s.Close() }

func (g *gosdkClient) tools(ctx context.Context) ([]string, error) {
	res, err := g.s.ListTools(ctx, nil)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return names, nil
}

func (g *gosdkClient) setLevel(ctx context.Context, level string) error {
	if g.version() >= rev20260728 {
		g.level = level
		return nil
	}
	return g.s.SetLoggingLevel(ctx, &gosdk.SetLoggingLevelParams{Level: gosdk.LoggingLevel(level)})
}

func (g *gosdkClient) call(ctx context.Context, name string, args map[string]any) (string, error) {
	params := &gosdk.CallToolParams{Name: name, Arguments: args}
	params.SetProgressToken("p1")
	if g.level != "" {
		params.Meta[gosdk.MetaKeyLogLevel] = g.level
	}
	res, err := g.s.CallTool(ctx, params)
	if err != nil {
		return "", err
	}
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*gosdk.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return resultEvent(res.IsError, strings.Join(parts, "\n")), nil
}

// TestGoClients drives the built binary with mcp-go's client and the
// official Go SDK's, on stdio, streamable HTTP and SSE, in 2026-07-28 (what
// both negotiate by default) and 2025-11-25: the tool list, an execution
// with an upstream call, its progress and console line before the result,
// a script error, and search_tools. Console lines go only to a client that
// asked for them, from the level it asked for (console.warn at "warning").
func TestGoClients(t *testing.T) {
	servers := map[string]any{"testup": upstreams(t)["testup"]}
	gate := []string{"testup.noise"}
	stdioConfig := writeConfig(t, servers, map[string]any{"require_approval": gate})
	hostedConfig := writeConfig(t, servers, map[string]any{"require_approval": gate,
		"auth": map[string]any{"tokens": []string{"${ALICE}"}}})
	hosted := map[string]*hostedServer{}
	for _, tr := range []string{"http", "sse"} {
		hosted[tr] = startHosted(t, tr, hostedConfig, "ALICE="+tokenAlice)
	}
	connect := map[string]func(t *testing.T, transportName, target, token, rev string) goClient{
		"mcp-go": connectMCPGo, "go-sdk": connectGoSDK,
	}
	for _, lib := range []string{"mcp-go", "go-sdk"} {
		for _, tr := range []string{"stdio", "http", "sse"} {
			for _, rev := range []string{rev20260728, rev20251125} {
				t.Run(lib+"/"+tr+"/"+rev, func(t *testing.T) {
					target := stdioConfig
					if tr != "stdio" {
						target = hosted[tr].endpoint(tr)
					}
					c := connect[lib](t, tr, target, tokenAlice, rev)
					defer c.close()
					clientSuite(t, c, rev)
				})
			}
		}
	}
}

func clientSuite(t *testing.T, c goClient, rev string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if got := c.version(); got != rev {
		t.Errorf("negotiated %q, want %q", got, rev)
	}
	names, err := c.tools(ctx)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	if !slices.Contains(names, "execute") || !slices.Contains(names, "search_tools") {
		t.Errorf("tools/list = %q", names)
	}
	again, _ := c.tools(ctx)
	if !slices.Equal(names, again) {
		t.Errorf("tools/list is not deterministic: %q then %q", names, again)
	}
	got, err := c.call(ctx, "execute", map[string]any{"code": `console.log("unasked"); return 1`})
	if err != nil || got != "result 1\n\nConsole output:\nunasked" {
		t.Errorf("execute: %q, %v", got, err)
	}
	if err := c.setLevel(ctx, "info"); err != nil {
		t.Fatalf("setting the log level: %v", err)
	}
	got, err = c.call(ctx, "execute", map[string]any{"code": `console.log("hello"); return await testup.pid() > 0 ? 6 * 7 : 0`})
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	if diff := cmp.Diff("result 42\n\nConsole output:\nhello", got); diff != "" {
		t.Errorf("execute: result (-want +got):\n%s", diff)
	}
	// The clients hand notifications to their handlers on goroutines of
	// their own, so one may run after the call has returned: the order on
	// the wire is tested in package hosted and server; here, that each
	// arrives.
	want := []string{"log info hello", "progress 1/1 tool calls"}
	if diff := cmp.Diff(want, c.notifications(len(want))); diff != "" {
		t.Errorf("execute: notifications (-want +got):\n%s", diff)
	}
	if err := c.setLevel(ctx, "warning"); err != nil {
		t.Fatalf("setting the log level: %v", err)
	}
	if _, err := c.call(ctx, "execute", map[string]any{"code": `console.log("a"); console.info("b"); console.warn("c"); console.error("d")`}); err != nil {
		t.Fatalf("execute: %v", err)
	}
	want = []string{"log error d", "log warning c"}
	if diff := cmp.Diff(want, c.notifications(len(want))); diff != "" {
		t.Errorf("console at level warning: notifications (-want +got):\n%s", diff)
	}
	got, err = c.call(ctx, "execute", map[string]any{"code": `throw new RangeError("nope")`})
	if err != nil || !strings.HasPrefix(got, "error RangeError: nope") {
		t.Errorf("a script error: %q, %v", got, err)
	}
	if !asksNothing(c) || rev >= rev20260728 {
		approvalSuite(t, c, rev)
	}
	got, err = c.call(ctx, "search_tools", map[string]any{"query": "process id"})
	// pid's result type is learned from the call above (README: Learned result types), off the
	// call's path: by now, or not yet on a busy machine.
	if err != nil || !strings.Contains(got, "pid(args?: {}): Promise<number>") && !strings.Contains(got, "pid(args?: {}): Promise<unknown>") {
		t.Errorf("search_tools: %q, %v", got, err)
	}
}

// asksNothing: mcp-go's SSE client transport has no handler for requests
// from the server (it is not a transport.BidirectionalInterface), so
// before 2026-07-28 it declares elicitation but never answers one, and a
// gated call waits for its execution's timeout. The README's client table
// says so. From 2026-07-28 on the question comes in the call's result.
func asksNothing(c goClient) bool {
	m, ok := c.(*mcpgoClient)
	if !ok {
		return false
	}
	_, answers := m.c.GetTransport().(transport.BidirectionalInterface)
	return !answers
}

// approvalSuite: a call that needs approval asks the client: before
// 2026-07-28 with elicitation/create in the middle of the call, from
// 2026-07-28 on with an input_required result that the client answers by
// retrying the call (both clients do that by themselves), which resumes
// the run by replay.
func approvalSuite(t *testing.T, c goClient, rev string) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got, err := c.call(ctx, "execute", map[string]any{"code": `return await testup.noise()`})
	if err != nil {
		t.Fatalf("execute: %v", err)
	}
	if got != `result "ok"` {
		t.Errorf("a gated call: %q", got)
	}
	want := []string{"asked", "progress 1/1 tool calls"}
	// From 2026-07-28 on the call is made twice (paused, then replayed),
	// and reports its progress once: the one held at the pause returns as
	// the run is stopped, and is not delivered (sandbox's loop).
	if diff := cmp.Diff(want, c.notifications(len(want))); diff != "" {
		t.Errorf("a gated call: the client was not asked (-want +got):\n%s", diff)
	}
}

package main

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it keeps the spans posted
// to /v1/traces.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	srv   *httptest.Server
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	r := &otlpReceiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *otlpReceiver) serve(w http.ResponseWriter, req *http.Request) {
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	data, _ := io.ReadAll(body)
	var msg coltrace.ExportTraceServiceRequest
	if req.URL.Path != "/v1/traces" || proto.Unmarshal(data, &msg) != nil {
		http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	for _, rs := range msg.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			r.spans = append(r.spans, ss.Spans...)
		}
	}
	r.mu.Unlock()
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(out)
}

func (r *otlpReceiver) received() []*tracepb.Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...)
}

// metaUpstream is an MCP server over streamable HTTP whose tool echo
// returns its argument and keeps the _meta of each call.
type metaUpstream struct {
	mu    sync.Mutex
	metas []map[string]any
	srv   *httptest.Server
}

func newMetaUpstream(t *testing.T) *metaUpstream {
	u := &metaUpstream{}
	s := mcpserver.NewMCPServer("up", "1.0.0", mcpserver.WithToolCapabilities(true))
	s.AddTool(mcp.NewTool("echo", mcp.WithNumber("n", mcp.Required())), func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		u.mu.Lock()
		meta := map[string]any{}
		if req.Params.Meta != nil {
			meta = req.Params.Meta.AdditionalFields
		}
		u.metas = append(u.metas, meta)
		u.mu.Unlock()
		return mcp.NewToolResultText(fmt.Sprint(req.GetFloat("n", 0))), nil
	})
	u.srv = httptest.NewServer(mcpserver.NewStreamableHTTPServer(s))
	t.Cleanup(u.srv.Close)
	return u
}

// TestTracing runs the binary with OTEL_EXPORTER_OTLP_ENDPOINT at an
// in-process receiver: an execute whose request carries a traceparent in
// _meta calls an upstream tool twice, fetches from an allowed loopback
// server and runs a snippet that calls the tool once more. The spans form
// the tree below the caller's span, in the caller's trace; the upstream
// and the fetch target receive that trace's context.
func TestTracing(t *testing.T) {
	for _, isolation := range []string{"inprocess", "process"} {
		t.Run(isolation, func(t *testing.T) { testTracing(t, isolation) })
	}
}

func testTracing(t *testing.T, isolation string) {
	otlp := newOTLPReceiver(t)
	up := newMetaUpstream(t)
	var fetchMu sync.Mutex
	var fetchHeader http.Header
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetchMu.Lock()
		fetchHeader = r.Header.Clone()
		fetchMu.Unlock()
		w.Write([]byte(`{"ok": true}`))
	}))
	t.Cleanup(target.Close)
	port := target.URL[strings.LastIndexByte(target.URL, ':')+1:]
	cfg := writeConfig(t, map[string]any{"up": map[string]any{"type": "http", "url": up.srv.URL + "/mcp"}}, map[string]any{
		"isolation": isolation,
		"network":   map[string]any{"allow": []map[string]any{{"host": "127.0.0.1", "scheme": "http", "ports": []string{port}, "allow_private": true}}},
	})
	// ports is a list of numbers in the configuration
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(data), `"`+port+`"`, port, 1)), 0o600)

	c, stderr := startTraced(t, cfg, "OTEL_EXPORTER_OTLP_ENDPOINT="+otlp.srv.URL, "OTEL_SERVICE_NAME=codemode-test")
	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	code := fmt.Sprintf(`await codemode.save("again", "return await up.echo({n: input})", "echoes its input");
const a = await up.echo({n: 1});
const b = await up.echo({n: 2});
const r = await fetch("http://127.0.0.1:%s/data?token=abc");
const s = await codemode.run("again", 3);
return {a, b, status: r.status, s};`, port)
	req := mcp.CallToolRequest{}
	req.Params.Name = "execute"
	req.Params.Arguments = map[string]any{"code": code}
	req.Params.Meta = &mcp.Meta{AdditionalFields: map[string]any{"traceparent": "00-" + traceID + "-" + parentID + "-01", "tracestate": "vendor=x"}}
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Within(30*time.Second))
	defer cancel()
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError {
		t.Fatalf("execute failed: %v\nstderr:\n%s", res.Content, stderr)
	}
	runID := runIDOf(t, res)
	c.Close() // the server exits and flushes its spans

	spans := waitSpans(t, otlp, 6)
	byID := map[string]*tracepb.Span{}
	for _, s := range spans {
		byID[hex.EncodeToString(s.SpanId)] = s
		if got := hex.EncodeToString(s.TraceId); got != traceID {
			t.Errorf("span %q in trace %s, want the caller's %s", s.Name, got, traceID)
		}
	}
	// The tree, each span as "name <- parent name", sorted.
	var tree []string
	for _, s := range spans {
		parent := "caller " + hex.EncodeToString(s.ParentSpanId)
		if p, ok := byID[hex.EncodeToString(s.ParentSpanId)]; ok {
			parent = p.Name
		}
		tree = append(tree, s.Name+" <- "+parent)
	}
	sort.Strings(tree)
	want := []string{
		"codemode.run again <- execute",
		"execute <- caller " + parentID,
		"fetch GET <- execute",
		"tools/call up.echo <- codemode.run again",
		"tools/call up.echo <- execute",
		"tools/call up.echo <- execute",
	}
	if diff := cmp.Diff(want, tree); diff != "" {
		t.Errorf("span tree (-want +got):\n%s", diff)
	}
	exec := find(spans, "execute")
	// tool_calls is stats.tool_calls: the script's own calls (save, echo,
	// echo, fetch, run), not those of the snippet it ran.
	wantAttrs(t, exec, map[string]string{"codemode.run_id": runID, "codemode.outcome": "ok", "codemode.tool_calls": "5",
		"codemode.code_bytes": fmt.Sprint(len(code)), "codemode.subject": ""})
	wantAttrs(t, find(spans, "tools/call up.echo"), map[string]string{"mcp.server": "up", "mcp.tool": "echo", "codemode.outcome": "ok", "codemode.argument_bytes": "7"})
	fetchSpan := find(spans, "fetch GET")
	wantAttrs(t, fetchSpan, map[string]string{"http.request.method": "GET", "server.address": "127.0.0.1", "http.response.status_code": "200"})
	for _, kv := range fetchSpan.Attributes {
		if strings.Contains(fmt.Sprint(kv.Value), "token") || strings.Contains(fmt.Sprint(kv.Value), "/data") {
			t.Errorf("the fetch span holds the URL's path or query: %s=%v", kv.Key, kv.Value)
		}
	}

	// The upstream got each call's span as its parent, in the caller's trace.
	up.mu.Lock()
	metas := up.metas
	up.mu.Unlock()
	if len(metas) != 3 {
		t.Fatalf("the upstream got %d calls, want 3", len(metas))
	}
	for i, m := range metas {
		tp, _ := m["traceparent"].(string)
		parts := strings.Split(tp, "-")
		if len(parts) != 4 || parts[1] != traceID || byID[parts[2]] == nil || byID[parts[2]].Name != "tools/call up.echo" {
			t.Errorf("call %d: _meta.traceparent %q, want the trace %s and the call's span", i+1, tp, traceID)
		}
		if m["tracestate"] != "vendor=x" {
			t.Errorf("call %d: _meta.tracestate %v, want the caller's vendor=x", i+1, m["tracestate"])
		}
	}
	fetchMu.Lock()
	tp := fetchHeader.Get("Traceparent")
	fetchMu.Unlock()
	if want := "00-" + traceID + "-" + hex.EncodeToString(fetchSpan.SpanId) + "-01"; tp != want {
		t.Errorf("the fetch target got traceparent %q, want %q", tp, want)
	}
}

// TestTracingOff: without OTEL_* exporter variables nothing is traced and
// nothing is passed on, even for a request that carries a traceparent.
func TestTracingOff(t *testing.T) {
	up := newMetaUpstream(t)
	cfg := writeConfig(t, map[string]any{"up": map[string]any{"type": "http", "url": up.srv.URL + "/mcp"}}, nil)
	c, stderr := startTraced(t, cfg, "OTEL_SERVICE_NAME=codemode-test")
	req := mcp.CallToolRequest{}
	req.Params.Name = "execute"
	req.Params.Arguments = map[string]any{"code": `return await up.echo({n: 1})`}
	req.Params.Meta = &mcp.Meta{AdditionalFields: map[string]any{"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	if res, err := c.CallTool(context.Background(), req); err != nil || res.IsError {
		t.Fatalf("%v %v\nstderr:\n%s", err, res, stderr)
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if len(up.metas) != 1 || up.metas[0]["traceparent"] != nil {
		t.Errorf("with tracing off the upstream got _meta %v", up.metas)
	}
}

// startTraced starts the binary on stdio with env added to the test's own,
// and initializes an mcp-go client (2025-06-18) with it.
func startTraced(t *testing.T, cfg string, env ...string) (*client.Client, *testenv.Buffer) {
	t.Helper()
	stderr := &testenv.Buffer{}
	c, err := client.NewStdioMCPClientWithOptions(binary(t), env, []string{"--config", cfg},
		transport.WithCommandFunc(func(ctx context.Context, command string, env, args []string) (*exec.Cmd, error) {
			cmd := exec.CommandContext(ctx, command, args...)
			cmd.Env, cmd.Stderr = append(os.Environ(), env...), stderr
			return cmd, nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.ProtocolVersion20250618
	init.Params.ClientInfo = mcp.Implementation{Name: "trace-test", Version: "1"}
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Within(30*time.Second))
	defer cancel()
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, stderr)
	}
	waitTools(t, c, "up.echo", stderr)
	return c, stderr
}

// waitTools waits until execute's description declares name (upstreams
// connect in the background).
func waitTools(t *testing.T, c *client.Client, name string, stderr *testenv.Buffer) {
	t.Helper()
	ns, method, _ := strings.Cut(name, ".")
	deadline := time.Now().Add(testenv.Within(20 * time.Second))
	for {
		list, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
		if err == nil {
			for _, tool := range list.Tools {
				if tool.Name == "execute" && strings.Contains(tool.Description, ns) && strings.Contains(tool.Description, method+"(") {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared (%v)\nstderr:\n%s", name, err, stderr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func runIDOf(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	data, _ := json.Marshal(res.StructuredContent)
	var sc struct {
		Stats struct {
			RunID string `json:"run_id"`
		} `json:"stats"`
	}
	json.Unmarshal(data, &sc)
	if len(sc.Stats.RunID) != 26 {
		t.Fatalf("structuredContent.stats.run_id is %q, want a run id: %s", sc.Stats.RunID, data)
	}
	return sc.Stats.RunID
}

func waitSpans(t *testing.T, r *otlpReceiver, n int) []*tracepb.Span {
	t.Helper()
	deadline := time.Now().Add(testenv.Within(10 * time.Second))
	for {
		spans := r.received()
		if len(spans) >= n || time.Now().After(deadline) {
			time.Sleep(100 * time.Millisecond) // any straggler of the same export
			return r.received()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func find(spans []*tracepb.Span, name string) *tracepb.Span {
	for _, s := range spans {
		if s.Name == name {
			return s
		}
	}
	return &tracepb.Span{Name: name}
}

func wantAttrs(t *testing.T, s *tracepb.Span, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	for _, kv := range s.Attributes {
		got[kv.Key] = attrString(kv.Value)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("span %q: %s = %q (set: %v), want %q", s.Name, k, g, ok, v)
		}
	}
}

func attrString(v *commonpb.AnyValue) string {
	switch x := v.Value.(type) {
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_IntValue:
		return fmt.Sprint(x.IntValue)
	case *commonpb.AnyValue_BoolValue:
		return fmt.Sprint(x.BoolValue)
	}
	return v.String()
}

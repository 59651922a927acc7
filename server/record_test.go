package server

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/runs"
	"github.com/mcp-codemode/mcp-codemode/store"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// recordTools are a tool that answers at once and one that fails.
func recordTools() []tools.Tool {
	return []tools.Tool{
		{Server: "t", Name: "ok", Handler: func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText(`{"fine":true}`), nil
		}},
		{Server: "t", Name: "fail", Handler: func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultError("no such thing"), nil
		}},
	}
}

func recordServer(t testing.TB, o Options) *Server {
	t.Helper()
	reg := tools.NewRegistry(tools.Options{})
	if err := reg.Add(recordTools()...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reg.Close() })
	o.Limits = config.Codemode{Isolation: "inprocess"}
	return New(reg, o)
}

// TestRunRecorded: an execute through MCP is recorded with every call, in
// order, its id in stats.run_id; the configuration's secrets are not in
// the record.
func TestRunRecorded(t *testing.T) {
	mem := runs.NewMemory(0, 0)
	rec := runs.NewRecorder(mem, runs.Options{Secrets: []string{"hunter2-secret"}})
	srv := recordServer(t, Options{Runs: rec})
	c := connect(t, srv)
	code := `const key = "hunter2-secret";
await t.ok({a: 1});
try { await t.fail({}); } catch (e) {}
await t.ok({a: 2});
throw new Error("stop " + key);`
	req := mcp.CallToolRequest{}
	req.Params.Name = "execute"
	req.Params.Arguments = map[string]any{"code": code}
	res, err := c.CallTool(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	rec.Close(context.Background())
	data, _ := json.Marshal(res.StructuredContent)
	var sc struct {
		Stats struct {
			RunID string `json:"run_id"`
		} `json:"stats"`
	}
	json.Unmarshal(data, &sc)
	got, err := mem.Get(context.Background(), sc.Stats.RunID)
	if err != nil {
		t.Fatalf("stats.run_id %q: %v (%s)", sc.Stats.RunID, err, data)
	}
	type call struct {
		Ordinal          int
		Kind, Name       string
		Bytes            int
		Outcome, ErrName string
	}
	var calls []call
	for _, c := range got.Calls {
		calls = append(calls, call{c.Ordinal, c.Kind, c.Name, c.ArgsBytes, c.Outcome, c.ErrorName})
	}
	want := []call{
		{1, runs.KindTool, "t.ok", 7, "ok", ""},
		{2, runs.KindTool, "t.fail", 2, "tool_error", "ToolError"},
		{3, runs.KindTool, "t.ok", 7, "ok", ""},
	}
	if diff := cmp.Diff(want, calls); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if got.Outcome != "error" || got.ErrorName != "Error" || !strings.Contains(got.ErrorMsg, "stop") {
		t.Errorf("outcome %q, error %s: %s", got.Outcome, got.ErrorName, got.ErrorMsg)
	}
	if strings.Contains(got.Code+got.ErrorMsg, "hunter2") || !strings.Contains(got.Code, "await t.fail") {
		t.Errorf("the record holds the secret, or not the code:\ncode %s\nerror %s", got.Code, got.ErrorMsg)
	}
}

// hungStore never finishes an insert (a database that stopped answering).
type hungStore struct {
	runs.Backend
	inserts atomic.Int32
}

func (h *hungStore) Insert(ctx context.Context, _ []*runs.Record) error {
	h.inserts.Add(1)
	<-ctx.Done()
	return ctx.Err()
}

// TestSlowStoreDoesNotSlowExecutions: with the store hung, executions run
// as fast as without records; what does not fit in the queue is dropped
// and counted.
func TestSlowStoreDoesNotSlowExecutions(t *testing.T) {
	h := &hungStore{Backend: runs.NewMemory(0, 0)}
	var dropped atomic.Int64
	rec := runs.NewRecorder(h, runs.Options{Queue: 8, Batch: 4, Dropped: func(n int) { dropped.Add(int64(n)) }})
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		rec.Close(ctx)
	}()
	srv := recordServer(t, Options{Runs: rec})
	plain := recordServer(t, Options{})
	const n = 40
	p50 := func(s *Server) time.Duration {
		var ds []time.Duration
		for range n {
			start := time.Now()
			if res := s.Execute(context.Background(), `return await t.ok({a: 1})`); res.Err != nil {
				t.Fatal(res.Err)
			}
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		return ds[n/2]
	}
	with, without := p50(srv), p50(plain)
	t.Logf("p50 with a hung store %v, without records %v", with, without)
	if with > without+testenv.Within(5*time.Millisecond) {
		t.Errorf("a hung store slowed executions: p50 %v against %v", with, without)
	}
	// The writer lets records gather for a while once woken, then tries.
	for deadline := time.Now().Add(testenv.Within(5 * time.Second)); h.inserts.Load() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if h.inserts.Load() == 0 {
		t.Error("the writer never tried the store")
	}
	// The writer holds one batch (up to 4) in the hung insert, 8 wait.
	if got := dropped.Load(); got < n-8-4 {
		t.Errorf("dropped %d of %d with 8 queued and a batch in flight", got, n)
	}
}

// TestTraceSpans: with a tracer provider, an execution is a span with a
// child per call, its attributes set; the run's record names its trace.
func TestTraceSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	mem := runs.NewMemory(0, 0)
	rec := runs.NewRecorder(mem, runs.Options{})
	srv := recordServer(t, Options{Tracing: tp, Runs: rec})
	srv.Execute(tools.WithSubject(context.Background(), "alice"), `await t.ok({}); try { await t.fail({}) } catch {} ; return 1`)
	rec.Close(context.Background())
	var names []string
	var root sdktrace.ReadOnlySpan
	for _, s := range exp.GetSpans().Snapshots() {
		names = append(names, s.Name())
		if s.Name() == "execute" {
			root = s
		}
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"execute", "tools/call t.fail", "tools/call t.ok"}, names); diff != "" {
		t.Fatalf("spans (-want +got):\n%s", diff)
	}
	attrs := map[string]string{}
	for _, kv := range root.Attributes() {
		attrs[string(kv.Key)] = kv.Value.String()
	}
	list, _ := mem.List(context.Background(), runs.Query{})
	if len(list) != 1 || attrs["codemode.run_id"] != list[0].ID || list[0].TraceID != root.SpanContext().TraceID().String() {
		t.Errorf("span attributes %v, records %+v", attrs, list)
	}
	if attrs["codemode.subject"] != "alice" || attrs["codemode.outcome"] != "ok" || attrs["codemode.tool_calls"] != "2" {
		t.Errorf("span attributes %v", attrs)
	}
	for _, s := range exp.GetSpans().Snapshots() {
		if s.Name() == "tools/call t.fail" && s.Status().Code.String() != "Error" {
			t.Errorf("the failed call's span has status %v", s.Status())
		}
		if s.Name() != "execute" && s.Parent().SpanID() != root.SpanContext().SpanID() {
			t.Errorf("%s is not a child of execute", s.Name())
		}
	}
}

// BenchmarkExecuteRecorded runs one execution of three tool calls without
// records or spans and, alternately, recorded in memory, recorded in
// SQLite (data_dir) or traced, side by side and in turns so that the load
// of a shared machine falls on both alike; it reports the p50 of each and their
// difference, and the allocations of both together per op.
func BenchmarkExecuteRecorded(b *testing.B) {
	const code = `await t.ok({a: 1}); await t.ok({a: 2}); return await t.ok({a: 3})`
	sqlite := func(b *testing.B) runs.Backend {
		st, err := store.Open(context.Background(), store.Options{Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		return runs.NewSQL(st)
	}
	for _, bc := range []struct {
		name string
		opts func(b *testing.B) Options
	}{
		{"off", func(*testing.B) Options { return Options{} }},
		{"records-memory", func(*testing.B) Options { return Options{Runs: runs.NewRecorder(runs.NewMemory(0, 0), runs.Options{})} }},
		{"records-sqlite", func(b *testing.B) Options { return Options{Runs: runs.NewRecorder(sqlite(b), runs.Options{})} }},
		{"traced", func(*testing.B) Options {
			return Options{Tracing: sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			o := bc.opts(b)
			plain, srv := recordServer(b, Options{}), recordServer(b, o)
			var base, with []time.Duration
			run := func(s *Server, into *[]time.Duration) {
				start := time.Now()
				if res := s.Execute(context.Background(), code); res.Err != nil {
					b.Fatal(res.Err)
				}
				*into = append(*into, time.Since(start))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if i%2 == 0 { // each goes first half the time: the other's background work falls on both
					run(plain, &base)
					run(srv, &with)
				} else {
					run(srv, &with)
					run(plain, &base)
				}
			}
			b.StopTimer()
			p := func(ds []time.Duration) float64 {
				slices.Sort(ds)
				return float64(ds[len(ds)/2].Microseconds())
			}
			pb, pw := p(base), p(with)
			b.ReportMetric(pb, "p50-off-µs")
			b.ReportMetric(pw, "p50-µs")
			b.ReportMetric(pw-pb, "p50-added-µs")
			o.Runs.Close(context.Background())
		})
	}
}

// TestPausedRunRecorded: a run that pauses for an approval (2026-07-28) is
// recorded as paused; the retry that resumes it is a record of its own.
func TestPausedRunRecorded(t *testing.T) {
	mem := runs.NewMemory(0, 0)
	rec := runs.NewRecorder(mem, runs.Options{})
	reg := tools.NewRegistry(tools.Options{})
	if err := reg.Add(recordTools()...); err != nil {
		t.Fatal(err)
	}
	s := New(reg, Options{Limits: config.Codemode{RequireApproval: []string{"t.fail"}}, Runs: rec})
	const code = `await t.ok({}); try { await t.fail({}) } catch {} ; return 1`
	first := call(t, s, code, "", nil)
	state, _ := first["requestState"].(string)
	if first["resultType"] != "input_required" || state == "" {
		t.Fatalf("first answer: %v", first)
	}
	call(t, s, code, state, map[string]any{"action": "accept", "content": map[string]any{}})
	rec.Close(context.Background())
	list, _ := mem.List(context.Background(), runs.Query{})
	var outcomes []string
	for _, r := range list {
		outcomes = append(outcomes, r.Outcome)
	}
	if diff := cmp.Diff([]string{"ok", "paused"}, outcomes); diff != "" { // newest first
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

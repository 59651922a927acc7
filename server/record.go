package server

// The record and the spans of an execution's calls (README: Run records and tracing). Every call a
// script makes through the caller (tools, fetch, codemode.run and the
// other codemode helpers) is noted in the run's record (package runs) and,
// when tracing is on, gets a span under the execution's. With neither, a
// call pays one comparison.

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/mcp-codemode/mcp-codemode/runs"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// observed is one call being recorded and traced.
type observed struct {
	run  *runs.Run
	i    int // the call's index in run
	kind string
	span trace.Span // nil when tracing is off
}

// observe starts the record and the span of a call; end ends both. It
// returns ctx unchanged and a nil *observed when nothing is recorded.
func (s *Server) observe(ctx context.Context, run *runs.Run, id string, args json.RawMessage) (context.Context, *observed) {
	tr := s.tr()
	if run == nil && !tr.on() {
		return ctx, nil
	}
	kind, name := s.callName(id, args)
	o := &observed{run: run, kind: kind}
	o.i = run.Call(kind, name, args)
	if !tr.on() {
		return ctx, o
	}
	switch kind {
	case runs.KindTool:
		server, tool := s.toolOf(id)
		ctx, o.span = tr.start(ctx, "tools/call "+name, trace.SpanKindClient, attribute.String("mcp.server", server),
			attribute.String("mcp.tool", tool), attribute.Int("codemode.argument_bytes", len(args)))
	case runs.KindFetch:
		method, host := fetchTarget(args)
		ctx, o.span = tr.start(ctx, "fetch "+method, trace.SpanKindClient,
			attribute.String("http.request.method", method), attribute.String("server.address", host))
	case runs.KindSnippet:
		ctx, o.span = tr.start(ctx, "codemode.run "+name, trace.SpanKindInternal, attribute.String("codemode.snippet", name),
			attribute.Int("codemode.argument_bytes", len(args)))
	}
	return ctx, o
}

// end ends what observe started, with the call's outcome.
func (o *observed) end(out json.RawMessage, err error) {
	if o == nil {
		return
	}
	outcome := callOutcome(err)
	o.run.Done(o.i, outcome, errorName(err))
	if o.span == nil {
		return
	}
	var attrs []attribute.KeyValue
	if o.kind == runs.KindFetch && err == nil {
		attrs = append(attrs, attribute.Int("http.response.status_code", fetchStatus(out)))
	}
	endSpan(o.span, outcome, err, attrs...)
}

// callName is the kind of a call and the name its record shows: the path
// the model writes for a tool, the method and URL without its query for a
// fetch, the snippet's name for codemode.run.
func (s *Server) callName(id string, args json.RawMessage) (kind, name string) {
	switch id {
	case helperSearch, helperDescribe, helperSave:
		return runs.KindCodemode, "codemode." + id[len("\x00codemode."):]
	case helperRun:
		var a struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(args, &a)
		return runs.KindSnippet, a.Name
	case fetchID:
		return runs.KindFetch, fetchName(args)
	}
	if e, ok := s.reg.Lookup(id); ok {
		return runs.KindTool, e.Path()
	}
	return runs.KindTool, id
}

// toolOf is a tool's server and name, as the metrics show them.
func (s *Server) toolOf(id string) (server, tool string) {
	if e, ok := s.reg.Lookup(id); ok {
		return e.Server, e.Name
	}
	return "unknown", id
}

// fetchName is "METHOD scheme://host/path" of a fetch: the query and the
// fragment, where tokens travel, are left out.
func fetchName(args json.RawMessage) string {
	var r struct {
		URL    string `json:"url"`
		Method string `json:"method"`
	}
	_ = json.Unmarshal(args, &r)
	method, _ := fetchTarget(args)
	u, err := url.Parse(r.URL)
	if err != nil {
		return method
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return method + " " + u.String()
}

// errorName is the JS name of the error a call threw, "" for none.
func errorName(err error) string {
	if err == nil {
		return ""
	}
	var named interface{ ErrorName() string }
	if errors.As(err, &named) && named.ErrorName() != "" {
		return named.ErrorName()
	}
	var te *tools.ToolError
	if errors.As(err, &te) {
		return sandbox.NameTool
	}
	return sandbox.NameError
}

// beginRun starts the record and the span of an execution.
func (s *Server) beginRun(ctx context.Context, code string) (context.Context, *runs.Run, trace.Span) {
	run := s.runs.Begin(tools.Subject(ctx), code)
	tr := s.tr()
	if !tr.on() {
		return ctx, run, nil
	}
	ctx, span := tr.start(ctx, "execute", trace.SpanKindServer, attribute.String("codemode.subject", tools.Subject(ctx)),
		attribute.String("codemode.run_id", run.ID()), attribute.Int("codemode.code_bytes", len(code)))
	run.SetTrace(span.SpanContext().TraceID().String())
	return ctx, run, span
}

// endRun ends the record and the span of an execution.
func endRun(run *runs.Run, span trace.Span, res sandbox.Result, outcome string) {
	r := runs.Result{Bytes: len(res.Value), Outcome: outcome}
	var err error
	if res.Err != nil {
		r.ErrorName, r.ErrorMsg = res.Err.Name, res.Err.Message
		err = res.Err
	}
	run.Finish(r)
	endSpan(span, outcome, err, attribute.Int("codemode.tool_calls", res.Stats.ToolCalls))
}

// pausedRun says whether the run stopped to ask for an approval
// (replay.go): its record and span say "paused" rather than how the
// stopped script ended.
func pausedRun(d *durable) bool {
	if d == nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pause != nil && d.diverged == nil
}

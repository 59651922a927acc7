package server

// Tracing (README: Run records and tracing): a span per execution, with a child per tool call,
// fetch and snippet run. It is off unless the standard OpenTelemetry
// variables name an exporter; off, no tracer is consulted at all, so an
// execution costs what it did before tracing existed (no span, no context
// value, no attribute built).
//
// The parent of an execution's span is the trace context of the request:
// traceparent and tracestate in its _meta (SEP-414, and accepted under the
// revisions before 2026-07-28 too). Each call's span travels on in the
// context the call runs under: package tools puts it in the _meta of the
// upstream tools/call, package egress in a traceparent header of the
// fetches the policy allows.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdkresource "go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Tracing is the tracer provider the OpenTelemetry environment asks for.
// Shut it down at exit: the batch of spans not yet exported is sent then.
type Tracing struct {
	*sdktrace.TracerProvider
}

// NewTracing returns the tracer provider of the process's OpenTelemetry
// variables, or nil when tracing is off: no OTEL_EXPORTER_OTLP_ENDPOINT
// nor OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_SDK_DISABLED=true or
// OTEL_TRACES_EXPORTER=none. The exporter is OTLP over HTTP (protobuf) and
// reads the standard variables itself (endpoint, headers, timeout, TLS);
// the service is OTEL_SERVICE_NAME, "mcp-codemode" when unset. Another
// exporter or protocol asked for is an error: spans would be lost
// silently. lookup is os.LookupEnv outside tests.
func NewTracing(ctx context.Context, lookup func(string) (string, bool)) (*Tracing, error) {
	if !tracingWanted(lookup) {
		return nil, nil
	}
	if err := tracingSupported(lookup); err != nil {
		return nil, err
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, err
	}
	res, err := sdkresource.Merge(sdkresource.NewSchemaless(attribute.String("service.name", Name),
		attribute.String("service.version", Version)), sdkresource.Environment())
	if err != nil {
		return nil, err
	}
	return &Tracing{sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))}, nil
}

func tracingWanted(lookup func(string) (string, bool)) bool {
	if v, _ := lookup("OTEL_SDK_DISABLED"); strings.EqualFold(strings.TrimSpace(v), "true") {
		return false
	}
	if v, _ := lookup("OTEL_TRACES_EXPORTER"); strings.EqualFold(strings.TrimSpace(v), "none") {
		return false
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"} {
		if v, _ := lookup(k); v != "" {
			return true
		}
	}
	return false
}

// tracingSupported refuses an exporter or protocol other than OTLP over
// HTTP with protobuf, naming the variable.
func tracingSupported(lookup func(string) (string, bool)) error {
	if v, _ := lookup("OTEL_TRACES_EXPORTER"); v != "" && !strings.EqualFold(strings.TrimSpace(v), "otlp") {
		return fmt.Errorf("OTEL_TRACES_EXPORTER=%q: mcp-codemode exports traces with otlp only (or none)", v)
	}
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} { // the first set wins
		switch v, _ := lookup(k); strings.TrimSpace(v) {
		case "":
			continue
		case "http/protobuf":
			return nil
		default:
			return fmt.Errorf("%s=%q: mcp-codemode sends traces as http/protobuf only; set it to http/protobuf "+
				"and point the endpoint at the collector's OTLP/HTTP port (4318)", k, v)
		}
	}
	return nil
}

// tracer starts the server's spans; its zero value is off and starts none.
type tracer struct {
	t trace.Tracer // Server.tracer: the instrumentation scope is package server
}

func (s *Server) tr() tracer { return tracer{s.tracer} }

// on says whether spans are made: callers build attributes only then.
func (t tracer) on() bool { return t.t != nil }

// start starts a span under ctx's; off, it returns ctx and a nil span,
// which end and the setters below accept.
func (t tracer) start(ctx context.Context, name string, kind trace.SpanKind, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	if t.t == nil {
		return ctx, nil
	}
	return t.t.Start(ctx, name, trace.WithSpanKind(kind), trace.WithAttributes(attrs...))
}

// endSpan sets the span's outcome, records err as its status, and ends it.
func endSpan(span trace.Span, outcome string, err error, attrs ...attribute.KeyValue) {
	if span == nil {
		return
	}
	span.SetAttributes(append(attrs, attribute.String("codemode.outcome", outcome))...)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// withRemoteParent returns ctx with the trace context of the request's
// _meta (traceparent, tracestate) as the parent of the spans to come, when
// tracing is on and the request carries a valid one.
func (t tracer) withRemoteParent(ctx context.Context, meta *mcp.Meta) context.Context {
	if !t.on() || meta == nil {
		return ctx
	}
	carrier := propagation.MapCarrier{}
	for _, k := range []string{"traceparent", "tracestate"} {
		if v, ok := meta.AdditionalFields[k].(string); ok {
			carrier[k] = v
		}
	}
	if carrier["traceparent"] == "" {
		return ctx
	}
	return propagation.TraceContext{}.Extract(ctx, carrier)
}

// fetchTarget is the method and host of a fetch's request (never its path,
// query or headers, which may hold what a span must not), from the shim's
// arguments.
func fetchTarget(args json.RawMessage) (method, host string) {
	var r struct {
		URL    string `json:"url"`
		Method string `json:"method"`
	}
	_ = json.Unmarshal(args, &r)
	if u, err := url.Parse(r.URL); err == nil {
		host = u.Hostname()
	}
	if r.Method == "" {
		r.Method = "GET"
	}
	return strings.ToUpper(r.Method), host
}

// fetchStatus is the HTTP status of the shim's response, 0 when none.
func fetchStatus(out json.RawMessage) int {
	var r struct {
		Status int `json:"status"`
	}
	_ = json.Unmarshal(out, &r)
	return r.Status
}

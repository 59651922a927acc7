package egress

import (
	"context"
	"encoding/json"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/mcp-codemode/mcp-codemode/config"
)

// TestTraceparent: a fetch made under a span carries its trace context in
// a traceparent header, replacing one the script set; a rule's
// inject_headers replace it in turn; without a span none is added; a
// refused fetch sends nothing at all.
func TestTraceparent(t *testing.T) {
	ts := testServer(t)
	injecting := localRule("other.test", ts)
	injecting.InjectHeaders = map[string]string{"Traceparent": "00-11111111111111111111111111111111-2222222222222222-01"}
	c, _ := testClient(t, config.Network{Allow: []config.NetworkRule{localRule("api.test", ts), injecting}}, Options{})
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	traced := trace.ContextWithSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	ours := "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, tt := range []struct {
		name    string
		ctx     context.Context
		url     string
		headers [][2]string
		want    string
	}{
		{"traced", traced, ts.base("api.test") + "/a", nil, ours},
		{"the script's replaced", traced, ts.base("api.test") + "/b", [][2]string{{"traceparent", "00-script"}}, ours},
		{"not traced", context.Background(), ts.base("api.test") + "/c", nil, ""},
		{"not traced, the script's kept", context.Background(), ts.base("api.test") + "/d", [][2]string{{"traceparent", "00-script"}}, "00-script"},
		{"the rule's wins", traced, ts.base("other.test") + "/e", nil, "00-11111111111111111111111111111111-2222222222222222-01"},
	} {
		args, _ := json.Marshal(map[string]any{"url": tt.url, "method": "GET", "headers": tt.headers})
		before := len(ts.requests())
		if _, err := c.Session().Fetch(tt.ctx, args); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		reqs := ts.requests()
		if len(reqs) != before+1 {
			t.Fatalf("%s: %d requests", tt.name, len(reqs)-before)
		}
		if got := reqs[len(reqs)-1].Header.Get("Traceparent"); got != tt.want {
			t.Errorf("%s: traceparent %q, want %q", tt.name, got, tt.want)
		}
	}
	before := len(ts.requests())
	args, _ := json.Marshal(map[string]any{"url": ts.base("nope.test") + "/x", "method": "GET"})
	if _, err := c.Session().Fetch(traced, args); err == nil || len(ts.requests()) != before {
		t.Errorf("a refused fetch was sent (%v)", err)
	}
}

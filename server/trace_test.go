package server

import (
	"context"
	"testing"
)

// TestNewTracing: tracing is on only when an OTLP endpoint is named, and
// an exporter or protocol mcp-codemode cannot serve is an error naming the
// variable rather than spans lost in silence.
func TestNewTracing(t *testing.T) {
	const endpoint = "OTEL_EXPORTER_OTLP_ENDPOINT"
	for _, tt := range []struct {
		name string
		env  map[string]string
		on   bool
		err  string
	}{
		{"unset", nil, false, ""},
		{"endpoint", map[string]string{endpoint: "http://127.0.0.1:4318"}, true, ""},
		{"traces endpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://127.0.0.1:4318/v1/traces"}, true, ""},
		{"disabled", map[string]string{endpoint: "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}, false, ""},
		{"exporter none", map[string]string{endpoint: "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER": "none"}, false, ""},
		{"zipkin", map[string]string{endpoint: "http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER": "zipkin"}, false,
			`OTEL_TRACES_EXPORTER="zipkin": mcp-codemode exports traces with otlp only (or none)`},
		{"grpc", map[string]string{endpoint: "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, false,
			`OTEL_EXPORTER_OTLP_PROTOCOL="grpc": mcp-codemode sends traces as http/protobuf only; set it to http/protobuf and point the endpoint at the collector's OTLP/HTTP port (4318)`},
		{"traces protocol wins", map[string]string{endpoint: "http://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
			"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/protobuf"}, true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tp, err := NewTracing(context.Background(), func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if tp != nil {
				defer tp.Shutdown(context.Background())
			}
			switch {
			case tt.err != "" && (err == nil || err.Error() != tt.err):
				t.Errorf("error %v, want %s", err, tt.err)
			case tt.err == "" && err != nil:
				t.Errorf("error %v", err)
			case (tp != nil) != tt.on:
				t.Errorf("tracing on: %v, want %v", tp != nil, tt.on)
			}
		})
	}
}

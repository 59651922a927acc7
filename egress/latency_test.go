package egress

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// BenchmarkLatency measures a loopback GET of a small body several ways, in
// the same run, and reports the median of each: direct (Go's http.Client);
// session (Session.Fetch called from Go: policy, guarded dial, redaction,
// encoding); sandbox (a whole execution whose code awaits fetch and text());
// sandbox-2fetch (two of them, so the second costs 2fetch - sandbox);
// sandbox-build (an execution that only builds the shim); sandbox-baseline
// (an execution with the shim but no fetch); sandbox-binding (one no-op
// binding call, no shim) and sandbox-nothing (no shim, no call).
//
//	go test ./egress -run '^$' -bench Latency -benchtime 2000x
func BenchmarkLatency(b *testing.B) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
	defer ts.Close()
	p, _ := strconv.Atoi(ts.URL[strings.LastIndexByte(ts.URL, ':')+1:])
	rule := config.NetworkRule{Host: "127.0.0.1", Scheme: "http", Ports: []int{p}, AllowPrivate: true}
	c, _ := testClient(b, config.Network{Allow: []config.NetworkRule{rule}}, Options{Resolver: stubResolver{}})
	direct := &http.Client{}
	defer direct.CloseIdleConnections()
	opts := sandbox.Options{Prelude: []string{Shim}, Bindings: []sandbox.Binding{{Object: BindingObject, Method: BindingMethod, ID: "fetch"}}}
	execute := func(code string) {
		s := c.Session()
		caller := sandbox.CallerFunc(func(ctx context.Context, _ string, args json.RawMessage) (json.RawMessage, error) {
			return s.Fetch(ctx, args)
		})
		if res := sandbox.Run(context.Background(), code, caller, opts); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
	args := json.RawMessage(`{"url":"` + ts.URL + `/"}`)
	cases := []struct {
		name string
		op   func()
	}{
		{"direct", func() {
			resp, err := direct.Get(ts.URL + "/")
			if err != nil {
				b.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
		}},
		{"session", func() {
			if _, err := c.Session().Fetch(context.Background(), args); err != nil {
				b.Fatal(err)
			}
		}},
		{"sandbox", func() { execute(`return await (await fetch("` + ts.URL + `/")).text()`) }},
		{"sandbox-2fetch", func() {
			execute(`await (await fetch("` + ts.URL + `/")).text(); return await (await fetch("` + ts.URL + `/")).text()`)
		}},
		{"sandbox-build", func() { execute(`return typeof fetch`) }},
		{"sandbox-baseline", func() { execute(`return "ok"`) }},
		{"sandbox-binding", func() {
			res := sandbox.Run(context.Background(), `return await __codemode_fetch.request({})`, sandbox.CallerFunc(func(context.Context, string, json.RawMessage) (json.RawMessage, error) {
				return json.RawMessage(`"ok"`), nil
			}), sandbox.Options{Bindings: opts.Bindings})
			if res.Err != nil {
				b.Fatal(res.Err)
			}
		}},
		{"sandbox-nothing", func() { sandbox.Run(context.Background(), `return "ok"`, nil, sandbox.Options{}) }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			tc.op() // warm the connection and the compiled prelude
			ds := make([]time.Duration, 0, b.N)
			for b.Loop() {
				start := time.Now()
				tc.op()
				ds = append(ds, time.Since(start))
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), "median-µs")
		})
	}
}

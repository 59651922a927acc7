package isolate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// BenchmarkRun compares one trivial execution in process and in a warm
// pool; it reports the median (p50-ms) and p99 (p99-ms) latency.
// Run with: go test -run '^$' -bench Run -benchtime 500x ./isolate
func BenchmarkRun(b *testing.B) {
	var bindings []sandbox.Binding
	for i := range 50 {
		bindings = append(bindings, sandbox.Binding{Object: fmt.Sprintf("ns%d", i%5), Method: fmt.Sprintf("m%d", i), ID: fmt.Sprint(i)})
	}
	caller := sandbox.CallerFunc(func(_ context.Context, _ string, args json.RawMessage) (json.RawMessage, error) { return args, nil })
	opts := sandbox.Options{Bindings: bindings}
	for _, code := range []string{"return 1", "return await ns0.m0({ a: 1 })"} {
		b.Run("inprocess/"+code, func(b *testing.B) {
			latencies(b, func() sandbox.Result { return sandbox.Run(context.Background(), code, caller, opts) })
		})
		b.Run("pool/"+code, func(b *testing.B) {
			p, err := NewPool(Options{Command: []string{os.Args[0], WorkerCommand}, Size: 2})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			p.Run(context.Background(), "1", nil, sandbox.Options{}) // warm both workers
			p.Run(context.Background(), "1", nil, sandbox.Options{})
			latencies(b, func() sandbox.Result { return p.Run(context.Background(), code, caller, opts) })
		})
	}
}

func latencies(b *testing.B, run func() sandbox.Result) {
	var ds []time.Duration
	for b.Loop() {
		start := time.Now()
		if res := run(); res.Err != nil {
			b.Fatal(res.Err)
		}
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000 }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}

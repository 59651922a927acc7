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

// BenchmarkOverhead measures what the process layer adds to one execution:
// each iteration runs the same code in process and in a warm pool,
// interleaved so that both see the same machine load, and reports the
// medians (inprocess-p50-ms, pool-p50-ms) and the median of the
// differences (added-p50-ms).
// Run with: go test -run '^$' -bench Overhead -benchtime 400x ./isolate
func BenchmarkOverhead(b *testing.B) {
	var bindings []sandbox.Binding
	for i := range 50 {
		bindings = append(bindings, sandbox.Binding{Object: fmt.Sprintf("ns%d", i%5), Method: fmt.Sprintf("m%d", i), ID: fmt.Sprint(i)})
	}
	caller := sandbox.CallerFunc(func(_ context.Context, _ string, args json.RawMessage) (json.RawMessage, error) { return args, nil })
	opts := sandbox.Options{Bindings: bindings}
	p, err := NewPool(Options{Command: []string{os.Args[0], WorkerCommand}, Size: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	for _, code := range []string{"return 1", "return await ns0.m0({ a: 1 })"} {
		b.Run(code, func(b *testing.B) {
			var in, pool, added []time.Duration
			for b.Loop() {
				i := timed(b, func() sandbox.Result { return sandbox.Run(context.Background(), code, caller, opts) })
				o := timed(b, func() sandbox.Result { return p.Run(context.Background(), code, caller, opts) })
				in, pool, added = append(in, i), append(pool, o), append(added, o-i)
			}
			b.ReportMetric(median(in), "inprocess-p50-ms")
			b.ReportMetric(median(pool), "pool-p50-ms")
			b.ReportMetric(median(added), "added-p50-ms")
		})
	}
}

func timed(b *testing.B, run func() sandbox.Result) time.Duration {
	start := time.Now()
	if res := run(); res.Err != nil {
		b.Fatal(res.Err)
	}
	return time.Since(start)
}

func median(ds []time.Duration) float64 {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return float64(ds[len(ds)/2].Microseconds()) / 1000
}

// BenchmarkStop measures how long after its timeout an infinite loop is
// stopped, in process and in a warm pool; it reports the median and the
// 99th percentile of that delay.
// Run with: go test -run '^$' -bench Stop -benchtime 200x ./isolate
func BenchmarkStop(b *testing.B) {
	const timeout = 50 * time.Millisecond
	opts := sandbox.Options{Timeout: timeout}
	stop := func(b *testing.B, run func() sandbox.Result) {
		var ds []time.Duration
		for b.Loop() {
			start := time.Now()
			if res := run(); res.Err == nil || res.Err.Name != "TimeoutError" {
				b.Fatalf("got %v", res.Err)
			}
			ds = append(ds, time.Since(start)-timeout)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		ms := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000 }
		b.ReportMetric(ms(0.5), "p50-ms")
		b.ReportMetric(ms(0.99), "p99-ms")
	}
	b.Run("inprocess", func(b *testing.B) {
		stop(b, func() sandbox.Result { return sandbox.Run(context.Background(), "while (true) {}", nil, opts) })
	})
	b.Run("pool", func(b *testing.B) {
		p, err := NewPool(Options{Command: []string{os.Args[0], WorkerCommand}, Size: 2})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		stop(b, func() sandbox.Result { return p.Run(context.Background(), "while (true) {}", nil, opts) })
	})
}

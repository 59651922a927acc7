package isolate_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/isolate"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/sandbox/hostile"
)

// TestHostile runs the hostile corpus in worker processes: each case ends
// as in process (or with the process layer's own MemoryLimitError or
// InternalError where a worker had to be killed), within its timeout plus
// StopMargin, without the canary; the pool serves the next execution after
// every case, and this (parent) process grows by little.
func TestHostile(t *testing.T) {
	hostile.PlantEnv()
	cases, err := hostile.Load("../sandbox/testdata/hostile")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := isolate.NewPool(isolate.Options{
		Command: []string{os.Args[0], isolate.WorkerCommand}, Size: 2, MemoryLimit: hostile.MemoryLimit,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx := context.Background()
	opts := hostile.Options()
	var stops []time.Duration
	var worst int64
	ran := 0
	for _, c := range cases {
		if c.ServerOnly {
			continue
		}
		ran++
		t.Run(c.Category+"/"+c.Name, func(t *testing.T) {
			before := hostile.Settle()
			start := time.Now()
			res := pool.Run(ctx, c.Code, hostile.Caller(), c.Options(opts))
			elapsed := time.Since(start)
			for _, p := range c.Check(res, elapsed) {
				t.Error(p)
			}
			if res.Err != nil && res.Err.Name == "TimeoutError" {
				stops = append(stops, elapsed-c.Timeout)
			}
			if c.Next != "" {
				for _, p := range c.CheckNext(pool.Run(ctx, c.Next, hostile.Caller(), opts)) {
					t.Error(p)
				}
			}
			if res := pool.Run(ctx, "return 1", nil, sandbox.Options{}); string(res.Value) != "1" {
				t.Errorf("the pool did not serve the next execution: %s, %v", res.Value, res.Err)
			}
			_, peak := hostile.RSS()
			worst = max(worst, peak-before)
		})
	}
	if !hostile.RaceEnabled && worst > hostile.RSSSlack {
		t.Errorf("the parent's RSS grew by up to %d MB in a case; want less than %d MB", worst>>20, hostile.RSSSlack>>20)
	}
	t.Logf("%d cases; parent max RSS growth %d MB; stop after timeout: %s", ran, worst>>20, percentiles(stops))
}

func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	p := func(q float64) time.Duration { return ds[min(int(q*float64(len(ds))), len(ds)-1)] }
	return fmt.Sprintf("p50 %v, p99 %v, max %v (n=%d)", p(0.5), p(0.99), ds[len(ds)-1], len(ds))
}

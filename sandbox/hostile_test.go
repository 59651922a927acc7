package sandbox_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/hostile"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// TestHostile runs the hostile corpus against sandbox.Run in this process:
// every case must end with the expected kind of error (or result) within
// its timeout plus StopMargin, without the canary in its output, and
// without growing the process by more than its budgets plus
// hostile.RSSSlack (hostile.Measure: under the race detector, what the Go
// runtime holds from the system).
func TestHostile(t *testing.T) {
	hostile.PlantEnv()
	cases, err := hostile.Load("testdata/hostile")
	if err != nil {
		t.Fatal(err)
	}
	mem := sandbox.NewMemory(4 * hostile.MemoryLimit)
	opts := hostile.Options()
	opts.Memory = mem
	opts.Spares = sandbox.NewSpares(sandbox.DefaultSpares) // as a server runs them: each case from a spare
	growth := map[string]int64{}
	var stops []time.Duration
	ran := 0
	for _, c := range cases {
		if c.ServerOnly {
			continue
		}
		ran++
		t.Run(c.Category+"/"+c.Name, func(t *testing.T) {
			waitIdle(t, mem)
			g := hostile.Measure(func() {
				start := time.Now()
				res := sandbox.Run(context.Background(), c.Code, hostile.Caller(), c.Options(opts))
				elapsed := time.Since(start)
				for _, p := range c.Check(res, elapsed) {
					t.Error(p)
				}
				if res.Err != nil && res.Err.Name == "TimeoutError" {
					stops = append(stops, elapsed-c.Timeout)
				}
				if c.Next != "" {
					waitIdle(t, mem)
					for _, p := range c.CheckNext(sandbox.Run(context.Background(), c.Next, hostile.Caller(), opts)) {
						t.Error(p)
					}
				}
				waitIdle(t, mem)
			})
			growth[c.Category+"/"+c.Name] = g.Bytes()
			if g.Bytes() > c.MaxGrowth() {
				t.Errorf("the process grew by %d MB (RSS +%d MB, held +%d MB); the limit is %d MB",
					g.Bytes()>>20, g.RSS>>20, g.Held>>20, c.MaxGrowth()>>20)
			}
		})
	}
	t.Logf("%d cases; largest growth: %s; stop after timeout: %s", ran, largest(growth, 3), percentiles(stops))
}

// largest lists the n largest values of m, in MB.
func largest(m map[string]int64, n int) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool { return m[names[i]] > m[names[j]] })
	var parts []string
	for _, k := range names[:min(n, len(names))] {
		parts = append(parts, fmt.Sprintf("%s %d MB", k, m[k]>>20))
	}
	return strings.Join(parts, ", ")
}

// waitIdle waits for abandoned runtimes of earlier cases to end.
func waitIdle(t *testing.T, mem *sandbox.Memory) {
	deadline := time.Now().Add(10 * time.Second)
	for mem.Active() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d executions still running 10s later", mem.Active())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	p := func(q float64) time.Duration { return ds[min(int(q*float64(len(ds))), len(ds)-1)] }
	return fmt.Sprintf("p50 %v, p99 %v, max %v (n=%d)", p(0.5), p(0.99), ds[len(ds)-1], len(ds))
}

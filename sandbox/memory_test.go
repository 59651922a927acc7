package sandbox_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/hostile"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// TestConcurrentHogs runs hogs four at once in process, as a stdio server
// would: each is stopped by its memory limit, before its timeout, and
// together they grow the process by no more than 1.25 times their four
// budgets (plus hostile.RSSSlack). Four doublings of a string took 3.5 GB and 9 s
// (one s += s allocates twice the string in a step nothing interrupts, and
// the copies starved the watchdog); four Maps grown at once took 2.7 times
// their budgets while the sum waited for a collection to confirm it.
//
// The growth is hostile.Measure's: the RSS and what the Go runtime holds,
// from a settled process to the end of the last runtime (not merely of
// Run: a runtime stopped in a native call goes on until it returns), so
// that nothing of one case is left to the next or to the next -count
// iteration. Under the race detector it is what the Go runtime holds, the
// RSS being its shadow memory's too.
func TestConcurrentHogs(t *testing.T) {
	tests := []struct {
		name, code string
		limit      int64
		want       string // the error, up to its position
	}{
		{"string doubling", "let s = 'y'; for (;;) s += s", sandbox.DefaultMemoryLimit,
			"RangeError: string concatenation: the result would be 67108864 characters; the limit is 33554432"},
		{"template doubling", "let s = 'y'; for (;;) s = `${s}${s}`", sandbox.DefaultMemoryLimit,
			"RangeError: string concatenation: the result would be 67108864 characters; the limit is 33554432"},
		{"map growth", "const m = new Map(); for (let i = 0; ; i++) m.set(i, { i, name: 'v' + i })", 32 << 20,
			"MemoryLimitError: the execution used more than its memory limit of 32 MB and was stopped"},
		{"pushed strings", "const k = []; for (;;) k.push('x'.repeat(2 ** 22))", 32 << 20,
			"MemoryLimitError: the execution used more than its memory limit of 32 MB and was stopped"},
	}
	const n = 4
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := sandbox.NewMemory(sandbox.DefaultProcessMemory)
			opts := sandbox.Options{MemoryLimit: tt.limit, Memory: mem, Timeout: testenv.Within(5 * time.Second)}
			var results []sandbox.Result
			var took []time.Duration
			g := hostile.Measure(func() {
				results, took = runAtOnce(n, tt.code, opts)
				waitIdle(t, mem)
			})
			t.Logf("RSS +%d MB, held +%d MB; stopped after %v", g.RSS>>20, g.Held>>20, took)
			for i, res := range results {
				if got := errText(res); !strings.HasPrefix(got, tt.want) {
					t.Errorf("execution %d: %s\nwant %s…", i, got, tt.want)
				}
			}
			// The watchdog stops executions at 1.25 times their limits
			// without waiting for a collection: garbage counts.
			if bound := n*tt.limit*5/4 + hostile.RSSSlack; g.Bytes() > bound {
				t.Errorf("the process grew by %d MB (RSS +%d MB, held +%d MB); the bound is %d MB",
					g.Bytes()>>20, g.RSS>>20, g.Held>>20, bound>>20)
			}
		})
	}
}

// runAtOnce runs n executions of code at once and returns their results and
// how long each took.
func runAtOnce(n int, code string, opts sandbox.Options) ([]sandbox.Result, []time.Duration) {
	results := make([]sandbox.Result, n)
	took := make([]time.Duration, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			start := time.Now()
			results[i] = sandbox.Run(context.Background(), code, nil, opts)
			took[i] = time.Since(start)
		})
	}
	wg.Wait()
	return results, took
}

func errText(res sandbox.Result) string {
	if res.Err == nil {
		return "ok: " + string(res.Value)
	}
	return res.Err.Error()
}

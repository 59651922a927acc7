package bench

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// IdleHeapPerExecution starts n in-process executions that each wait in a
// tool call, and returns the live heap they hold, per execution, in bytes:
// the heap after a GC with all n parked, less the heap before. They have a
// Memory of their own, large enough to admit all n at once.
func IdleHeapPerExecution(n int) (int64, error) { return IdleHeapPerExecutionTools(n, 50) }

// IdleHeapPerExecutionTools is IdleHeapPerExecution with bindings for
// tools tools (see Bindings).
func IdleHeapPerExecutionTools(n, tools int) (int64, error) {
	started := make(chan struct{}, n)
	release := make(chan struct{})
	park := sandbox.CallerFunc(func(ctx context.Context, _ string, _ json.RawMessage) (json.RawMessage, error) {
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return json.RawMessage(`{"ok":true}`), nil
	})
	before := liveHeap()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	opts := sandbox.Options{Bindings: Bindings(tools), Timeout: time.Minute, Memory: sandbox.NewMemory(int64(n) * sandbox.DefaultMemoryLimit)}
	for range n {
		wg.Go(func() {
			if res := sandbox.Run(context.Background(), "return await server0.tool_00({})", park, opts); res.Err != nil {
				errs <- res.Err
			}
		})
	}
	for range n {
		select {
		case <-started:
		case err := <-errs:
			close(release)
			return 0, err
		}
	}
	during := liveHeap()
	close(release)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return (during - before) / int64(n), nil
}

func liveHeap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

package sandbox

import (
	"context"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestAbandoned: Result.Abandoned says whether Run gave up on the runtime.
// A script stuck in a native call that ignores the interrupt (here a Go
// function the test installs in a spare's runtime, which returns when the
// test lets it) is abandoned at its timeout, and its runtime still holds
// its memory until the call returns; a script the interrupt stops, or one
// that finishes, is not abandoned.
func TestAbandoned(t *testing.T) {
	mem := NewMemory(DefaultProcessMemory)
	sp := NewSpares(1)
	opts := Options{Timeout: 50 * time.Millisecond, Memory: mem, Spares: sp}
	if err := sp.Prepare(opts); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	spare(t, sp).rt.Set("stall", func() { <-release })

	res := Run(context.Background(), "stall()", nil, opts)
	if res.Err == nil || res.Err.Name != NameTimeout || !res.Abandoned {
		t.Errorf("stuck in a native call: %v, abandoned %v; want a TimeoutError, abandoned", res.Err, res.Abandoned)
	}
	if n := mem.Active(); n != 1 {
		t.Errorf("%d runtimes active while the native call goes on; want the abandoned one", n)
	}
	close(release)
	waitInactive(t, mem)

	for _, code := range []string{"for (;;) {}", "1"} {
		res := Run(context.Background(), code, nil, opts)
		if res.Abandoned {
			t.Errorf("%q: abandoned (%v); want the runtime to answer", code, res.Err)
		}
	}
}

// waitInactive waits until no runtime of mem is active.
func waitInactive(t *testing.T, mem *Memory) {
	t.Helper()
	for deadline := time.Now().Add(testenv.Within(time.Second)); mem.Active() > 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d runtimes still active after their native call returned", mem.Active())
		}
	}
}

package main

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/gctune"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

func lookupFrom(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

// The user's GOGC wins: set, the collector is not tuned; "off" also turns
// the idle trim (a forced collection) off. GOMEMLIMIT leaves both on.
func TestMemoryPolicyEnvironment(t *testing.T) {
	for _, c := range []struct {
		env        map[string]string
		tune, trim bool
	}{
		{map[string]string{}, true, true},
		{map[string]string{"GOGC": ""}, true, true},
		{map[string]string{"GOMEMLIMIT": "200MiB"}, true, true},
		{map[string]string{"GOGC": "100"}, false, true},
		{map[string]string{"GOGC": "400", "GOMEMLIMIT": "1GiB"}, false, true},
		{map[string]string{"GOGC": "off"}, false, false},
	} {
		p := newMemoryPolicy(lookupFrom(c.env))
		if tune := p.tuner != nil; tune != c.tune || p.trim != c.trim {
			t.Errorf("%v: tune %v, trim %v; want %v, %v", c.env, tune, p.trim, c.tune, c.trim)
		}
	}
}

// fakePolicy is a policy with the process-wide effects recorded instead.
type fakePolicy struct {
	*memoryPolicy
	mu       sync.Mutex
	percents []int
	frees    atomic.Int32
	releases atomic.Int32
	live     atomic.Int64
}

func newFakePolicy(env map[string]string) *fakePolicy {
	f := &fakePolicy{memoryPolicy: newMemoryPolicy(lookupFrom(env))}
	if f.tuner != nil {
		f.tuner = gctune.NewWith(gctune.Effects{
			SetGCPercent: func(p int) int { f.mu.Lock(); f.percents = append(f.percents, p); f.mu.Unlock(); return 100 },
			LiveHeap:     f.live.Load,
		})
	}
	f.free = func() { f.frees.Add(1) }
	f.release = func() { f.releases.Add(1) }
	return f
}

func (f *fakePolicy) set() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.percents)
}

// start tunes the collector (gctune's tests test the tuning); track fits
// the headroom to memory_limit_mb.
func TestMemoryPolicyHeadroom(t *testing.T) {
	f := newFakePolicy(nil)
	f.live.Store(2 << 20)
	f.start()
	defer f.tuner.Stop()
	if got := f.set(); len(got) == 0 || got[0] != gctune.MaxPercent {
		t.Fatalf("after start: percents set %v, want %d first", got, gctune.MaxPercent)
	}
	// memory_limit_mb 16 halves the headroom to 8 MB.
	f.track(nil, 16)
	if got := f.set(); got[len(got)-1] != 250 {
		t.Errorf("with memory_limit_mb 16: percents set %v, want 250 last", got)
	}
	// memory_limit_mb 0 (none) leaves it.
	f.track(nil, 0)
	if got := f.set(); got[len(got)-1] != 250 {
		t.Errorf("with memory_limit_mb 0: percents set %v, want 250 last", got)
	}
}

func TestMemoryPolicyNilAndOff(t *testing.T) {
	var p *memoryPolicy
	if p.track(nil, 128) != nil {
		t.Error("a nil policy wrapped the runner")
	}
	p.start()
	off := newFakePolicy(map[string]string{"GOGC": "off"})
	if off.track(nil, 128) != nil {
		t.Error("GOGC=off: the runner was wrapped for the idle trim")
	}
	off.start()
	if off.tuner != nil {
		t.Error("GOGC=off: the collector is tuned")
	}
}

// The trim runs idleTrimAfter after startup and after the last of a batch
// of executions, never while one runs; the first one also releases the
// executable's pages, the others do not.
func TestMemoryPolicyIdleTrim(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFakePolicy(map[string]string{"GOGC": "100"})
		release := make(chan struct{})
		run := f.track(func(ctx context.Context, code string, _ sandbox.Caller, _ sandbox.Options) sandbox.Result {
			if code == "wait" {
				<-release
			}
			return sandbox.Result{Value: json.RawMessage(`"` + code + `"`)}
		}, 128)
		check := func(when string, want int32) {
			t.Helper()
			synctest.Wait()
			if got := f.frees.Load(); got != want {
				t.Fatalf("%s: %d trims, want %d", when, got, want)
			}
			if got, want := f.releases.Load(), min(want, 1); got != want {
				t.Fatalf("%s: %d releases of the executable's pages, want %d", when, got, want)
			}
		}
		time.Sleep(idleTrimAfter - time.Millisecond)
		check("just before idleTrimAfter from startup", 0)
		time.Sleep(time.Millisecond)
		check("idleTrimAfter after startup", 1)

		if res := run(context.Background(), "quick", nil, sandbox.Options{}); string(res.Value) != `"quick"` {
			t.Fatalf("the wrapped runner returned %s", res.Value)
		}
		time.Sleep(idleTrimAfter / 2)
		go run(context.Background(), "wait", nil, sandbox.Options{})
		time.Sleep(3 * idleTrimAfter)
		check("while an execution runs", 1)
		go run(context.Background(), "quick", nil, sandbox.Options{}) // ends while the other runs
		time.Sleep(3 * idleTrimAfter)
		check("while the first still runs", 1)
		close(release)
		time.Sleep(idleTrimAfter - time.Millisecond)
		check("just before idleTrimAfter from the last", 1)
		time.Sleep(time.Millisecond)
		check("idleTrimAfter after the last", 2)
		time.Sleep(10 * idleTrimAfter)
		check("idle", 2)
	})
}

package main

import (
	"context"
	"encoding/json"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

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
		if p.tune != c.tune || p.trim != c.trim {
			t.Errorf("%v: tune %v, trim %v; want %v, %v", c.env, p.tune, p.trim, c.tune, c.trim)
		}
	}
}

func TestGCPercent(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		live, headroom int64
		want           int
	}{
		{0, gcHeadroom, maxGCPercent},      // before the first collection
		{2 * mb, gcHeadroom, maxGCPercent}, // small heap: capped
		{8 * mb, gcHeadroom, 200},          // grows by the headroom
		{16 * mb, gcHeadroom, 100},
		{64 * mb, gcHeadroom, 100}, // large heap: as GOGC=100
		{1 * mb, 5 * mb, 150},      // memory_limit_mb 10: the minimum heap (4 MB × percent) bounds it
		{2 * mb, 2 * mb, 100},      // never below the default
	} {
		if got := gcPercent(c.live, c.headroom); got != c.want {
			t.Errorf("gcPercent(%d MB, %d MB) = %d, want %d", c.live/mb, c.headroom/mb, got, c.want)
		}
	}
}

// fakePolicy is a policy with the process-wide effects recorded instead.
type fakePolicy struct {
	*memoryPolicy
	percents []int
	frees    atomic.Int32
	live     atomic.Int64
}

func newFakePolicy(env map[string]string) *fakePolicy {
	f := &fakePolicy{memoryPolicy: newMemoryPolicy(lookupFrom(env))}
	f.setPercent = func(p int) int { f.percents = append(f.percents, p); return 100 }
	f.free = func() { f.frees.Add(1) }
	f.liveHeap = f.live.Load
	return f
}

func TestMemoryPolicyAdjust(t *testing.T) {
	f := newFakePolicy(nil)
	f.live.Store(8 << 20)
	f.adjust()
	f.adjust() // unchanged: not set again
	f.live.Store(64 << 20)
	f.adjust()
	if want := []int{200, 100}; !equalInts(f.percents, want) {
		t.Errorf("percents set %v, want %v", f.percents, want)
	}
	// memory_limit_mb 16 halves the headroom to 8 MB.
	f.live.Store(2 << 20)
	f.track(nil, 16)
	if got, want := f.percents[len(f.percents)-1], 250; got != want {
		t.Errorf("with memory_limit_mb 16: percent %d, want %d", got, want)
	}
}

// start tunes after every collection, until stopped.
func TestMemoryPolicyStartTunesAfterCollections(t *testing.T) {
	var mu sync.Mutex
	var set []int
	p := newMemoryPolicy(lookupFrom(nil))
	p.setPercent = func(v int) int { mu.Lock(); set = append(set, v); mu.Unlock(); return 100 }
	var live atomic.Int64
	p.liveHeap = live.Load
	defer p.stopped.Store(true)
	p.start()
	live.Store(8 << 20)
	for deadline := time.Now().Add(10 * time.Second); ; {
		runtime.GC()
		mu.Lock()
		got := append([]int(nil), set...)
		mu.Unlock()
		if len(got) >= 2 {
			if want := []int{maxGCPercent, 200}; !equalInts(got[:2], want) {
				t.Fatalf("percents set %v, want %v first", got, want)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("percents set %v: no adjustment after the collections", got)
		}
		time.Sleep(10 * time.Millisecond)
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
	if len(off.percents) != 0 {
		t.Errorf("GOGC=off: percents set %v", off.percents)
	}
}

// The trim runs idleTrimAfter after startup and after the last of a batch
// of executions, never while one runs.
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

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

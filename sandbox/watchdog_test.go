package sandbox

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestOverBudget: without waiting for a collection, the watchdog stops the
// largest executions once their heap growth passes 1.25 times the sum of
// their limits, or what the process holds grows past its budget, and only
// as many as account for the excess.
func TestOverBudget(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name          string
		shares        []int64 // MB, of executions with a 128 MB limit
		stopped       int     // how many of the first are already stopped
		heap, process int64   // MB grown since sampling started
		want          []int64 // shares of those to stop
	}{
		{"within 1.25 times the sum", []int64{150, 150, 150, 150}, 0, 640, 700, nil},
		{"past it: the largest", []int64{150, 170, 160, 150}, 0, 700, 760, []int64{170}},
		{"the excess needs two", []int64{150, 170, 160, 150}, 0, 900, 960, []int64{170, 160}},
		{"those stopped account for it", []int64{170, 150, 160, 150}, 1, 700, 760, nil},
		{"the process past its budget", []int64{100, 100, 120, 100}, 0, 420, 1100, []int64{120}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMemory(1 << 30)
			for i, s := range tt.shares {
				r := &reservation{limit: 128 * mb, share: s * mb, stop: func(*Error) {}, stopped: i < tt.stopped}
				m.active[r] = struct{}{}
			}
			var got []int64
			for _, r := range m.overBudget(tt.heap*mb, tt.process*mb) {
				got = append(got, r.share/mb)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("stopped (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHeapAndHeldBytes checks that the one reading a sampling session
// starts from gives what heapBytes and heldBytes give apart.
func TestHeapAndHeldBytes(t *testing.T) {
	runtime.GC()
	heap, held := heapBytes(), heldBytes()
	bothHeap, bothHeld := heapAndHeldBytes()
	near := func(a, b int64) bool { return max(a-b, b-a) < 1<<20 }
	if !near(heap, bothHeap) || !near(held, bothHeld) {
		t.Errorf("heapAndHeldBytes() = %d, %d; heapBytes() = %d, heldBytes() = %d", bothHeap, bothHeld, heap, held)
	}
	if bothHeap <= 0 || bothHeld < bothHeap {
		t.Errorf("heapAndHeldBytes() = %d, %d: want a heap and a larger memory held", bothHeap, bothHeld)
	}
}

// TestWatchdogStopsWithLastExecution: the watchdog samples while an
// execution is active and ends as soon as the last one is released, not at
// its next tick, so that an idle process does not wake for it.
func TestWatchdogStopsWithLastExecution(t *testing.T) {
	bubble(t, func(t *testing.T) {
		m := NewMemory(1 << 30)
		admit := func() *reservation {
			r, err := m.admit(context.Background(), 128<<20, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		a, b := admit(), admit()
		time.Sleep(3 * sampleEvery) // sampling
		m.release(a)
		time.Sleep(3*sampleEvery + sampleEvery/2) // b is still active: sampling goes on; b ends between ticks
		m.release(b)
		start := time.Now()
		m.watchers.Wait()
		if waited := time.Since(start); waited != 0 {
			t.Errorf("the watchdog ended %v after the last execution was released; want at once", waited)
		}
		// A new session starts its own watchdog, which ends with it.
		c := admit()
		time.Sleep(3 * sampleEvery)
		m.release(c)
		m.watchers.Wait()
		if waited := time.Since(start); waited != 3*sampleEvery {
			t.Errorf("the second session's watchdog ended %v after the first's; want %v", waited, 3*sampleEvery)
		}
	})
}

//go:build unix

package sandbox

import (
	"context"
	"runtime"
	"testing"
)

// TestMonitorInBubble: on one processor, a run in a testing/synctest bubble
// leaves the monitor's timer alone (a timer made in a bubble is fake, and
// resetting it outside is a fatal error), and runs outside keep it.
func TestMonitorInBubble(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	monitor.Lock()
	saved := monitor.timer
	monitor.timer = nil // as in a process whose first run is in a bubble
	monitor.Unlock()
	defer func() {
		monitor.Lock()
		monitor.timer = saved
		monitor.Unlock()
	}()
	bubble(t, func(t *testing.T) {
		if res, _ := bubbleRun("return 1", nil, Options{}); res.Err != nil {
			t.Fatal(res.Err)
		}
	})
	monitor.Lock()
	made := monitor.timer != nil
	monitor.Unlock()
	if made {
		t.Fatal("a run in a bubble made the monitor's timer")
	}
	for range 2 { // makes it, then resets it
		if res := Run(context.Background(), "return 1", nil, Options{}); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	monitor.Lock()
	defer monitor.Unlock()
	if monitor.timer == nil {
		t.Fatal("a run outside a bubble on one processor keeps no timer")
	}
}

package gctune

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		live, headroom int64
		want           int
	}{
		{0, DefaultHeadroom, MaxPercent},       // before the first collection
		{2 * mb, DefaultHeadroom, MaxPercent},  // small heap: capped
		{16 * mb, DefaultHeadroom, MaxPercent}, // executions in flight: grows by 64 MB
		{32 * mb, DefaultHeadroom, 200},        // grows by the headroom
		{64 * mb, DefaultHeadroom, 100},
		{256 * mb, DefaultHeadroom, 100}, // large heap: as GOGC=100
		{8 * mb, 16 * mb, 200},
		{1 * mb, 5 * mb, 150}, // memory_limit_mb 10: the minimum heap (4 MB × percent) bounds it
		{2 * mb, 2 * mb, 100}, // never below the default
		{2 * mb, 8 * mb, 250}, // memory_limit_mb 16
	} {
		if got := Percent(c.live, c.headroom); got != c.want {
			t.Errorf("Percent(%d MB, %d MB) = %d, want %d", c.live/mb, c.headroom/mb, got, c.want)
		}
	}
}

// fake is a Tuner with the process-wide effects recorded instead.
type fake struct {
	*Tuner
	mu       sync.Mutex
	percents []int
	live     atomic.Int64
}

func newFake() *fake {
	f := &fake{}
	f.Tuner = NewWith(Effects{
		SetGCPercent: func(p int) int {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.percents = append(f.percents, p)
			return 100
		},
		LiveHeap: f.live.Load,
	})
	return f
}

func (f *fake) set() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.percents)
}

// adjust sets the percent for the live heap, only when it changes; the
// headroom, set before or after Start, bounds it.
func TestAdjustAndHeadroom(t *testing.T) {
	f := newFake()
	f.live.Store(32 << 20)
	f.SetHeadroom(DefaultHeadroom) // not started: nothing set
	if got := f.set(); len(got) != 0 {
		t.Fatalf("before Start: percents set %v", got)
	}
	f.adjust()
	f.adjust() // unchanged: not set again
	f.live.Store(256 << 20)
	f.adjust()
	if got, want := f.set(), []int{200, 100}; !slices.Equal(got, want) {
		t.Errorf("percents set %v, want %v", got, want)
	}
	// A started Tuner applies a new headroom at once, and only a new one.
	f.live.Store(2 << 20)
	f.started = true
	f.SetHeadroom(8 << 20)
	f.SetHeadroom(8 << 20)
	if got, want := f.set(), []int{200, 100, 250}; !slices.Equal(got, want) {
		t.Errorf("after SetHeadroom(8 MB): percents set %v, want %v", got, want)
	}
}

// Start tunes at once and after every collection; Stop ends it and
// restores the percent found.
func TestStartTunesAfterCollections(t *testing.T) {
	f := newFake()
	f.Start()
	defer f.Stop()
	f.live.Store(32 << 20)
	for deadline := time.Now().Add(10 * time.Second); ; {
		runtime.GC()
		got := f.set()
		if len(got) >= 2 {
			if want := []int{MaxPercent, 200}; !slices.Equal(got[:2], want) {
				t.Fatalf("percents set %v, want %v first", got, want)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("percents set %v: no adjustment after the collections", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	f.Stop()
	n := len(f.set())
	if got := f.set(); got[n-1] != 100 {
		t.Errorf("Stop restored %d, want 100 (what SetGCPercent returned)", got[n-1])
	}
	f.live.Store(256 << 20)
	for range 3 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	f.SetHeadroom(1 << 20)
	if got := f.set(); len(got) != n {
		t.Errorf("after Stop: percents set %v", got[n:])
	}
}

// A Tuner that never set the percent restores nothing; Start after Stop
// does nothing.
func TestStopBeforeStart(t *testing.T) {
	f := newFake()
	f.Stop()
	f.Start()
	runtime.GC()
	if got := f.set(); len(got) != 0 {
		t.Errorf("percents set %v", got)
	}
}

func TestLiveHeap(t *testing.T) {
	runtime.GC()
	if LiveHeap() <= 0 {
		t.Errorf("LiveHeap() = %d after a collection", LiveHeap())
	}
}

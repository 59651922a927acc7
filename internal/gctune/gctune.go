// Package gctune tunes the garbage collector for a process whose garbage is
// mostly short-lived runtimes: every execution builds a fresh goja runtime
// (about 0.4 MB) and leaves it as garbage, so with Go's default (GOGC=100,
// a 4 MB minimum heap) a process whose live heap is a few MB collects every
// few executions.
//
// A started Tuner sets the GC percent after every collection so that the
// heap may grow by up to its headroom (DefaultHeadroom) before the next one,
// but never by less than GOGC=100 would let it: the percent stays within
// [100, MaxPercent]. A large live heap is collected exactly as by default.
// The caller keeps the headroom within what its memory accounting tolerates
// (SetHeadroom): the sandbox's watchdog counts an execution's garbage
// against its limit until a collection.
//
// A Tuner is for a process that leaves GOGC to it: callers start one only
// when GOGC is not set in the environment. A memory limit (GOMEMLIMIT,
// debug.SetMemoryLimit) caps whatever heap the tuning allows.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

const (
	// DefaultHeadroom is how much a heap may grow between collections. A
	// small one grows by less: MaxPercent of its size. Under load, the
	// runtimes of the executions in flight are live, and collecting them
	// every 16 MB (GOGC=100 for a 16 MB heap) cost a fifth of the
	// throughput over HTTP with 64 clients (1,820/s against 2,230/s with
	// GOGC=400).
	DefaultHeadroom = 64 << 20
	// MaxPercent is the highest GC percent a Tuner sets.
	MaxPercent = 400
	// minHeap is the runtime's minimum heap goal at GOGC=100; it grows with
	// the percent.
	minHeap = 4 << 20
)

// Percent is the GC percent that lets a heap of live bytes grow by about
// headroom before the next collection, within [100, MaxPercent]. The
// runtime's minimum heap (4 MB at GOGC=100) grows with the percent too.
func Percent(live, headroom int64) int {
	pct := int64(MaxPercent)
	if live > 0 {
		pct = min(pct, headroom*100/live)
	}
	pct = min(pct, (headroom+live)*100/minHeap)
	return int(max(100, pct))
}

// Effects are a Tuner's process-wide operations; tests record them instead.
type Effects struct {
	SetGCPercent func(int) int // debug.SetGCPercent
	LiveHeap     func() int64  // the heap marked live by the last collection (LiveHeap)
}

// Tuner sets the GC percent of the process after every collection (see the
// package documentation). Its methods may be called from any goroutine.
type Tuner struct {
	fx Effects

	mu       sync.Mutex
	headroom int64
	percent  int // the GC percent last set; 0 before the first
	previous int // the GC percent before the first set, restored by Stop
	started  bool
	stopped  bool
}

// New returns a Tuner of this process's collector, with DefaultHeadroom.
func New() *Tuner {
	return NewWith(Effects{SetGCPercent: debug.SetGCPercent, LiveHeap: LiveHeap})
}

// NewWith returns a Tuner whose effects are fx (both must be set).
func NewWith(fx Effects) *Tuner {
	return &Tuner{fx: fx, headroom: DefaultHeadroom}
}

// Start sets the GC percent for the heap of now, and again after every
// collection until Stop. Starting a Tuner again does nothing.
func (t *Tuner) Start() {
	t.mu.Lock()
	if t.started || t.stopped {
		t.mu.Unlock()
		return
	}
	t.started = true
	t.mu.Unlock()
	t.adjust()
	t.arm()
}

// arm sets a finalizer on a fresh sentinel: it runs after the next
// collection (which finds the sentinel dead), adjusts, and arms again.
func (t *Tuner) arm() {
	runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
		if t.adjust() {
			t.arm()
		}
	})
}

// sentinel is large enough not to be a tiny allocation, whose finalizer
// could wait for its neighbours.
type sentinel struct{ _ [4]uintptr }

// SetHeadroom sets how much the heap may grow between collections (at most
// DefaultHeadroom is sensible; the percent stays within [100, MaxPercent]
// whatever it is). A started Tuner applies a change at once.
func (t *Tuner) SetHeadroom(bytes int64) {
	t.mu.Lock()
	changed := bytes != t.headroom
	t.headroom = bytes
	started := t.started
	t.mu.Unlock()
	if changed && started {
		t.adjust()
	}
}

// Stop ends the tuning and restores the GC percent the Tuner found.
func (t *Tuner) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return
	}
	t.stopped = true
	if t.percent != 0 {
		t.fx.SetGCPercent(t.previous)
	}
}

// adjust sets the GC percent for the current live heap, and reports
// whether the Tuner still runs.
func (t *Tuner) adjust() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	if pct := Percent(t.fx.LiveHeap(), t.headroom); pct != t.percent {
		prev := t.fx.SetGCPercent(pct)
		if t.percent == 0 {
			t.previous = prev
		}
		t.percent = pct
	}
	return true
}

// LiveHeap is the heap marked live by the last collection.
func LiveHeap() int64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64())
}

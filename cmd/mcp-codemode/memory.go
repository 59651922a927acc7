package main

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/server"
)

// The process's memory policy (README, "Memory and garbage collection").
//
// Collector: every execution builds a fresh runtime and leaves it as
// garbage, so with Go's default (GOGC=100, a 4 MB minimum heap) a server
// whose live heap is a few MB collects every few executions. Unless GOGC is
// set, the collector is tuned after each collection: the heap may grow by
// up to gcHeadroom before the next one, but never by less than GOGC=100
// would let it (GC percent between 100 and maxGCPercent). A large live heap
// is collected exactly as by default, and the headroom stays within half
// of memory_limit_mb, since the sandbox's watchdog counts an execution's
// garbage against its limit until a collection.
//
// Idle trim: when no execution has run for idleTrimAfter (and once after
// startup), the garbage is collected and the free memory returned to the
// system, so that an idle server holds its live heap rather than the
// garbage of its last executions. A collection of a small heap takes a
// millisecond or two, nothing next to the seconds a model takes between calls;
// executions less than idleTrimAfter apart (a batch) are never interrupted.
const (
	gcHeadroom    = 16 << 20
	maxGCPercent  = 400
	idleTrimAfter = 250 * time.Millisecond
)

// memoryPolicy is the collector tuning and idle trim of the process. A nil
// *memoryPolicy (the tests, which call run rather than main) does nothing.
type memoryPolicy struct {
	tune bool // GOGC is not set: tune the GC percent
	trim bool // GOGC is not "off": collect and trim when idle

	setPercent func(int) int // debug.SetGCPercent
	free       func()        // debug.FreeOSMemory
	liveHeap   func() int64  // the heap marked live by the last collection
	delay      time.Duration

	stopped atomic.Bool // no more tuning (tests)

	mu       sync.Mutex
	headroom int64 // gcHeadroom, less with a small memory_limit_mb
	percent  int   // the GC percent last set; 0 before the first
	active   int   // executions running
	timer    *time.Timer
}

// newMemoryPolicy returns the policy for the environment lookup: the user's
// GOGC, if set, is left to the runtime (GOMEMLIMIT always is: a memory
// limit caps whatever heap the tuning allows).
func newMemoryPolicy(lookup func(string) (string, bool)) *memoryPolicy {
	gogc, _ := lookup("GOGC") // the runtime treats an empty GOGC as unset
	return &memoryPolicy{
		tune:       gogc == "",
		trim:       gogc != "off",
		setPercent: debug.SetGCPercent,
		free:       debug.FreeOSMemory,
		liveHeap:   liveHeap,
		delay:      idleTrimAfter,
		headroom:   gcHeadroom,
	}
}

// start applies the policy to the process: it sets the GC percent for the
// heap of now, and again after every collection.
func (p *memoryPolicy) start() {
	if p == nil || !p.tune {
		return
	}
	p.adjust()
	var rearm func()
	rearm = func() {
		// A finalizer runs once per collection that found its object dead:
		// each sets a new one.
		runtime.SetFinalizer(&gcSentinel{}, func(*gcSentinel) {
			if p.stopped.Load() {
				return
			}
			p.adjust()
			rearm()
		})
	}
	rearm()
}

// gcSentinel is large enough not to be a tiny allocation, whose finalizer
// could wait for its neighbours.
type gcSentinel struct{ _ [4]uintptr }

// adjust sets the GC percent for the current live heap.
func (p *memoryPolicy) adjust() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if pct := gcPercent(p.liveHeap(), p.headroom); pct != p.percent {
		p.percent = pct
		p.setPercent(pct)
	}
}

// gcPercent is the GC percent that lets a heap of live bytes grow by about
// headroom before the next collection, within [100, maxGCPercent]. The
// runtime's minimum heap (4 MB at GOGC=100) grows with the percent too.
func gcPercent(live, headroom int64) int {
	pct := int64(maxGCPercent)
	if live > 0 {
		pct = min(pct, headroom*100/live)
	}
	pct = min(pct, (headroom+live)*100/minHeap)
	return int(max(100, pct))
}

// minHeap is the runtime's minimum heap goal at GOGC=100.
const minHeap = 4 << 20

// track returns run (nil: sandbox.Run), counting its executions for the idle
// trim, and fits the headroom to memory_limit_mb (limitMB). Startup is over
// when it is called: the idle timer starts, to trim startup's garbage.
func (p *memoryPolicy) track(run server.Runner, limitMB int) server.Runner {
	if p == nil {
		return run
	}
	p.mu.Lock()
	if limitMB > 0 {
		p.headroom = min(gcHeadroom, int64(limitMB)<<20/2)
	}
	p.mu.Unlock()
	if p.tune {
		p.adjust()
	}
	if !p.trim {
		return run
	}
	if run == nil {
		run = sandbox.Run
	}
	p.idle()
	return func(ctx context.Context, code string, caller sandbox.Caller, opts sandbox.Options) sandbox.Result {
		p.busy()
		defer p.idle()
		return run(ctx, code, caller, opts)
	}
}

// busy counts an execution in, stopping the idle timer.
func (p *memoryPolicy) busy() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active++
	if p.timer != nil {
		p.timer.Stop()
	}
}

// idle counts an execution out (or startup over); the last one out starts
// the idle timer.
func (p *memoryPolicy) idle() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active > 0 {
		p.active--
	}
	if p.active > 0 {
		return
	}
	if p.timer == nil {
		p.timer = time.AfterFunc(p.delay, p.trimIdle)
		return
	}
	p.timer.Reset(p.delay)
}

// trimIdle collects and returns free memory to the system, unless an
// execution started since the timer fired.
func (p *memoryPolicy) trimIdle() {
	p.mu.Lock()
	active := p.active
	p.mu.Unlock()
	if active == 0 {
		p.free()
	}
}

var liveSample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

func liveHeap() int64 {
	metrics.Read(liveSample)
	if liveSample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(liveSample[0].Value.Uint64())
}

// policy is the process's memory policy, set by main.
var policy *memoryPolicy

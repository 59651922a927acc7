package main

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/exemap"
	"github.com/mcp-codemode/mcp-codemode/internal/gctune"
	"github.com/mcp-codemode/mcp-codemode/internal/gostack"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/server"
)

// The process's memory policy (README, "Memory and garbage collection").
//
// Collector: unless GOGC is set, a gctune.Tuner sets the GC percent after
// each collection so that the heap may grow by up to
// gctune.DefaultHeadroom (64 MB; a small heap by gctune.MaxPercent of its
// size) before the next one, and never by less than with GOGC=100. The
// headroom stays within half of memory_limit_mb, since the sandbox's
// watchdog counts an execution's garbage against its limit until a
// collection.
//
// Idle trim: when no execution has run for idleTrimAfter (and once after
// startup), the garbage is collected and the free memory returned to the
// system, so that an idle server holds its live heap rather than the
// garbage of its last executions. A collection of a small heap takes a
// millisecond or two, nothing next to the seconds a model takes between calls;
// executions less than idleTrimAfter apart (a batch) are never interrupted.
// The first trim also drops the process's mappings of its executable's
// read-only pages (exemap.Release): startup runs code from all over the
// binary, about 30 MB of it resident, most never used again; what an
// execution uses is mapped back from the page cache, once.
const idleTrimAfter = 250 * time.Millisecond

// memoryPolicy is the collector tuning and idle trim of the process. A nil
// *memoryPolicy (the tests, which call run rather than main) does nothing.
type memoryPolicy struct {
	tuner *gctune.Tuner // nil: GOGC is set, the collector is left alone
	trim  bool          // GOGC is not "off": collect and trim when idle

	free    func() // freeMemory
	release func() // releaseImage, at the first trim
	delay   time.Duration
	once    sync.Once

	mu     sync.Mutex
	active int // executions running
	timer  *time.Timer
}

// newMemoryPolicy returns the policy for the environment lookup: the user's
// GOGC, if set, is left to the runtime (GOMEMLIMIT always is: a memory
// limit caps whatever heap the tuning allows).
func newMemoryPolicy(lookup func(string) (string, bool)) *memoryPolicy {
	gogc, _ := lookup("GOGC") // the runtime treats an empty GOGC as unset
	p := &memoryPolicy{
		trim:    gogc != "off",
		free:    freeMemory,
		release: releaseImage,
		delay:   idleTrimAfter,
	}
	if gogc == "" {
		p.tuner = gctune.New()
	}
	return p
}

// start applies the collector tuning to the process.
func (p *memoryPolicy) start() {
	if p != nil && p.tuner != nil {
		p.tuner.Start()
	}
}

// track returns run (nil: sandbox.Run), counting its executions for the idle
// trim, and fits the headroom to memory_limit_mb (limitMB). Startup is over
// when it is called: the idle timer starts, to trim startup's garbage.
func (p *memoryPolicy) track(run server.Runner, limitMB int) server.Runner {
	if p == nil {
		return run
	}
	if p.tuner != nil && limitMB > 0 {
		p.tuner.SetHeadroom(min(gctune.DefaultHeadroom, int64(limitMB)<<20/2))
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
		p.once.Do(p.release)
	}
}

// freeMemory ends the goroutines kept for the next runs and requests
// (gostack.Drain), whose grown stacks would stay resident, then collects and
// returns the free memory to the system.
func freeMemory() {
	gostack.Drain()
	debug.FreeOSMemory()
}

// releaseImage drops the mappings of the executable's read-only pages that
// startup left resident. Where that fails they stay mapped, as before.
func releaseImage() {
	if _, err := exemap.Release(); err != nil {
		slog.Debug("idle trim", "err", err)
	}
}

// policy is the process's memory policy, set by main.
var policy *memoryPolicy

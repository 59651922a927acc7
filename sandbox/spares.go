package sandbox

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/gostack"
)

// Setting a runtime up (the helpers, console and timers, the guards on the
// built-ins, the bindings and the prelude) is most of the cost of a trivial
// execution, and none of it depends on the code. So after each Run takes
// its runtime and ends, a background goroutine sets up the next one for the
// same options: a spare, which the next Run with options that set a runtime up
// the same way takes instead of setting one up itself. A spare is still a
// fresh runtime used by one execution only: no code but the trusted setup
// has run in it. Only the options of the latest Run are prepared for; a
// spare made for other options is dropped.
//
// The work is the same, only moved off the request path: a server that is
// busy on every core gains nothing, one that waits between calls (stdio,
// an agent thinking) starts each execution from a runtime already set up.
//
// The spares belong to their caller, as the Memory does: a server, or a
// worker process, makes one Spares with NewSpares and passes it in the
// Options of every Run; Runs without one set their runtime up themselves.
// Nothing of it is global, so two servers in one process (or two tests)
// keep theirs apart.
//
// The invariants, all under Spares.mu:
//
//   - A spare has run no code but the setup, and is taken by one Run only
//     (take pops it); it is never given back.
//   - Every spare in ready was set up for want (offer drops one made for
//     options that changed meanwhile; aim empties ready when they change),
//     so a Run never gets a runtime with other bindings, prelude or limits.
//   - At most one goroutine sets spares up (filling), and it sets up at most
//     count; in the background, only after a Run ended (refill), so that its
//     memory never counts against that execution's limit, or when asked
//     (Prepare).
//   - A Run waits for the spare being set up at most takeWait, and only
//     one Run at a time (awaited): the others set their own runtime up.

// DefaultSpares is how many spares a server or a worker keeps: one covers
// one execution after another; more would hold memory (about 0.4 MB each)
// for bursts that a busy machine cannot set up ahead of anyway.
const DefaultSpares = 1

// Spares keeps runtimes set up ahead of time for the options of the latest
// Run given it (Options.Spares). It is safe for concurrent use; a nil
// *Spares keeps none.
type Spares struct {
	mu      sync.Mutex
	count   int          // spares to keep ready
	want    Options      // what the spares are set up for (bindings and prelude cloned)
	ready   []*execution // set up for want, never run
	filling bool         // a goroutine is setting up spares
	awaited bool         // a run waits for the spare being set up

	takeWait time.Duration // see WaitForSetup

	// setupTimeout bounds setting a spare up, which no run's deadline does:
	// a prelude that never ends would otherwise keep a goroutine busy for good.
	setupTimeout time.Duration
}

// NewSpares returns a Spares keeping n runtimes set up (DefaultSpares is
// what the server keeps); n <= 0 keeps none, as a nil *Spares does.
func NewSpares(n int) *Spares {
	return &Spares{count: max(n, 0), setupTimeout: 10 * time.Second, takeWait: defaultTakeWait}
}

// WaitForSetup sets how long a Run that finds no spare ready waits for the
// one being set up, if any, before it sets its own runtime up; zero: it
// never waits. Call it before the first Run. The default, 2ms, suits runs
// that follow each other with a pause, as a client's calls do: the spare is
// nearly always ready, and one almost ready is worth the wait. Runs given
// back to back (a worker process sent its next run before the last one
// ended) would each wait, polling every 50 µs, for the spare the last one's
// end started: a worker took 475 µs per run with the wait, 125 without.
func (p *Spares) WaitForSetup(d time.Duration) *Spares {
	p.takeWait = max(d, 0)
	return p
}

// Prepare sets a spare up for opts now, unless one is ready or p keeps
// none, so that the next Run with these options (and Spares p) starts from
// it: a server can call it once it knows its bindings, and its first
// execution is as quick as the next. The error is the setup's (a prelude
// that throws).
func (p *Spares) Prepare(opts Options) error {
	if p == nil {
		return nil
	}
	opts = opts.withDefaults()
	p.mu.Lock()
	p.aim(opts)
	p.waitFill(time.Minute) // the goroutine sets one up: one at a time is enough
	if len(p.ready) >= p.count || !sameSetup(p.want, opts) {
		p.mu.Unlock()
		return nil
	}
	p.filling = true // this goroutine is the one setting up, until stopFilling
	timeout := p.setupTimeout
	p.mu.Unlock()
	x, err := prepare(opts, timeout)
	p.mu.Lock()
	if err == nil {
		p.offer(x, opts)
	}
	p.stopFilling()
	return err
}

// aim makes opts the options spares are set up for, dropping spares set up
// for others.
func (p *Spares) aim(opts Options) {
	if sameSetup(p.want, opts) {
		return
	}
	p.ready = nil
	p.want = Options{
		Bindings:       opts.Bindings, // kept, not copied: not changed once given, and then recognised at once (SameBindings)
		Prelude:        slices.Clone(opts.Prelude),
		MemoryLimit:    opts.MemoryLimit,
		MaxCodeBytes:   opts.MaxCodeBytes,
		MaxResultBytes: opts.MaxResultBytes,
		MaxLogBytes:    opts.MaxLogBytes,
	}
}

// take returns a spare set up as opts would set it up, or nil; from now on
// spares are set up for opts. When none is ready but one is being set up,
// one run at a time waits for it: it is ready sooner than a runtime the run
// would set up itself (calls that follow each other closely, as a client's
// next call after a reply). Other runs set theirs up, in parallel.
func (p *Spares) take(opts Options) *execution {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.count == 0 {
		return nil
	}
	p.aim(opts)
	if len(p.ready) == 0 && p.filling && !p.awaited && p.takeWait > 0 {
		p.awaited = true
		p.waitFill(p.takeWait)
		p.awaited = false
		if !sameSetup(p.want, opts) {
			return nil // a run with other options came meanwhile: the spares are theirs
		}
	}
	var x *execution
	if n := len(p.ready); n > 0 {
		x, p.ready = p.ready[n-1], p.ready[:n-1]
	}
	return x
}

// refill sets spares up in the background, unless enough are ready. A run
// calls it when it ended and released its memory: a spare set up during
// the run would count against the run's memory limit.
func (p *Spares) refill() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.filling && len(p.ready) < p.count {
		p.filling = true
		gostack.Go(p.fill)
	}
}

// fill sets up spares for p.want until enough are ready (on a goroutine of
// gostack.Go).
func (p *Spares) fill() {
	for {
		p.mu.Lock()
		want, timeout := p.want, p.setupTimeout
		if len(p.ready) >= p.count {
			p.stopFilling()
			return
		}
		p.mu.Unlock()
		x, err := prepare(want, timeout)
		p.mu.Lock()
		if err != nil {
			// The embedder's error (a prelude that throws): the run sets
			// its runtime up itself and reports it.
			p.stopFilling()
			return
		}
		p.offer(x, want)
		p.mu.Unlock()
	}
}

// offer keeps x, set up for opts, as a spare if spares are still set up for
// opts and one more is wanted; p.mu is held.
func (p *Spares) offer(x *execution, opts Options) {
	if sameSetup(p.want, opts) && len(p.ready) < p.count {
		p.ready = append(p.ready, x)
	}
}

// defaultTakeWait bounds how long a run waits for the spare being set up
// (WaitForSetup): a setup takes some 20 µs of CPU, longer on a busy machine.
const defaultTakeWait = 2 * time.Millisecond

// waitFill waits, up to max, while a spare is being set up and none is
// ready; p.mu is held on entry and on return. It polls rather than waits
// on a condition: the goroutine setting up may belong to another
// testing/synctest bubble than the waiter, which would then count as
// blocked for good (in a bubble, the polls advance its fake clock).
func (p *Spares) waitFill(max time.Duration) {
	deadline := time.Now().Add(max)
	for len(p.ready) == 0 && p.filling && time.Now().Before(deadline) {
		p.mu.Unlock()
		time.Sleep(50 * time.Microsecond)
		p.mu.Lock()
	}
}

// stopFilling ends fill; p.mu is held, and released.
func (p *Spares) stopFilling() {
	p.filling = false
	p.mu.Unlock()
}

// prepare makes a runtime set up for opts, interrupted after timeout.
func prepare(opts Options, timeout time.Duration) (x *execution, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("setting a runtime up: %v", r)
		}
	}()
	x = newRuntime(opts)
	t := time.AfterFunc(timeout, func() { x.rt.Interrupt("setting a runtime up took too long") })
	defer t.Stop()
	if err := x.setup(); err != nil {
		return nil, err
	}
	x.ready = true
	return x, nil
}

// sameSetup reports whether runtimes set up for a and b are alike.
func sameSetup(a, b Options) bool {
	return newLimits(a) == newLimits(b) && SameBindings(a.Bindings, b.Bindings) && slices.Equal(a.Prelude, b.Prelude)
}

// Package procs runs a Go process on one processor while it has at most one
// short task in flight, and on all of them otherwise.
//
// A stdio server usually serves one client, one request at a time. Each
// request passes from goroutine to goroutine (the reader, the request's, the
// script's, an upstream call's, the writer), and with more than one
// processor every hand-off wakes a thread on an idle one to look for work:
// a futex call to wake it, its spinning, a futex call to park it again. With
// one upstream call per execution that was about a fifth of the server's CPU
// (docs/benchmarks.md), and on one processor the same hand-offs cost a
// goroutine switch each: back to back over stdio, a trivial execution took
// 10–15 % less time and one with an upstream call 5–25 % less.
//
// A script that computes, the collector while it does, and requests that
// overlap still get every processor: a Governor goes back to all of them as
// soon as two tasks are in flight, or one has run for Short, and returns to
// one only when that has been over for Hold (changing GOMAXPROCS stops the
// world for a moment: the process does not switch back and forth with
// every request under load). A process whose live heap is over MaxLiveHeap
// (a server with thousands of tools) keeps all processors too: the
// collector's marking, which the other processor does beside the requests,
// grows with the heap, and on one processor it would land on their path.
package procs

import (
	"runtime"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/gctune"
)

const (
	// Short is how long a task may run on one processor: after that it
	// gets all of them (a script that computes, or a large result, which
	// the collector marks on the other processors meanwhile).
	Short = 5 * time.Millisecond
	// Hold is the least time the process stays on all processors once it
	// went there.
	Hold = 100 * time.Millisecond
	// MaxLiveHeap is the largest live heap (as of the last collection)
	// with which the process goes to one processor; it is read again at
	// most every Hold.
	MaxLiveHeap = 32 << 20
)

// Effects are a Governor's process-wide operations and its clock; tests
// record them instead.
type Effects struct {
	One       func()                                         // runtime.GOMAXPROCS(1)
	All       func()                                         // runtime.SetDefaultGOMAXPROCS
	Now       func() time.Time                               // time.Now
	AfterFunc func(time.Duration, func()) (stop func() bool) // time.AfterFunc
	LiveHeap  func() int64                                   // gctune.LiveHeap
}

// Governor sets GOMAXPROCS by the tasks in flight (see the package
// documentation). Its methods may be called from any goroutine.
type Governor struct {
	fx Effects

	mu      sync.Mutex
	started bool
	one     bool      // the process runs on one processor
	raised  time.Time // when it last went to all of them
	busy    int       // tasks in flight
	long    int       // of which, those that have run for Short
	wake    bool      // a timer will look again when Hold is over
	heap    int64     // the live heap, read at heapAt
	heapAt  time.Time
}

// New returns a Governor of this process, or nil when there is nothing to
// govern: the user set GOMAXPROCS (lookup is os.LookupEnv), or the process
// has one processor anyway. A nil *Governor does nothing.
func New(lookup func(string) (string, bool)) *Governor {
	if v, _ := lookup("GOMAXPROCS"); v != "" || runtime.GOMAXPROCS(0) < 2 {
		return nil
	}
	return NewWith(Effects{
		One: func() { runtime.GOMAXPROCS(1) },
		All: runtime.SetDefaultGOMAXPROCS,
		Now: time.Now,
		AfterFunc: func(d time.Duration, f func()) func() bool {
			return time.AfterFunc(d, f).Stop
		},
		LiveHeap: gctune.LiveHeap,
	})
}

// NewWith returns a Governor whose effects are fx (all must be set). The
// process is taken to be on all its processors until Start.
func NewWith(fx Effects) *Governor { return &Governor{fx: fx} }

// Start begins governing: with no task in flight, the process goes to one
// processor. Call it when startup's own work (which may run in parallel) is
// over.
func (g *Governor) Start() {
	if g == nil {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.started = true
	g.settle()
}

// Begin counts a task in; call the function it returns when the task is
// over.
func (g *Governor) Begin() (end func()) {
	if g == nil {
		return func() {}
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.busy++
	var ended, long bool
	stop := g.fx.AfterFunc(Short, func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		if !ended {
			long = true
			g.long++
			g.settle()
		}
	})
	g.settle()
	return func() {
		stop()
		g.mu.Lock()
		defer g.mu.Unlock()
		if ended {
			return
		}
		ended = true
		g.busy--
		if long {
			g.long--
		}
		g.settle()
	}
}

// settle moves the process to the processors its tasks call for; g.mu is
// held.
func (g *Governor) settle() {
	if !g.started {
		return
	}
	one := (g.busy == 0 || g.busy == 1 && g.long == 0) && g.small()
	switch {
	case !one && g.one:
		g.fx.All()
		g.one, g.raised = false, g.fx.Now()
	case one && !g.one:
		if wait := Hold - g.fx.Now().Sub(g.raised); wait > 0 {
			if !g.wake {
				g.wake = true
				g.fx.AfterFunc(wait, g.look)
			}
			return
		}
		g.fx.One()
		g.one = true
	}
}

// small reports whether the live heap is within MaxLiveHeap, reading it
// again when the last reading is Hold old; g.mu is held.
func (g *Governor) small() bool {
	if now := g.fx.Now(); g.heapAt.IsZero() || now.Sub(g.heapAt) >= Hold {
		g.heap, g.heapAt = g.fx.LiveHeap(), now
	}
	return g.heap <= MaxLiveHeap
}

// look settles again when Hold is over.
func (g *Governor) look() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.wake = false
	g.settle()
}

// One reports whether the process is on one processor (for tests and
// metrics).
func (g *Governor) One() bool {
	if g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.one
}

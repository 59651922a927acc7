package gostack

import (
	"sync"
	"sync/atomic"
)

// MaxIdle is how many goroutines Go (and, apart, GoDeep) keeps waiting for
// the next function: about what a busy server runs at once.
const MaxIdle = 16

// Go runs f on a goroutine whose stack Presize already grew: one that ran
// a function given to Go before and waits for the next, or a new one. A
// goroutine made for each run, spare, tool call and request grew its stack
// again each time (a 32 KB stack allocated, the frames copied into it) and
// started from a small one; the stdio server spent about 5 % of its CPU on
// those copies with one upstream call per execution.
//
// f runs as with the go statement (a panic in it ends the process), but for
// two things: it does not inherit the caller's profiler labels, and it may
// run on a goroutine from outside the caller's synctest bubble (see
// WithoutReuse).
func Go(f func()) { shallow.run(f) }

// GoDeep is Go with a stack PresizeDeep grew, for an MCP request.
func GoDeep(f func()) { deep.run(f) }

// Drain ends the goroutines waiting for a function and returns once they
// have, so that their stacks go back to the heap: for a process about to
// return its free memory to the system after a while idle. Later calls
// start new ones.
func Drain() {
	shallow.drain()
	deep.drain()
}

// WithoutReuse makes Go and GoDeep start a goroutine for each function,
// which ends after it, until restore is called: for a test in a synctest
// bubble, whose goroutines must neither come from outside it nor outlive it.
func WithoutReuse() (restore func()) {
	fresh.Add(1)
	var once sync.Once
	return func() { once.Do(func() { fresh.Add(-1) }) }
}

var (
	shallow = &reuse{presize: Presize}
	deep    = &reuse{presize: PresizeDeep}
	fresh   atomic.Int32 // WithoutReuse calls not restored
)

// reuse keeps goroutines waiting for a function, each on a channel of its
// own, the one that waited least first (its stack is the likeliest in the
// cache).
type reuse struct {
	presize func()

	mu   sync.Mutex
	idle []chan func() // nil sent: end

	draining sync.Mutex     // one drain at a time
	ended    sync.WaitGroup // the goroutines a drain ended
}

func (r *reuse) run(f func()) {
	if fresh.Load() > 0 {
		go func() {
			r.presize()
			f()
		}()
		return
	}
	r.mu.Lock()
	if n := len(r.idle); n > 0 {
		c := r.idle[n-1]
		r.idle[n-1] = nil
		r.idle = r.idle[:n-1]
		r.mu.Unlock()
		c <- f // buffered: never blocks
		return
	}
	r.mu.Unlock()
	go r.loop(f)
}

func (r *reuse) loop(f func()) {
	r.presize()
	c := make(chan func(), 1)
	for f != nil {
		f()
		f = nil // not kept alive while waiting
		r.mu.Lock()
		if len(r.idle) >= MaxIdle || fresh.Load() > 0 {
			r.mu.Unlock()
			return
		}
		r.idle = append(r.idle, c)
		r.mu.Unlock()
		f = <-c
	}
	r.ended.Done()
}

// drain ends the waiting goroutines and returns when they have ended.
func (r *reuse) drain() {
	r.draining.Lock()
	defer r.draining.Unlock()
	r.mu.Lock()
	idle := r.idle
	r.idle = nil
	r.mu.Unlock()
	r.ended.Add(len(idle))
	for _, c := range idle {
		c <- nil
	}
	r.ended.Wait()
}

package sandbox

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
)

var (
	errStopped      = errors.New("the run was stopped")
	errNeverSettles = errors.New("the script awaited a promise that can never settle: no tool call or timer is pending")
)

// loop is an execution's event loop. Binding goroutines and timers post
// jobs; only the runtime goroutine runs them, so only it ever calls a
// promise's resolve or reject.
//
// Once the run's context is done or the run is stopped, no job runs: a
// call that returned because it saw the cancellation (one held at an
// approval pause, say) would otherwise settle, report its progress and
// run the script's continuation before the stop reaches the runtime. The
// context's own Done is watched as well as the stop, since Run learns of
// the cancellation on another goroutine (context.AfterFunc), a moment
// after a call may have.
type loop struct {
	jobs    chan func() error // a job returns only uncatchable errors, or a timer callback's throw
	stopped <-chan struct{}   // Done of the context calls get: closed when the run is stopped, ends, or its context is done
	ctxDone <-chan struct{}   // Done of the run's context, which calls may see before stopped closes
	busy    *atomic.Bool      // false while waiting for a job (see Memory)

	// runtime goroutine only:
	pending   int // binding calls and timers in flight
	timers    map[int64]*timer
	lastID    int64
	unhandled []*goja.Promise // rejected promises no handler was added to
}

// maxUnhandled bounds the warnings about unhandled rejections.
const maxUnhandled = 5

// trackRejection is goja's PromiseRejectionTracker.
func (l *loop) trackRejection(p *goja.Promise, op goja.PromiseRejectionOperation) {
	switch op {
	case goja.PromiseRejectionReject:
		l.unhandled = append(l.unhandled, p)
	case goja.PromiseRejectionHandle:
		for i, u := range l.unhandled {
			if u == p {
				l.unhandled = append(l.unhandled[:i], l.unhandled[i+1:]...)
				break
			}
		}
	}
}

// warnUnhandled logs the rejections nobody handled, other than main's (a
// tool call that failed without being awaited, say), which would otherwise
// go unnoticed.
func (x *execution) warnUnhandled(main *goja.Promise) {
	n := 0
	for _, p := range x.loop.unhandled {
		if p == main || n == maxUnhandled {
			continue
		}
		n++
		x.journal.add("[warn] unhandled promise rejection: " + x.errorFromValue(p.Result()).Error())
	}
}

type timer struct {
	t     *time.Timer
	fn    goja.Callable
	args  []goja.Value
	every time.Duration // of setInterval; 0 for setTimeout
}

// begin readies the loop for one run: ctx is the run's context, callCtx
// the one calls get (see [loop]).
func (l *loop) begin(ctx, callCtx context.Context, busy *atomic.Bool) {
	l.jobs, l.stopped, l.ctxDone, l.busy = make(chan func() error), callCtx.Done(), ctx.Done(), busy
}

// post hands job to the runtime goroutine. It gives up when the run is over,
// so a late binding goroutine never blocks.
func (l *loop) post(job func() error) {
	select {
	case l.jobs <- job:
	case <-l.stopped:
	case <-l.ctxDone:
	}
}

// wait runs jobs until p settles, the run is stopped, or nothing pending
// could ever settle p. A job taken once the run is over is dropped (see
// [loop]): the select may pick it when the stop is ready too.
func (l *loop) wait(p *goja.Promise) error {
	for p.State() == goja.PromiseStatePending {
		if l.pending == 0 {
			return errNeverSettles
		}
		l.busy.Store(false)
		select {
		case job := <-l.jobs:
			l.busy.Store(true)
			if l.over() {
				return errStopped
			}
			if err := job(); err != nil {
				return err
			}
		case <-l.stopped:
			l.busy.Store(true)
			return errStopped
		case <-l.ctxDone:
			l.busy.Store(true)
			return errStopped
		}
	}
	return nil
}

// over reports whether the run was stopped or its context is done.
func (l *loop) over() bool {
	select {
	case <-l.stopped:
		return true
	case <-l.ctxDone:
		return true
	default:
		return false
	}
}

func (l *loop) stopTimers() {
	for _, tm := range l.timers {
		tm.t.Stop()
	}
}

// timerGlobal makes the global name, one of setTimeout, setInterval,
// clearTimeout and clearInterval (lazyGlobal), driven by the loop. The run ends when the code's promise
// settles, whatever timers are left.
func (x *execution) timerGlobal(name string) goja.Value {
	switch name {
	case "setTimeout":
		return x.native(name, nil, x.timerSetter(name, false))
	case "setInterval":
		return x.native(name, nil, x.timerSetter(name, true))
	}
	return x.native(name, nil, x.clearTimeout)
}

// minInterval keeps setInterval(fn, 0) from posting jobs without pause,
// and maxTimers bounds the timers pending at once: each firing is a
// goroutine of the host, and 10,000 intervals of 1 ms took 1.8 CPUs and
// 140 MB; 1,000 of 10 ms take a fraction of one.
const (
	minInterval = 10 * time.Millisecond
	maxTimers   = 1000
)

// timerSetter is setTimeout(fn, ms, ...args), which calls fn(...args)
// after ms milliseconds, or with repeat setInterval, which calls it every
// ms milliseconds (at least minInterval) until cleared. A throw from fn ends the run
// with that error, as an uncaught error would.
func (x *execution) timerSetter(name string, repeat bool) func(goja.FunctionCall) goja.Value {
	return func(call goja.FunctionCall) goja.Value {
		fn, ok := goja.AssertFunction(call.Argument(0))
		if !ok {
			panic(x.rt.NewTypeError(name + ": the callback must be a function"))
		}
		ms := call.Argument(1).ToFloat()
		if math.IsNaN(ms) || ms < 0 {
			ms = 0
		}
		d := time.Duration(math.Min(ms, float64(time.Hour/time.Millisecond)) * float64(time.Millisecond))
		var args []goja.Value
		if len(call.Arguments) > 2 {
			args = append(args, call.Arguments[2:]...)
		}
		l := &x.loop
		if len(l.timers) >= maxTimers {
			panic(x.newError(NameRange, fmt.Sprintf("%s: %d timers are pending, the limit; clear some (clearTimeout, clearInterval) or await them first", name, maxTimers)))
		}
		l.lastID++
		tm := &timer{fn: fn, args: args}
		if repeat {
			d = max(d, minInterval)
			tm.every = d
		}
		l.timers[l.lastID] = tm
		l.arm(l.lastID, tm, d)
		l.pending++
		return x.rt.ToValue(l.lastID)
	}
}

// arm posts the timer's firing after d.
func (l *loop) arm(id int64, tm *timer, d time.Duration) {
	tm.t = time.AfterFunc(d, func() {
		l.post(func() error { return l.fire(id) })
	})
}

func (l *loop) fire(id int64) error {
	tm, ok := l.timers[id]
	if !ok {
		return nil // cleared after it was posted
	}
	if tm.every > 0 {
		l.arm(id, tm, tm.every) // the next firing waits for this one's job
	} else {
		delete(l.timers, id)
		l.pending--
	}
	_, err := tm.fn(goja.Undefined(), tm.args...)
	return err
}

func (x *execution) clearTimeout(call goja.FunctionCall) goja.Value {
	id := call.Argument(0).ToInteger()
	if tm, ok := x.loop.timers[id]; ok {
		tm.t.Stop()
		delete(x.loop.timers, id)
		x.loop.pending--
	}
	return goja.Undefined()
}

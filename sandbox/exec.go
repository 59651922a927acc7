package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/mcp-codemode/mcp-codemode/internal/gostack"
)

const (
	// maxCallDepth bounds JS recursion, so `function f(){f()}` is a
	// RangeError rather than a Go stack overflow.
	maxCallDepth = 1000

	// stopGrace is how long Run waits, after the timeout or cancellation,
	// for the runtime to notice the interrupt before abandoning it (it may be
	// inside a long native call, which goja cannot interrupt).
	stopGrace = 50 * time.Millisecond
)

// execution is the state of one Run. Fields marked "runtime goroutine" may
// only be touched by the goroutine that runs x.run; the rest are safe to
// use from any goroutine.
type execution struct {
	ctx     context.Context // the caller's
	callCtx context.Context // passed to Caller.Call; cancelled when the run ends
	cancel  context.CancelFunc
	script  *script
	caller  Caller
	opts    Options
	rt      *goja.Runtime // runtime goroutine (Interrupt is goroutine-safe)
	journal *journal
	started atomic.Int64 // binding calls started
	limits  limits
	mem     *reservation // released when the runtime goroutine ends
	clock   *clock       // with Options.Replay: the clock the run sees

	ready   bool                    // set up (a spare); else setup runs first on the runtime goroutine
	prelude *prelude                // the helpers' function, taken at setup
	helpers *helpers                // runtime goroutine: made on first use (help)
	ctors   map[string]*goja.Object // runtime goroutine: built-in error constructors
	origins map[*goja.Object]frame  // runtime goroutine: where errors made in Go were caused
	loop    loop
	settled int // runtime goroutine: binding calls settled
	nesting int // runtime goroutine: nested calls of join-like methods (see guard.go)

	guardObjs     []*goja.Object                // runtime goroutine: the built-ins whose properties are guarded, as guardTable lists them
	arrayValues   *goja.Object                  // runtime goroutine: the wrapper of Array.prototype.values, once made
	guardsOn      bool                          // runtime goroutine: installGuards ran
	guardsRunning bool                          // runtime goroutine: guards.js runs (jsGuards)
	wrapCtor      goja.Callable                 // runtime goroutine: guards.js's, for lazyCtors; made on first need (jsGuards)
	wrapFunction  goja.Callable                 // runtime goroutine: guards.js's, for jsGuards; made with wrapCtor
	originals     [len(originalKeys)]goja.Value // runtime goroutine: see collections.go
	made          map[string]*goja.Object       // runtime goroutine: what goja handed builtinMade (madeWholeNames, madeTemplatedNames)
	originalOfFn  *goja.Object                  // runtime goroutine: originalOf, for the prelude, guards.js and web.js
	web           *goja.Object                  // runtime goroutine: web.js's globals, once made (webGlobal)

	stopOnce sync.Once
	reason   *Error        // why the run was stopped; nil when it finished; read after stopped is closed
	stopped  chan struct{} // closed when the run is stopped or finished
	done     chan outcome  // the runtime goroutine's outcome
}

// outcome is what the runtime goroutine produced.
type outcome struct {
	value json.RawMessage
	err   *Error
}

// newRuntime makes a fresh runtime and the state its setup depends on: the
// options' limits, bindings and prelude, nothing of one run. begin gives it
// to a run.
func newRuntime(opts Options) *execution {
	return &execution{
		opts:    opts,
		limits:  newLimits(opts),
		rt:      goja.New(),
		journal: &journal{max: opts.MaxLogBytes},
		origins: map[*goja.Object]frame{},
	}
}

// begin gives the runtime to one run. x.opts must set up the runtime the
// way x was set up, or x must not be set up yet (see Spares).
func (x *execution) begin(ctx context.Context, s *script, caller Caller, opts Options, mem *reservation) *execution {
	x.ctx, x.script, x.caller, x.opts, x.mem = ctx, s, caller, opts, mem
	x.journal.max, x.journal.onLog = opts.MaxLogBytes, opts.OnLog
	x.stopped = make(chan struct{})
	x.done = make(chan outcome, 1)
	x.callCtx, x.cancel = context.WithCancel(ctx)
	x.replay(opts.Replay)
	x.loop.begin(ctx, x.callCtx, &mem.busy)
	opts.Memory.attach(mem, x.stop)
	return x
}

// wait runs the execution on its own goroutine and returns its result when
// it finishes, or shortly after the deadline (Run's start plus the timeout)
// or ctx's cancellation.
func (x *execution) wait(deadline time.Time) Result {
	defer x.cancel()
	timer := time.AfterFunc(time.Until(deadline), func() { x.stop(timeoutError(x.opts.Timeout)) })
	defer timer.Stop()
	defer context.AfterFunc(x.ctx, func() { x.stop(stopError(x.ctx)) })()
	gostack.Go(x.run)
	out, abandoned := x.await()
	if r := x.stopReason(); r.Name != NameInternal && (out.err == nil || out.err.Name != r.Name) {
		// Stopped: a tool call that failed because of it may have settled
		// first, but the stop is what happened.
		out = outcome{err: r}
	}
	return Result{
		Value:     out.value,
		Err:       out.err,
		Logs:      x.journal.close(),
		Stats:     Stats{ToolCalls: int(x.started.Load())},
		Times:     x.clock.times(),
		Abandoned: abandoned,
	}
}

// await returns the runtime goroutine's outcome, or the stop reason when the
// runtime does not answer an interrupt within stopGrace: then it reports
// the runtime abandoned. An abandoned runtime goroutine ends when its
// native call returns; nothing it does after that is recorded.
func (x *execution) await() (out outcome, abandoned bool) {
	select {
	case out := <-x.done:
		return out, false
	case <-x.stopped:
		if x.reason == nil {
			// It finished by itself: its outcome is being sent. Waiting
			// with stopGrace here made a slow scheduler an InternalError.
			return <-x.done, false
		}
	}
	grace := time.NewTimer(stopGrace)
	defer grace.Stop()
	select {
	case out := <-x.done:
		return out, false
	case <-grace.C:
		return outcome{err: x.stopReason()}, true
	}
}

// stop ends the run once: reason nil means it finished by itself.
func (x *execution) stop(reason *Error) {
	x.stopOnce.Do(func() {
		x.reason = reason
		if reason != nil {
			x.rt.Interrupt(reason)
		}
		x.cancel()
		close(x.stopped)
	})
}

// stoppedReason is why the run was stopped, or nil while it goes on.
func (x *execution) stoppedReason() *Error {
	select {
	case <-x.stopped:
		if x.reason == nil {
			return internalError("the run is over")
		}
		return x.reason
	default:
		return nil
	}
}

// run is the runtime goroutine (gostack.Go: its stack has grown to what
// setting a runtime up and running a short script reach).
func (x *execution) run() {
	out := x.execute() // never panics
	// The memory goes back before the outcome: once Run returned, only a
	// runtime abandoned in a native call is still counted (Memory.Active).
	x.opts.Memory.release(x.mem)
	// The spare's goroutine starts before stop wakes Run's caller: the
	// goroutine woken last runs first on this thread, and the caller must
	// not wait for a runtime to be set up.
	x.opts.Spares.refill()
	x.stop(nil)
	x.done <- out
}

// execute runs the code and its event loop to completion.
func (x *execution) execute() (out outcome) {
	defer func() {
		if r := recover(); r != nil {
			out = outcome{err: internalError(r)}
		}
	}()
	defer x.loop.stopTimers()
	if !x.ready {
		if err := x.setup(); err != nil {
			return outcome{err: x.errorFromGoOnce(err)}
		}
	}
	p, err := x.start()
	if err != nil {
		return outcome{err: x.errorFromGo(err)}
	}
	if err := x.loop.wait(p); err != nil {
		return outcome{err: x.loopError(err)}
	}
	x.warnUnhandled(p)
	return x.settle(p)
}

// setup prepares the fresh runtime: limits, helpers, globals.
func (x *execution) setup() error {
	if err := x.setupBase(); err != nil {
		return err
	}
	if err := x.installGuards(); err != nil {
		return err
	}
	x.installBindings()
	for _, src := range x.opts.Prelude {
		if _, err := x.rt.RunProgram(compilePrelude(src)); err != nil {
			return err
		}
	}
	return nil
}

// setupBase is setup's first step (BenchmarkSetupSteps times each): the
// runtime's limits and hooks, and the prelude's function and built-ins.
func (x *execution) setupBase() error {
	x.rt.SetMaxCallStackSize(maxCallDepth)
	x.rt.SetParserOptions(parser.WithSourceMapLoader(denySourceMap))
	x.rt.SetPromiseRejectionTracker(x.loop.trackRejection)
	x.rt.SetMadeHook(x.builtinMade)
	// The built-in hook is set first: it takes each error constructor as
	// goja makes it (or errorCtor makes it when first needed), so none is
	// made at setup, and none is taken after the code could replace it.
	// It guards nothing before installGuards, which wraps what was made.
	x.ctors = make(map[string]*goja.Object, len(errorCtors))
	x.rt.SetBuiltinHook(x.guardBuiltin)
	x.rt.SetLazyGlobals(lazyGlobals(), x.lazyGlobal)
	x.originalOfFn = x.native("originalOf", nil, x.originalOf)
	p, err := takePrelude(x.rt, x.originalOfFn, func(name string) goja.Value {
		c, _ := x.errorCtor(name)
		return c
	})
	if err != nil {
		return err
	}
	x.prelude = p
	x.loop.timers = map[int64]*timer{}
	return nil
}

// start runs the compiled script, which evaluates to the wrapper function,
// and calls it.
func (x *execution) start() (*goja.Promise, error) {
	v, err := x.rt.RunProgram(x.script.prog)
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(v)
	if !ok {
		return x.resolved(v), nil
	}
	r, err := fn(goja.Undefined())
	if err != nil {
		return nil, err
	}
	if p, ok := r.Export().(*goja.Promise); ok {
		return p, nil
	}
	return x.resolved(r), nil
}

// resolved wraps a value the code produced without a promise (possible only
// when the code closed the wrapper function itself).
func (x *execution) resolved(v goja.Value) *goja.Promise {
	p, resolve, _ := x.rt.NewPromise()
	_ = resolve(v)
	return p
}

// loopError converts why the event loop gave up.
func (x *execution) loopError(err error) *Error {
	switch {
	case errors.Is(err, errStopped):
		return x.stopReason()
	case errors.Is(err, errNeverSettles):
		return &Error{Name: NameError, Message: errNeverSettles.Error()}
	}
	return x.errorFromGo(err)
}

// settle serialises the result, on this goroutine and under the deadline.
func (x *execution) settle(p *goja.Promise) outcome {
	if p.State() == goja.PromiseStateRejected {
		return outcome{err: x.errorFromValue(p.Result())}
	}
	s, err := x.serializeResult(p.Result())
	if err != nil {
		return outcome{err: x.errorFromGo(err)}
	}
	return outcome{value: json.RawMessage(s)}
}

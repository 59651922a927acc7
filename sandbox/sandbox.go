package sandbox

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Caller runs one binding. It is called on its own goroutine (never the
// runtime's), concurrently with other calls of the same execution. ctx is
// cancelled when the execution ends, for any reason.
type Caller interface {
	Call(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error)
}

// CallerFunc adapts a function to the Caller interface.
type CallerFunc func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error)

// Call calls f(ctx, id, args).
func (f CallerFunc) Call(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
	return f(ctx, id, args)
}

// Binding makes Object.Method(args) call Caller.Call(ctx, ID, JSON(args)).
type Binding struct {
	Object string // global identifier, e.g. "memory" (may also be "codemode")
	Method string // method name, may be a reserved word like "delete"
	ID     string // opaque, passed to Call

	// Params, if set, are the method's positional parameters. A call with
	// at most one argument that is an object (not a function), or of a
	// method with one parameter, passes that argument as it is; any other
	// passes an object of its arguments by these names, undefined ones left
	// out. A name "...x" takes its argument's own enumerable properties
	// instead (as Object.assign does), under those the other names set. So
	// Params {"query", "...options"} makes search("q", {limit: 3}) pass
	// {limit: 3, query: "q"}, and search({query: "q"}) pass it as it is.
	// Nil: the first argument, whatever the call.
	Params []string
}

// SameBindings reports whether a and b hold the same bindings: at once when
// they are the same slice (a server passes the same one to every run),
// else binding by binding.
func SameBindings(a, b []Binding) bool {
	if len(a) != len(b) {
		return false
	}
	if len(a) == 0 || &a[0] == &b[0] {
		return true
	}
	return slices.EqualFunc(a, b, Binding.Equal)
}

// Equal reports whether b and c are the same binding.
func (b Binding) Equal(c Binding) bool {
	return b.Object == c.Object && b.Method == c.Method && b.ID == c.ID && slices.Equal(b.Params, c.Params)
}

// Options configure one execution. The zero value is usable.
type Options struct {
	// Bindings are the methods the code may call. Each distinct Object
	// becomes a fresh global object, replacing any global of that name.
	// Runs and spares keep the slice: it must not change once given to a
	// Run (give another slice for other bindings). The same slice from one
	// run to the next is recognised at once, at any number of bindings.
	Bindings []Binding

	// Timeout is the wall time allowed per execution. Zero means 30s.
	Timeout time.Duration

	// MaxToolCalls caps the binding calls per execution; the call that
	// exceeds it rejects with a RangeError. Zero means 200.
	MaxToolCalls int

	// MaxCodeBytes caps the size of the code; larger code is a SyntaxError
	// before anything is parsed. Zero means 256 KiB.
	MaxCodeBytes int

	// MaxLogBytes caps the captured console output; past it one line
	// "… (console output truncated)" is added and later output is dropped.
	// Zero means 1 MiB.
	MaxLogBytes int

	// OnLog, if set, is called with each console line as it is produced,
	// from the runtime goroutine. It is never called after Run returns.
	OnLog func(line string)

	// Prelude is trusted JavaScript run in the fresh runtime after the
	// bindings are installed and before the code: for example a fetch built
	// on a binding, which the prelude takes and then deletes from the global
	// object. Each distinct source is compiled once per process. An error in
	// a prelude is an InternalError.
	Prelude []string

	// OnCall, if set, is called when a binding call settles, with the number
	// of calls settled and started so far. Same goroutine rules as OnLog.
	OnCall func(done, started int)

	// MemoryLimit is the memory budget of the execution in bytes. The
	// watchdog stops a run that exceeds it with a MemoryLimitError; built-ins
	// that would allocate a large part of it in one call throw a catchable
	// RangeError instead. Zero means 128 MiB.
	MemoryLimit int64

	// Memory admits executions against a process-wide budget and runs the
	// watchdog. Runs that go on at once in one process should share one:
	// the watchdog sees the heap of the whole process, and divides its
	// growth only among the runs it knows. Nil means a Memory of the run's
	// own (of DefaultProcessMemory): the watchdog still stops it at its
	// MemoryLimit, but nothing admits it against other runs.
	Memory *Memory

	// Spares, if set, keeps a runtime set up ahead of time for the next Run
	// with these options (see Spares): the Run takes it instead of setting
	// its own up, and when it ended sets the next one up in the background.
	// Nil means none: each Run sets its runtime up.
	Spares *Spares

	// MaxResultBytes caps the JSON of the result; a larger result is a
	// RangeError. Zero means 16 MiB.
	MaxResultBytes int

	// Replay, if set, seeds Math.random and replays the clock (see Replay);
	// the result then carries the clock values the run saw (Result.Times).
	Replay *Replay
}

// Defaults applied by Run to zero Options fields.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultMaxToolCalls = 200
	DefaultMaxCodeBytes = 256 << 10
	DefaultMaxLogBytes  = 1 << 20

	DefaultMemoryLimit    = 128 << 20
	DefaultMaxResultBytes = 16 << 20
)

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxToolCalls <= 0 {
		o.MaxToolCalls = DefaultMaxToolCalls
	}
	if o.MaxCodeBytes <= 0 {
		o.MaxCodeBytes = DefaultMaxCodeBytes
	}
	if o.MaxLogBytes <= 0 {
		o.MaxLogBytes = DefaultMaxLogBytes
	}
	if o.MemoryLimit <= 0 {
		o.MemoryLimit = DefaultMemoryLimit
	}
	if o.MaxResultBytes <= 0 {
		o.MaxResultBytes = DefaultMaxResultBytes
	}
	return o
}

// Result is the outcome of one execution.
type Result struct {
	Value json.RawMessage // JSON of the script's result; "null" when undefined; set only on success
	Logs  []string        // console lines, in order; never nil
	Err   *Error          // nil on success
	Stats Stats
	// Abandoned is set when Run gave up on the runtime: stopped (timeout,
	// cancellation, the watchdog) inside a native call that ignores the
	// interrupt, it did not answer within 50ms. Its goroutine goes on
	// until that call returns, holding its memory (Memory.Active counts
	// it); a worker process retires then.
	Abandoned bool
	// Times are the clock values (Unix ms) the run saw, in order, with
	// Options.Replay set (see Replay); else nil.
	Times []int64
}

// Stats describe one execution.
type Stats struct {
	ToolCalls int           // binding calls started
	Duration  time.Duration // wall time of Run, including compilation
}

// Run executes code in a fresh runtime and returns its result. It never
// panics and never returns a Go error for anything the script did: every
// failure is a Result.Err. Run returns within about 100ms of the timeout or
// of ctx being cancelled, even when the script is stuck in native code.
func Run(ctx context.Context, code string, caller Caller, opts Options) (res Result) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			res = Result{Err: internalError(r)}
		}
		if res.Logs == nil {
			res.Logs = []string{}
		}
		res.Stats.Duration = time.Since(start)
	}()
	opts = opts.withDefaults()
	if opts.Memory == nil {
		opts.Memory = NewMemory(DefaultProcessMemory)
	}
	if ctx.Err() != nil {
		return Result{Err: stopError(ctx)}
	}
	wakeMonitor()
	deadline := start.Add(opts.Timeout)
	mem, err := opts.Memory.admit(ctx, opts.MemoryLimit, deadline)
	if err != nil {
		return Result{Err: err}
	}
	s, err := compile(code, opts.MaxCodeBytes)
	if err != nil {
		opts.Memory.release(mem)
		return Result{Err: err}
	}
	x := opts.Spares.take(opts)
	if x == nil {
		x = newRuntime(opts)
	}
	return x.begin(ctx, s, caller, opts, mem).wait(deadline)
}

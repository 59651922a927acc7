// Package sandbox runs the code a model writes in "code mode": TypeScript or
// JavaScript executed in a fresh goja runtime per call, where a set of
// bindings (memory.read_graph, github.delete, ...) call the real tools
// through a Caller.
//
//	bindings := []sandbox.Binding{{Object: "memory", Method: "read_graph", ID: "memory/read_graph"}}
//	caller := sandbox.CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
//		return tools.Call(ctx, id, args) // whatever runs the tool
//	})
//	res := sandbox.Run(ctx, "const g = await memory.read_graph();\ng.entities.length", caller,
//		sandbox.Options{Bindings: bindings})
//	if res.Err != nil {
//		fmt.Println(res.Err) // e.g. "TypeError: Cannot read property 'length' of undefined (line 2, column 12)"
//	}
//	fmt.Println(string(res.Value), res.Logs)
//
// The package imports nothing else of this module: it owns the Caller
// interface it calls.
//
// # The code
//
// A markdown fence around the code (```ts, ```typescript, ```js,
// ```javascript or a bare ```) is stripped. esbuild strips TypeScript types
// and lowers what goja lacks (async generators, for await, using); code that
// goja compiles as it is, and that TypeScript would not read otherwise (no
// "<" followed by ">", no class), is plain JavaScript and skips esbuild,
// with the same positions in errors. The code
// is the body of an async function, so top-level await and return work.
// When the whole program is one function expression (`async () => {...}`,
// `function () {...}`) or one async function declaration, it is called and
// its result used. Otherwise, when the body has no return statement outside
// nested functions, the value of its last expression statement is the
// result; as in eval, that looks into a final block, if/else or try/catch
// (`try { await t.x() } catch (e) { e.message }` gives either value).
//
// The result is serialised with JSON.stringify inside the runtime, before
// the deadline: undefined becomes null; Map becomes an object (or an array of
// [key, value] pairs when a key is not a string or number); Set and typed
// arrays become arrays; an Error becomes {name, message}. BigInt, cyclic
// references and nesting deeper than 100 levels are a TypeError naming the
// path (`the result cannot be serialised to JSON: a cyclic reference at
// result.a.self`). A binding's argument is serialised the same way (undefined
// is sent as {}).
//
// Globals are the ECMAScript built-ins (goja's GoError removed), console,
// setTimeout, setInterval, clearTimeout and clearInterval, atob, btoa,
// TextEncoder, TextDecoder and structuredClone, and one object per
// Binding.Object (replacing any global of that name; each method returns a
// Promise). Like goja's built-ins, console, the timers and the web APIs
// are made the first time the code uses one (globals.go), and the guarded
// built-ins (Array, String.prototype, Object, Promise, Reflect, JSON,
// RegExp, ArrayBuffer, …), with their guards, when goja makes them
// (guard.go, builtinMade): the code sees the same objects either way, made
// in its own runtime, from templates shared read only between runtimes. The object is a
// Proxy over a fresh object of the run's runtime, and a method becomes a
// function the first time the code touches its name, so that setting a
// runtime up costs the same at 50 tools and at 5,000; the code sees an
// ordinary object with every method (keys in the bindings' order, `in`,
// descriptors, delete, freeze, prototypes). There is
// no require, process, file system or network. setTimeout(fn, ms, ...args)
// is driven by the event loop; a throw from fn ends the run with that error.
//
// A rejected promise nobody handled (a tool call that failed without being
// awaited) adds a log line "[warn] unhandled promise rejection: <error>"
// when the script ends; the result is unaffected.
//
// console.log, info and debug print their arguments joined by spaces;
// console.warn and console.error prefix the line with "[warn] " and
// "[error] ". Strings print raw; Errors as "Name: message"; functions as
// "[Function: name]"; symbols and BigInts (10n) as in JS; objects and arrays
// as compact JSON with "[Circular]" for cycles and Map/Set converted as for
// results.
//
// # Concurrency
//
// goja is not goroutine-safe. Each Run gets a fresh runtime and hands it to
// one goroutine, the runtime goroutine, which alone touches it: it runs the
// code, the event loop, every promise resolve and reject, console, OnLog and
// OnCall. Each binding call runs Caller.Call on a goroutine of its own and
// posts its settlement to the event loop (a channel the runtime goroutine
// drains), so `await Promise.all([a.x(), b.y()])` takes as long as the slowest
// call. The only cross-goroutine use of the runtime is Runtime.Interrupt,
// which goja makes safe. Run itself may be called from many goroutines at
// once; runs share nothing but the compiled preludes and the table of each
// slice of bindings (namespaces and methods, both immutable) and their
// Memory, whose watchdog goroutine runs while any execution is admitted.
//
// # Spare runtimes
//
// Setting a runtime up (helpers, the guards, the bindings and the prelude)
// is most of the cost of a short execution, and none of it
// depends on the code. A caller that runs one execution after another (a
// server, a worker process) makes a Spares (NewSpares(DefaultSpares)) and
// passes it in every Run's Options.Spares: when a run ends, a background
// goroutine sets up a runtime for the options of the latest run; the next
// Run with that Spares whose options set a runtime up the same way (limits,
// Bindings and Prelude equal) takes it, after the handover through a mutex,
// instead of setting one up itself (when none is ready but one is being set
// up, one run at a time waits for it). No code but that trusted setup has
// run in a spare, and each is used by one execution only. Spares.Prepare
// sets one up at once, for a server that knows its bindings before its
// first execution. Without Options.Spares each Run sets its runtime up.
//
// # Limits
//
// Options.Timeout (30s) interrupts the runtime; the run ends as a
// TimeoutError "execution timed out after 30s", within 100ms of Run's
// start plus the timeout. Cancelling ctx does the same with a
// CancelledError "execution cancelled" (a ctx deadline gives a
// TimeoutError). goja cannot interrupt a native call: Run still returns on
// time and abandons the runtime goroutine, which exits when that call
// returns; nothing it does afterwards is recorded. The ctx passed to
// Caller.Call is cancelled when the run ends for any reason, including calls
// still pending when the script's result settles.
//
// Options.MaxToolCalls (200): the call exceeding it rejects with a
// catchable RangeError. Options.MaxLogBytes (1 MiB): the line crossing it is
// cut and followed by "… (console output truncated)"; one console argument
// is printed as "[value too large to print: …]" past it. Options.
// MaxResultBytes (16 MiB): a larger result (or binding argument) is a
// RangeError. JS recursion is capped at 1000 frames: overflowing is a
// RangeError "Maximum call stack size exceeded" that ends the run (goja
// makes it uncatchable).
//
// Options.MaxCodeBytes (256 KiB), nesting deeper than 500 levels
// (brackets, and chains a parser recurses on: `!!!…`, `a?b:c?…`, `a=>b=>…`,
// `a.b.c…`, `f()()…`),
// and an expression of more than 500 binary operators or `?.` are a
// SyntaxError before any parser runs (scan.go): esbuild, goja's parser and
// regexp2 recurse on the Go stack, where an overflow is fatal, and goja's
// compiler takes time quadratic in the operators of one expression.
// The same check applies to code built at run time — eval (which is then
// always indirect: global scope), Function and the generator and async
// function constructors — and RegExp patterns. Source maps are read only
// from the inline map this package generates: code or eval cannot make goja
// read a file through sourceMappingURL.
//
// # Memory
//
// Options.MemoryLimit (128 MiB) is enforced twice (guard.go, memory.go):
//
//   - Built-ins whose work or allocation is not bounded by data the script
//     already holds check the size first and throw a catchable RangeError:
//     String repeat, padStart/padEnd, concat, split, replace/replaceAll,
//     normalize and case changes; every Array.prototype method walking
//     this.length (sparse holes count) plus join, fill, concat, flat;
//     Array.from, apply, Reflect.apply/construct; typed arrays and
//     ArrayBuffer; Map/Set/Promise combinators and Object.keys-like functions
//     over indexed values; JSON.parse (by depth and an estimate of the
//     values it would make) and JSON.stringify (made to go through a
//     replacer, which also makes it interruptible). A tool result whose
//     values would not fit is refused the same way. Limits are fractions of
//     the budget (limits.go). Wrapped methods also stop once the run is
//     stopped, so native loops through them end at the deadline.
//   - The + operator and template literals, which are instructions rather
//     than calls, refuse to build a string longer than the guards' string
//     limit with the same kind of RangeError: goja is patched for it
//     (third_party/goja/PATCHES.md), since one s += s copies twice the
//     string in a step nothing interrupts.
//   - A watchdog (Memory) samples the process heap every 2ms and stops an
//     execution over its limit with a MemoryLimitError, after a forced
//     collection confirmed it (at once when over 1.25 times). Go cannot
//     measure one goroutine's memory: growth is attributed to the
//     executions running JavaScript at the time, which is exact for one
//     execution and an estimate for several; then one is stopped alone
//     only at twice its limit, or as the largest when together they pass
//     the sum of their limits (after a collection, or at once past 1.25
//     times the sum or the process budget). Admission bounds the sum:
//     an execution waits (until its timeout) while the budgets of those
//     running would exceed the budget of their Options.Memory, which the
//     caller makes (NewMemory) and shares among the runs of one process
//     (a server's and a worker's are of DefaultProcessMemory, 1 GiB).
//     Without one, a run has a Memory of its own: watched, but admitted
//     against no other run.
//
// A regular expression that needs backtracking (goja runs those on
// regexp2) gives up after 500ms on one match; the wrapped exec and test
// turn that into a RangeError rather than goja's silent non-match. A
// native step the guards do not bound is at most the doubling of a slice or
// map the script built step by step (an array or a Map growing), which the
// watchdog sees coming; the process layer (package isolate) bounds what the
// in-process guards cannot.
//
// # Errors
//
// Run never panics and never returns a Go error: whatever the script did is
// Result.Err, an *Error with the JS error name, the message, and the line and
// column in the model's own code (counting a stripped fence line). Names:
//
//   - SyntaxError: esbuild's or goja's message, and the code-size and
//     nesting limits (also thrown, catchable, by eval, Function and RegExp).
//   - TypeError, RangeError, ReferenceError, Error...: thrown by the code or
//     by the runtime. A thrown non-Error value is an Error "uncaught non-Error
//     value: <value>". A binding argument that is not JSON is a TypeError.
//   - the name of a Caller error: when the error returned by Caller.Call has
//     (via errors.As) an ErrorName() string method, the call rejects with an
//     Error of that name (a real TypeError or RangeError for those names;
//     otherwise an Error whose name is set, e.g. "ToolError") and message
//     err.Error(); any other error is a plain Error. NewError makes such an
//     error from a name and a message; the Name constants are the names the
//     project raises.
//   - RangeError: too many tool calls; stack overflow; a guarded built-in,
//     tool result, result or argument too large; a regexp match timeout.
//   - MemoryLimitError: the watchdog stopped the run (see Memory), or the
//     process budget had no room for it until its timeout.
//   - TimeoutError, CancelledError: see Limits.
//   - Error "the script awaited a promise that can never settle: ...": the
//     script is waiting with no tool call or timer pending. This is reported
//     at once rather than at the timeout.
//   - InternalError: a panic in the Caller (the call rejects with an
//     "internal error in ns.method: the tool crashed", without the panic
//     value, which may hold anything) or in the sandbox; the process
//     survives. Thrown names, messages and stacks are cut to 10,000
//     characters.
package sandbox

// Package isolate runs sandbox executions in worker processes: the second,
// process-level layer around the in-process guards of package sandbox.
//
//	pool, err := isolate.NewPool(isolate.Options{})
//	if err != nil { ... }
//	defer pool.Close()
//	res := pool.Run(ctx, code, caller, sandbox.Options{Bindings: bindings})
//
// Pool.Run has the signature and guarantees of sandbox.Run, so it plugs in
// as server.Options.Runner. The workers are the same binary started with
// the hidden subcommand WorkerCommand ("sandbox-worker"): this package's init
// makes any binary that links it (a test binary too) serve as a worker
// when the pool starts it so, before main runs.
//
// # What a worker can and cannot do
//
// A worker runs one execution at a time, each in a fresh goja runtime with
// every in-process guard. It starts with an empty environment but for the
// user's GOGC and GOMAXPROCS (the parent's holds the configuration's
// secrets), in /, with only its stdin, stdout and stderr open, and sets its
// own OS limits before serving: RLIMIT_DATA (its heap) to twice
// Options.WorkerMemory, a backstop behind the pool's own RSS check, and
// RLIMIT_CPU to Options.WorkerCPU. Its threads run under SCHED_BATCH (see
// batchScheduling). Tool calls go back to the parent over the pipe (a small
// framed protocol, see protocol.go, read and written raw: see rawio),
// so upstream connections and secrets stay in the parent. The worker dies
// with the parent (Pdeathsig).
//
// # Containment
//
// The parent kills a worker and starts a replacement when the execution's
// deadline (or its ctx's cancellation) passed by 90ms without an answer,
// when the worker's resident memory exceeds Options.WorkerMemory (checked
// every 10ms), or when it crashed (a Go fatal error: out of memory, stack
// overflow). That execution alone fails, with a TimeoutError,
// CancelledError, MemoryLimitError or InternalError; other executions run
// in other workers and are not affected. A worker whose runtime was
// abandoned in a native call, that used half its CPU budget (it reads its
// CPU time after a run at most every 100ms), or whose heap once grew past
// WorkerMemory, is replaced after its execution.
//
// # Concurrency
//
// Pool is safe for concurrent use. Options.Size workers are kept started;
// up to Options.Max run at once and further executions wait for one until
// their timeout. A worker is started for an execution only while fewer
// than Options.Computing (twice GOMAXPROCS) run script code: executions beyond
// wait for a worker to be released, so that CPU-bound load runs on a few
// warm processes; a run waiting in a tool call, or computing for over a
// second, does not count.
//
// The pool is fair between subjects (Options.Subject: the authenticated
// subject, over HTTP): a free worker goes to the waiting execution whose
// subject holds the fewest workers, and a subject computing in fewer than
// its share of Computing (Computing over the subjects that compute or
// wait) may start a worker beyond it, so one subject's computations never
// make another's execution wait for them to end. A worker whose script
// has computed for a second, or computes while its subject holds more
// than its share and another subject wants the CPU, runs at the lowest
// CPU priority (nice 19) until its run ends; it gets its priority back for
// the next run or, where raising a priority is not allowed (no
// CAP_SYS_NICE), is replaced.
//
// When executions wait, the one a worker would go to next is sent to it as
// soon as its run starts, and the worker starts it the moment that run
// ends: a worker that waited for the parent between runs went idle and was
// woken for each, which under load cost a third of its CPU. That execution
// takes its run back, unstarted, and waits for a free worker first in line,
// when the run before it calls a tool or has not ended within 10ms; and it
// never starts if the worker dies in the run before. Every frame a worker
// sends for a run names it, and one that names another kills the worker:
// a run never gets another's result or logs, or makes another's tool calls.
//
// Workers beyond Size that stay idle for Options.IdleTimeout (3s) are
// stopped. A worker is sent the bindings and prelude only when they differ
// from its previous run's. OnLog and OnCall are called on the goroutine of
// Pool.Run, never after it returns.
package isolate

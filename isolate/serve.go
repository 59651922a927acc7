package isolate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/exemap"
	"github.com/mcp-codemode/mcp-codemode/internal/gctune"
	"github.com/mcp-codemode/mcp-codemode/internal/gostack"
	"github.com/mcp-codemode/mcp-codemode/internal/procs"
	"github.com/mcp-codemode/mcp-codemode/internal/rawio"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// WorkerCommand is the hidden subcommand that makes a binary a worker:
// the pool starts `<executable> sandbox-worker`. Any binary that links this
// package serves as a worker then (see init); mcp-codemode also accepts the
// subcommand by hand.
const WorkerCommand = "sandbox-worker"

// Environment of a worker: the pool passes its limits here, and of its own
// environment (which holds the configuration's secrets) only GOGC and
// GOMAXPROCS (see workerEnv).
const (
	envWorker = "MCP_CODEMODE_SANDBOX_WORKER" // "1": started by a pool
	envMemory = "MCP_CODEMODE_WORKER_MEMORY"  // bytes of data segment (RLIMIT_DATA)
	envCPU    = "MCP_CODEMODE_WORKER_CPU"     // seconds of CPU for the worker's life (RLIMIT_CPU)
)

// init turns any binary that links this package into a worker when a pool
// starts it: before main or TestMain run, so a test binary never runs its
// tests in a worker's place.
//
// The worker serves on a goroutine of its own. The goroutine running the
// package inits is locked to the main thread until main: had it served,
// each time it waited (for the next run, for a tool call's reply, for the
// script's promise) it would have put that thread to sleep and had it woken
// to go on, two context switches that took a third of a busy worker's CPU.
func init() {
	if len(os.Args) > 1 && os.Args[1] == WorkerCommand && os.Getenv(envWorker) == "1" {
		status := make(chan int)
		go func() { status <- ServeWorker() }()
		os.Exit(<-status)
	}
}

// ServeWorker is the main function of a worker process: it applies the OS
// limits the pool asked for, then serves executions on stdin and stdout
// until stdin closes. It returns the exit status.
func ServeWorker() int {
	mem, _ := strconv.ParseInt(os.Getenv(envMemory), 10, 64)
	cpu, _ := strconv.ParseInt(os.Getenv(envCPU), 10, 64)
	if err := applyLimits(mem, cpu); err != nil {
		fmt.Fprintf(os.Stderr, "sandbox worker: %v\n", err)
		return 1
	}
	// A worker that cannot lower its scheduling policy serves all the same:
	// SCHED_BATCH makes it cheaper, not safer.
	_ = batchScheduling()
	if mem > 0 {
		// Collect hard before the rlimit makes an allocation fail (fatal).
		debug.SetMemoryLimit(mem * 3 / 4)
	}
	// Each run leaves a runtime as garbage: unless the user set GOGC (the
	// pool passes it on), the heap grows by up to gctune.DefaultHeadroom
	// between collections, within half of each run's memory limit (headroom),
	// rather than collecting every few runs.
	// The garbage that heap holds goes back to the system when the worker
	// has been idle for idleTrimAfter, unless GOGC is off (idleTrim).
	var tuner *gctune.Tuner
	gogc, _ := os.LookupEnv("GOGC")
	if gogc == "" {
		tuner = gctune.New()
		tuner.Start()
	}
	var trim func()
	if gogc != "off" {
		trim = idleTrim(exemap.Release)
	}
	// A worker runs one script at a time: on one processor while the run is
	// short, as a stdio server does (procs), its hand-offs between
	// goroutines (the reader, the run, the script, the spare's setup) do not
	// wake threads, which took a fifth of its CPU.
	gov := procs.New(os.LookupEnv)
	gov.Start()
	in, out := rawio.Wrap(pollable(os.Stdin)), rawio.Wrap(pollable(os.Stdout))
	if err := serve(in, out, Limits{Memory: mem, CPU: cpu}, tuner, trim, gov); err != nil && !errors.Is(err, io.EOF) {
		fmt.Fprintf(os.Stderr, "sandbox worker: %v\n", err)
		return 1
	}
	return 0
}

// idleTrim returns a worker's idle trim: the goroutines kept for the next
// run end (gostack.Drain), whose grown stacks would stay resident, the free
// memory goes back to the system, and the first time (startup is over) the
// mappings of the executable's read-only pages that startup left resident
// are dropped (release: exemap.Release), as a server's are. Only the serving
// goroutine calls it.
func idleTrim(release func() (int64, error)) func() {
	released := false
	return func() {
		gostack.Drain()
		debug.FreeOSMemory()
		if !released {
			released = true
			_, _ = release() // where it fails, the pages stay mapped, as before
		}
	}
}

// Limits are what a worker retires at: after a run, a worker that used half
// its CPU seconds, or whose data segment passed Memory bytes, exits so that
// the pool starts a fresh one. Zero fields are no limit.
type Limits struct {
	Memory int64
	CPU    int64
}

// Serve runs the executions requested on in, one at a time, answering on
// out, until in ends or the worker retires (see Limits).
func Serve(in io.Reader, out io.Writer, lim Limits) error {
	return serve(in, out, lim, nil, nil, nil)
}

// idleTrimAfter is how long a worker waits without a run before it returns
// its free memory to the system.
const idleTrimAfter = 250 * time.Millisecond

// serve is Serve with the worker's collector tuner, if any (each run sets
// its headroom, see execute), the idle trim, if any: called once the
// worker has been idle for idleTrimAfter after a run, or after starting,
// and the governor of its processors, if any, which counts each run.
func serve(in io.Reader, out io.Writer, lim Limits, tuner *gctune.Tuner, trim func(), gov *procs.Governor) error {
	s := &server{out: newWriter(out), lim: lim, tuner: tuner, gov: gov, more: make(chan struct{}, 1), readErr: make(chan error, 1),
		memory: sandbox.NewMemory(sandbox.DefaultProcessMemory), spares: sandbox.NewSpares(sandbox.DefaultSpares).WaitForSetup(0)}
	s.caller = &workerCaller{out: s.out, pending: map[int]chan callReply{}}
	go s.read(bufio.NewReaderSize(in, 64<<10))
	if err := s.out.send(kindReady, struct{}{}); err != nil {
		return err
	}
	idle := time.NewTimer(idleTrimAfter)
	defer idle.Stop()
	if trim == nil {
		idle.Stop()
	}
	for {
		select {
		case <-idle.C:
			trim()
		case <-s.more:
			idle.Stop()
			for req := s.next(); req != nil; req = s.next() {
				if retire, err := s.run(req); err != nil || retire {
					return err // the runs queued behind it: the parent sends them again elsewhere
				}
			}
			if trim != nil {
				idle.Reset(idleTrimAfter)
			}
		case err := <-s.readErr:
			return err
		}
	}
}

// server is the worker side of a connection. One goroutine reads every
// frame: it queues run requests for the serving goroutine, which runs them
// one at a time in order, and itself delivers replies and cancellation to
// the run in progress, and withdraws a queued run the parent asks for.
type server struct {
	out        *writer
	lim        Limits
	tuner      *gctune.Tuner   // nil: the collector is left alone
	gov        *procs.Governor // nil: GOMAXPROCS is left alone
	more       chan struct{}   // signalled when a run is queued
	readErr    chan error
	caller     *workerCaller   // numbers calls across runs, so a late reply matches nothing
	cpuChecked time.Time       // when tired last read the CPU time used (serving goroutine only)
	memory     *sandbox.Memory // the worker's budget and watchdog, as a server's in process
	spares     *sandbox.Spares // the runtime set up for the next run; a run does not wait for it (runs come back to back, see Pool.lookahead)

	mu         sync.Mutex
	queue      []*runRequest           // received, not started, oldest first
	current    int                     // the Seq of the run in progress
	cancel     context.CancelCauseFunc // of the run in progress; nil between runs
	readFailed error                   // in ended: no run starts, and the one in progress is cancelled

	// The setup of the latest run request received (in the order the parent
	// sent them, which is how it counts them too, withdrawn runs included);
	// only the reading goroutine uses them.
	setupSeen bool // a run request with bindings and prelude came
	bindings  []sandbox.Binding
	prelude   []string
}

// next takes the oldest queued run, or nil.
func (s *server) next() *runRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return nil
	}
	req := s.queue[0]
	s.queue = s.queue[1:]
	return req
}

// enqueue queues a run request for the serving goroutine.
func (s *server) enqueue(req *runRequest) {
	s.mu.Lock()
	s.queue = append(s.queue, req)
	s.mu.Unlock()
	select {
	case s.more <- struct{}{}:
	default: // already signalled: the serving goroutine takes every queued run
	}
}

// withdraw drops the queued run seq and tells the parent, if it has not
// started; a run that started or ended is not the parent's to take back,
// and its answer comes as usual.
func (s *server) withdraw(seq int) {
	s.mu.Lock()
	i := slices.IndexFunc(s.queue, func(r *runRequest) bool { return r.Seq == seq })
	if i >= 0 {
		s.queue = slices.Delete(s.queue, i, i+1)
	}
	s.mu.Unlock()
	if i >= 0 {
		_ = s.out.send(kindWithdrawn, withdrawRequest{Seq: seq})
	}
}

// setup fills in the bindings and prelude of a request that has the
// previous run's, and remembers those of one that has its own.
func (s *server) setup(req *runRequest) error {
	if !req.SameSetup {
		s.bindings, s.prelude, s.setupSeen = req.Bindings, req.Prelude, true
		return nil
	}
	if !s.setupSeen {
		return errors.New("run request: same_setup before any setup")
	}
	req.Bindings, req.Prelude = s.bindings, s.prelude
	return nil
}

// read reads every frame. Frames are in order, so a late reply or cancel
// of a finished run comes before the next run's request: it matches no
// call, or no run.
func (s *server) read(r *bufio.Reader) {
	for {
		f, err := readFrame(r)
		if err != nil {
			s.mu.Lock()
			s.readFailed = err
			s.mu.Unlock()
			s.cancelRun(err)
			s.readErr <- err
			return
		}
		switch f.kind {
		case kindRun:
			req := &runRequest{}
			err := json.Unmarshal(f.body, req)
			if err != nil {
				err = fmt.Errorf("run request: %w", err)
			} else {
				err = s.setup(req)
			}
			if err != nil {
				s.readErr <- err
				return
			}
			s.enqueue(req)
		case kindWithdraw:
			var r withdrawRequest
			if json.Unmarshal(f.body, &r) == nil {
				s.withdraw(r.Seq)
			}
		case kindReply:
			var r callReply
			if json.Unmarshal(f.body, &r) == nil {
				s.caller.deliver(r)
			}
		case kindCancel:
			var r cancelRequest
			_ = json.Unmarshal(f.body, &r)
			s.cancelSeq(r.Seq, cancelCause(r))
		}
	}
}

// cancelSeq cancels run seq with cause: the one in progress, or a queued
// one, which then starts cancelled (a cancel can overtake the start of the
// run it is for: the serving goroutine may not have taken it yet).
func (s *server) cancelSeq(seq int, cause error) {
	s.mu.Lock()
	cancel := s.cancel
	if s.current != seq {
		cancel = nil
		for _, r := range s.queue {
			if r.Seq == seq {
				r.cancelled = cause
			}
		}
	}
	s.mu.Unlock()
	if cancel != nil {
		cancel(cause)
	}
}

// cancelRun cancels the run in progress, if any, with cause.
func (s *server) cancelRun(cause error) {
	s.mu.Lock()
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel(cause)
	}
}

// run serves one execution, on this goroutine: the reading one delivers
// its replies and cancellation. It reports whether the worker should exit.
func (s *server) run(req *runRequest) (retire bool, err error) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	s.mu.Lock()
	s.cancel, s.current = cancel, req.Seq
	if req.cancelled != nil {
		cancel(req.cancelled)
	}
	failed := s.readFailed
	s.mu.Unlock()
	if failed != nil {
		return true, failed // the parent is gone: no one to answer
	}
	end := s.gov.Begin()
	res := s.execute(ctx, req, s.caller)
	end()
	s.mu.Lock()
	s.cancel = nil
	failed = s.readFailed
	s.mu.Unlock()
	if failed != nil {
		return true, failed
	}
	heap, mapped := memoryBytes()
	res.Retire = res.Retire || s.tired(mapped)
	err = s.out.send(kindDone, res)
	s.clean(heap)
	return res.Retire, err
}

// cancelCause turns a cancel request into the cause sandbox.Run reports:
// a deadline is a TimeoutError, anything else a CancelledError.
func cancelCause(r cancelRequest) error {
	switch {
	case r.Timeout:
		return context.DeadlineExceeded
	case r.Cause != "":
		return errors.New(r.Cause)
	}
	return context.Canceled
}

// execute runs the code and describes the result for the parent.
func (s *server) execute(ctx context.Context, req *runRequest, c *workerCaller) runResult {
	opts := s.options(req)
	if s.tuner != nil {
		s.tuner.SetHeadroom(headroom(opts.MemoryLimit))
	}
	c.openRun(req.Seq)
	res := sandbox.Run(context.WithValue(ctx, runSeqKey{}, req.Seq), req.Code, c, opts)
	c.closeRun()
	return runResult{
		Seq:       req.Seq,
		Value:     res.Value,
		Logs:      res.Logs,
		Err:       res.Err,
		ToolCalls: res.Stats.ToolCalls,
		Duration:  res.Stats.Duration,
		Times:     res.Times,
		// A runtime abandoned in a native call still runs: replace the worker.
		Retire: res.Abandoned,
	}
}

// options are the sandbox.Options of req: the parent's, as run.request
// carried them (TestOptionsCarried checks that every field is carried or
// stands for something the parent keeps).
func (s *server) options(req *runRequest) sandbox.Options {
	opts := sandbox.Options{
		Bindings:       req.Bindings,
		Timeout:        req.Timeout,
		MaxToolCalls:   req.MaxToolCalls,
		MaxCodeBytes:   req.MaxCodeBytes,
		MaxLogBytes:    req.MaxLogBytes,
		MemoryLimit:    req.MemoryLimit,
		MaxResultBytes: req.MaxResultBytes,
		Prelude:        req.Prelude,
		Replay:         req.Replay,
		Memory:         s.memory,
		Spares:         s.spares,
	}
	if req.StreamLogs {
		opts.OnLog = func(line string) { _ = s.out.send(kindLog, logLine{Run: req.Seq, Line: line}) }
	}
	if req.StreamCalls {
		opts.OnCall = func(done, started int) {
			_ = s.out.send(kindCalls, callProgress{Run: req.Seq, Done: done, Started: started})
		}
	}
	return opts
}

// headroom is the collector's headroom for a run with the memory limit
// (zero: sandbox.DefaultMemoryLimit): at most half of it, since the
// sandbox's watchdog counts the run's garbage against it until a collection.
func headroom(limit int64) int64 {
	if limit <= 0 {
		limit = sandbox.DefaultMemoryLimit
	}
	return min(gctune.DefaultHeadroom, limit/2)
}

// clean runs between runs: after one that grew the heap (heap bytes of
// objects), it collects the garbage and returns it to the system, so that
// the next run starts from a clean heap (the watchdog's baseline) and the
// parent sees the worker's real resident memory. Small runs leave the heap
// alone: collecting after each would cost more than the run.
func (s *server) clean(heap int64) {
	if heap > cleanAbove {
		debug.FreeOSMemory()
	}
}

// cleanAbove is the heap size over which a worker collects between runs.
const cleanAbove = 32 << 20

var memSamples = []metrics.Sample{
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/total:bytes"},
}

// memoryBytes reads, at once, the heap's object bytes and the memory the
// Go runtime mapped read-write: all of the data segment but the binary's
// own few MB.
func memoryBytes() (heap, mapped int64) {
	metrics.Read(memSamples)
	return int64(memSamples[0].Value.Uint64()), int64(memSamples[1].Value.Uint64())
}

// cpuCheckEvery is how often, at most, a worker reads the CPU time it used
// (getrusage sums it over every thread) after a run. A worker runs one
// script at a time, on about one processor: between two readings it uses
// about this much CPU, far less than the margin tired keeps before the
// rlimit (half the budget, which is at least a second).
const cpuCheckEvery = 100 * time.Millisecond

// tired reports whether the worker should be replaced: it used half its
// CPU budget (the rlimit would kill it in the middle of a later run), or
// its heap once grew past its memory (Go keeps the mapping, which counts
// against RLIMIT_DATA for good). The data segment is read from /proc only
// when the runtime's own mappings (mapped bytes) come near the limit, and
// the CPU time at most every cpuCheckEvery.
func (s *server) tired(mapped int64) bool {
	if s.lim.CPU > 0 && time.Since(s.cpuChecked) >= cpuCheckEvery {
		s.cpuChecked = time.Now()
		if cpuSeconds() > float64(s.lim.CPU)/2 {
			return true
		}
	}
	return s.lim.Memory > 0 && mapped > s.lim.Memory/2 && dataBytes() > s.lim.Memory
}

// runSeqKey is the context key of the run's Seq, which its tool calls
// carry.
type runSeqKey struct{}

// workerCaller is the sandbox.Caller of a worker: each call goes to the
// parent as a callRequest and waits for its callReply.
type workerCaller struct {
	out     *writer
	mu      sync.Mutex
	n       int
	pending map[int]chan callReply
	open    int // the Seq of the run whose calls go out; 0 between runs
}

// errRunOver is the error of a call a script started that reached the
// caller after its run ended (a call not awaited, its goroutine late).
var errRunOver = errors.New("the run is over")

// openRun lets the calls of run seq go out; closeRun stops them, before
// the run's result is sent. A call frame after its run's result would reach
// the parent while the worker's next run is in progress, and be that run's.
func (c *workerCaller) openRun(seq int) {
	c.mu.Lock()
	c.open = seq
	c.mu.Unlock()
}

func (c *workerCaller) closeRun() { c.openRun(0) }

func (c *workerCaller) Call(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
	seq, _ := sandbox.CallSeq(ctx)
	run, _ := ctx.Value(runSeqKey{}).(int)
	c.mu.Lock()
	if run == 0 || run != c.open || ctx.Err() != nil {
		c.mu.Unlock()
		return nil, errRunOver
	}
	c.n++
	n := c.n
	reply := make(chan callReply, 1)
	c.pending[n] = reply
	err := c.out.send(kindCall, callRequest{Run: run, N: n, Seq: seq, ID: id, Args: args}) // under mu: before closeRun returns
	c.mu.Unlock()
	defer c.forget(n)
	if err != nil {
		return nil, err
	}
	select {
	case r := <-reply:
		if r.Error != nil {
			return nil, r.Error
		}
		return r.Result, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *workerCaller) forget(n int) {
	c.mu.Lock()
	delete(c.pending, n)
	c.mu.Unlock()
}

func (c *workerCaller) deliver(r callReply) {
	c.mu.Lock()
	ch := c.pending[r.N]
	c.mu.Unlock()
	if ch != nil {
		ch <- r
	}
}

package isolate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// The pool's design, in brief (doc.go says what it guarantees).
//
// A worker is in one of three places: starting (counted in starting, and in
// startingFor when started for a waiting execution), idle (in the idle
// channel, since idleSince) or held by one run (counted in held under the
// run's subject). Every live or starting worker holds one token of slots,
// so at most Max exist; a token is taken before a start and given back when
// a start fails or a worker is stopped or killed. The invariants, all under
// mu:
//
//   - idle is empty while queue is not: a worker that becomes free (started,
//     released, handed back) goes through handOff, which gives it to a
//     waiting execution before it can be idle. So an execution takes an
//     idle worker only when nobody waits, and never overtakes the queue.
//   - handOff picks the waiter whose subject holds the fewest workers, and a
//     released worker still counts for its subject while it is handed off:
//     with one worker, subjects take turns.
//   - A worker runs one execution at a time and goes back only if healthy;
//     otherwise (deadline passed, memory over, crashed, abandoned runtime,
//     half its CPU used) it is killed and a replacement started (discard).
//   - A worker's run in progress gives the place behind it (behind) to the
//     waiter handOff would pick (lookahead), whose run is sent at once. The
//     worker runs what it is sent in order, and a run reads the worker's
//     frames only once the one before ended (its turn): so the frames read
//     are the reader's. A run that asked for its run back (wait) gives no
//     place behind it at its turn: its run may have been dropped and go
//     again, and nothing may be queued before it. A run whose run will not
//     start behind another (taken back, or the worker lost) goes back to
//     the front of the queue in the same step (requeue), so that no waiter
//     overtakes it meanwhile.
//   - Starting a worker for a waiting execution (growFor) is gated by
//     mayStart: the CPU-bound runs (computing) plus the starts stay within
//     Computing, unless the subject computes less than its share.
//
// Why this shape: processes are costly to start and each adds a heap and a
// collector, so the pool keeps few warm and starts more only for executions
// that would otherwise wait on someone's computation; a tool call, which
// only waits, frees its run from the Computing count. acquire also looks
// again every 100ms, so a failed start or a run that turned long is noticed
// without an event for it.

// Options configure a Pool. The zero value is usable in a binary that
// serves WorkerCommand.
type Options struct {
	// Command starts a worker: the program and its arguments. Nil means
	// this executable with the argument WorkerCommand.
	Command []string

	// Size is how many workers are kept started and idle, ready for an
	// execution. Zero means 2.
	Size int

	// Max bounds the workers alive at once, so the concurrent executions;
	// more wait for a worker until their timeout. Zero means 16.
	Max int

	// Computing is how many workers may run script code (or be starting)
	// at once before the pool starts another: an execution that finds no
	// idle worker while as many compute waits for one to be released, or
	// for one to wait in a tool call or to have computed for over a second
	// (a worker is then started for it, up to Max). Zero means twice
	// GOMAXPROCS. Far more processes than CPUs only contend for them, and
	// each execution then costs more (a heap, a collector and cold caches
	// per process); but a worker counts from the moment it is given a run
	// until it is handed back, pipe crossings and the parent's turn
	// included, and with one per CPU the CPUs sat idle for about a sixth of
	// the time under load (64 clients over HTTP on 2 CPUs: 0.39 to 0.45 of
	// the in-process throughput with 2 computing, 0.52 to 0.56 with 4,
	// 0.50 with 3, 0.48 with 6).
	// Slow tools and long computations still get a worker each.
	Computing int

	// IdleTimeout is how long a worker beyond the Size kept started may stay
	// idle before it is stopped. Zero means 3s.
	IdleTimeout time.Duration

	// MemoryLimit is the per-execution memory budget the workers are sized
	// for, when an execution's sandbox.Options.MemoryLimit is zero. Zero
	// means 128 MiB.
	MemoryLimit int64

	// WorkerMemory bounds a worker process: its data segment (RLIMIT_DATA)
	// and its resident memory, which the pool checks during each execution.
	// A worker over it is killed and the execution ends with a
	// MemoryLimitError. Zero means twice MemoryLimit plus 192 MiB for the
	// Go runtime, goja and esbuild.
	WorkerMemory int64

	// WorkerCPU is the CPU time a worker may use over its life
	// (RLIMIT_CPU); a worker that used half of it is replaced after its
	// execution. Zero means 10 minutes.
	WorkerCPU time.Duration

	// Stderr receives the workers' stderr, each line prefixed with
	// "[sandbox-worker PID] ". Nil means os.Stderr.
	Stderr io.Writer

	// Subject names whom an execution runs for (the authenticated subject
	// its ctx carries), so that the pool shares its workers fairly between
	// subjects: a free worker goes to the waiting execution whose subject
	// holds the fewest, and a subject that computes less than its share of
	// Computing may start a worker beyond it. Nil puts every execution in
	// one subject.
	Subject func(context.Context) string
}

func (o Options) withDefaults() (Options, error) {
	if len(o.Command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return o, fmt.Errorf("finding the executable for sandbox workers: %w", err)
		}
		o.Command = []string{exe, WorkerCommand}
	}
	if o.Size <= 0 {
		o.Size = 2
	}
	if o.Max <= 0 {
		o.Max = 16
	}
	o.Max = max(o.Max, o.Size)
	if o.Computing <= 0 {
		o.Computing = 2 * runtime.GOMAXPROCS(0)
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 3 * time.Second
	}
	if o.MemoryLimit <= 0 {
		o.MemoryLimit = sandbox.DefaultMemoryLimit
	}
	if o.WorkerMemory <= 0 {
		o.WorkerMemory = 2*o.MemoryLimit + 192<<20
	}
	if o.WorkerCPU <= 0 {
		o.WorkerCPU = 10 * time.Minute
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	return o, nil
}

// Pool runs executions in worker processes. It is safe for concurrent use.
type Pool struct {
	opts  Options
	idle  []*worker     // started, ready, unused, the last used last; empty while executions wait (p.mu)
	slots chan struct{} // one token per live worker, at most Max

	mu          sync.Mutex
	closed      bool
	live        map[*worker]struct{}
	lastErr     error // why the last start failed
	runs        map[*run]struct{}
	queue       []*waiter      // executions waiting for a worker, oldest first
	held        map[string]int // workers held by each subject's executions
	starting    int            // workers being started
	startingFor map[string]int // of which started for each subject's waiting executions
	changed     chan struct{}  // closed (and replaced) when a run stops computing while executions wait
	lookaheads  int            // places given behind a run (see lookahead), for tests
	withdrawals int            // runs taken back from such a place, for tests
	quit        chan struct{}  // closed by Close: the reaper returns
	wg          sync.WaitGroup
}

// waiter is an execution waiting for a worker.
type waiter struct {
	subject string
	got     chan grant // the worker handed to it; buffered
}

// grant is a worker handed to a waiting execution: free, or with a place
// behind its run in progress (see lookahead).
type grant struct {
	w    *worker
	slot *slot // nil: the worker is free
}

// slot is the place behind a worker's run in progress: the execution given
// it sends its run at once, and the worker starts it as soon as the run
// before ends, without waiting for this process to answer that one and
// send the next. A worker that waits for the parent between runs goes idle
// and is woken again for each: its threads sleep, its runtime monitor goes
// back to polling every 20 µs, and under load that took a third of the
// workers' CPU.
type slot struct {
	turn      chan bool     // buffered: true when the run before ended and the worker is this run's, false when the worker was lost
	withdrawn chan struct{} // buffered: the worker dropped this run unstarted, as asked
	hurry     chan struct{} // buffered: the run before waits in a tool call, which may be long
	wt        *waiter       // the execution given it
	seq       int           // the run's, once sent; guarded by Pool.mu
}

// lookaheadWait is how long a run waits behind another before it asks for
// its run back and waits for a free worker instead, first in line: the one
// before is long. A run behind one that calls a tool asks at once. Under
// load a trivial run can take a few ms from its frame to its answer, when
// the workers, this process and its clients share the CPUs: at 2 ms, one
// run in eight behind another was taken back (64 clients over HTTP on 2
// CPUs), at 10 ms none.
var lookaheadWait = 10 * time.Millisecond // a variable for tests

// NewPool starts Options.Size workers and returns when the first is ready
// (or could not start: then the error says why).
func NewPool(opts Options) (*Pool, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	p := &Pool{opts: o, slots: make(chan struct{}, o.Max), live: map[*worker]struct{}{},
		runs: map[*run]struct{}{}, held: map[string]int{}, startingFor: map[string]int{},
		changed: make(chan struct{}), quit: make(chan struct{})}
	p.slots <- struct{}{}
	p.starting++
	if err := p.spawn("", false); err != nil {
		return nil, err
	}
	for i := 1; i < o.Size; i++ {
		p.grow()
	}
	p.wg.Add(1)
	go p.reaper()
	return p, nil
}

// reaper stops the workers beyond Options.Size that stayed idle for
// Options.IdleTimeout, until the pool closes.
func (p *Pool) reaper() {
	defer p.wg.Done()
	tick := time.NewTicker(p.opts.IdleTimeout / 4)
	defer tick.Stop()
	for {
		select {
		case <-p.quit:
			return
		case now := <-tick.C:
			p.reap(now)
		}
	}
}

// reap stops the workers beyond Options.Size idle since before now minus
// Options.IdleTimeout, oldest first, unless executions wait for workers.
func (p *Pool) reap(now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || len(p.queue) > 0 {
		return
	}
	for i := 0; i < len(p.idle) && len(p.idle) > p.opts.Size; {
		w := p.idle[i] // the oldest first: the last used is last
		if now.Sub(w.idleSince) < p.opts.IdleTimeout {
			i++
			continue
		}
		p.idle = slices.Delete(p.idle, i, i+1)
		delete(p.live, w)
		<-p.slots
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			w.stop(time.Second)
		}()
	}
}

// grow starts one more worker in the background, if a slot is free.
func (p *Pool) grow() bool { return p.start("", false) }

// growFor starts one more worker for an execution of subject that found
// none idle, if a slot is free and mayStart allows it.
func (p *Pool) growFor(subject string) bool { return p.start(subject, true) }

func (p *Pool) start(subject string, forRun bool) bool {
	select {
	case p.slots <- struct{}{}:
	default:
		return false
	}
	p.mu.Lock()
	if forRun && !p.mayStart(subject, time.Now()) {
		p.mu.Unlock()
		<-p.slots
		return false
	}
	p.starting++
	if forRun {
		p.startingFor[subject]++
	}
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = p.spawn(subject, forRun)
	}()
	return true
}

// mayStart reports whether an execution of subject that waits for a worker
// may start one: while fewer than Options.Computing workers compute or are
// starting, or while subject computes (or starts workers for) less than
// its share of Computing among the subjects that compute or wait, when
// there are several. The share is what makes the gate fair: a subject
// that keeps Computing workers busy cannot make another one, which
// computes nothing, wait for its computations to end. p.mu must be held.
func (p *Pool) mayStart(subject string, now time.Time) bool {
	if p.computing(now)+p.starting < p.opts.Computing {
		return true
	}
	subjects := map[string]bool{subject: true}
	for _, wt := range p.queue {
		subjects[wt.subject] = true
	}
	mine := p.startingFor[subject]
	for r := range p.runs {
		if r.computes(now) {
			subjects[r.subject] = true
			if r.subject == subject {
				mine++
			}
		}
	}
	return len(subjects) > 1 && mine < max(p.opts.Computing/len(subjects), 1)
}

// spawn starts a worker for a slot already taken (for subject's waiting
// executions when forRun), and hands it off.
func (p *Pool) spawn(subject string, forRun bool) error {
	w, err := startWorker(&p.opts)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starting--
	if forRun {
		if p.startingFor[subject]--; p.startingFor[subject] <= 0 {
			delete(p.startingFor, subject)
		}
	}
	if err != nil {
		p.lastErr = err
		<-p.slots
		return err
	}
	if p.closed {
		<-p.slots
		go w.stop(time.Second)
		return errClosed
	}
	p.live[w] = struct{}{}
	p.handOff(w)
	return nil
}

// handOff gives a worker that is free to the waiting execution whose
// subject holds the fewest workers (the oldest of them), or makes it idle
// when none waits. p.mu must be held.
func (p *Pool) handOff(w *worker) {
	if len(p.queue) == 0 {
		w.idleSince = time.Now()
		p.idle = append(p.idle, w)
		return
	}
	p.nextWaiter().got <- grant{w: w}
}

// nextWaiter takes the waiting execution a worker goes to next, whose
// subject holds the fewest workers (the oldest of them), out of the queue,
// and counts the worker for its subject. The queue must not be empty; p.mu
// must be held.
func (p *Pool) nextWaiter() *waiter {
	next := 0
	for i, wt := range p.queue {
		if p.held[wt.subject] < p.held[p.queue[next].subject] {
			next = i
		}
	}
	wt := p.queue[next]
	p.queue = slices.Delete(p.queue, next, next+1)
	p.held[wt.subject]++
	return wt
}

// lookahead gives the place behind w's run, which was just sent, to the
// waiting execution handOff would give w to next, if any waits. The run
// holding w calls it. A worker at lowered priority gets none: its run is
// long, and that is what the priority is for.
func (p *Pool) lookahead(w *worker) {
	if w.lowered {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || w.behind != nil || len(p.queue) == 0 {
		return
	}
	wt := p.nextWaiter()
	w.behind = &slot{wt: wt, turn: make(chan bool, 1), withdrawn: make(chan struct{}, 1), hurry: make(chan struct{}, 1)}
	p.lookaheads++
	wt.got <- grant{w: w, slot: w.behind}
}

// withdrawn passes the worker's answer that it dropped run seq, read by
// the run in progress, to the run that waits behind it.
func (p *Pool) withdrawn(w *worker, seq int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if sl := w.behind; sl != nil && sl.seq == seq {
		w.behind = nil
		p.requeue(sl)
		p.withdrawals++
		sl.withdrawn <- struct{}{}
	}
}

// requeue puts the execution given sl, whose run will not start behind the
// run in progress, back in the queue where it was, first: it was taken out
// as the next one to go, and between this and its waiting again another
// would otherwise take the worker before it. A place given but not taken
// yet (the grant still in its channel) is taken back, and the execution
// goes on waiting as if never given it; else false on sl.turn or a value
// on sl.withdrawn tells it, and it waits again (see Pool.Run). A worker
// that went idle meanwhile (none waited then) is handed off at once: idle
// stays empty while the queue is not. p.mu must be held.
func (p *Pool) requeue(sl *slot) bool {
	wt := sl.wt
	p.drop(wt.subject)
	p.queue = slices.Insert(p.queue, 0, wt)
	told := true
	select {
	case <-wt.got:
		told = false // never seen: nothing to tell
	default:
	}
	if w := p.takeIdle(); w != nil {
		p.handOff(w)
	}
	return told
}

// takeIdle takes the idle worker used last, or nil. A busy server runs
// most executions on the same few workers, whose caches and threads are
// warm, while the others stay asleep (and are stopped after IdleTimeout,
// beyond Size); taking the one idle longest would go round all of them.
// p.mu must be held.
func (p *Pool) takeIdle() *worker {
	n := len(p.idle)
	if n == 0 {
		return nil
	}
	w := p.idle[n-1]
	p.idle = p.idle[:n-1]
	return w
}

var errClosed = errors.New("the sandbox pool is closed")

// acquire takes an idle worker for an execution of subject, or waits in
// the queue for one (see await); the waiter is nil when a worker was idle.
func (p *Pool) acquire(ctx context.Context, deadline time.Time, subject string) (grant, *waiter, *sandbox.Error) {
	p.mu.Lock()
	if w := p.takeIdle(); w != nil { // none is idle while executions wait
		p.held[subject]++
		p.mu.Unlock()
		return grant{w: w}, nil, nil
	}
	wt := &waiter{subject: subject, got: make(chan grant, 1)}
	p.queue = append(p.queue, wt)
	p.share(time.Now())
	p.mu.Unlock()
	g, err := p.await(ctx, deadline, wt)
	return g, wt, err
}

// await waits, wt being in the queue, for a worker to be handed off to it
// (see handOff) or for a place behind one's run (see lookahead), starting
// one when fewer than Max are alive and mayStart allows it, until the
// deadline. Without a worker, wt leaves the queue.
func (p *Pool) await(ctx context.Context, deadline time.Time, wt *waiter) (grant, *sandbox.Error) {
	subject := wt.subject
	defer p.leave(wt)
	p.growFor(subject)
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	// Looking again now and then starts a worker when a start that failed
	// freed its slot, or when a run has been computing for long.
	retry := time.NewTicker(100 * time.Millisecond)
	defer retry.Stop()
	for {
		p.mu.Lock()
		changed := p.changed
		p.mu.Unlock()
		select {
		case g := <-wt.got:
			return g, nil
		case <-changed:
			p.growFor(subject)
		case <-retry.C:
			p.growFor(subject)
		case <-ctx.Done():
			return grant{}, cancelError(ctx)
		case <-timer.C:
			return grant{}, p.unavailable()
		}
	}
}

// leave takes wt out of the queue; a worker handed to it after it stopped
// waiting goes to the next.
func (p *Pool) leave(wt *waiter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := slices.Index(p.queue, wt); i >= 0 {
		p.queue = slices.Delete(p.queue, i, i+1)
		return
	}
	select {
	case g := <-wt.got:
		p.drop(wt.subject)
		if g.slot == nil {
			p.handBack(g.w)
			break
		}
		if g.w.behind == g.slot {
			g.w.behind = nil // nothing was sent into it
			break
		}
		if <-g.slot.turn { // passed on already: the worker is free
			p.handBack(g.w)
		}
	default:
	}
}

// drop notes that an execution of subject let its worker go; p.mu must be
// held.
func (p *Pool) drop(subject string) {
	if p.held[subject]--; p.held[subject] <= 0 {
		delete(p.held, subject)
	}
}

// unavailable explains why no worker could be had in time.
func (p *Pool) unavailable() *sandbox.Error {
	p.mu.Lock()
	defer p.mu.Unlock()
	msg := fmt.Sprintf("no sandbox process was free: all %d are busy; try again shortly", len(p.live))
	if p.lastErr != nil && len(p.live) == 0 {
		msg = "no sandbox process could be started: " + p.lastErr.Error()
	}
	return &sandbox.Error{Name: sandbox.NameInternal, Message: msg}
}

// release hands a healthy worker that ran an execution of subject to the
// run waiting behind it, or off to the next execution, or to the idle set.
// Subject still counts as holding it meanwhile, so that between subjects
// that hold as many workers, it goes to another subject's execution: with
// one worker, subjects take turns.
func (p *Pool) release(w *worker, subject string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if sl := w.behind; sl != nil {
		w.behind = nil
		sl.turn <- true
	} else {
		p.handBack(w)
	}
	p.drop(subject)
}

// handBack hands off a worker that ran an execution; p.mu must be held.
func (p *Pool) handBack(w *worker) {
	if p.closed {
		go w.stop(time.Second)
		return
	}
	p.handOff(w)
}

// discard kills a worker that ran an execution of subject and starts its
// replacement.
func (p *Pool) discard(w *worker, subject string) {
	w.kill()
	p.mu.Lock()
	p.drop(subject)
	if sl := w.behind; sl != nil {
		w.behind = nil
		if p.requeue(sl) {
			sl.turn <- false // its run never started: it waits for another worker
		}
	}
	delete(p.live, w)
	closed := p.closed
	p.mu.Unlock()
	<-p.slots
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		<-w.exited
	}()
	if !closed {
		p.grow()
	}
}

// Close stops every worker. Executions running on them end with an error.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.quit)
	live := make([]*worker, 0, len(p.live))
	for w := range p.live {
		live = append(live, w)
	}
	p.mu.Unlock()
	for _, w := range live {
		w.stop(time.Second)
	}
	p.wg.Wait()
	return nil
}

// Workers returns the process ids of the live workers (for tests and
// metrics).
func (p *Pool) Workers() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	var pids []int
	for w := range p.live {
		pids = append(pids, w.pid)
	}
	return pids
}

// Run runs code in a worker process as sandbox.Run would in this one: same
// arguments, same result. Tool calls come back to this process, to caller;
// secrets and upstream connections never leave it. A worker that breaks
// its limits or crashes is killed and replaced, and only this execution
// fails.
func (p *Pool) Run(ctx context.Context, code string, caller sandbox.Caller, opts sandbox.Options) (res sandbox.Result) {
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			res = sandbox.Result{Err: &sandbox.Error{Name: sandbox.NameInternal, Message: fmt.Sprintf("internal error: %v", r)}}
		}
		if res.Logs == nil {
			res.Logs = []string{}
		}
		res.Stats.Duration = time.Since(start)
	}()
	if opts.Timeout <= 0 {
		opts.Timeout = sandbox.DefaultTimeout
	}
	if opts.MemoryLimit <= 0 {
		opts.MemoryLimit = p.opts.MemoryLimit
	}
	if ctx.Err() != nil {
		return sandbox.Result{Err: cancelError(ctx)}
	}
	deadline := start.Add(opts.Timeout)
	subject := p.subject(ctx)
	g, wt, err := p.acquire(ctx, deadline, subject)
	var r *run
	for {
		if err != nil {
			return sandbox.Result{Err: err}
		}
		r = &run{pool: p, w: g.w, subject: subject, caller: caller, opts: opts}
		r.timeout, r.deadline = workerTimeout(opts.Timeout, deadline)
		r.send(code, g.slot)
		if g.slot == nil || r.wait(ctx, g.slot) {
			break
		}
		// Its run never started there: it is back in the queue, first (see
		// requeue), and waits again.
		g, err = p.await(ctx, deadline, wt)
	}
	w := r.w
	if !r.asked {
		// Else the worker may have dropped the run, which goes again
		// (see do): nothing may be queued on the worker before it.
		p.lookahead(w)
	}
	p.track(r)
	res, healthy := r.do(ctx, code)
	p.untrack(r)
	if healthy && w.lowered {
		healthy = p.restore(w)
	}
	if healthy {
		p.release(w, subject)
	} else {
		p.discard(w, subject)
	}
	return res
}

// subject is whom an execution with ctx runs for (Options.Subject).
func (p *Pool) subject(ctx context.Context) string {
	if p.opts.Subject == nil {
		return ""
	}
	return p.opts.Subject(ctx)
}

// hogAfter is how long a run may compute before it no longer counts
// against Options.Computing, and its worker's CPU priority is lowered to
// hogNice: executions that wait behind a long computation get a worker of
// their own, and the CPU before it.
const hogAfter = time.Second

// hogNice is the nice value of a worker whose run computed for hogAfter:
// the lowest priority, so that the long computations of one subject, which
// may keep as many workers spinning as it has slots, take the CPU only
// from each other while short executions wait for it.
const hogNice = 19

// setPriority sets the nice value of a worker's process group (all its
// threads); a variable for tests.
var setPriority = setNice

// lower lowers the CPU priority of r's worker once its script has computed
// for hogAfter without a pause in a tool call while another execution
// computes or waits, or computes while its subject computes on more than
// its share (see share).
func (r *run) lower(now time.Time) {
	if r.w.lowered {
		return
	}
	r.pool.mu.Lock()
	// A long run is lowered only while another execution computes or
	// waits in the pool: alone, there is nobody here to yield to, and at
	// nice 19 it would crawl behind whatever else the machine runs.
	contended := len(r.pool.queue) > 0 || len(r.pool.runs) > 1
	hog := r.inCalls == 0 && (r.overShare || now.Sub(r.since) >= hogAfter && contended)
	r.pool.mu.Unlock()
	if hog {
		r.w.lowered = true
		_ = setPriority(r.w.pid, hogNice)
	}
}

// restore gives a worker whose priority was lowered its priority back for
// its next execution. Raising a priority takes CAP_SYS_NICE (or an
// RLIMIT_NICE that allows it): without, it reports false, and the worker
// retires.
func (p *Pool) restore(w *worker) bool {
	if setPriority(w.pid, 0) != nil {
		return false
	}
	w.lowered = false
	return true
}

// track counts r as computing from now.
func (p *Pool) track(r *run) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r.since = time.Now()
	p.runs[r] = struct{}{}
	p.share(r.since)
}

// share marks for lowering (see run.lower) the computing runs of each
// subject that computes in more workers than its share of
// Options.Computing, while another subject computes or waits: the share is
// Computing over the number of those subjects, at least one. So a subject
// that arrives while another keeps every core busy gets the CPU before the
// other's runs, be they long or just started. p.mu must be held.
func (p *Pool) share(now time.Time) {
	busy := map[string]int{}
	for _, wt := range p.queue {
		busy[wt.subject] += 0
	}
	for r := range p.runs {
		if r.inCalls == 0 {
			busy[r.subject]++
		}
	}
	if len(busy) < 2 {
		return
	}
	share := max(p.opts.Computing/len(busy), 1)
	for r := range p.runs {
		if r.inCalls == 0 && busy[r.subject] > share {
			r.overShare = true
		}
	}
}

func (p *Pool) untrack(r *run) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.runs, r)
}

// computing counts the workers whose script computes: taken from the idle
// set, and not waiting in a tool call or computing for longer than
// hogAfter; p.mu must be held.
func (p *Pool) computing(now time.Time) int {
	n := len(p.live) - len(p.idle)
	for r := range p.runs {
		if !r.computes(now) {
			n--
		}
	}
	return n
}

// computes reports whether r's script computes and has not for hogAfter
// yet; pool.mu must be held.
func (r *run) computes(now time.Time) bool {
	return r.inCalls == 0 && now.Sub(r.since) < hogAfter
}

// callStarted notes that r's script waits in a tool call: it no longer
// computes, so an execution waiting for a worker may start one.
func (r *run) callStarted() {
	p := r.pool
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.inCalls++; r.inCalls == 1 && len(p.queue) > 0 {
		close(p.changed)
		p.changed = make(chan struct{})
	}
	if sl := r.w.behind; sl != nil {
		select {
		case sl.hurry <- struct{}{}:
		default:
		}
	}
}

// callEnded notes that a tool call of r returned.
func (r *run) callEnded() {
	p := r.pool
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if r.inCalls--; r.inCalls == 0 {
		r.since = time.Now()
	}
}

// name is the JS name of binding id, for error messages.
func (r *run) name(id string) string {
	for _, b := range r.opts.Bindings {
		if b.ID == id {
			return b.Object + "." + b.Method
		}
	}
	return ""
}

// cancelError describes why ctx ended an execution, as sandbox.Run does.
func cancelError(ctx context.Context) *sandbox.Error {
	cause := context.Cause(ctx)
	switch {
	case errors.Is(cause, context.DeadlineExceeded):
		return &sandbox.Error{Name: sandbox.NameTimeout, Message: "execution timed out: the request's deadline passed"}
	case cause == nil || errors.Is(cause, context.Canceled):
		return &sandbox.Error{Name: sandbox.NameCancelled, Message: "execution cancelled"}
	}
	return &sandbox.Error{Name: sandbox.NameCancelled, Message: "execution cancelled: " + cause.Error()}
}

// timeoutError is sandbox's TimeoutError message, for a worker killed at
// the deadline.
func timeoutError(d time.Duration) *sandbox.Error {
	s := d.String()
	if t := strings.TrimSuffix(s, "m0s"); t != s {
		s = t + "m"
	}
	if t := strings.TrimSuffix(s, "h0m"); t != s {
		s = t + "h"
	}
	return &sandbox.Error{Name: sandbox.NameTimeout, Message: "execution timed out after " + s}
}

// workerTimeout is the timeout to give the worker once a worker was had:
// the whole timeout when that took no time worth mentioning (so the
// TimeoutError says "after 30s"), else what is left of it, and the deadline
// it implies.
func workerTimeout(timeout time.Duration, deadline time.Time) (time.Duration, time.Time) {
	left := time.Until(deadline)
	if timeout-left < 5*time.Millisecond {
		return timeout, time.Now().Add(timeout)
	}
	left = max(left.Truncate(time.Millisecond), time.Millisecond)
	return left, time.Now().Add(left)
}

// killGrace is how long past the deadline (or a cancellation) a worker may
// take to answer before it is killed. The worker's own sandbox answers
// within ~50ms even when its runtime is stuck in a native call.
const killGrace = 90 * time.Millisecond

// rssEvery is how often the pool checks a busy worker's resident memory.
const rssEvery = 10 * time.Millisecond

// rssLimit is the resident memory a worker may reach; the race detector's
// shadow memory inflates it several times.
func (p *Pool) rssLimit() int64 {
	if raceEnabled {
		return 8 * p.opts.WorkerMemory
	}
	return p.opts.WorkerMemory
}

// run is one execution on one worker, seen from the parent.
type run struct {
	pool      *Pool
	w         *worker
	subject   string // whom it runs for (Options.Subject)
	caller    sandbox.Caller
	opts      sandbox.Options
	timeout   time.Duration // given to the worker
	deadline  time.Time     // when the worker should have answered
	logs      []string
	calls     sync.WaitGroup
	peak      int64     // the highest RSS sampled
	inCalls   int       // tool calls in flight; guarded by pool.mu
	overShare bool      // to be lowered: see Pool.share; guarded by pool.mu
	since     time.Time // when the script last started computing; guarded by pool.mu
	seq       int       // the run's number on its worker (worker.sent)
	asked     bool      // wait asked the worker to drop the run
	unsent    bool      // the worker dropped the run unstarted (see do)
}

// send sends the run to its worker, into sl when it goes behind the run in
// progress.
func (r *run) send(code string, sl *slot) {
	p := r.pool
	p.mu.Lock()
	r.w.sent++
	r.seq = r.w.sent
	if sl != nil {
		sl.seq = r.seq
	}
	p.mu.Unlock()
	r.w.send(kindRun, r.request(code))
}

// wait waits, its run sent, for the run before it on the worker to end. It
// reports false when its run did not start there: the worker was lost, or
// dropped it when asked because the run before took lookaheadWait or ctx
// ended. The worker is then not this run's, and the execution is back in
// the queue, first (see Pool.requeue).
func (r *run) wait(ctx context.Context, sl *slot) bool {
	timer := time.NewTimer(lookaheadWait)
	defer timer.Stop()
	done := ctx.Done()
	for {
		select {
		case ok := <-sl.turn:
			return ok // false: requeued (discard); true: the worker may still drop it, which do handles
		case <-sl.withdrawn:
			return false // requeued (withdrawn)
		case <-done:
			done = nil
		case <-timer.C:
		case <-sl.hurry:
		}
		if !r.asked {
			r.asked = true
			r.w.send(kindWithdraw, withdrawRequest{Seq: r.seq})
		}
	}
}

// do serves the run's calls until it is done. It reports whether the
// worker is fit for another run.
func (r *run) do(ctx context.Context, code string) (sandbox.Result, bool) {
	callCtx, cancelCalls := context.WithCancel(ctx)
	defer cancelCalls()
	// At the deadline the worker has killGrace to answer; first it gets
	// its priority back, if it was lowered: at nice 19 on a busy machine
	// it may not run at all within the grace, and would be killed and
	// replaced instead of answering its timeout.
	kill, ending := time.NewTimer(time.Until(r.deadline)), false
	defer kill.Stop()
	rss := time.NewTicker(rssEvery)
	defer rss.Stop()
	done := ctx.Done()
	for {
		select {
		case f, ok := <-r.w.frames:
			if !ok {
				return r.crashed(), false
			}
			if res, finished, healthy := r.handle(callCtx, f); finished {
				if ctx.Err() != nil {
					res.Value, res.Err = nil, cancelError(ctx) // as sandbox.Run reports it
				}
				return res, healthy
			}
			if r.unsent {
				// The worker dropped the run as wait asked, after the run
				// before it ended: the worker is this run's now, and free.
				r.unsent = false
				r.pool.mu.Lock()
				r.pool.withdrawals++
				r.pool.mu.Unlock()
				if ctx.Err() != nil {
					return r.result(cancelError(ctx)), true
				}
				r.send(code, nil)
				r.pool.lookahead(r.w)
			}
		case <-done:
			done = nil
			r.w.send(kindCancel, cancelRequest{Seq: r.seq, Timeout: errors.Is(context.Cause(ctx), context.DeadlineExceeded), Cause: causeText(ctx)})
			ending = true
			r.end(kill)
		case <-kill.C:
			if !ending {
				ending = true
				r.end(kill)
				continue
			}
			r.w.kill()
			if ctx.Err() != nil {
				return r.result(cancelError(ctx)), false
			}
			return r.result(timeoutError(r.timeout)), false
		case now := <-rss.C:
			if !ending {
				r.lower(now)
			}
			rss := rssOf(r.w.pid)
			r.peak = max(r.peak, rss)
			if rss > r.pool.rssLimit() {
				r.w.kill()
				return r.result(r.memoryError()), false
			}
		}
	}
}

// end starts the worker's grace to answer after the deadline or a
// cancellation: its priority back, and kill reset to killGrace.
func (r *run) end(kill *time.Timer) {
	if r.w.lowered {
		r.pool.restore(r.w) // when it cannot be raised, the worker retires after the run anyway
	}
	kill.Reset(killGrace)
}

func causeText(ctx context.Context) string {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) && !errors.Is(c, context.DeadlineExceeded) {
		return c.Error()
	}
	return ""
}

// request is the run's request. Bindings and prelude are left out when the
// worker's previous run had the same: they are most of a trivial request,
// and the same from one execution to the next.
func (r *run) request(code string) runRequest {
	o := r.opts
	req := runRequest{
		Seq: r.seq, Code: code, Timeout: r.timeout, MaxToolCalls: o.MaxToolCalls,
		MaxCodeBytes: o.MaxCodeBytes, MaxLogBytes: o.MaxLogBytes, MemoryLimit: o.MemoryLimit,
		MaxResultBytes: o.MaxResultBytes, StreamLogs: true, StreamCalls: o.OnCall != nil, Replay: o.Replay,
	}
	w := r.w
	if w.setupSent && sandbox.SameBindings(w.bindings, o.Bindings) && slices.Equal(w.prelude, o.Prelude) {
		req.SameSetup = true
		return req
	}
	req.Bindings, req.Prelude = o.Bindings, o.Prelude
	w.bindings, w.prelude, w.setupSent = o.Bindings, slices.Clone(o.Prelude), true
	return req
}

// handle processes one frame from the worker; finished is set with the
// result when the run is over.
func (r *run) handle(ctx context.Context, f frame) (res sandbox.Result, finished, healthy bool) {
	switch f.kind {
	case kindCall:
		var c callRequest
		if !decode(f, &c) || c.Run != r.seq {
			return r.broken(), true, false
		}
		r.calls.Add(1)
		r.callStarted()
		go r.call(ctx, c)
	case kindLog:
		var l logLine
		if !decode(f, &l) || l.Run != r.seq {
			return r.broken(), true, false
		}
		r.logs = append(r.logs, l.Line)
		if r.opts.OnLog != nil {
			r.opts.OnLog(l.Line)
		}
	case kindCalls:
		var c callProgress
		if !decode(f, &c) || c.Run != r.seq {
			return r.broken(), true, false
		}
		if r.opts.OnCall != nil {
			r.opts.OnCall(c.Done, c.Started)
		}
	case kindWithdrawn:
		var d withdrawRequest
		if !decode(f, &d) {
			return r.broken(), true, false
		}
		if d.Seq == r.seq {
			r.unsent = true
		} else if r.pool != nil {
			r.pool.withdrawn(r.w, d.Seq) // for the run behind this one
		}
	case kindDone:
		var d runResult
		if !decode(f, &d) || d.Seq != r.seq {
			return r.broken(), true, false
		}
		return sandbox.Result{Value: d.Value, Logs: r.logs, Err: d.Err, Stats: sandbox.Stats{ToolCalls: d.ToolCalls}, Times: d.Times}, true, !d.Retire
	}
	return sandbox.Result{}, false, true
}

// call runs one tool call in this process and answers the worker.
func (r *run) call(ctx context.Context, c callRequest) {
	defer r.calls.Done()
	defer r.callEnded()
	res, err := r.safeCall(ctx, c)
	if ctx.Err() != nil {
		// The run is cancelled, and do tells the worker, whose sandbox then
		// delivers no settlement; a reply sent now might reach it first,
		// and a call that returned because of the cancellation (one held
		// at an approval pause) would settle and report its progress.
		return
	}
	if err == nil && len(res) > 0 && !json.Valid(res) {
		err = &callError{Name: sandbox.NameInternal, Message: r.name(c.ID) + ": the tool returned invalid JSON"}
	}
	reply := callReply{N: c.N}
	if err == nil {
		reply.Result = res
	} else {
		reply.Error = &callError{Message: err.Error()}
		var named interface{ ErrorName() string }
		if errors.As(err, &named) {
			reply.Error.Name = named.ErrorName()
		}
		var props interface{ ErrorProps() map[string]any }
		if errors.As(err, &props) {
			reply.Error.Props = props.ErrorProps()
		}
	}
	r.w.send(kindReply, reply)
}

func (r *run) safeCall(ctx context.Context, c callRequest) (res json.RawMessage, err error) {
	defer func() {
		if v := recover(); v != nil {
			res, err = nil, &callError{Name: sandbox.NameInternal, Message: fmt.Sprintf("internal error in %s: the tool crashed", r.name(c.ID))}
		}
	}()
	if c.Seq > 0 {
		ctx = sandbox.WithCallSeq(ctx, c.Seq)
	}
	return r.caller.Call(ctx, c.ID, c.Args)
}

// result is a failed result with the logs received so far.
func (r *run) result(e *sandbox.Error) sandbox.Result {
	return sandbox.Result{Logs: r.logs, Err: e}
}

func (r *run) broken() sandbox.Result {
	r.w.kill()
	r.logs = nil // they may not be this run's
	return r.result(&sandbox.Error{Name: sandbox.NameInternal, Message: "the sandbox process sent a malformed message and was replaced"})
}

// crashed describes a worker that died during the run.
func (r *run) crashed() sandbox.Result {
	<-r.w.exited
	fatal := r.w.stderr.fatal()
	// A worker that ran out of its data segment dies of "out of memory", or
	// of a fault in the runtime when a mapping it needed failed: with its
	// memory high just before, it is the memory limit either way.
	if strings.Contains(fatal, "out of memory") || strings.Contains(fatal, "cannot allocate memory") ||
		r.peak > r.pool.rssLimit()/2 {
		return r.result(r.memoryError())
	}
	what := fmt.Sprint(r.w.err)
	if fatal != "" {
		what = fatal
	}
	return r.result(&sandbox.Error{Name: sandbox.NameInternal, Message: fmt.Sprintf(
		"the sandbox process running this code crashed (%s) and was replaced; other executions were not affected", what)})
}

func (r *run) memoryError() *sandbox.Error {
	return &sandbox.Error{Name: sandbox.NameMemoryLimit, Message: fmt.Sprintf(
		"the sandbox process exceeded its memory limit of %d MB and was stopped; work on less data at a time",
		r.pool.opts.WorkerMemory>>20)}
}

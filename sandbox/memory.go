package sandbox

import (
	"cmp"
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Memory admits executions against a process-wide memory budget and runs the
// watchdog that stops an execution exceeding its own limit. Go cannot count
// the memory of one goroutine, so the watchdog samples the heap of the whole
// process (runtime/metrics) every few milliseconds and attributes each
// increase to the executions running JavaScript at that moment (not those
// waiting for a tool call). With one execution at a time this is exact; with
// several it is an estimate, and the admission control is what keeps their
// sum within the budget. A Memory is safe for concurrent use.
//
// Its caller owns it: a server, or a worker process, makes one with
// NewMemory(DefaultProcessMemory) and passes it in the Options of every
// Run, so that its executions are admitted and watched together.
type Memory struct {
	total int64

	mu       sync.Mutex
	reserved int64
	active   map[*reservation]struct{}
	quit     chan struct{}  // closed when the last active execution is released; nil when not sampling
	watchers sync.WaitGroup // the watchdog goroutine, while one runs (the tests wait for it)
	base     int64          // heap bytes when sampling started: what the executions did not allocate
	last     int64          // heap bytes at the previous sample
	heldBase int64          // bytes the process held (heldBytes) when sampling started, or since then the least

	lastGC     time.Time // when the last forced collection ended
	collecting bool      // a forced collection is running
	overSince  time.Time // since when some execution is over its limit; zero if none
}

// DefaultProcessMemory is the budget of the Memory a server or a worker
// shares among its executions, and of the one a Run without Options.Memory
// has to itself.
const DefaultProcessMemory = 1 << 30

// NewMemory returns a Memory admitting executions while the sum of their
// limits stays within total bytes.
func NewMemory(total int64) *Memory {
	return &Memory{total: total, active: map[*reservation]struct{}{}}
}

// Watchdog timing: how often the heap is sampled, and how often at most a
// garbage collection is forced to tell live memory from garbage.
const (
	sampleEvery  = 2 * time.Millisecond
	forceGCEvery = 20 * time.Millisecond
	farLimit     = 1.25
	cleanAfter   = 16 << 20 // heap growth after which the last execution's garbage is collected
)

// reservation is one admitted execution. Fields other than busy are
// guarded by Memory.mu.
type reservation struct {
	limit   int64
	share   int64        // heap bytes attributed to the execution
	busy    atomic.Bool  // running JavaScript (or compiling), not waiting
	stop    func(*Error) // stops the execution; nil until it has a runtime
	stopped bool         // stop was called (an abandoned runtime may still allocate)
}

// memoryError is the error of an execution stopped by the watchdog.
func memoryError(limit int64) *Error {
	return &Error{Name: NameMemoryLimit, Message: fmt.Sprintf("the execution used more than its memory limit of %d MB "+
		"and was stopped; work on less data at a time", limit>>20)}
}

// admit reserves limit bytes, waiting until deadline for other executions
// to release enough. Waiting polls: it is rare, and a channel shared by
// all executions could not be used from inside a testing/synctest bubble.
func (m *Memory) admit(ctx context.Context, limit int64, deadline time.Time) (*reservation, *Error) {
	limit = min(limit, m.total)
	for !m.reserve(limit) {
		if ctx.Err() != nil {
			return nil, stopError(ctx)
		}
		if !time.Now().Before(deadline) {
			return nil, &Error{Name: NameMemoryLimit, Message: fmt.Sprintf("the sandbox's memory budget of %d MB is in use "+
				"by other executions; try again shortly", m.total>>20)}
		}
		time.Sleep(admitPoll)
	}
	r := &reservation{limit: limit}
	r.busy.Store(true)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active[r] = struct{}{}
	if m.quit == nil {
		quit := make(chan struct{})
		m.quit = quit
		m.base, m.heldBase = heapAndHeldBytes()
		m.last = m.base
		m.watchers.Go(func() { m.watch(quit) })
	}
	return r, nil
}

// admitPoll is how often a waiting execution looks for room.
const admitPoll = 2 * time.Millisecond

func (m *Memory) reserve(limit int64) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reserved+limit > m.total {
		return false
	}
	m.reserved += limit
	return true
}

// attach lets the watchdog stop the execution from now on.
func (m *Memory) attach(r *reservation, stop func(*Error)) {
	m.mu.Lock()
	r.stop = stop
	m.mu.Unlock()
}

// release returns the reservation. It is called when the execution's
// runtime goroutine has ended, not merely when Run returned: an abandoned
// runtime still holds its memory.
func (m *Memory) release(r *reservation) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.active[r]; !ok {
		return
	}
	delete(m.active, r)
	m.reserved -= r.limit
	// What it allocated stays in the heap until a collection: count it as
	// the baseline's, not as the others' (attribute lowers the baseline
	// again when the heap shrinks).
	m.base += r.share
	if len(m.active) == 0 && m.quit != nil {
		// The watchdog stops now rather than at its next tick: a process
		// idle between calls would otherwise wake for it (twice: the
		// netpoller waits whole milliseconds).
		close(m.quit)
		m.quit = nil
	}
}

// watch samples the heap until quit is closed: no execution is active.
func (m *Memory) watch(quit chan struct{}) {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if m.sample(quit) {
				continue
			}
		case <-quit:
		}
		m.ended()
		return
	}
}

// ended collects what the executions of a sampling session left, if it is
// over cleanAfter, so that the next one's baseline is live memory rather
// than their garbage; not if another session started since.
func (m *Memory) ended() {
	used := heapBytes()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.quit == nil && used-m.base > cleanAfter {
		go runtime.GC()
	}
}

// sample attributes the heap's growth since the last sample and stops the
// executions over their limit. The heap counts garbage too, so an execution
// over its limit is stopped only after a garbage collection (forced, in the
// background) confirmed it, unless it is over farLimit times its limit: then
// it is stopped at once, since what matters is the memory the process holds,
// garbage or not, and one native call (s += s) may double it. It reports
// whether to go on sampling: not once the session of quit has ended.
func (m *Memory) sample(quit chan struct{}) bool {
	used := heapBytes()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.quit != quit {
		return false // the session ended (release closed quit; ended follows) and maybe another began
	}
	m.attribute(used)
	if len(m.offenders(used, 1, true)) == 0 {
		m.overSince = time.Time{}
		return true
	}
	if m.overSince.IsZero() {
		m.overSince = time.Now()
	}
	if m.lastGC.After(m.overSince) {
		m.stopAll(m.offenders(used, 1, true))
		return true
	}
	// Not confirmed yet: only an execution far over its own limit, or the
	// executions far over the sum of their limits (overBudget). The sum of
	// the limits itself waits for the collection, since it may be garbage.
	m.stopAll(m.offenders(used, farLimit, false))
	m.stopAll(m.overBudget(used, heldBytes()))
	if !m.collecting && time.Since(m.lastGC) >= forceGCEvery {
		m.collecting = true
		go m.collect()
	}
	return true
}

// collect forces a garbage collection, so that the next sample sees live
// memory rather than garbage.
func (m *Memory) collect() {
	runtime.GC()
	m.mu.Lock()
	m.collecting = false
	m.lastGC = time.Now()
	m.mu.Unlock()
}

func (m *Memory) stopAll(rs []*reservation) {
	for _, r := range rs {
		r.stopped = true
		r.stop(memoryError(r.limit))
	}
}

// attribute spreads the growth of the heap since the last sample over the
// executions running JavaScript (or over all, when none is), and keeps the
// shares within the heap's growth since sampling started: with one
// execution its share is exactly that growth.
func (m *Memory) attribute(used int64) {
	m.base = min(m.base, used)
	delta := used - m.last
	m.last = used
	total := max(used-m.base, 0)
	if len(m.active) == 1 {
		for r := range m.active {
			r.share = total
		}
		return
	}
	if delta > 0 {
		busy := m.busy()
		for _, r := range busy {
			r.share += delta / int64(len(busy))
		}
	}
	var sum int64
	for r := range m.active {
		sum += r.share
	}
	if sum > total && sum > 0 {
		keep := float64(total) / float64(sum)
		for r := range m.active {
			r.share = int64(float64(r.share) * keep)
		}
	}
}

// busy returns the executions running JavaScript, or all when none is.
func (m *Memory) busy() []*reservation {
	var out, all []*reservation
	for r := range m.active {
		all = append(all, r)
		if r.busy.Load() {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return all
	}
	return out
}

// offenders are the executions over factor times their limit, or (with
// sum) when none is but the sum of the limits is exceeded, the one with the
// largest share.
// Executions already stopped, or not yet running, are left out. With
// several executions running, shares are estimates (the heap growth of one
// execution's setup lands on whichever run JavaScript at the time), so one
// is stopped alone only at twice the evidence; their sum stays bounded.
func (m *Memory) offenders(used int64, factor float64, sum bool) []*reservation {
	var out []*reservation
	var largest *reservation
	var limits int64
	alone := factor
	if len(m.active) > 1 {
		alone *= 2
	}
	for r := range m.active {
		limits += r.limit
		if r.stop == nil || r.stopped {
			continue
		}
		if float64(r.share) > alone*float64(r.limit) {
			out = append(out, r)
		}
		if largest == nil || r.share > largest.share {
			largest = r
		}
	}
	if sum && len(out) == 0 && float64(used-m.base) > factor*float64(limits) && largest != nil {
		out = append(out, largest)
	}
	return out
}

// overBudget returns the executions to stop when the heap grew by more than
// farLimit times the sum of the limits of the executions in flight (or than
// the process's budget), or what the process holds from the system
// (process, see heldBytes) grew by more than the budget: the largest shares,
// until they and those already stopped account for the excess. Each
// execution alone is stopped only at twice farLimit when several run (see
// offenders), and confirming the sum waits for a forced collection, which
// takes seconds on a heap of a gigabyte: four executions growing a Map at
// once took 1.4 GB and 7 s. The heap's objects are not all a process holds
// (free pages not yet returned, the collector's own): eight such Maps held
// 1.4 GB for 1 GB of objects.
func (m *Memory) overBudget(used, process int64) []*reservation {
	var limits, held int64
	var running []*reservation
	for r := range m.active {
		limits += r.limit
		switch {
		case r.stopped:
			held += r.share
		case r.stop != nil:
			running = append(running, r)
		}
	}
	m.heldBase = min(m.heldBase, process)
	excess := max(float64(used-m.base)-min(farLimit*float64(limits), float64(m.total)), float64(process-m.heldBase-m.total))
	if excess <= 0 {
		return nil
	}
	slices.SortFunc(running, func(a, b *reservation) int { return cmp.Compare(b.share, a.share) })
	var out []*reservation
	for _, r := range running {
		if float64(held) >= excess {
			break
		}
		out = append(out, r)
		held += r.share
	}
	return out
}

// heapSample reads the heap's object bytes: live objects and garbage not yet
// swept. Reading runtime/metrics does not stop the world.
var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// heldSample reads what the Go runtime holds from the system: all it mapped
// but what it returned. Free pages not returned yet count, as they do in the
// RSS, which the process budget is about.
var heldSample = []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}

var heapMu sync.Mutex

func heapBytes() int64 {
	heapMu.Lock()
	defer heapMu.Unlock()
	metrics.Read(heapSample)
	return int64(heapSample[0].Value.Uint64())
}

func heldBytes() int64 {
	heapMu.Lock()
	defer heapMu.Unlock()
	metrics.Read(heldSample)
	return int64(heldSample[0].Value.Uint64() - heldSample[1].Value.Uint64())
}

// bothSample is heapSample and heldSample, read at once: a worker process
// starts sampling for nearly every run it is given (it runs one at a
// time), and each metrics.Read aggregates the runtime's statistics anew.
var bothSample = append(append([]metrics.Sample{}, heapSample...), heldSample...)

// heapAndHeldBytes is heapBytes and heldBytes from one reading.
func heapAndHeldBytes() (heap, held int64) {
	heapMu.Lock()
	defer heapMu.Unlock()
	metrics.Read(bothSample)
	return int64(bothSample[0].Value.Uint64()), int64(bothSample[1].Value.Uint64() - bothSample[2].Value.Uint64())
}

// Active is the number of admitted executions whose runtime has not ended
// yet (an abandoned runtime stays active until its native call returns).
func (m *Memory) Active() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.active)
}

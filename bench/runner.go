package bench

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/gctune"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// runner holds what the steps of one Run share.
type runner struct {
	Env
	o       Options
	res     *Results
	servers *Servers
	peers   *driver // bench/node/peers.mjs
	stdio   *driver // bench/node/stdio.mjs with the stdio server
	utcp    *driver // bench/node/utcp.mjs, nil when it is not installed
	pid     int     // of the stdio server
	inproc  *server.Server
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.o.Log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// newServers builds the binary and writes its configurations.
func (r *runner) newServers() (err error) {
	r.servers, err = r.NewServers(r.o.Upstream)
	return err
}

// setup builds the binary, starts the drivers and warms every contender.
func (r *runner) setup() (err error) {
	if err := r.newServers(); err != nil {
		return err
	}
	if r.peers, err = r.startDriver("peers.mjs"); err != nil {
		return err
	}
	if r.stdio, err = r.servers.stdio(r.servers.Config); err != nil {
		return err
	}
	r.startUTCP()
	var pid struct{ PID int }
	if err := r.stdio.do(map[string]any{"op": "pid"}, &pid); err != nil {
		return err
	}
	r.pid = pid.PID
	time.Sleep(500 * time.Millisecond)
	if r.res.Memory.StartRSSMB, err = rssMB(r.pid); err != nil {
		return err
	}
	if r.inproc, err = NewInProcessServer(); err != nil {
		return err
	}
	// One execution, then the idle RSS; then warm every contender.
	var d durations
	if err := r.stdio.do(map[string]any{"op": "time", "n": 1, "code": TrivialJS}, &d); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	m := &r.res.Memory
	if m.IdleRSSMB, err = rssMB(r.pid); err != nil {
		return err
	}
	m.IdleAnonMB, _ = procStatusMB(r.pid, "RssAnon")
	m.IdleFileMB, _ = procStatusMB(r.pid, "RssFile")
	return r.round(max(r.o.PerRound/4, 2), 1, &samples{})
}

// samples collects the durations of every round.
type samples struct {
	js, ts, spareJS, spareTS, defaultGC, floor, call, quickjs, vm, node []time.Duration
	stdio, stdioApart, stdioCall, ping, pingApart                       []time.Duration
	utcp, utcpCall                                                      []time.Duration
	stdioCPU                                                            time.Duration // the stdio server's, over the stdio samples
	stdioCallCPU, upstreamCPU                                           time.Duration // the stdio server's and its upstream's, over the stdioCall samples
	jsBytes, tsBytes                                                    uint64
}

// rounds interleaves every contender, Rounds times.
func (r *runner) rounds() error {
	s := &samples{}
	for i := range r.o.Rounds {
		r.logf("round %d/%d", i+1, r.o.Rounds)
		if err := r.round(r.o.PerRound, r.o.NodePerRound, s); err != nil {
			return err
		}
	}
	n := uint64(r.o.Rounds * r.o.PerRound)
	r.res.ColdStartJS = Alloc{Summarize(s.js), int64(s.jsBytes / n)}
	r.res.ColdStartTS = Alloc{Summarize(s.ts), int64(s.tsBytes / n)}
	r.res.ColdStartSpareJS, r.res.ColdStartSpareTS = Summarize(s.spareJS), Summarize(s.spareTS)
	r.res.ColdStartDefaultGC = Summarize(s.defaultGC)
	r.res.GojaFloor = Summarize(s.floor)
	r.res.InProcessCall = Summarize(s.call)
	r.res.QuickJS, r.res.NodeVM = Summarize(s.quickjs), Summarize(s.vm)
	r.res.NodeSubprocess = Summarize(s.node)
	r.res.StdioTrivial, r.res.StdioUpstream = Summarize(s.stdio), Summarize(s.stdioCall)
	r.res.StdioTrivialApart = Summarize(s.stdioApart)
	r.res.StdioPing, r.res.StdioPingApart = Summarize(s.ping), Summarize(s.pingApart)
	r.res.StdioServerCPU = ms(s.stdioCPU) / float64(max(len(s.stdio), 1))
	r.res.StdioUpstreamServerCPU = ms(s.stdioCallCPU) / float64(max(len(s.stdioCall), 1))
	r.res.UpstreamCPU = ms(s.upstreamCPU) / float64(max(len(s.stdioCall), 1))
	if r.res.UTCP != nil {
		r.res.UTCP.Trivial, r.res.UTCP.Call = Summarize(s.utcp), Summarize(s.utcpCall)
	}
	return nil
}

// startUTCP starts the UTCP peer, or notes why it cannot: the rest of the
// run goes on without it.
func (r *runner) startUTCP() {
	d, f, err := r.Env.startUTCP(r.servers.Upstream)
	if err != nil {
		r.res.UTCPMissing = err.Error()
		r.logf("without the UTCP peer: %v", err)
		return
	}
	r.utcp, r.res.UTCP = d, f
}

// timeUTCPRound times the UTCP peer's two scripts n times each, right
// after ours.
func (r *runner) timeUTCPRound(n int, s *samples) error {
	if r.utcp == nil {
		return nil
	}
	if err := timeUTCP(r.utcp, UTCPTrivialJS, n, &s.utcp); err != nil {
		return err
	}
	return timeUTCP(r.utcp, UTCPCallJS, n, &s.utcpCall)
}

// workspace measures the workspace curve (see MeasureWorkspace).
func (r *runner) workspace() (err error) {
	r.res.Workspace, err = MeasureWorkspace(r.o.Rounds, r.o.PerRound, r.o.Log)
	return err
}

// round measures each contender n times (node subprocesses nodeN times).
func (r *runner) round(n, nodeN int, s *samples) error {
	if err := r.inProcess(n, s); err != nil {
		return err
	}
	for _, p := range []struct {
		peer string
		ds   *[]time.Duration
	}{{"quickjs", &s.quickjs}, {"vm", &s.vm}} {
		if err := timePeer(r.peers, p.peer, TrivialJS, n, p.ds); err != nil {
			return err
		}
	}
	if err := r.timeNodeSubprocess(TrivialJS, nodeN, &s.node); err != nil {
		return err
	}
	if err := cpuOver(r.pid, &s.stdioCPU, nil, func() error { return r.timeStdio(TrivialJS, n, &s.stdio) }); err != nil {
		return err
	}
	if err := r.timeStdioGap(TrivialJS, n, StdioGap, &s.stdioApart); err != nil {
		return err
	}
	for _, p := range []struct {
		gap time.Duration
		ds  *[]time.Duration
	}{{0, &s.ping}, {StdioGap, &s.pingApart}} {
		var d durations
		if err := r.stdio.do(map[string]any{"op": "ping", "n": n, "gap": p.gap.Milliseconds()}, &d); err != nil {
			return err
		}
		*p.ds = append(*p.ds, fromMS(d.Durations)...)
	}
	if err := cpuOver(r.pid, &s.stdioCallCPU, &s.upstreamCPU, func() error { return r.timeStdio(UpstreamCallJS, n, &s.stdioCall) }); err != nil {
		return err
	}
	return r.timeUTCPRound(n, s)
}

// cpuOver adds to *own the CPU time (user and system) that process pid used
// while f ran, and to *children, unless nil, what its children used (the
// stdio server's one child is its upstream).
func cpuOver(pid int, own, children *time.Duration, f func() error) error {
	before, err := treeCPU(pid)
	if err != nil {
		return err
	}
	if err := f(); err != nil {
		return err
	}
	after, err := treeCPU(pid)
	if err != nil {
		return err
	}
	*own += after.own - before.own
	if children != nil {
		*children += after.children() - before.children()
	}
	return nil
}

func (r *runner) timeStdio(code string, n int, ds *[]time.Duration) error {
	return r.timeStdioGap(code, n, 0, ds)
}

// StdioGap is the pause between the calls of the "apart" stdio figure:
// enough for the server to set a spare runtime up, far less than a model
// takes between two calls.
const StdioGap = 5 * time.Millisecond

// timeStdioGap is timeStdio with a pause (untimed) before each call.
func (r *runner) timeStdioGap(code string, n int, gap time.Duration, ds *[]time.Duration) error {
	var d durations
	if err := r.stdio.do(map[string]any{"op": "time", "n": n, "code": code, "gap": gap.Milliseconds()}, &d); err != nil {
		return err
	}
	*ds = append(*ds, fromMS(d.Durations)...)
	return nil
}

// fanOutJS is Promise.all of n calls to the 50 ms sleep.
func fanOutJS(n int) string {
	return fmt.Sprintf(`const r = await Promise.all(Array.from({ length: %d }, () => bench.sleep({ ms: 50 })));
return { ok: r.length === %d };`, n, n)
}

func (r *runner) fanOut() error {
	for _, n := range []int{1, 10, 100} {
		var ds []time.Duration
		if err := r.timeStdio(fanOutJS(n), r.o.FanOut, &ds); err != nil {
			return err
		}
		r.res.FanOut = append(r.res.FanOut, Fan{N: n, Latency: Summarize(ds)})
	}
	return nil
}

// memory measures the heap of an idle execution in process, and the RSS
// of a stdio server around 100 concurrent executions (each waiting 200 ms
// in a tool call, so that all are alive at once). That server has
// memory_limit_mb WideLimitMB, so that all 100 are admitted at once.
// Executions that fail are counted, not fatal: the sandbox's memory
// watchdog may stop some.
func (r *runner) memory() (err error) {
	m := &r.res.Memory
	if m.IdleHeapPerExecByte, err = IdleHeapPerExecution(100); err != nil {
		return err
	}
	d, err := r.servers.stdio(r.servers.Wide)
	if err != nil {
		return err
	}
	defer d.close()
	var pid struct{ PID int }
	if err := d.do(map[string]any{"op": "pid"}, &pid); err != nil {
		return err
	}
	// Past the server's first idle trim, which drops the pages of the
	// binary that startup mapped (internal/exemap), warm it with the same
	// executions, a few at once, so that the growth is theirs, not the
	// code's mapped back.
	time.Sleep(500 * time.Millisecond)
	code := `await bench.sleep({ ms: 200 });
return { ok: true };`
	if err := d.do(map[string]any{"op": "time", "n": 20, "code": TrivialJS}, &durations{}); err != nil {
		return err
	}
	if err := d.do(map[string]any{"op": "concurrent", "n": 10, "code": code}, &durations{}); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	if m.RSSBefore100MB, err = rssMB(pid.PID); err != nil {
		return err
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() { m.RSSPeak100MB = peakRSS(pid.PID, stop) })
	var res durations
	err = d.do(map[string]any{"op": "concurrent", "n": 100, "code": code}, &res)
	close(stop)
	wg.Wait()
	if err != nil {
		return err
	}
	m.Failures100, m.FirstFailure100 = res.Failures, res.FirstFailure
	m.RSSAfter100MB, err = rssMB(pid.PID)
	return err
}

// peakRSS samples the RSS of process pid every 2 ms until stop.
func peakRSS(pid int, stop <-chan struct{}) float64 {
	peak := 0.0
	for {
		if v, err := rssMB(pid); err == nil {
			peak = max(peak, v)
		}
		select {
		case <-stop:
			return peak
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// http measures throughput over streamable HTTP at 1, 8 and 64 clients,
// with hosted mode's default isolation (worker processes) and in process.
func (r *runner) http() error {
	proc, err := r.servers.http(r.servers.Config)
	if err != nil {
		return err
	}
	defer proc.close()
	in, err := r.servers.http(r.servers.InProc)
	if err != nil {
		return err
	}
	defer in.close()
	time.Sleep(500 * time.Millisecond)
	if r.res.Memory.IdleRSSHTTPMB, err = rssMB(proc.cmd.Process.Pid); err != nil {
		return err
	}
	// Each number of clients loads both servers in interleaved rounds.
	for _, n := range []int{1, 8, 64} {
		sides, err := r.sides(n, []*hostedServer{proc, in}, []string{"process", "inprocess"})
		if err != nil {
			return err
		}
		for _, t := range sides {
			r.logf("http %d clients (%s): %.0f/s, p99 %.2f ms, %d failures", n, t.Isolation, t.PerSecond, t.P99, t.Failures)
			r.res.HTTP = append(r.res.HTTP, t)
		}
	}
	return nil
}

// sides connects n clients to each server, loads them all for
// HTTPDuration each in interleaved rounds (loadSides), and returns what
// each one measured.
func (r *runner) sides(n int, hs []*hostedServer, isolations []string) ([]Throughput, error) {
	var sides []*httpSide
	defer func() {
		for _, s := range sides {
			s.close()
		}
	}()
	for i, h := range hs {
		s, err := newSide(h, n, isolations[i])
		if err != nil {
			return nil, err
		}
		sides = append(sides, s)
	}
	if err := loadSides(sides, r.o.Rounds, r.o.HTTPDuration); err != nil {
		return nil, err
	}
	out := make([]Throughput, len(sides))
	for i, s := range sides {
		out[i] = s.throughput()
	}
	return out, nil
}

// typegen times Declarations for the 1,008-tool corpus.
func (r *runner) typegen() error {
	ns, err := r.Corpus1000()
	if err != nil {
		return err
	}
	var ds []time.Duration
	var before, after runtime.MemStats
	n := max(r.o.FanOut*2, 3)
	runtime.ReadMemStats(&before)
	for range n {
		t := time.Now()
		r.res.TypegenOut = len(typegen.Declarations(ns, typegen.Options{}))
		ds = append(ds, time.Since(t))
	}
	runtime.ReadMemStats(&after)
	r.res.Typegen = Alloc{Summarize(ds), int64(after.TotalAlloc-before.TotalAlloc) / int64(n)}
	r.res.TypegenN = toolCount(ns)
	return nil
}

func (r *runner) close() {
	if r.stdio != nil {
		if rss, err := rssMB(r.pid); err == nil {
			r.res.Memory.EndRSSMB = rss
		}
		r.stdio.close()
	}
	if r.peers != nil {
		r.peers.close()
	}
	if r.utcp != nil {
		r.utcp.close()
	}
	if r.servers != nil {
		r.servers.Close()
	}
}

// inProcess measures the in-process contenders n times each: under the
// collector tuning the binary applies (internal/gctune), then the floor,
// and the cold start once more with Go's default collector.
func (r *runner) inProcess(n int, s *samples) error {
	tuner := gctune.New()
	tuner.Start()
	err := r.tuned(n, s)
	tuner.Stop()
	if err != nil {
		return err
	}
	for range n {
		t := time.Now()
		if err := GojaFloor(); err != nil {
			return err
		}
		s.floor = append(s.floor, time.Since(t))
	}
	_, err = timeColdStart(TrivialJS, SetUp, n, &s.defaultGC)
	return err
}

func (r *runner) tuned(n int, s *samples) error {
	b, err := timeColdStart(TrivialJS, SetUp, n, &s.js)
	if err != nil {
		return err
	}
	s.jsBytes += b
	if b, err = timeColdStart(TrivialTS, SetUp, n, &s.ts); err != nil {
		return err
	}
	s.tsBytes += b
	if _, err = timeColdStart(TrivialJS, FromSpare, n, &s.spareJS); err != nil {
		return err
	}
	if _, err = timeColdStart(TrivialTS, FromSpare, n, &s.spareTS); err != nil {
		return err
	}
	for range n {
		t := time.Now()
		if err := Execute(r.inproc, UpstreamCallJS); err != nil {
			return err
		}
		s.call = append(s.call, time.Since(t))
	}
	return nil
}

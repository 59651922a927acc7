package bench

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Options size one run. Zero fields take the defaults of a full run.
type Options struct {
	Rounds       int           // interleaved rounds [5]
	PerRound     int           // in-process and stdio executions per contender per round [200]
	NodePerRound int           // node subprocesses per round [20]
	FanOut       int           // repeats of each fan-out width [10]
	HTTPDuration time.Duration // load of each server per number of clients, over the interleaved rounds [5s]
	Upstream     []string      // command line serving Upstream on stdio (required)
	Log          io.Writer     // progress; nil means os.Stderr
}

func (o Options) withDefaults() Options {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&o.Rounds, 5)
	def(&o.PerRound, 200)
	def(&o.NodePerRound, 20)
	def(&o.FanOut, 10)
	if o.HTTPDuration <= 0 {
		o.HTTPDuration = 5 * time.Second
	}
	if o.Log == nil {
		o.Log = os.Stderr
	}
	return o
}

// Quick is a run of a few iterations of everything: a smoke test.
var Quick = Options{Rounds: 1, PerRound: 5, NodePerRound: 2, FanOut: 1, HTTPDuration: 300 * time.Millisecond}

// Machine describes where a run took place.
type Machine struct {
	When      string  `json:"when"`
	CPUs      int     `json:"cpus"`
	CPU       string  `json:"cpu"`
	Go        string  `json:"go"`
	Node      string  `json:"node"`
	LoadStart float64 `json:"load_start"` // 1-minute load average
	LoadEnd   float64 `json:"load_end"`
}

// Results are every figure of one run.
type Results struct {
	Machine Machine `json:"machine"`
	Options struct {
		Rounds, PerRound, NodePerRound, FanOut int
		HTTPDuration                           string
	} `json:"options"`

	// ColdStartJS and ColdStartTS set their runtimes up (spares off): the
	// whole cost of a fresh runtime per execution.
	ColdStartJS Alloc `json:"cold_start_js"`
	ColdStartTS Alloc `json:"cold_start_ts"`
	// ColdStartSpareJS and ColdStartSpareTS start from a spare runtime set
	// up before the clock started: the request path.
	ColdStartSpareJS Latency `json:"cold_start_spare_js"`
	ColdStartSpareTS Latency `json:"cold_start_spare_ts"`
	// ColdStartDefaultGC is ColdStartJS with Go's default collector
	// (GOGC=100) instead of the binary's tuning (internal/gctune), which
	// the other in-process figures run under:
	// how much of the cold start is garbage collection.
	ColdStartDefaultGC Latency `json:"cold_start_js_default_gc"`
	// GojaFloor is goja.New and the precompiled script, nothing else.
	GojaFloor      Latency `json:"goja_floor"`
	InProcessCall  Latency `json:"in_process_execute_upstream_call"`
	QuickJS        Latency `json:"peer_quickjs"`
	NodeVM         Latency `json:"peer_node_vm"`
	NodeSubprocess Latency `json:"peer_node_subprocess"`

	StdioTrivial Latency `json:"stdio_trivial"`
	// StdioTrivialApart is StdioTrivial with StdioGap between the calls.
	StdioTrivialApart Latency `json:"stdio_trivial_apart"`
	// StdioPing is an MCP ping over the same connection: the transport's
	// share of a round trip (SDK client, pipes, mcp-go), no execution.
	StdioPing Latency `json:"stdio_ping"`
	// StdioPingApart is StdioPing with StdioGap between the pings: waking
	// up an idle client and server costs more than the ping.
	StdioPingApart Latency `json:"stdio_ping_apart"`
	StdioUpstream  Latency `json:"stdio_upstream_call"`
	// StdioServerCPU is the stdio server's CPU time per trivial execution
	// back to back, in ms (/proc: user and system), which the load of the
	// machine changes far less than the round trip.
	StdioServerCPU float64 `json:"stdio_server_cpu_ms_per_exec,omitempty"`
	// StdioUpstreamServerCPU is StdioServerCPU with one upstream call per
	// execution (StdioUpstream's rounds), and UpstreamCPU the upstream's
	// own CPU time per call over the same rounds (the server's child
	// processes: its upstream alone): with the client's, the work the round
	// trip waits for in turn.
	StdioUpstreamServerCPU float64 `json:"stdio_upstream_server_cpu_ms_per_exec,omitempty"`
	UpstreamCPU            float64 `json:"upstream_cpu_ms_per_call,omitempty"`
	FanOut                 []Fan   `json:"fan_out"`

	HTTP []Throughput `json:"http"`

	Memory Memory `json:"memory"`
	Scale  *Scale `json:"scale,omitempty"` // how cost grows with tools and namespaces
	// ResultSizes is how the cost of a call grows with its result's size.
	ResultSizes []ResultPoint `json:"result_sizes,omitempty"`
	// Workspace is how the workspace's cost grows with what it holds.
	Workspace *WorkspaceFigures `json:"workspace,omitempty"`
	// UTCP is the UTCP code-mode peer, end to end, from the same rounds;
	// UTCPMissing says why it is not, when it is not.
	UTCP        *UTCPFigures `json:"peer_utcp,omitempty"`
	UTCPMissing string       `json:"peer_utcp_missing,omitempty"`
	Typegen     Alloc        `json:"typegen_1000"`
	TypegenN    int          `json:"typegen_tools"`
	TypegenOut  int          `json:"typegen_bytes"`
}

// Fan is Promise.all of N calls to the upstream's 50 ms sleep, one execute
// over stdio.
type Fan struct {
	N int `json:"n"`
	Latency
}

// Memory are the resident and heap figures.
type Memory struct {
	StartRSSMB          float64 `json:"start_rss_mb"`      // stdio server after initialize, before any execution
	IdleRSSMB           float64 `json:"idle_rss_mb"`       // stdio server after start and one execution
	IdleAnonMB          float64 `json:"idle_rss_anon_mb"`  // of it, anonymous memory (heap, stacks, runtime)
	IdleFileMB          float64 `json:"idle_rss_file_mb"`  // of it, file pages (the binary's text and data)
	IdleRSSHTTPMB       float64 `json:"idle_rss_http_mb"`  // HTTP server after start
	RSSBefore100MB      float64 `json:"rss_before_100_mb"` // before 100 concurrent executions
	RSSPeak100MB        float64 `json:"rss_peak_100_mb"`   // highest during them
	RSSAfter100MB       float64 `json:"rss_after_100_mb"`  // when they answered
	Failures100         int     `json:"failures_100"`      // of the 100, those that failed
	FirstFailure100     string  `json:"first_failure_100,omitempty"`
	EndRSSMB            float64 `json:"end_rss_mb"`         // stdio server at the end of the run
	IdleHeapPerExecByte int64   `json:"idle_heap_per_exec"` // in process, an execution waiting in a tool call
}

// Run measures everything and returns the figures.
func Run(e Env, o Options) (*Results, error) {
	return run(e, o, func(r *runner) []step {
		return []step{
			{"setup", r.setup}, {"rounds", r.rounds}, {"fan-out", r.fanOut}, {"memory", r.memory},
			{"http", r.http}, {"typegen", r.typegen}, {"scale", r.scale}, {"results", r.results},
			{"workspace", r.workspace},
		}
	})
}

// RunScale measures only how cost grows with the tools and namespaces
// (Results.Scale): the curves of issue 18, in a few minutes.
func RunScale(e Env, o Options) (*Results, error) {
	return run(e, o, func(r *runner) []step {
		return []step{{"servers", r.newServers}, {"scale", r.scale}}
	})
}

// step is one part of a run.
type step struct {
	name string
	f    func() error
}

func run(e Env, o Options, steps func(*runner) []step) (*Results, error) {
	o = o.withDefaults()
	if len(o.Upstream) == 0 {
		return nil, fmt.Errorf("bench.Run: Options.Upstream is required")
	}
	if err := e.check(); err != nil {
		return nil, err
	}
	r := &runner{Env: e, o: o, res: &Results{}}
	r.describe()
	defer r.close()
	for _, s := range steps(r) {
		r.logf("== %s", s.name)
		if err := s.f(); err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
	}
	r.res.Machine.LoadEnd = loadAvg()
	return r.res, nil
}

func (r *runner) describe() {
	m := &r.res.Machine
	m.When = time.Now().UTC().Format(time.RFC3339)
	m.CPUs, m.Go, m.CPU = runtime.NumCPU(), runtime.Version(), cpuModel()
	if out, err := exec.Command(r.Node(), "--version").Output(); err == nil {
		m.Node = strings.TrimSpace(string(out))
	}
	m.LoadStart = loadAvg()
	opts := &r.res.Options
	opts.Rounds, opts.PerRound, opts.NodePerRound, opts.FanOut = r.o.Rounds, r.o.PerRound, r.o.NodePerRound, r.o.FanOut
	opts.HTTPDuration = r.o.HTTPDuration.String()
}

func loadAvg() float64 {
	data, _ := os.ReadFile("/proc/loadavg")
	var l float64
	fmt.Sscan(string(data), &l)
	return l
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

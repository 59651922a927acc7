package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// Throughput is a closed-loop load of trivial executions over streamable
// HTTP: Clients sessions, each sending its next execute as soon as the last
// one answered. cmd/mcp-codemode's TestLoad is its test counterpart.
type Throughput struct {
	Clients   int     `json:"clients"`
	Requests  int     `json:"requests"`
	Failures  int64   `json:"failures"`
	PerSecond float64 `json:"per_second"`
	Latency
	Isolation    string `json:"isolation"` // codemode.isolation: "process" (hosted mode's default) or "inprocess"
	FirstFailure string `json:"first_failure,omitempty"`
	// ServerCPU is the CPU time the server used per execution, in ms: the
	// serving process and its sandbox workers, user and system. Unlike
	// PerSecond it hardly depends on what else the machine runs, so the
	// ratio of the isolations' ServerCPU is the ratio of their throughputs
	// on a machine the server has to itself (when both are CPU-bound).
	ServerCPU float64 `json:"server_cpu_ms_per_exec,omitempty"`
	// WorkerCPU is the part of ServerCPU that its sandbox workers used.
	WorkerCPU float64 `json:"worker_cpu_ms_per_exec,omitempty"`
	elapsed   time.Duration
}

// httpClients connects n mcp-go clients, each in its own session, on the
// 2025-06-18 protocol as the TypeScript SDK speaks it.
func httpClients(url string, n int) ([]*client.Client, error) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * n}}
	cs := make([]*client.Client, n)
	for i := range cs {
		tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPBasicClient(hc))
		if err != nil {
			return cs, err
		}
		c := client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20250618))
		cs[i] = c
		if err := c.Start(context.Background()); err != nil {
			return cs, err
		}
		req := mcp.InitializeRequest{}
		req.Params.ProtocolVersion = mcp.ProtocolVersion20250618
		req.Params.ClientInfo = mcp.Implementation{Name: "mcp-codemode-bench", Version: "1"}
		if _, err := c.Initialize(context.Background(), req); err != nil {
			return cs, fmt.Errorf("initialize over %s: %w", url, err)
		}
	}
	return cs, nil
}

func callExecute(c *client.Client, code string) error {
	req := mcp.CallToolRequest{}
	req.Params.Name = "execute"
	req.Params.Arguments = map[string]any{"code": code}
	r, err := c.CallTool(context.Background(), req)
	if err != nil {
		return err
	}
	if r.IsError {
		return fmt.Errorf("execute answered isError: %+v", r.Content)
	}
	return nil
}

// httpSide is one server under load in interleaved rounds (loadSides),
// with its clients and what each round measured.
type httpSide struct {
	h         *hostedServer
	cs        []*client.Client
	isolation string
	requests  int
	failures  int64
	first     string
	elapsed   time.Duration
	cpu       cpuTree // used during the rounds: own, and its workers'
	latencies []time.Duration
}

// newSide connects n clients to h and warms each session.
func newSide(h *hostedServer, n int, isolation string) (*httpSide, error) {
	cs, err := httpClients(h.url, n)
	side := &httpSide{h: h, cs: cs, isolation: isolation}
	if err != nil {
		side.close()
		return nil, err
	}
	for _, c := range cs {
		if err := callExecute(c, TrivialJS); err != nil {
			side.close()
			return nil, err
		}
	}
	return side, nil
}

func (s *httpSide) close() {
	for _, c := range s.cs {
		if c != nil {
			c.Close()
		}
	}
}

// loadSides loads each side for d in all, in rounds: every side for d /
// rounds in turn, the order reversed every other round, so that what the
// machine does meanwhile weighs on every side alike and their ratios are
// side by side. Each side is first loaded for d / 10 unmeasured: what a
// server does when the load first comes (a pool starting the workers its
// reaper stopped during the last lull, a heap growing to its size under
// this load) is not its throughput under the load.
func loadSides(sides []*httpSide, rounds int, d time.Duration) error {
	for _, s := range sides {
		t, _ := load(s.cs, TrivialJS, d/10)
		s.failures += t.Failures // counted, as the rounds' are
		if s.first == "" {
			s.first = t.FirstFailure
		}
	}
	rounds = max(rounds, 1)
	for round := range rounds {
		for i := range sides {
			s := sides[i]
			if round%2 == 1 {
				s = sides[len(sides)-1-i]
			}
			if err := s.load(d / time.Duration(rounds)); err != nil {
				return err
			}
		}
	}
	return nil
}

// load runs the side's clients for d once, adding to what it measured.
func (s *httpSide) load(d time.Duration) error {
	pid := s.h.cmd.Process.Pid
	before, err := treeCPU(pid)
	if err != nil {
		return err
	}
	t, lat := load(s.cs, TrivialJS, d)
	after, err := treeCPU(pid)
	if err != nil {
		return err
	}
	s.requests += t.Requests
	s.failures += t.Failures
	if s.first == "" {
		s.first = t.FirstFailure
	}
	s.elapsed += t.elapsed
	s.cpu.own += after.own - before.own
	s.cpu.reaped += after.reaped - before.reaped
	s.cpu.live += after.live - before.live
	s.latencies = append(s.latencies, lat...)
	return nil
}

// throughput is what the side's rounds measured, together.
func (s *httpSide) throughput() Throughput {
	t := Throughput{Clients: len(s.cs), Requests: s.requests, Failures: s.failures, Latency: Summarize(s.latencies),
		Isolation: s.isolation, FirstFailure: s.first}
	if s.elapsed > 0 {
		t.PerSecond = float64(s.requests) / s.elapsed.Seconds()
	}
	if s.requests > 0 {
		per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(s.requests) }
		t.ServerCPU, t.WorkerCPU = per(s.cpu.total()), per(s.cpu.children())
	}
	return t
}

// cpuTree is the CPU time a process and its children used so far.
type cpuTree struct {
	own    time.Duration // the process's own
	reaped time.Duration // its children's that ended
	live   time.Duration // its children's that run
}

func (c cpuTree) total() time.Duration    { return c.own + c.children() }
func (c cpuTree) children() time.Duration { return c.reaped + c.live }

// treeCPU is the CPU time process pid and its children used so far. The
// difference of two is exact across children that start or end in
// between: one reaped meanwhile moves from the live to the reaped count,
// whole.
func treeCPU(pid int) (cpuTree, error) {
	own, err := procStat(pid)
	if err != nil {
		return cpuTree{}, err
	}
	t := cpuTree{own: own.utime + own.stime, reaped: own.cutime + own.cstime}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		child, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if st, err := procStat(child); err == nil && st.ppid == pid {
			t.live += st.utime + st.stime
		}
	}
	return t, nil
}

// stat are the fields of /proc/PID/stat that treeCPU reads.
type stat struct {
	ppid                         int
	utime, stime, cutime, cstime time.Duration
}

// clockTick is the unit of /proc's CPU times (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

func procStat(pid int) (stat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, err
	}
	// The command name, in parentheses, may hold spaces: count from after it.
	i := bytes.LastIndexByte(data, ')')
	f := strings.Fields(string(data[i+1:])) // f[0] is field 3, the state
	if i < 0 || len(f) < 15 {
		return stat{}, fmt.Errorf("/proc/%d/stat: unexpected %q", pid, data)
	}
	n := func(field int) int64 { v, _ := strconv.ParseInt(f[field-3], 10, 64); return v }
	tick := func(field int) time.Duration { return time.Duration(n(field)) * clockTick }
	return stat{ppid: int(n(4)), utime: tick(14), stime: tick(15), cutime: tick(16), cstime: tick(17)}, nil
}

// load runs the clients for d, and returns each execution's latency too.
func load(cs []*client.Client, code string, d time.Duration) (Throughput, []time.Duration) {
	var failures atomic.Int64
	var first atomic.Value
	lat := make([][]time.Duration, len(cs))
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				t := time.Now()
				err := callExecute(c, code)
				lat[i] = append(lat[i], time.Since(t))
				if err != nil {
					failures.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	t := Throughput{Clients: len(cs), Requests: len(all), Failures: failures.Load(),
		PerSecond: float64(len(all)) / elapsed.Seconds(), elapsed: elapsed}
	if f, ok := first.Load().(string); ok {
		t.FirstFailure = f
	}
	return t, all
}

// RunHTTP measures only the throughput over streamable HTTP
// (Results.HTTP): 1, 8 and 64 clients, worker processes and in process,
// in under a minute.
func RunHTTP(e Env, o Options) (*Results, error) {
	return run(e, o, func(r *runner) []step {
		return []step{{"servers", r.newServers}, {"http", r.http}}
	})
}

// HTTPMarkdown writes the throughput table and, for each number of
// clients, the throughput of worker processes over that in process
// (issue 18's target: ≥ 0.75), with the server's CPU per execution in
// each and their inverse ratio: what the throughputs' ratio is when both
// are CPU-bound on a machine the server has to itself. On a machine that
// others load, the CPU ratio is the figure to trust.
func (r *Results) HTTPMarkdown(w io.Writer) {
	r.throughput(w)
	fmt.Fprintln(w, "| clients | process / inprocess (executions/s) | server CPU per execution, process: parent + workers | inprocess | inprocess / process (CPU) |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|")
	for _, n := range []int{1, 8, 64} {
		in, pr := r.httpAt(n, "inprocess"), r.httpAt(n, "process")
		if in.PerSecond > 0 && pr.ServerCPU > 0 {
			fmt.Fprintf(w, "| %d | %.2f× | %s + %s | %s | %.2f× |\n", n, pr.PerSecond/in.PerSecond,
				msf(pr.ServerCPU-pr.WorkerCPU), msf(pr.WorkerCPU), msf(in.ServerCPU), in.ServerCPU/pr.ServerCPU)
		}
	}
	fmt.Fprintln(w)
}

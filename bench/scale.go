package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// How cost grows with the size of a deployment (issue 18): the same
// trivial execution with 50, 1,000 and 5,000 tools, in process and over
// stdio, the heap of an execution waiting in a tool call, and the build of
// the execute description with hundreds to thousands of namespaces. The
// tool counts are measured side by side, interleaved in the same rounds.

// ScaleTools are the tool counts of the curve; the first is the baseline.
var ScaleTools = []int{50, 1000, 5000}

// ScaleNamespaces are the namespace counts of the description build.
var ScaleNamespaces = []int{500, 1000, 2000, 5000}

// Scale are the figures of the curves.
type Scale struct {
	Tools      []ToolsPoint      `json:"tools"`
	Namespaces []NamespacesPoint `json:"namespaces"`
}

// ToolsPoint is a trivial execution with Tools tools (bindings over 5
// namespaces in process; one upstream of that many tools over stdio).
type ToolsPoint struct {
	Tools int `json:"tools"`
	// SetUp sets its runtime up (spares off); Spare starts from one.
	SetUp Alloc   `json:"cold_start_js"`
	Spare Latency `json:"cold_start_spare_js"`
	// Stdio and StdioApart are the round trip over stdio (official SDK
	// client), back to back and StdioGap apart.
	Stdio      Latency `json:"stdio_trivial"`
	StdioApart Latency `json:"stdio_trivial_apart"`
	// IdleHeapPerExec is the live heap of an execution waiting in a tool
	// call, 100 at once, in bytes.
	IdleHeapPerExec int64 `json:"idle_heap_per_exec"`
	// HTTP is the throughput over streamable HTTP at ScaleClients
	// clients, with worker processes and in process.
	HTTP []Throughput `json:"http"`
}

// ScaleClients are the HTTP clients of the curve.
const ScaleClients = 64

// httpAt is the throughput of p with isolation, or the zero one.
func (p ToolsPoint) httpAt(isolation string) Throughput {
	return first(p.HTTP, func(t Throughput) bool { return t.Isolation == isolation })
}

// NamespacesPoint is the build of the execute description (server.New
// with a registry of Namespaces namespaces of 3 tools each: typegen, the
// compact index, the search index).
type NamespacesPoint struct {
	Namespaces int     `json:"namespaces"`
	Build      Latency `json:"build"`
}

// toolsAt is the point of n tools, or the zero point.
func (s *Scale) toolsAt(n int) ToolsPoint {
	return first(s.Tools, func(p ToolsPoint) bool { return p.Tools == n })
}

func (s *Scale) namespacesAt(n int) NamespacesPoint {
	return first(s.Namespaces, func(p NamespacesPoint) bool { return p.Namespaces == n })
}

// scaleSamples collects the durations of one tool count.
type scaleSamples struct {
	setUp, spare, stdio, apart []time.Duration
	bytes                      uint64
	d                          *driver
}

// scale measures the curves.
func (r *runner) scale() error {
	ss := make([]*scaleSamples, len(ScaleTools))
	defer func() {
		for _, s := range ss {
			if s != nil && s.d != nil {
				s.d.close()
			}
		}
	}()
	for i, n := range ScaleTools {
		config, err := r.servers.toolsConfig(n, "")
		if err != nil {
			return err
		}
		ss[i] = &scaleSamples{}
		if ss[i].d, err = r.servers.stdio(config); err != nil {
			return err
		}
		// An upstream call waits for the upstream's tools: then every
		// execution has bindings for all n.
		if err := ss[i].d.do(map[string]any{"op": "time", "n": 5, "code": UpstreamCallJS}, &durations{}); err != nil {
			return fmt.Errorf("%d tools: %w", n, err)
		}
	}
	for round := range r.o.Rounds {
		r.logf("scale round %d/%d", round+1, r.o.Rounds)
		for i, n := range ScaleTools {
			if err := r.scaleRound(n, ss[i]); err != nil {
				return fmt.Errorf("%d tools: %w", n, err)
			}
		}
	}
	res := &Scale{}
	for i, n := range ScaleTools {
		s := ss[i]
		heap, err := IdleHeapPerExecutionTools(100, n)
		if err != nil {
			return err
		}
		res.Tools = append(res.Tools, ToolsPoint{
			Tools: n, SetUp: Alloc{Summarize(s.setUp), int64(s.bytes / uint64(max(len(s.setUp), 1)))},
			Spare: Summarize(s.spare), Stdio: Summarize(s.stdio), StdioApart: Summarize(s.apart), IdleHeapPerExec: heap,
		})
		r.logf("%d tools: set up %.2f ms, spare %.3f ms, stdio %.2f / %.2f ms apart, heap %s", n,
			res.Tools[i].SetUp.P50, res.Tools[i].Spare.P50, res.Tools[i].Stdio.P50, res.Tools[i].StdioApart.P50, kb(heap))
	}
	if err := r.scaleHTTP(res.Tools); err != nil {
		return err
	}
	var err error
	res.Namespaces, err = r.describeCurve()
	r.res.Scale = res
	return err
}

// scaleRound measures n tools PerRound times each way.
func (r *runner) scaleRound(n int, s *scaleSamples) error {
	opts := coldOptions()
	opts.Bindings = Bindings(n)
	b, err := timeColdStartWith(opts, TrivialJS, SetUp, r.o.PerRound, &s.setUp)
	if err != nil {
		return err
	}
	s.bytes += b
	if _, err := timeColdStartWith(opts, TrivialJS, FromSpare, r.o.PerRound, &s.spare); err != nil {
		return err
	}
	for _, p := range []struct {
		gap time.Duration
		ds  *[]time.Duration
	}{{0, &s.stdio}, {StdioGap, &s.apart}} {
		var d durations
		if err := s.d.do(map[string]any{"op": "time", "n": r.o.PerRound, "code": TrivialJS, "gap": p.gap.Milliseconds()}, &d); err != nil {
			return err
		}
		*p.ds = append(*p.ds, fromMS(d.Durations)...)
	}
	return nil
}

// scaleHTTP loads a server of each number of tools over streamable HTTP
// with ScaleClients clients, with worker processes and in process, all in
// the same interleaved rounds.
func (r *runner) scaleHTTP(points []ToolsPoint) error {
	var hs []*hostedServer
	defer func() {
		for _, h := range hs {
			h.close()
		}
	}()
	var isolations []string
	for _, p := range points {
		for _, isolation := range []string{"process", "inprocess"} {
			config, err := r.servers.toolsConfig(p.Tools, isolation)
			if err != nil {
				return err
			}
			h, err := r.servers.http(config)
			if err != nil {
				return fmt.Errorf("%d tools over HTTP: %w", p.Tools, err)
			}
			hs, isolations = append(hs, h), append(isolations, isolation)
		}
	}
	ts, err := r.sides(ScaleClients, hs, isolations)
	if err != nil {
		return fmt.Errorf("tools over HTTP: %w", err)
	}
	for i, t := range ts {
		p := &points[i/2]
		r.logf("%d tools over HTTP, %d clients (%s): %.0f/s, %d failures", p.Tools, ScaleClients, t.Isolation, t.PerSecond, t.Failures)
		p.HTTP = append(p.HTTP, t)
	}
	return nil
}

// describeCurve times the description build at each of ScaleNamespaces.
func (r *runner) describeCurve() ([]NamespacesPoint, error) {
	var out []NamespacesPoint
	for _, n := range ScaleNamespaces {
		reg, err := namespacesRegistry(n)
		if err != nil {
			return nil, err
		}
		var ds []time.Duration
		for range max(r.o.Rounds, 1) {
			t := time.Now()
			DescribeRegistry(reg)
			ds = append(ds, time.Since(t))
		}
		out = append(out, NamespacesPoint{Namespaces: n, Build: Summarize(ds)})
		r.logf("description build, %d namespaces: %.0f ms", n, out[len(out)-1].Build.P50)
	}
	return out, nil
}

// DescribeRegistry builds a server over reg, which builds the execute
// description, and returns it.
func DescribeRegistry(reg *tools.Registry) string {
	return server.New(reg, server.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Description()
}

// namespacesRegistry is a registry of n namespaces of 3 tools each, too
// many to declare in the description: it carries the compact index.
func namespacesRegistry(n int) (*tools.Registry, error) {
	reg := tools.NewRegistry(tools.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	schema := json.RawMessage(`{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}`)
	var ts []tools.Tool
	never := func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
		return nil, errors.New("not called")
	}
	for i := range n {
		ns := fmt.Sprintf("service_%04d", i)
		for _, name := range []string{"get_item", "list_items", "update_item"} {
			ts = append(ts, tools.NewTool(ns, name, "A tool of "+ns+".", schema, never))
		}
	}
	return reg, reg.Add(ts...)
}

// toolsConfig writes the configuration of a server whose one upstream
// serves n tools, with codemode.isolation isolation ("" for the default).
func (s *Servers) toolsConfig(n int, isolation string) (string, error) {
	path := filepath.Join(s.dir, fmt.Sprintf("tools-%d%s.json", n, isolation))
	up := s.Upstream
	s.Upstream = append(up[:len(up):len(up)], strconv.Itoa(n))
	defer func() { s.Upstream = up }()
	codemode := map[string]any{}
	if isolation != "" {
		codemode["isolation"] = isolation
	}
	return path, s.writeConfig(path, codemode)
}

// Targets checks the curves against the targets of issue 18.
func (s *Scale) Targets() []Target {
	base, top := s.toolsAt(ScaleTools[0]), s.toolsAt(ScaleTools[len(ScaleTools)-1])
	grow := func(a, b float64) float64 {
		if a == 0 {
			return 0
		}
		return b / a
	}
	row := func(name string, want float64, got float64) Target {
		return Target{name, fmt.Sprintf("≤ %.1f×", want), fmt.Sprintf("%.2f×", got), got > 0 && got <= want}
	}
	ns2k, ns500, ns5k := s.namespacesAt(2000), s.namespacesAt(500), s.namespacesAt(5000)
	perNS := grow(ns500.Build.P50/500, ns5k.Build.P50/5000)
	return []Target{
		row(fmt.Sprintf("execute over stdio, trivial, back to back (p50): %d tools vs %d", top.Tools, base.Tools), 1.3, grow(base.Stdio.P50, top.Stdio.P50)),
		row(fmt.Sprintf("the same, %d ms apart", StdioGap.Milliseconds()), 1.3, grow(base.StdioApart.P50, top.StdioApart.P50)),
		row(fmt.Sprintf("heap per waiting execution: %d tools vs %d", top.Tools, base.Tools), 1.5, grow(float64(base.IdleHeapPerExec), float64(top.IdleHeapPerExec))),
		s.httpTarget("inprocess"), s.httpTarget("process"),
		{"description build, 2,000 namespaces (p50)", "≤ 3 s", msf(ns2k.Build.P50), ns2k.Build.N > 0 && ns2k.Build.P50 <= 3000},
		row("description build, near-linear: time per namespace at 5,000 vs 500", 2, perNS),
	}
}

// httpTarget is the throughput at 1,000 tools against 50, at least 0.8×.
func (s *Scale) httpTarget(isolation string) Target {
	base, at := s.toolsAt(ScaleTools[0]).httpAt(isolation), s.toolsAt(1000).httpAt(isolation)
	got := 0.0
	if base.PerSecond > 0 {
		got = at.PerSecond / base.PerSecond
	}
	return Target{fmt.Sprintf("HTTP executions/s, %d clients, isolation %s: 1,000 tools vs %d", ScaleClients, isolation, ScaleTools[0]),
		"≥ 0.8×", fmt.Sprintf("%.2f× (%.0f/s vs %.0f/s)", got, at.PerSecond, base.PerSecond), got >= 0.8 && at.Failures == 0}
}

// Markdown writes the curves as a table of docs/benchmarks.md.
func (s *Scale) Markdown(w io.Writer) {
	fmt.Fprintln(w, "### Scale: the trivial script as the tools grow (side by side, interleaved rounds)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| tools | cold start JS, setting up (p50) | allocated | from a spare (p50) | stdio, back to back (p50 / p99) | stdio, 5 ms apart (p50 / p99) | heap per waiting execution |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|")
	for _, p := range s.Tools {
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s / %s | %s / %s | %s |\n", p.Tools, msf(p.SetUp.P50), kb(p.SetUp.BytesPerOp), msf(p.Spare.P50),
			msf(p.Stdio.P50), msf(p.Stdio.P99), msf(p.StdioApart.P50), msf(p.StdioApart.P99), kb(p.IdleHeapPerExec))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "| tools | streamable HTTP, %d clients, worker processes (executions/s, p50) | in process |\n", ScaleClients)
	fmt.Fprintln(w, "|---:|---:|---:|")
	for _, p := range s.Tools {
		proc, in := p.httpAt("process"), p.httpAt("inprocess")
		fmt.Fprintf(w, "| %d | %.0f/s, %s | %.0f/s, %s |\n", p.Tools, proc.PerSecond, msf(proc.P50), in.PerSecond, msf(in.P50))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| namespaces (3 tools each) | execute description build (server.New, p50) | per namespace |")
	fmt.Fprintln(w, "|---:|---:|---:|")
	for _, p := range s.Namespaces {
		fmt.Fprintf(w, "| %d | %s | %.1f µs |\n", p.Namespaces, msf(p.Build.P50), p.Build.P50*1000/float64(p.Namespaces))
	}
	fmt.Fprintln(w)
}

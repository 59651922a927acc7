package bench

import (
	"fmt"
	"io"
	"strings"
)

// Target is one goal of the performance issue and whether a run met it.
type Target struct {
	Name string
	Want string
	Got  string
	Met  bool
}

// Targets checks the results against the targets of the issue.
func (r *Results) Targets() []Target {
	http64, in64 := r.httpAt(64, "process"), r.httpAt(64, "inprocess")
	fan100 := r.fanAt(100)
	spareJS, setUpJS := r.ColdStartSpareJS, r.ColdStartJS.Latency
	var curves []Target
	if r.Scale != nil {
		curves = r.Scale.Targets()
	}
	if r.Workspace != nil {
		curves = append(curves, r.Workspace.Targets()...)
	}
	curves = append(curves, r.ResultTargets()...)
	return append(append([]Target{
		{"execute round trip over stdio, trivial, back to back (p50)", "≤ 0.5 ms", msf(r.StdioTrivial.P50), r.StdioTrivial.N > 0 && r.StdioTrivial.P50 <= 0.5},
		{"execute round trip over stdio, trivial, 5 ms apart (p50)", "≤ 1.5 ms", msf(r.StdioTrivialApart.P50), r.StdioTrivialApart.P50 <= 1.5},
		{"cold start, plain JS, from a spare (p50)", "≤ 0.5 ms", msf(spareJS.P50), spareJS.P50 <= 0.5},
		{"cold start, plain JS, setting its runtime up (p50)", "≤ 0.5 ms", msf(setUpJS.P50), setUpJS.P50 <= 0.5},
		{"cold start, TypeScript, from a spare (p50)", "≤ 1 ms", msf(r.ColdStartSpareTS.P50), r.ColdStartSpareTS.P50 <= 1},
		{"cold start, TypeScript, setting its runtime up (p50)", "≤ 1 ms", msf(r.ColdStartTS.P50), r.ColdStartTS.P50 <= 1},
		{"vs node subprocess, per execution (cold start JS from a spare)", "≥ 50×", times(ratio(spareJS, r.NodeSubprocess)), ratio(spareJS, r.NodeSubprocess) >= 50},
		{"vs node subprocess, per execution (cold start JS setting its runtime up)", "≥ 50×", times(ratio(setUpJS, r.NodeSubprocess)), ratio(setUpJS, r.NodeSubprocess) >= 50},
		{"vs node subprocess, per execution (stdio round trip, back to back)", "≥ 50×", times(ratio(r.StdioTrivial, r.NodeSubprocess)), ratio(r.StdioTrivial, r.NodeSubprocess) >= 50},
		{"vs node subprocess, per execution (stdio round trip, 5 ms apart)", "≥ 50×", times(ratio(r.StdioTrivialApart, r.NodeSubprocess)), ratio(r.StdioTrivialApart, r.NodeSubprocess) >= 50},
		{"vs in-process isolate peer (QuickJS), cold start JS from a spare", "≥ 5×", times(ratio(spareJS, r.QuickJS)), ratio(spareJS, r.QuickJS) >= 5},
		{"vs in-process isolate peer (QuickJS), cold start JS setting its runtime up", "≥ 5×", times(ratio(setUpJS, r.QuickJS)), ratio(setUpJS, r.QuickJS) >= 5},
		{"Promise.all of 100 × 50 ms calls (p50)", "≤ 80 ms", msf(fan100.P50), fan100.N > 0 && fan100.P50 <= 80},
		{"heap per idle execution", "≤ 1 MB", fmt.Sprintf("%.2f MB", float64(r.Memory.IdleHeapPerExecByte)/(1<<20)), r.Memory.IdleHeapPerExecByte <= 1<<20},
		{"idle server RSS (stdio)", "≤ 30 MB", fmt.Sprintf("%.1f MB", r.Memory.IdleRSSMB), r.Memory.IdleRSSMB <= 30},
		{"trivial executions/s over HTTP, 64 clients, no failure (default process isolation)", "≥ 2,000/s", fmt.Sprintf("%.0f/s, %d failures", http64.PerSecond, http64.Failures), http64.PerSecond >= 2000 && http64.Failures == 0 && http64.Clients > 0},
		{"the same, isolation inprocess", "≥ 3,000/s", fmt.Sprintf("%.0f/s, %d failures", in64.PerSecond, in64.Failures), in64.PerSecond >= 3000 && in64.Failures == 0 && in64.Clients > 0},
		r.workersTarget(http64, in64),
	}, r.utcpTargets()...), curves...)
}

// workersTarget is issue 18's: worker processes at least 0.75× of in
// process, 64 clients.
func (r *Results) workersTarget(proc, in Throughput) Target {
	got := 0.0
	if in.PerSecond > 0 {
		got = proc.PerSecond / in.PerSecond
	}
	return Target{"HTTP executions/s, 64 clients, worker processes vs in process", "≥ 0.75×", fmt.Sprintf("%.2f×", got), got >= 0.75}
}

// utcpTargets are issue 18's "≥ 10× the UTCP peer end to end": our
// execute over stdio against its callToolChain, each script.
func (r *Results) utcpTargets() []Target {
	u := r.UTCP
	if u == nil {
		return []Target{{"vs the UTCP code-mode peer, end to end", "≥ 10×", "not measured: " + r.UTCPMissing, false}}
	}
	row := func(name string, ours, theirs Latency) Target {
		v := ratio(ours, theirs)
		return Target{name, "≥ 10×", times(v), v >= 10}
	}
	return []Target{
		row("vs the UTCP code-mode peer, end to end, trivial script (stdio back to back vs callToolChain)", r.StdioTrivial, u.Trivial),
		row("vs the UTCP code-mode peer, end to end, one upstream call", r.StdioUpstream, u.Call),
	}
}

func (r *Results) httpAt(n int, isolation string) Throughput {
	return first(r.HTTP, func(t Throughput) bool { return t.Clients == n && t.Isolation == isolation })
}

func (r *Results) fanAt(n int) Fan {
	return first(r.FanOut, func(f Fan) bool { return f.N == n })
}

func msf(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	case v < 0.1:
		return fmt.Sprintf("%.3f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

func times(v float64) string {
	if v < 0.1 {
		return fmt.Sprintf("%.3f×", v)
	}
	if v >= 10 {
		return fmt.Sprintf("%.0f×", v)
	}
	return fmt.Sprintf("%.1f×", v)
}

func kb(b int64) string {
	if b >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(b)/(1<<20))
	}
	return fmt.Sprintf("%.0f KB", float64(b)/1024)
}

// Markdown writes the results as the tables of docs/benchmarks.md.
func (r *Results) Markdown(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "Run %s on %d × %s, Go %s, Node %s; load average %.1f at the start, %.1f at the end. "+
		"%d interleaved rounds of %d executions per contender (node subprocess: %d per round).\n\n",
		m.When, m.CPUs, m.CPU, strings.TrimPrefix(m.Go, "go"), strings.TrimPrefix(m.Node, "v"), m.LoadStart, m.LoadEnd,
		r.Options.Rounds, r.Options.PerRound, r.Options.NodePerRound)
	r.perExecution(w)
	r.endToEnd(w)
	r.throughput(w)
	r.memoryTable(w)
	if r.Scale != nil {
		r.Scale.Markdown(w)
	}
	r.resultsTable(w)
	if r.Workspace != nil {
		fmt.Fprintln(w, "### Workspace: a write and a list as the files grow (side by side, interleaved rounds)")
		fmt.Fprintln(w)
		r.Workspace.Table(w)
	}
	r.targetTable(w)
}

// resultsTable is the result curve: execute over stdio against the SDK
// client calling the same tool.
func (r *Results) resultsTable(w io.Writer) {
	if len(r.ResultSizes) == 0 {
		return
	}
	fmt.Fprintln(w, "### Results: a tool's result through execute as it grows, against the official SDK client in Node calling the same tool")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| result | execute over stdio (p50 / p99) | Node SDK client, the tool directly (p50 / p99) | execute / Node | server RSS growth |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, p := range r.ResultSizes {
		node := msf(p.Node.P50) + " / " + msf(p.Node.P99)
		if p.Refused != "" {
			fmt.Fprintf(w, "| %s %s | refused: %s | %s | | |\n", p.Kind, sizeText(p.Bytes), strings.ReplaceAll(p.Refused, "|", "\\|"), node)
			continue
		}
		fmt.Fprintf(w, "| %s %s | %s / %s | %s | %s | %.1f MB (%s the payload) |\n", p.Kind, sizeText(p.Bytes), msf(p.Execute.P50), msf(p.Execute.P99),
			node, times(p.Execute.P50/p.Node.P50), p.RSSGrowthMB, times(p.RSSGrowthMB*(1<<20)/float64(p.Bytes)))
	}
	fmt.Fprintln(w)
}

func (r *Results) perExecution(w io.Writer) {
	fmt.Fprintln(w, "### Per execution: the trivial script, 50 tool bindings")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| contender | p50 | p99 | allocated | mcp-codemode (JS, from a spare) is faster by | mcp-codemode (JS, setting its runtime up) is faster by |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	row := func(name string, l Latency, alloc string) {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", name, msf(l.P50), msf(l.P99), alloc,
			times(ratio(r.ColdStartSpareJS, l)), times(ratio(r.ColdStartJS.Latency, l)))
	}
	row("**mcp-codemode** cold start, plain JS, from a spare runtime (the request path)", r.ColdStartSpareJS, "")
	row("**mcp-codemode** cold start, TypeScript, from a spare runtime", r.ColdStartSpareTS, "")
	row("**mcp-codemode** cold start, plain JS, setting its runtime up (spares off)", r.ColdStartJS.Latency, kb(r.ColdStartJS.BytesPerOp))
	row("**mcp-codemode** cold start, TypeScript, setting its runtime up", r.ColdStartTS.Latency, kb(r.ColdStartTS.BytesPerOp))
	row("**mcp-codemode** cold start, plain JS, setting its runtime up, Go's default collector (the rest: the binary's tuning)", r.ColdStartDefaultGC, "")
	row("**mcp-codemode** server.Execute with one tool call (in process)", r.InProcessCall, "")
	row("floor: `goja.New()` + the precompiled script, no sandbox (not a contender)", r.GojaFloor, "")
	row("QuickJS (quickjs-emscripten): fresh runtime + context, in process", r.QuickJS, "")
	row("node:vm: fresh context, in process (no isolation; scale only)", r.NodeVM, "")
	row("`node -e` subprocess per execution", r.NodeSubprocess, "")
	fmt.Fprintln(w)
}

func (r *Results) endToEnd(w io.Writer) {
	fmt.Fprintln(w, "### End to end over stdio (official TypeScript SDK client, built binary, upstream over stdio)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| execute | p50 | p99 | vs `node -e` subprocess (p50) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	fmt.Fprintf(w, "| trivial script, back to back | %s | %s | %s |\n", msf(r.StdioTrivial.P50), msf(r.StdioTrivial.P99), times(ratio(r.StdioTrivial, r.NodeSubprocess)))
	fmt.Fprintf(w, "| trivial script, calls %d ms apart (a spare runtime is ready) | %s | %s | %s |\n", StdioGap.Milliseconds(),
		msf(r.StdioTrivialApart.P50), msf(r.StdioTrivialApart.P99), times(ratio(r.StdioTrivialApart, r.NodeSubprocess)))
	if r.StdioServerCPU > 0 {
		fmt.Fprintf(w, "| the server's CPU per trivial execution, back to back (/proc: user + system) | %s | | |\n", msf(r.StdioServerCPU))
	}
	fmt.Fprintf(w, "| one upstream call (echo) | %s | %s | %s |\n", msf(r.StdioUpstream.P50), msf(r.StdioUpstream.P99), times(ratio(r.StdioUpstream, r.NodeSubprocess)))
	if r.StdioUpstreamServerCPU > 0 {
		fmt.Fprintf(w, "| the server's CPU per execution with one upstream call, back to back (the upstream's own per call) | %s (%s) | | |\n",
			msf(r.StdioUpstreamServerCPU), msf(r.UpstreamCPU))
	}
	fmt.Fprintf(w, "| no execution: an MCP ping (the transport's floor), back to back | %s | %s | %s |\n", msf(r.StdioPing.P50), msf(r.StdioPing.P99), times(ratio(r.StdioPing, r.NodeSubprocess)))
	fmt.Fprintf(w, "| no execution: an MCP ping, %d ms apart (waking an idle client and server) | %s | %s | %s |\n", StdioGap.Milliseconds(),
		msf(r.StdioPingApart.P50), msf(r.StdioPingApart.P99), times(ratio(r.StdioPingApart, r.NodeSubprocess)))
	for _, f := range r.FanOut {
		fmt.Fprintf(w, "| Promise.all of %d × sleep 50 ms | %s | %s | sequential would be %d ms |\n", f.N, msf(f.P50), msf(f.P99), 50*f.N)
	}
	fmt.Fprintln(w)
	r.utcpTable(w)
}

// utcpTable compares execute over stdio with the UTCP peer's callToolChain.
func (r *Results) utcpTable(w io.Writer) {
	fmt.Fprintln(w, "### End to end against the UTCP code-mode peer (@utcp/code-mode, isolated-vm, same upstream over stdio)")
	fmt.Fprintln(w)
	u := r.UTCP
	if u == nil {
		fmt.Fprintf(w, "Not measured: %s\n\n", r.UTCPMissing)
		return
	}
	fmt.Fprintf(w, "%d tools registered through UTCP's MCP call template; Node %s.\n\n", u.Tools, strings.TrimPrefix(u.Node, "v"))
	fmt.Fprintln(w, "| script | mcp-codemode, execute over stdio (p50 / p99) | UTCP callToolChain (p50 / p99) | mcp-codemode is faster by |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	for _, c := range []struct {
		name         string
		ours, theirs Latency
	}{{"trivial", r.StdioTrivial, u.Trivial}, {"one upstream call (echo)", r.StdioUpstream, u.Call}} {
		fmt.Fprintf(w, "| %s | %s / %s | %s / %s | %s |\n", c.name, msf(c.ours.P50), msf(c.ours.P99), msf(c.theirs.P50), msf(c.theirs.P99), times(ratio(c.ours, c.theirs)))
	}
	fmt.Fprintln(w)
}

func (r *Results) throughput(w io.Writer) {
	fmt.Fprintln(w, "### Throughput over streamable HTTP (trivial script, closed loop, one session per client)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| isolation | clients | executions/s | p50 | p99 | executions | failures | server CPU per execution (of it workers) |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, t := range r.HTTP {
		iso, cpu := "`inprocess`", msf(t.ServerCPU)
		if t.Isolation == "process" {
			iso, cpu = "`process` (hosted default: worker pool)", fmt.Sprintf("%s (%s)", msf(t.ServerCPU), msf(t.WorkerCPU))
		}
		fmt.Fprintf(w, "| %s | %d | %.0f | %s | %s | %d | %d | %s |\n", iso, t.Clients, t.PerSecond, msf(t.P50), msf(t.P99), t.Requests, t.Failures, cpu)
	}
	fmt.Fprintln(w)
}

func (r *Results) memoryTable(w io.Writer) {
	m := r.Memory
	fmt.Fprintln(w, "### Memory and typegen")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| figure | value |")
	fmt.Fprintln(w, "|---|---:|")
	fmt.Fprintf(w, "| RSS of the idle server, stdio, after one execution (anonymous %.1f MB, file pages %.1f MB; before any execution %.1f MB) | %.1f MB |\n",
		m.IdleAnonMB, m.IdleFileMB, m.StartRSSMB, m.IdleRSSMB)
	fmt.Fprintf(w, "| RSS of the idle server, streamable HTTP (the parent; its worker processes apart) | %.1f MB |\n", m.IdleRSSHTTPMB)
	fmt.Fprintf(w, "| RSS growth during 100 concurrent executions (stdio server with memory_limit_mb %d; peak − before; before %.1f MB) | %.1f MB |\n",
		WideLimitMB, m.RSSBefore100MB, m.RSSPeak100MB-m.RSSBefore100MB)
	fmt.Fprintf(w, "| RSS of that server after they answered / of the first stdio server at the end of the run | %.1f MB / %.1f MB |\n", m.RSSAfter100MB, m.EndRSSMB)
	if m.Failures100 > 0 {
		fmt.Fprintf(w, "| of the 100 concurrent executions, failed (first: %s) | %d |\n", strings.ReplaceAll(m.FirstFailure100, "|", "\\|"), m.Failures100)
	}
	fmt.Fprintf(w, "| live heap per idle execution (in process, waiting in a tool call) | %s |\n", kb(m.IdleHeapPerExecByte))
	fmt.Fprintf(w, "| typegen.Declarations for %d tools (p50 / p99) | %s / %s, %s allocated, %d bytes out |\n",
		r.TypegenN, msf(r.Typegen.P50), msf(r.Typegen.P99), kb(r.Typegen.BytesPerOp), r.TypegenOut)
	fmt.Fprintln(w)
}

func (r *Results) targetTable(w io.Writer) {
	fmt.Fprintln(w, "### Targets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | wanted | measured | |")
	fmt.Fprintln(w, "|---|---:|---:|---|")
	for _, t := range r.Targets() {
		mark := "met"
		if !t.Met {
			mark = "**missed**"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.Name, t.Want, t.Got, mark)
	}
	fmt.Fprintln(w)
}

package bench

import (
	"fmt"
	"html"
	"io"
	"math"
)

// bar is one row of the chart; a bar with a heading and no latency starts
// a section.
type bar struct {
	label   string
	l       Latency
	ours    bool
	heading string
}

func (r *Results) bars() []bar {
	bs := []bar{
		{heading: "Per execution: the trivial script, 50 tools"},
		{label: "mcp-codemode cold start, JS, spare runtime", l: r.ColdStartSpareJS, ours: true},
		{label: "mcp-codemode cold start, TS, spare runtime", l: r.ColdStartSpareTS, ours: true},
		{label: "mcp-codemode cold start, JS, runtime set up in the run", l: r.ColdStartJS.Latency, ours: true},
		{label: "mcp-codemode cold start, TS, runtime set up in the run", l: r.ColdStartTS.Latency, ours: true},
		{label: "mcp-codemode execute over stdio (SDK client)", l: r.StdioTrivial, ours: true},
		{label: "mcp-codemode execute over stdio, calls 5 ms apart", l: r.StdioTrivialApart, ours: true},
		{label: "mcp-codemode execute + 1 upstream call, stdio", l: r.StdioUpstream, ours: true},
		{label: "QuickJS wasm, fresh runtime (in process)", l: r.QuickJS},
		{label: "node:vm, fresh context (no isolation)", l: r.NodeVM},
		{label: "node -e subprocess per execution", l: r.NodeSubprocess},
	}
	if u := r.UTCP; u != nil {
		bs = append(bs, bar{label: "UTCP code-mode (isolated-vm), trivial", l: u.Trivial},
			bar{label: "UTCP code-mode, 1 upstream call", l: u.Call})
	}
	return append(bs, r.curveBars()...)
}

// curveBars are the curves of issue 18: the same figure side by side at
// each size.
func (r *Results) curveBars() []bar {
	var bs []bar
	if r.Scale != nil && len(r.Scale.Tools) > 0 {
		bs = append(bs, bar{heading: "As the tools grow: execute over stdio, trivial, back to back"})
		for _, p := range r.Scale.Tools {
			bs = append(bs, bar{label: fmt.Sprintf("%d tools", p.Tools), l: p.Stdio, ours: true})
		}
	}
	if len(r.ResultSizes) > 0 {
		bs = append(bs, bar{heading: "As the result grows: execute over stdio (blue) vs the Node SDK client (grey)"})
		for _, p := range r.ResultSizes {
			if p.Refused == "" {
				bs = append(bs, bar{label: fmt.Sprintf("%s %s, execute", p.Kind, sizeText(p.Bytes)), l: p.Execute, ours: true})
			}
			bs = append(bs, bar{label: fmt.Sprintf("%s %s, Node SDK client", p.Kind, sizeText(p.Bytes)), l: p.Node})
		}
	}
	if f := r.Workspace; f != nil {
		bs = append(bs, bar{heading: "As the workspace grows: a small write, a list of 10 files"})
		for _, p := range f.Files {
			bs = append(bs, bar{label: fmt.Sprintf("write, %d files", p.Files), l: p.Write, ours: true},
				bar{label: fmt.Sprintf("list, %d files", p.Files), l: p.List, ours: true})
		}
		bs = append(bs, bar{label: "write, empty workspace", l: f.EmptyWrite, ours: true},
			bar{label: "write, 99 of 100 MB used", l: f.FullWrite, ours: true})
	}
	return bs
}

// Chart layout, in SVG user units.
const (
	chartW, labelW, rowH, top = 940.0, 360.0, 34.0, 56.0
	plotW                     = chartW - labelW - 130
)

// SVG writes a horizontal bar chart of the p50 per execution, on a log
// scale, each bar labelled with its p50 and p99.
func (r *Results) SVG(w io.Writer) {
	bars := r.bars()
	lo, hi := 0.1, 1000.0
	for _, b := range bars {
		for b.l.P50 > 0 && b.l.P50 < lo {
			lo /= 10
		}
		for b.l.P99 > hi {
			hi *= 10
		}
	}
	x := func(v float64) float64 {
		v = math.Max(v, lo)
		return labelW + plotW*math.Log10(v/lo)/math.Log10(hi/lo)
	}
	h := top + rowH*float64(len(bars)) + 40
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="13">`+"\n", chartW, h, chartW, h)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(w, `<text x="10" y="22" font-size="16" font-weight="bold">Time per execution (p50, log scale; whisker to p99)</text>`+"\n")
	fmt.Fprintf(w, `<text x="10" y="42" fill="#555">blue: mcp-codemode; grey: peers in the same run. %d × %s, load %.1f–%.1f, %s</text>`+"\n", r.Machine.CPUs, html.EscapeString(r.Machine.CPU), r.Machine.LoadStart, r.Machine.LoadEnd, r.Machine.When)
	for v := lo; v <= hi*1.001; v *= 10 {
		fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="#ddd"/>`+"\n", x(v), x(v), top-4, h-30)
		fmt.Fprintf(w, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%s</text>`+"\n", x(v), h-14, tick(v))
	}
	for i, b := range bars {
		y := top + rowH*float64(i)
		if b.heading != "" {
			fmt.Fprintf(w, `<text x="10" y="%.1f" font-weight="bold">%s</text>`+"\n", y+rowH/2+8, html.EscapeString(b.heading))
			continue
		}
		fill := "#9aa5b1"
		if b.ours {
			fill = "#2b7bb9"
		}
		fmt.Fprintf(w, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", labelW-8, y+rowH/2+4, html.EscapeString(b.label))
		fmt.Fprintf(w, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`+"\n", labelW, y+5, x(b.l.P50)-labelW, rowH-10, fill)
		fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#333"/>`+"\n", x(b.l.P50), x(b.l.P99), y+rowH/2, y+rowH/2)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f">%s</text>`+"\n", x(b.l.P99)+6, y+rowH/2+4, msf(b.l.P50))
	}
	fmt.Fprintln(w, `</svg>`)
}

func tick(v float64) string {
	if v >= 1 {
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%g ms", v)
}

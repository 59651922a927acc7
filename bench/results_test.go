package bench

import (
	"bytes"
	"strings"
	"testing"
)

// TestResultsReport renders made-up result and workspace curves: ratios
// against Node and the targets, met or missed.
func TestResultsReport(t *testing.T) {
	r := &Results{ResultSizes: []ResultPoint{
		{Kind: "text", Bytes: 10 << 20, Execute: Latency{3, 900, 900}, Node: Latency{3, 100, 100}, RSSGrowthMB: 50},
		{Kind: "json", Bytes: 1 << 20, Execute: Latency{3, 300, 300}, Node: Latency{3, 50, 50}, RSSGrowthMB: 5},
		{Kind: "json", Bytes: 10 << 20, Node: Latency{3, 500, 500}, Refused: "too large"},
	}}
	var md bytes.Buffer
	r.ResultsMarkdown(&md)
	for _, want := range []string{
		"| text 10 MB | 900 ms | 100 ms | 9.0× | 50 MB (5.0× the payload) |",
		"| json 10 MB | refused: too large | 500 ms | | |",
		"10 MB text result through execute against the Node SDK client: want ≤ 10×, got 9.0×: met",
		"1 MB JSON result through execute against the Node SDK client: want ≤ 5.0×, got 6.0×: MISSED",
		"server RSS growth with a 10 MB text result: want ≤ 4× the payload, got 5.0×: MISSED",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	w := &WorkspaceFigures{Files: []WorkspacePoint{{100, Latency{1, 0.2, 0.2}, Latency{1, 0.1, 0.1}}, {10000, Latency{1, 0.3, 0.3}, Latency{1, 0.5, 0.5}}},
		EmptyWrite: Latency{1, 0.2, 0.2}, FullWrite: Latency{1, 0.2, 0.2}}
	md.Reset()
	w.Markdown(&md)
	for _, want := range []string{"workspace write, 10000 files against 100: want ≤ 2×, got 1.5×: met",
		"workspace prefix list, 10000 files against 100: want ≤ 2×, got 5.0×: MISSED",
		"workspace write near the quota against empty: want ≤ 2×, got 1.0×: met"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

// TestReportCurves renders made-up results with every curve and the UTCP
// peer: their tables, their rows in the targets table, and their sections
// of the chart.
func TestReportCurves(t *testing.T) {
	r := &Results{StdioTrivial: Latency{10, 0.4, 1}, StdioUpstream: Latency{10, 0.8, 2}, StdioServerCPU: 0.35,
		StdioUpstreamServerCPU: 0.5, UpstreamCPU: 0.2,
		UTCP:  &UTCPFigures{Node: "v20.20.2", Tools: 50, Trivial: Latency{10, 6, 9}, Call: Latency{10, 7, 10}},
		Scale: &Scale{Tools: []ToolsPoint{{Tools: 50, Stdio: Latency{10, 0.4, 1}}, {Tools: 5000, Stdio: Latency{10, 0.6, 1}}}},
		ResultSizes: []ResultPoint{{Kind: "text", Bytes: 10 << 20, Execute: Latency{3, 900, 900}, Node: Latency{3, 100, 100}, RSSGrowthMB: 50},
			{Kind: "json", Bytes: 1 << 20, Execute: Latency{3, 100, 100}, Node: Latency{3, 50, 50}, RSSGrowthMB: 2}},
		Workspace: &WorkspaceFigures{Files: []WorkspacePoint{{100, Latency{1, 0.2, 0.3}, Latency{1, 0.1, 0.1}}, {10000, Latency{1, 0.3, 0.3}, Latency{1, 0.5, 0.5}}},
			EmptyWrite: Latency{1, 0.2, 0.2}, FullWrite: Latency{1, 0.2, 0.2}},
	}
	var md, svg bytes.Buffer
	r.Markdown(&md)
	for _, want := range []string{
		"| trivial | 0.40 ms / 1.00 ms | 6.00 ms / 9.00 ms | 15× |",
		"| the server's CPU per trivial execution, back to back (/proc: user + system) | 0.35 ms | | |",
		"| one upstream call (echo) | 0.80 ms / 2.00 ms | 7.00 ms / 10.0 ms | 8.8× |",
		"| the server's CPU per execution with one upstream call, back to back (the upstream's own per call) | 0.50 ms (0.20 ms) | | |",
		"| vs the UTCP code-mode peer, end to end, trivial script (stdio back to back vs callToolChain) | ≥ 10× | 15× | met |",
		"| vs the UTCP code-mode peer, end to end, one upstream call | ≥ 10× | 8.8× | **missed** |",
		"| execute round trip over stdio, trivial, back to back (p50) | ≤ 0.5 ms | 0.40 ms | met |",
		"| text 10 MB | 900 ms / 900 ms | 100 ms / 100 ms | 9.0× | 50.0 MB (5.0× the payload) |",
		"| 10000 files | 0.30 ms / 0.30 ms | 0.50 ms / 0.50 ms |",
		"| 10 MB text result through execute against the Node SDK client | ≤ 10× | 9.0× | met |",
		"| workspace prefix list, 10000 files against 100 | ≤ 2× | 5.0× | **missed** |",
		"| execute over stdio, trivial, back to back (p50): 5000 tools vs 50 | ≤ 1.3× | 1.50× | **missed** |",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	r.SVG(&svg)
	for _, want := range []string{"UTCP code-mode (isolated-vm), trivial", "As the tools grow", "5000 tools",
		"json 1 MB, Node SDK client", "As the workspace grows", "write, 99 of 100 MB used"} {
		if !strings.Contains(svg.String(), want) {
			t.Errorf("chart lacks %q", want)
		}
	}
	r.UTCP, r.UTCPMissing = nil, "the UTCP peer is not installed"
	md.Reset()
	r.Markdown(&md)
	if want := "| vs the UTCP code-mode peer, end to end | ≥ 10× | not measured: the UTCP peer is not installed | **missed** |"; !strings.Contains(md.String(), want) {
		t.Errorf("markdown lacks %q:\n%s", want, md.String())
	}
}

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

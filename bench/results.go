package bench

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// How the cost of a call grows with the size of its result (issue 18): an
// upstream tool returns text or a JSON array of 1 KB, 1 MB and 10 MB; a
// script returns it through execute over stdio, and the official SDK
// client in Node calls the same tool of the same upstream directly. Both
// are timed in the same rounds, interleaved.

// ResultCase is one payload: Kind "text" or "json", of Bytes bytes.
type ResultCase struct {
	Kind  string
	Bytes int
}

// ResultCases are the payloads of the curve.
var ResultCases = []ResultCase{
	{"text", 1 << 10}, {"text", 1 << 20}, {"text", 10 << 20},
	{"json", 1 << 10}, {"json", 1 << 20}, {"json", 10 << 20},
}

// ResultPoint is the figures of one payload.
type ResultPoint struct {
	Kind  string `json:"kind"`
	Bytes int    `json:"bytes"`
	// Execute is a script returning the tool's result through execute
	// over stdio; Node is the SDK client calling the tool directly.
	Execute Latency `json:"execute"`
	Node    Latency `json:"node"`
	// RSSGrowthMB is the largest growth of the server's resident set
	// during a round of calls over its size before the round.
	RSSGrowthMB float64 `json:"rss_growth_mb"`
	// Refused says why execute refused the payload, when it did.
	Refused string `json:"refused,omitempty"`
}

// resultCode is the script returning the tool's result of c, or its
// length when the result is larger than execute may return (8 MB with the
// default limits): the payload then reaches the script, not the client.
func resultCode(c ResultCase) string {
	if c.Bytes > 8<<20 {
		return fmt.Sprintf("const r = await bench.%s({ bytes: %d });\nreturn r.length;", c.Kind, c.Bytes)
	}
	return fmt.Sprintf("return await bench.%s({ bytes: %d });", c.Kind, c.Bytes)
}

// addPayloadTools adds text and json to the upstream s.
func addPayloadTools(s *mcpserver.MCPServer) {
	for _, kind := range []string{"text", "json"} {
		s.AddTool(mcp.NewTool(kind, mcp.WithDescription("Returns {bytes} bytes of "+kind+"."),
			mcp.WithNumber("bytes", mcp.Required())),
			func(_ context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				return mcp.NewToolResultText(payload(kind, req.GetInt("bytes", 0))), nil
			})
	}
}

var payloads sync.Map // "kind bytes" → string

// payload is about n bytes of text (words and newlines) or of a JSON
// array of small objects, made once per size.
func payload(kind string, n int) string {
	key := kind + " " + strconv.Itoa(n)
	if v, ok := payloads.Load(key); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(n + 128)
	if kind == "json" {
		b.WriteByte('[')
		for i := 0; b.Len() < n-80; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"id":%d,"name":"item %d","done":%t,"score":%d.5,"tags":["a","b"]}`, i, i, i%2 == 0, i%100)
		}
		b.WriteByte(']')
	} else {
		for i := 0; b.Len() < n; i++ {
			fmt.Fprintf(&b, "line %d: the quick brown fox jumps over the lazy dog\n", i)
		}
	}
	s := b.String()
	if kind == "text" {
		s = s[:n]
	}
	payloads.Store(key, s)
	return s
}

// callsPerRound is how many calls of a payload of n bytes a round makes.
func callsPerRound(n, per int) int {
	switch {
	case n >= 10<<20:
		return max(per/50, 2)
	case n >= 1<<20:
		return max(per/10, 3)
	}
	return per
}

// RunResults measures the result curve alone.
func RunResults(e Env, o Options) (*Results, error) {
	return run(e, o, func(r *runner) []step {
		return []step{{"servers", r.newServers}, {"results", r.results}}
	})
}

// resultSamples collects the figures of one case.
type resultSamples struct {
	execute, node []time.Duration
	growth        float64
	refused       string
}

// results measures ResultCases.
func (r *runner) results() error {
	ours, err := r.servers.stdio(r.servers.Config)
	if err != nil {
		return err
	}
	defer ours.close()
	node, err := r.startDriver("stdio.mjs", r.servers.Upstream...)
	if err != nil {
		return err
	}
	defer node.close()
	var pid struct{ PID int }
	if err := ours.do(map[string]any{"op": "pid"}, &pid); err != nil {
		return err
	}
	if err := ours.do(map[string]any{"op": "time", "n": 5, "code": UpstreamCallJS}, &durations{}); err != nil {
		return err
	}
	// One unmeasured call of each case on both sides: the first result of
	// a size runs code nothing ran before, whose pages the server maps then
	// (the first idle trim dropped startup's), and the RSS growth is about
	// the payload.
	for _, c := range ResultCases {
		_ = ours.do(map[string]any{"op": "time", "n": 1, "code": resultCode(c)}, &durations{}) // a refusal shows in the rounds
		if err := node.do(map[string]any{"op": "tool", "n": 1, "name": c.Kind, "args": map[string]any{"bytes": c.Bytes}}, &durations{}); err != nil {
			return fmt.Errorf("node: %w", err)
		}
	}
	ss := make([]resultSamples, len(ResultCases))
	for round := range r.o.Rounds {
		r.logf("results round %d/%d", round+1, r.o.Rounds)
		for i, c := range ResultCases {
			if err := r.resultRound(ours, node, pid.PID, c, &ss[i]); err != nil {
				return fmt.Errorf("%s of %d bytes: %w", c.Kind, c.Bytes, err)
			}
		}
	}
	for i, c := range ResultCases {
		p := ResultPoint{Kind: c.Kind, Bytes: c.Bytes, Execute: Summarize(ss[i].execute), Node: Summarize(ss[i].node),
			RSSGrowthMB: ss[i].growth, Refused: ss[i].refused}
		r.res.ResultSizes = append(r.res.ResultSizes, p)
		r.logf("%s %d bytes: execute %.2f ms, node %.2f ms, RSS +%.1f MB %s", c.Kind, c.Bytes, p.Execute.P50, p.Node.P50, p.RSSGrowthMB, p.Refused)
	}
	return nil
}

// resultRound times one round of c through execute, sampling the server's
// RSS, then directly from Node.
func (r *runner) resultRound(ours, node *driver, pid int, c ResultCase, s *resultSamples) error {
	n := callsPerRound(c.Bytes, r.o.PerRound)
	if s.refused == "" {
		before, err := rssMB(pid)
		if err != nil {
			return err
		}
		stop, peak := make(chan struct{}), make(chan float64)
		go func() { peak <- peakRSS(pid, stop) }()
		var d durations
		err = ours.do(map[string]any{"op": "time", "n": n, "code": resultCode(c)}, &d)
		close(stop)
		s.growth = max(s.growth, <-peak-before)
		if err != nil {
			s.refused = firstLine(err.Error())
		}
		s.execute = append(s.execute, fromMS(d.Durations)...)
	}
	var d durations
	if err := node.do(map[string]any{"op": "tool", "n": n, "name": c.Kind, "args": map[string]any{"bytes": c.Bytes}}, &d); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	s.node = append(s.node, fromMS(d.Durations)...)
	return nil
}

// firstLine is s up to its first newline, at most 300 bytes.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

// ResultsMarkdown prints the result curve and its targets.
func (r *Results) ResultsMarkdown(w io.Writer) {
	fmt.Fprintln(w, "| result | execute p50 | Node SDK p50 | ratio | server RSS growth |")
	fmt.Fprintln(w, "|---|---|---|---|---|")
	for _, p := range r.ResultSizes {
		got := fmt.Sprintf("%s | %s | %s | %.0f MB (%s the payload)", msf(p.Execute.P50), msf(p.Node.P50),
			times(p.Execute.P50/p.Node.P50), p.RSSGrowthMB, times(p.RSSGrowthMB*(1<<20)/float64(p.Bytes)))
		if p.Refused != "" {
			got = "refused: " + p.Refused + " | " + msf(p.Node.P50) + " | |"
		}
		fmt.Fprintf(w, "| %s %s | %s |\n", p.Kind, sizeText(p.Bytes), got)
	}
	fmt.Fprintln(w)
	PrintTargets(w, r.ResultTargets())
}

// sizeText is 1 KB, 1 MB or 10 MB.
func sizeText(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", n>>10)
}

// resultAt is the point of c, or the zero one.
func (r *Results) resultAt(c ResultCase) ResultPoint {
	return first(r.ResultSizes, func(p ResultPoint) bool { return p.Kind == c.Kind && p.Bytes == c.Bytes })
}

// ResultTargets are issue 18's: a 10 MB text ≤ 10× and a 1 MB JSON ≤ 5×
// Node's time, RSS growth ≤ 4× the payload.
func (r *Results) ResultTargets() []Target {
	text, js := r.resultAt(ResultCase{"text", 10 << 20}), r.resultAt(ResultCase{"json", 1 << 20})
	if text.Bytes == 0 || js.Bytes == 0 {
		return nil
	}
	ratio := func(name string, p ResultPoint, want float64) Target {
		v := p.Execute.P50 / p.Node.P50
		return Target{Name: name, Want: "≤ " + times(want), Got: times(v), Met: v <= want && p.Refused == ""}
	}
	growth := text.RSSGrowthMB * (1 << 20) / float64(text.Bytes)
	return []Target{
		ratio("10 MB text result through execute against the Node SDK client", text, 10),
		ratio("1 MB JSON result through execute against the Node SDK client", js, 5),
		{Name: "server RSS growth with a 10 MB text result", Want: "≤ 4× the payload", Got: times(growth), Met: growth <= 4},
	}
}

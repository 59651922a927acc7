package bench

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

var full = flag.Bool("bench.quick", false, "run the whole benchmark (Quick options) once: builds the binary, a few minutes")

// TestMain lets the test binary serve as the benchmark's stdio upstream.
func TestMain(m *testing.M) {
	if len(os.Args) >= 2 && os.Args[1] == UpstreamArg {
		if err := ServeUpstreamArgs(os.Args[2:]); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestPeers runs each contender of the per-execution table twice.
func TestPeers(t *testing.T) {
	e := testEnv(t)
	if err := e.check(); err != nil {
		t.Fatal(err)
	}
	var ds []time.Duration
	for _, start := range []Start{SetUp, FromSpare} {
		if _, err := timeColdStart(TrivialTS, start, 2, &ds); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.timeNodeSubprocess(TrivialJS, 1, &ds); err != nil {
		t.Fatal(err)
	}
	d, err := e.startDriver("peers.mjs")
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	for _, peer := range []string{"quickjs", "vm"} {
		if err := timePeer(d, peer, TrivialJS, 2, &ds); err != nil {
			t.Fatal(err)
		}
	}
	if len(ds) != 9 {
		t.Errorf("%d durations, want 9", len(ds))
	}
}

// TestQuick runs the whole program's measurements with the Quick options
// when asked with -bench.quick; CI does not.
func TestQuick(t *testing.T) {
	if !*full {
		t.Skip("the whole benchmark runs with -bench.quick")
	}
	e := testEnv(t)
	o := Quick
	o.Upstream, o.Log = []string{os.Args[0], UpstreamArg}, io.Discard
	res, err := Run(e, o)
	if err != nil {
		t.Fatal(err)
	}
	var md bytes.Buffer
	res.Markdown(&md)
	t.Log(md.String())
}

// TestReport renders made-up results as Markdown and as well-formed SVG.
func TestReport(t *testing.T) {
	r := &Results{ColdStartJS: Alloc{Latency{10, 1, 2}, 1 << 19}, ColdStartSpareJS: Latency{10, 0.5, 1}, NodeSubprocess: Latency{10, 50, 60},
		StdioTrivial: Latency{10, 2, 3}, FanOut: []Fan{{100, Latency{1, 60, 60}}},
		HTTP: []Throughput{{Clients: 64, PerSecond: 2500, Isolation: "process"}}}
	r.Memory.IdleRSSMB = 20
	var md, svg bytes.Buffer
	r.Markdown(&md)
	for _, want := range []string{"| `node -e` subprocess per execution | 50.0 ms | 60.0 ms |  | 100× | 50× |",
		"| Promise.all of 100 × 50 ms calls (p50) | ≤ 80 ms | 60.0 ms | met |"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
	r.SVG(&svg)
	dec := xml.NewDecoder(&svg)
	for {
		if _, err := dec.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("SVG: %v", err)
		}
	}
}

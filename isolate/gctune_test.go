package isolate

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/internal/gctune"
	"github.com/mcp-codemode/mcp-codemode/internal/procs"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// The user's GOGC and GOMAXPROCS, and nothing else of the parent's
// environment, reach the workers.
func TestWorkerEnvGOGC(t *testing.T) {
	for _, c := range []struct {
		env         map[string]string
		want, want2 string // the GOGC and GOMAXPROCS entries, or ""
	}{
		{map[string]string{}, "", ""},
		{map[string]string{"GOGC": "", "GOMAXPROCS": ""}, "", ""},
		{map[string]string{"GOGC": "100", "PATH": "/bin", "SECRET": "x"}, "GOGC=100", ""},
		{map[string]string{"GOGC": "off", "GOMEMLIMIT": "1GiB", "GOMAXPROCS": "3"}, "GOGC=off", "GOMAXPROCS=3"},
	} {
		env := workerEnv(&Options{WorkerMemory: 1 << 30}, func(k string) (string, bool) {
			v, ok := c.env[k]
			return v, ok
		})
		var gogc, procs string
		for _, kv := range env {
			switch {
			case strings.HasPrefix(kv, "GOGC="):
				gogc = kv
			case strings.HasPrefix(kv, "GOMAXPROCS="):
				procs = kv
			case strings.HasPrefix(kv, "MCP_CODEMODE_"), kv == "GOTRACEBACK=none":
			default:
				t.Errorf("%v: the worker's environment has %q", c.env, kv)
			}
		}
		if gogc != c.want || procs != c.want2 {
			t.Errorf("%v: GOGC entry %q and GOMAXPROCS entry %q, want %q and %q", c.env, gogc, procs, c.want, c.want2)
		}
	}
}

// A worker started by a pool whose process has GOGC set has it too.
func TestWorkerGetsGOGC(t *testing.T) {
	t.Setenv("GOGC", "off")
	p := newPool(t, Options{Size: 1})
	for _, pid := range p.Workers() {
		env, err := os.ReadFile("/proc/" + itoa(pid) + "/environ")
		if err != nil {
			t.Skipf("no /proc: %v", err)
		}
		if !slices.Contains(strings.Split(string(env), "\x00"), "GOGC=off") {
			t.Errorf("worker environment: %q", env)
		}
	}
}

// Each run sets the tuner's headroom to half its memory limit, at most
// gctune.DefaultHeadroom.
func TestServeSetsHeadroom(t *testing.T) {
	var mu sync.Mutex
	var set []int
	var live atomic.Int64
	live.Store(2 << 20)
	tuner := gctune.NewWith(gctune.Effects{
		SetGCPercent: func(p int) int { mu.Lock(); set = append(set, p); mu.Unlock(); return 100 },
		LiveHeap:     live.Load,
	})
	tuner.Start()
	defer tuner.Stop()

	w := startServe(t, tuner, nil)
	var percents [][]int
	for _, limit := range []int64{10 << 20, 0, 10 << 20, 10 << 20} {
		w.run(runRequest{Code: "return 1", MemoryLimit: limit})
		mu.Lock()
		percents = append(percents, slices.Clone(set))
		mu.Unlock()
	}
	w.stop()
	// 2 MB live: 400 with 64 MB of headroom (the default limit, 128 MB),
	// 175 with 5 MB (a 10 MB limit; the minimum heap bounds it).
	if got := percents[0]; len(got) < 2 || got[0] != 400 || got[len(got)-1] != 175 {
		t.Errorf("after a run with a 10 MB limit: percents set %v, want 400 then 175 last", got)
	}
	if got := percents[1]; got[len(got)-1] != 400 {
		t.Errorf("after a run with the default limit: percents set %v, want 400 last", got)
	}
	if got := percents[3]; got[len(got)-1] != 175 || len(got) != len(percents[2]) {
		t.Errorf("after two runs with a 10 MB limit: percents set %v, then %v; want 175, set once", percents[2], got)
	}
}

// A worker counts each run in its governor of processors (procs): the
// run's Short timer is set when it starts and stopped when it ends, and a
// run that lasts Short puts the worker on all its processors.
func TestServeGovernsProcessors(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	var short []func()
	var timers, stopped int
	gov := procs.NewWith(procs.Effects{
		One: func() { mu.Lock(); calls = append(calls, "one"); mu.Unlock() },
		All: func() { mu.Lock(); calls = append(calls, "all"); mu.Unlock() },
		Now: time.Now,
		AfterFunc: func(d time.Duration, f func()) func() bool {
			mu.Lock()
			defer mu.Unlock()
			if d != procs.Short {
				return func() bool { return true }
			}
			timers++
			short = append(short, f)
			return func() bool { mu.Lock(); stopped++; mu.Unlock(); return true }
		},
		LiveHeap: func() int64 { return 0 },
	})
	gov.Start()
	w := startServeWith(t, nil, nil, gov)
	defer w.stop()
	w.run(runRequest{Code: "return 1", Seq: 1})
	w.run(runRequest{Code: "return 2", Seq: 2})
	mu.Lock()
	if timers != 2 || stopped != 2 || !slices.Equal(calls, []string{"one"}) {
		t.Errorf("two short runs: %d timers set, %d stopped, effects %v; want 2, 2, [one]", timers, stopped, calls)
	}
	mu.Unlock()

	// A run that lasts: its timer fires while it waits for a tool call.
	if err := newWriter(w.in).send(kindRun, runRequest{Code: "return await ns.m({})", Seq: 3,
		Bindings: []sandbox.Binding{{Object: "ns", Method: "m", ID: "m"}}}); err != nil {
		t.Fatal(err)
	}
	w.next(kindCall)
	mu.Lock()
	fire := short[len(short)-1]
	mu.Unlock()
	fire()
	mu.Lock()
	if !slices.Equal(calls, []string{"one", "all"}) {
		t.Errorf("a run that lasted Short: effects %v, want [one all]", calls)
	}
	mu.Unlock()
}

// A worker returns its free memory once idle for idleTrimAfter after it
// started and after each run; never during a run.
func TestServeIdleTrim(t *testing.T) {
	trims := make(chan time.Time, 10)
	started := time.Now()
	w := startServe(t, nil, func() { trims <- time.Now() })
	defer w.stop()
	if first := <-trims; first.Sub(started) < idleTrimAfter {
		t.Errorf("trimmed %v after starting; want %v or more", first.Sub(started), idleTrimAfter)
	}
	w.run(runRequest{Code: fmt.Sprintf("const t = Date.now(); while (Date.now() - t < %d) {}", 2*idleTrimAfter.Milliseconds())})
	done := time.Now()
	select {
	case <-trims:
		t.Fatal("trimmed during the run")
	default:
	}
	if after := (<-trims).Sub(done); after < idleTrimAfter-10*time.Millisecond {
		t.Errorf("trimmed %v after the run; want %v or more", after, idleTrimAfter)
	}
}

// A worker's idle trim releases the executable's pages the first time only:
// startup is over then, and what runs use is mapped back once.
func TestIdleTrimReleasesOnce(t *testing.T) {
	releases := 0
	trim := idleTrim(func() (int64, error) { releases++; return 0, nil })
	for i := range 3 {
		trim()
		if releases != 1 {
			t.Fatalf("after %d trims: %d releases, want 1", i+1, releases)
		}
	}
}

// served is a worker serving on pipes, for the tests.
type served struct {
	t      *testing.T
	in     *io.PipeWriter
	frames *bufio.Reader
	done   chan error
}

func startServe(t *testing.T, tuner *gctune.Tuner, trim func()) *served {
	return startServeWith(t, tuner, trim, nil)
}

// startServeWith is startServe with a governor of the worker's processors.
func startServeWith(t *testing.T, tuner *gctune.Tuner, trim func(), gov *procs.Governor) *served {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	w := &served{t: t, in: inW, frames: bufio.NewReader(outR), done: make(chan error, 1)}
	go func() { w.done <- serve(inR, outW, Limits{}, tuner, trim, gov); outW.Close() }()
	w.next(kindReady)
	return w
}

// next reads frames up to one of the kind.
func (w *served) next(kind byte) {
	w.t.Helper()
	for {
		f, err := readFrame(w.frames)
		if err != nil {
			w.t.Fatalf("waiting for frame %c: %v", kind, err)
		}
		if f.kind == kind {
			return
		}
	}
}

// run sends a run request and waits for its end.
func (w *served) run(req runRequest) {
	w.t.Helper()
	if err := newWriter(w.in).send(kindRun, req); err != nil {
		w.t.Fatal(err)
	}
	w.next(kindDone)
}

func (w *served) stop() {
	w.in.Close()
	<-w.done
}

// BenchmarkWorkerCPU measures the CPU a worker spends per execution of a
// trivial script with 50 bindings (user and system time of the worker
// process, all threads, collector included), run one after the other.
// Run with: go test -run '^$' -bench WorkerCPU -benchtime 3000x ./isolate
func BenchmarkWorkerCPU(b *testing.B) {
	var bindings []sandbox.Binding
	for i := range 50 {
		bindings = append(bindings, sandbox.Binding{Object: "ns" + itoa(i%5), Method: "m" + itoa(i), ID: itoa(i)})
	}
	opts := sandbox.Options{Bindings: bindings}
	p := newPool(b, Options{Size: 1})
	for range 50 { // warm up
		p.Run(context.Background(), "return 1", echo, opts)
	}
	pids := p.Workers()
	if len(pids) != 1 {
		b.Fatalf("workers %v", pids)
	}
	before := cpuTicks(pids[0])
	for b.Loop() {
		if res := p.Run(context.Background(), "return 1", echo, opts); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
	after := cpuTicks(pids[0])
	if !slices.Equal(p.Workers(), pids) {
		b.Fatalf("the worker was replaced: %v, then %v", pids, p.Workers())
	}
	b.ReportMetric(float64(after-before)*10/float64(b.N), "worker-cpu-ms/op") // 100 ticks a second
	b.ReportMetric(float64(rssKB(pids[0]))/1024, "worker-rss-MB")
}

// rssKB is the resident memory of a process, from /proc/PID/status.
func rssKB(pid int) int64 {
	b, _ := os.ReadFile("/proc/" + itoa(pid) + "/status")
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0
}

package bench

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/hosted"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/typegen"
)

// The in-process figures of the benchmark program, for go test -bench and
// pprof:
//
//	go test -run '^$' -bench . -benchmem ./bench
//	go test -run '^$' -bench ColdStart/js -cpuprofile cpu.out ./bench && go tool pprof -top -cum cpu.out

// BenchmarkColdStart is one execution in a fresh runtime with 50
// bindings: js and ts set their runtimes up (spares off), the whole cost
// per execution; spare-js and spare-ts start from a spare runtime set up
// with the clock stopped, the request path.
func BenchmarkColdStart(b *testing.B) {
	for _, c := range []struct{ name, code string }{{"js", TrivialJS}, {"ts", TrivialTS}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := ColdStart(c.code); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("spare-"+c.name, func(b *testing.B) {
			opts := coldOptions()
			opts.Spares = sandbox.NewSpares(sandbox.DefaultSpares)
			for range b.N {
				b.StopTimer()
				if err := opts.Spares.Prepare(opts); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := coldStart(c.code, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGojaFloor is GojaFloor: the cold start's distance from it is
// the sandbox's own work.
func BenchmarkGojaFloor(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if err := GojaFloor(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecute is server.Execute with one call of a built-in tool: the
// server's work in a round trip, without a transport.
func BenchmarkExecute(b *testing.B) {
	s, err := NewInProcessServer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := Execute(s, UpstreamCallJS); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecuteTools is server.Execute of the trivial script as the
// tools grow: what of the server's work grows with them.
func BenchmarkExecuteTools(b *testing.B) {
	for _, n := range []int{50, 5000} {
		s, err := NewInProcessServerN(n)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := Execute(s, TrivialJS); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResultJSON is server.Execute and the result's formatting of a
// script returning a tool's 1 MB JSON array: the server's part of the
// results curve's 1 MB JSON row.
func BenchmarkResultJSON(b *testing.B) {
	s, err := NewInProcessServer()
	if err != nil {
		b.Fatal(err)
	}
	code := resultCode(ResultCase{"json", 1 << 20})
	b.ReportAllocs()
	for b.Loop() {
		res := s.Execute(context.Background(), code)
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		if r := server.Format(res, 1<<20); r.IsError {
			b.Fatal(r.Content)
		}
	}
}

// BenchmarkFanOut is Promise.all of N calls to a binding that sleeps 50 ms,
// in process.
func BenchmarkFanOut(b *testing.B) {
	sleep := sandbox.CallerFunc(func(ctx context.Context, _ string, _ json.RawMessage) (json.RawMessage, error) {
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
		}
		return json.RawMessage(`50`), nil
	})
	for _, n := range []int{1, 10, 100} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			code := `const r = await Promise.all(Array.from({ length: ` + strconv.Itoa(n) + ` }, () => server0.tool_00({ ms: 50 })));
return { ok: r.length === ` + strconv.Itoa(n) + ` };`
			for b.Loop() {
				res := sandbox.Run(context.Background(), code, sleep, sandbox.Options{Bindings: Bindings(50)})
				if res.Err != nil || string(res.Value) != `{"ok":true}` {
					b.Fatal(res.Err, string(res.Value))
				}
			}
		})
	}
}

// BenchmarkTypegen1000 declares the 1,008 tools of Corpus1000.
func BenchmarkTypegen1000(b *testing.B) {
	e := testEnv(b)
	ns, err := e.Corpus1000()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		typegen.Declarations(ns, typegen.Options{})
	}
}

// BenchmarkHTTP is trivial executions from 1, 8 and 64 mcp-go clients
// over streamable HTTP, server in this process (so pprof sees both ends);
// ns/op is the inverse of the throughput.
func BenchmarkHTTP(b *testing.B) {
	s, err := NewInProcessServer()
	if err != nil {
		b.Fatal(err)
	}
	h, err := hosted.New(hosted.Options{Server: s, Loopback: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Config: config.Codemode{MaxSessionsPerSubject: 64}}) // the clients are one subject
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	for _, n := range []int{1, 8, 64} {
		b.Run(strconv.Itoa(n), func(b *testing.B) { benchmarkClients(b, ts.URL+"/mcp", n) })
	}
}

// benchmarkClients runs n clients (rounded to a multiple of GOMAXPROCS
// above 1), each on its own goroutine.
func benchmarkClients(b *testing.B, url string, n int) {
	if n > 1 {
		b.SetParallelism(max(n/runtime.GOMAXPROCS(0), 1))
		n = max(n/runtime.GOMAXPROCS(0), 1) * runtime.GOMAXPROCS(0)
	}
	cs, err := httpClients(url, n)
	defer closeAll(cs)
	if err != nil {
		b.Fatal(err)
	}
	if n == 1 {
		for b.Loop() {
			if err := callExecute(cs[0], TrivialJS); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	pool := make(chan *client.Client, len(cs))
	for _, c := range cs {
		pool <- c
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		c := <-pool
		for pb.Next() {
			if err := callExecute(c, TrivialJS); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func closeAll(cs []*client.Client) {
	var wg sync.WaitGroup
	for _, c := range cs {
		if c != nil {
			wg.Go(func() { c.Close() })
		}
	}
	wg.Wait()
}

// BenchmarkIdleHeap reports the live heap of an execution waiting in a
// tool call (idle-B/exec), 100 at once.
func BenchmarkIdleHeap(b *testing.B) {
	var per int64
	for b.Loop() {
		n, err := IdleHeapPerExecution(100)
		if err != nil {
			b.Fatal(err)
		}
		per = n
	}
	b.ReportMetric(float64(per), "idle-B/exec")
}

func testEnv(t testing.TB) Env {
	wd, _ := os.Getwd()
	e, err := FindEnv(wd)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

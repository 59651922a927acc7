package isolate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// BenchmarkOverhead measures what the process layer adds to one execution:
// each iteration runs the same code in process and in a warm pool,
// interleaved so that both see the same machine load, and reports the
// medians (inprocess-p50-ms, pool-p50-ms) and the median of the
// differences (added-p50-ms).
// Run with: go test -run '^$' -bench Overhead -benchtime 400x ./isolate
func BenchmarkOverhead(b *testing.B) {
	var bindings []sandbox.Binding
	for i := range 50 {
		bindings = append(bindings, sandbox.Binding{Object: fmt.Sprintf("ns%d", i%5), Method: fmt.Sprintf("m%d", i), ID: fmt.Sprint(i)})
	}
	caller := sandbox.CallerFunc(func(_ context.Context, _ string, args json.RawMessage) (json.RawMessage, error) { return args, nil })
	opts := sandbox.Options{Bindings: bindings}
	p, err := NewPool(Options{Command: []string{os.Args[0], WorkerCommand}, Size: 2})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	for _, code := range []string{"return 1", "return await ns0.m0({ a: 1 })"} {
		b.Run(code, func(b *testing.B) {
			var in, pool, added []time.Duration
			for b.Loop() {
				i := timed(b, func() sandbox.Result { return sandbox.Run(context.Background(), code, caller, opts) })
				o := timed(b, func() sandbox.Result { return p.Run(context.Background(), code, caller, opts) })
				in, pool, added = append(in, i), append(pool, o), append(added, o-i)
			}
			b.ReportMetric(median(in), "inprocess-p50-ms")
			b.ReportMetric(median(pool), "pool-p50-ms")
			b.ReportMetric(median(added), "added-p50-ms")
		})
	}
}

func timed(b *testing.B, run func() sandbox.Result) time.Duration {
	start := time.Now()
	if res := run(); res.Err != nil {
		b.Fatal(res.Err)
	}
	return time.Since(start)
}

func median(ds []time.Duration) float64 {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return float64(ds[len(ds)/2].Microseconds()) / 1000
}

// BenchmarkStop measures how long after its timeout an infinite loop is
// stopped, in process and in a warm pool; it reports the median and the
// 99th percentile of that delay.
// Run with: go test -run '^$' -bench Stop -benchtime 200x ./isolate
func BenchmarkStop(b *testing.B) {
	const timeout = 50 * time.Millisecond
	opts := sandbox.Options{Timeout: timeout}
	stop := func(b *testing.B, run func() sandbox.Result) {
		var ds []time.Duration
		for b.Loop() {
			start := time.Now()
			if res := run(); res.Err == nil || res.Err.Name != "TimeoutError" {
				b.Fatalf("got %v", res.Err)
			}
			ds = append(ds, time.Since(start)-timeout)
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		ms := func(q float64) float64 { return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000 }
		b.ReportMetric(ms(0.5), "p50-ms")
		b.ReportMetric(ms(0.99), "p99-ms")
	}
	b.Run("inprocess", func(b *testing.B) {
		stop(b, func() sandbox.Result { return sandbox.Run(context.Background(), "while (true) {}", nil, opts) })
	})
	b.Run("pool", func(b *testing.B) {
		p, err := NewPool(Options{Command: []string{os.Args[0], WorkerCommand}, Size: 2})
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		stop(b, func() sandbox.Result { return p.Run(context.Background(), "while (true) {}", nil, opts) })
	})
}

// BenchmarkThroughput is the trivial script from 64 goroutines at once,
// in a warm pool (pool) and in this process (inprocess), reporting the
// CPU per execution rather than the wall time, so that the figures hold
// on a machine that others load: the parent's (parent-cpu-us/op, which
// includes the test's own goroutines), the workers' (worker-cpu-us/op,
// counted when they exited) and both (cpu-us/op). With
// WORKER_CPUPROFILE=prefix each worker writes its CPU profile to
// prefix.PID when it exits.
//
//	go test -run '^$' -bench Throughput -benchtime 20000x -cpuprofile parent.out ./isolate
func BenchmarkThroughput(b *testing.B) {
	const code = "const x = 1 + 1;\nreturn { ok: x === 2 };"
	opts := sandbox.Options{Bindings: benchBindings()}
	b.Run("pool", func(b *testing.B) {
		exe, err := os.Executable() // os.Args[0] may be relative, and a worker starts in /
		if err != nil {
			b.Fatal(err)
		}
		command := []string{exe, WorkerCommand}
		if prefix := os.Getenv("WORKER_CPUPROFILE"); prefix != "" {
			command = []string{exe, profiledWorker, prefix}
		}
		p, err := NewPool(Options{Command: command, Max: 64}) // Max as the server's (codemode.max_concurrent, at most 64)
		if err != nil {
			b.Fatal(err)
		}
		self, children := cpuTime(syscall.RUSAGE_SELF), cpuTime(syscall.RUSAGE_CHILDREN)
		parallel(b, func() sandbox.Result { return p.Run(context.Background(), code, nil, opts) })
		p.Close() // the workers' CPU counts once they were reaped
		parent, workers := cpuTime(syscall.RUSAGE_SELF)-self, cpuTime(syscall.RUSAGE_CHILDREN)-children
		b.ReportMetric(perOp(b, parent), "parent-cpu-us/op")
		b.ReportMetric(perOp(b, workers), "worker-cpu-us/op")
		b.ReportMetric(perOp(b, parent+workers), "cpu-us/op")
	})
	b.Run("inprocess", func(b *testing.B) {
		self := cpuTime(syscall.RUSAGE_SELF)
		parallel(b, func() sandbox.Result { return sandbox.Run(context.Background(), code, nil, opts) })
		b.ReportMetric(perOp(b, cpuTime(syscall.RUSAGE_SELF)-self), "cpu-us/op")
	})
}

// profiledWorker is the argument that makes this test binary a worker
// that writes its CPU profile to the file named after it, plus its pid
// (see BenchmarkThroughput).
const profiledWorker = "profiled-worker"

// serveProfiled serves as a worker, profiling its CPU to prefix.PID.
func serveProfiled(prefix string) int {
	f, err := os.Create(fmt.Sprintf("%s.%d", prefix, os.Getpid()))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer f.Close()
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer pprof.StopCPUProfile()
	return ServeWorker()
}

func benchBindings() []sandbox.Binding {
	var bindings []sandbox.Binding
	for i := range 50 {
		bindings = append(bindings, sandbox.Binding{Object: fmt.Sprintf("ns%d", i%5), Method: fmt.Sprintf("m%d", i), ID: fmt.Sprint(i)})
	}
	return bindings
}

// parallel runs b.N executions from 64 goroutines.
func parallel(b *testing.B, run func() sandbox.Result) {
	b.SetParallelism(max(64/runtime.GOMAXPROCS(0), 1))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res := run(); res.Err != nil {
				b.Error(res.Err)
				return
			}
		}
	})
	b.StopTimer()
}

// cpuTime is the user and system CPU time of who.
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func perOp(b *testing.B, d time.Duration) float64 {
	return float64(d.Microseconds()) / float64(b.N)
}

// BenchmarkPoolCPU measures the CPU per trivial execution (50 bindings)
// with 1, 2 and 8 at once: in process (this process's CPU), and in the
// pool with its default workers (this process's CPU as the parent, and the
// workers' from /proc). The workers are warm; a replaced worker's CPU is
// not counted, so the figure is reported only when none was.
// Run with: go test -run '^$' -bench PoolCPU -benchtime 3s ./isolate
func BenchmarkPoolCPU(b *testing.B) {
	var bindings []sandbox.Binding
	for i := range 50 {
		bindings = append(bindings, sandbox.Binding{Object: fmt.Sprintf("ns%d", i%5), Method: fmt.Sprintf("m%d", i), ID: fmt.Sprint(i)})
	}
	caller := sandbox.CallerFunc(func(_ context.Context, _ string, args json.RawMessage) (json.RawMessage, error) { return args, nil })
	opts := sandbox.Options{Bindings: bindings, Memory: sandbox.NewMemory(sandbox.DefaultProcessMemory), Spares: sandbox.NewSpares(sandbox.DefaultSpares)}
	p, err := NewPool(Options{Command: []string{os.Args[0], WorkerCommand}})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	for _, conc := range []int{1, 2, 8} {
		for _, mode := range []string{"inprocess", "pool"} {
			b.Run(fmt.Sprintf("%s-%d", mode, conc), func(b *testing.B) {
				run := func() sandbox.Result { return sandbox.Run(context.Background(), "return 1", caller, opts) }
				if mode == "pool" {
					run = func() sandbox.Result { return p.Run(context.Background(), "return 1", caller, opts) }
				}
				var left atomic.Int64
				left.Store(int64(b.N))
				pids := p.Workers()
				workers := map[int]int64{}
				for _, pid := range pids {
					workers[pid] = cpuTicks(pid)
				}
				self := cpuSeconds()
				b.ResetTimer()
				var wg sync.WaitGroup
				for range conc {
					wg.Go(func() {
						for left.Add(-1) >= 0 {
							if res := run(); res.Err != nil {
								b.Error(res.Err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric((cpuSeconds()-self)*1000/float64(b.N), "self-cpu-ms/op")
				if mode == "pool" && slices.Equal(sortedInts(p.Workers()), sortedInts(pids)) {
					var ticks int64
					for pid, before := range workers {
						ticks += cpuTicks(pid) - before
					}
					b.ReportMetric(float64(ticks)*10/float64(b.N), "workers-cpu-ms/op") // 100 ticks a second
				}
			})
		}
	}
}

func sortedInts(s []int) []int {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

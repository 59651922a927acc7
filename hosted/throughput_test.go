package hosted

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/gctune"
	"github.com/mcp-codemode/mcp-codemode/isolate"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
)

// BenchmarkThroughput is the trivial script through execute over
// streamable HTTP from 64 sessions at once, with each isolation: process
// (a pool of this binary's workers, hosted mode's default) and inprocess.
// It reports CPU per execution rather than wall time, so that the figures
// hold on a machine that others load: this process's (cpu-us/op: the
// server and a lean client posting prepared bodies), the workers'
// (worker-cpu-us/op, counted when they exited) and both (all-cpu-us/op).
// The collector is tuned as the binary tunes it (internal/gctune).
//
//	go test -run '^$' -bench Throughput -benchtime 20000x -cpuprofile cpu.out ./hosted
func BenchmarkThroughput(b *testing.B) {
	tuner := gctune.New()
	tuner.Start()
	defer tuner.Stop()
	b.Run("process", func(b *testing.B) {
		exe, err := os.Executable()
		if err != nil {
			b.Fatal(err)
		}
		pool, err := isolate.NewPool(isolate.Options{Command: []string{exe, isolate.WorkerCommand}, Max: 64, Subject: tools.Subject})
		if err != nil {
			b.Fatal(err)
		}
		children := benchCPU(syscall.RUSAGE_CHILDREN)
		self := throughput(b, "process", pool.Run)
		pool.Close() // the workers' CPU counts once they were reaped
		workers := benchCPU(syscall.RUSAGE_CHILDREN) - children
		b.ReportMetric(perExec(b, workers), "worker-cpu-us/op")
		b.ReportMetric(perExec(b, self+workers), "all-cpu-us/op")
	})
	b.Run("inprocess", func(b *testing.B) { throughput(b, "inprocess", nil) })
}

// throughput loads a server with runner (for codemode.isolation) from 64
// sessions and reports this process's CPU per execution, which it returns.
// The limits are the benchmark program's (bench.Servers): 256 at once.
func throughput(b *testing.B, isolation string, runner server.Runner) time.Duration {
	reg := tools.NewRegistry(tools.Options{Logger: slog.New(slog.DiscardHandler)})
	defer reg.Close()
	never := func(context.Context, json.RawMessage) (*mcp.CallToolResult, error) {
		return nil, errors.New("never called")
	}
	var ts []tools.Tool
	for i := range 50 {
		ts = append(ts, tools.NewTool(fmt.Sprintf("ns%d", i%5), fmt.Sprintf("tool_%02d", i), "A tool that is never called.",
			[]byte(`{"type":"object","properties":{"id":{"type":"string"}},"required":["id"]}`), never))
	}
	if err := reg.Add(ts...); err != nil {
		b.Fatal(err)
	}
	limits := config.Codemode{Isolation: isolation, MaxConcurrent: 256, MaxConcurrentPerSession: 256,
		MaxConcurrentPerSubject: 256, MaxSessionsPerSubject: 256}
	srv := server.New(reg, server.Options{Runner: runner, Limits: limits, Logger: slog.New(slog.DiscardHandler)})
	h, err := New(Options{Server: srv, Loopback: true, Logger: slog.New(slog.DiscardHandler),
		Config: limits})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(h)
	defer hs.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	const clients = 64
	sessions := make(chan string, clients)
	for range clients {
		sessions <- benchSession(b, hc, hs.URL)
	}
	call := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"execute","arguments":{"code":"const x = 1 + 1;\nreturn { ok: x === 2 };"}}}`
	var failed atomic.Bool
	b.SetParallelism(max(clients/runtime.GOMAXPROCS(0), 1))
	self := benchCPU(syscall.RUSAGE_SELF)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		session := <-sessions
		for pb.Next() {
			if err := benchPost(hc, hs.URL, session, call, `"ok":true`); err != nil && !failed.Swap(true) {
				b.Error(err)
			}
		}
	})
	b.StopTimer()
	used := benchCPU(syscall.RUSAGE_SELF) - self
	b.ReportMetric(perExec(b, used), "cpu-us/op")
	return used
}

// benchSession initializes a session and returns its id.
func benchSession(b *testing.B, hc *http.Client, url string) string {
	resp, err := benchDo(hc, url, "", `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	session := resp.Header.Get("Mcp-Session-Id")
	if err := benchPost(hc, url, session, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, ""); err != nil {
		b.Fatal(err)
	}
	return session
}

// benchPost posts body in session and checks the answer contains want.
func benchPost(hc *http.Client, url, session, body, want string) error {
	resp, err := benchDo(hc, url, session, body)
	if err != nil {
		return err
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode/100 != 2 || !bytes.Contains(got, []byte(want)) {
		return fmt.Errorf("%d %s", resp.StatusCode, got)
	}
	return nil
}

func benchDo(hc *http.Client, url, session, body string) (*http.Response, error) {
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-06-18")
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
	}
	return hc.Do(req)
}

// benchCPU is the user and system CPU time of who.
func benchCPU(who int) time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(who, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func perExec(b *testing.B, d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }

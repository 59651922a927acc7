package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// The full figures of the hosted-mode issue come from
//
//	go test ./cmd/mcp-codemode -run 'TestLoad|TestSoak' -v -load.duration 30s -soak.n 10000
//
// (with -load.isolation inprocess for the load without worker processes).
// CI runs the short defaults.
var (
	loadDuration = flag.Duration("load.duration", 3*time.Second, "how long TestLoad's 64 clients run")
	soakN        = flag.Int("soak.n", 1000, "executions TestSoak runs")
	loadIsolate  = flag.String("load.isolation", "", `codemode.isolation for TestLoad; "" is the HTTP default, process`)
)

// mcpClient is an mcp-go client of the hosted server over streamable HTTP,
// on the 2025-06-18 protocol (sessions), as the TypeScript SDK speaks it.
func mcpClient(t testing.TB, url, token string, hc *http.Client) *client.Client {
	return mcpClientVersion(t, url, token, hc, mcp.ProtocolVersion20250618)
}

// mcpClientVersion is mcpClient on the given protocol version.
func mcpClientVersion(t testing.TB, url, token string, hc *http.Client, version string) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPBasicClient(hc),
		transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, client.WithProtocolVersion(version))
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = version
	req.Params.ClientInfo = mcp.Implementation{Name: "load", Version: "1"}
	if _, err := c.Initialize(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func callExecute(ctx context.Context, c *client.Client, code string) (*mcp.CallToolResult, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = "execute"
	req.Params.Arguments = map[string]any{"code": code}
	return c.CallTool(ctx, req)
}

// rssKB is a process's resident set size.
func rssKB(t testing.TB, pid int) int {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`VmRSS:\s+(\d+) kB`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("no VmRSS in /proc/%d/status", pid)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestLoad: 64 concurrent clients, each in its own session, run trivial
// executions against the built binary on loopback for -load.duration with
// no failure. Requests per second, p50, p99 and the server's RSS before and
// after are logged, not asserted: they belong to the machine.
func TestLoad(t *testing.T) {
	codemode := map[string]any{"auth": map[string]any{"tokens": []string{"${TOKEN}"}},
		// the 64 clients are one subject
		"max_sessions_per_subject": 64, "max_concurrent_per_subject": 64}
	if *loadIsolate != "" {
		codemode["isolation"] = *loadIsolate
	}
	srv := startHosted(t, "http", writeConfig(t, map[string]any{}, codemode), "TOKEN="+tokenAlice)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 128}}
	clients := make([]*client.Client, 64)
	for i := range clients {
		clients[i] = mcpClient(t, srv.endpoint("http"), tokenAlice, hc)
	}
	if r, err := callExecute(context.Background(), clients[0], "return 1"); err != nil || r.IsError {
		t.Fatalf("warm-up: %v %+v", err, r)
	}
	before := rssKB(t, srv.cmd.Process.Pid)
	var failures atomic.Int64
	var firstErr atomic.Value
	lat := make([][]time.Duration, len(clients))
	start := time.Now()
	deadline := start.Add(*loadDuration)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				t0 := time.Now()
				r, err := callExecute(context.Background(), c, "return 1 + 1")
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil || r.IsError {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("%v %+v", err, r))
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	all := slices.Concat(lat...)
	slices.Sort(all)
	after := rssKB(t, srv.cmd.Process.Pid)
	t.Logf("LOAD: 64 clients, %v: %d executions, %.0f req/s, p50 %v, p99 %v, failures %d; server RSS %d MB before, %d MB after",
		elapsed.Round(time.Millisecond), len(all), float64(len(all))/elapsed.Seconds(),
		all[len(all)/2].Round(time.Microsecond), all[len(all)*99/100].Round(time.Microsecond),
		failures.Load(), before/1024, after/1024)
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d executions failed; the first: %v", n, len(all), firstErr.Load())
	}
}

// serverStats reads the server's goroutines and open fds from /metrics
// and counts its child processes.
func serverStats(t testing.TB, srv *hostedServer) (goroutines, fds, children int) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+tokenAlice)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "go_goroutines" {
			goroutines, _ = strconv.Atoi(f[1])
		}
		if len(f) == 2 && f[0] == "process_open_fds" {
			fds, _ = strconv.Atoi(f[1])
		}
	}
	return goroutines, fds, childCount(srv.cmd.Process.Pid)
}

// childCount counts the processes whose parent is pid.
func childCount(pid int) int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	n := 0
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so cut at ")".
		rest := string(data[strings.LastIndexByte(string(data), ')')+1:])
		if f := strings.Fields(rest); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			n++
		}
	}
	return n
}

// TestSoak runs -soak.n executions of every kind (plain, tool calls to a
// stdio upstream, workspace, thrown errors, cancelled mid-call) from 8
// clients, then checks that the server's goroutines, open fds and child
// processes (upstream and sandbox workers: isolation "process") are back
// where they were. Four clients keep sessions
// (2025-06-18); four speak 2026-07-28, whose closed stream is how the
// cancelled calls are cancelled.
func TestSoak(t *testing.T) {
	cfg := writeConfig(t, map[string]any{"testup": upstreams(t)["testup"]},
		map[string]any{"auth": map[string]any{"tokens": []string{"${TOKEN}"}}, "isolation": "process"})
	srv := startHosted(t, "http", cfg, "TOKEN="+tokenAlice)
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	clients := make([]*client.Client, 8)
	for i := range clients {
		version := mcp.ProtocolVersion20250618
		if i%2 == 1 {
			version = mcp.ProtocolVersion20260728
		}
		clients[i] = mcpClientVersion(t, srv.endpoint("http"), tokenAlice, hc, version)
	}
	codes := []string{
		"return 1",
		"return await testup.pid()",
		`await workspace.write_file({ path: "f", content: "x" }); return await workspace.read_file({ path: "f" })`,
		`throw new Error("boom")`,
		"cancel", // a call cancelled while its upstream call sleeps
	}
	run := func(n int) (failures int) {
		var next atomic.Int64
		var bad atomic.Int64
		var wg sync.WaitGroup
		for k, c := range clients {
			wg.Go(func() {
				for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
					code := codes[i%len(codes)]
					ctx, cancel := context.WithCancel(context.Background())
					if code == "cancel" && k%2 == 0 {
						code = "return 1" // a 2025-06-18 client of mcp-go cannot cancel
					}
					if code == "cancel" {
						code = "return await testup.sleep({ ms: 5000 })"
						time.AfterFunc(20*time.Millisecond, cancel)
					}
					_, err := callExecute(ctx, c, code)
					if err != nil && ctx.Err() == nil {
						bad.Add(1)
					}
					cancel()
				}
			})
		}
		wg.Wait()
		return int(bad.Load())
	}
	if f := run(50); f > 0 {
		t.Fatalf("warm-up: %d failures", f)
	}
	// Idle keep-alive connections hold a goroutine and an fd each on the
	// server; how many the client keeps is its business, so they are closed
	// before each count.
	hc.CloseIdleConnections()
	time.Sleep(500 * time.Millisecond)
	g0, fd0, ch0 := serverStats(t, srv)
	start := time.Now()
	if f := run(*soakN); f > 0 {
		t.Errorf("%d of %d executions failed", f, *soakN)
	}
	elapsed := time.Since(start)
	var g, fd, ch int
	for range 50 { // cancelled upstream calls and closing connections settle
		hc.CloseIdleConnections()
		time.Sleep(50 * time.Millisecond)
		if g, fd, ch = serverStats(t, srv); g <= g0 && fd <= fd0 && ch <= ch0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("SOAK: %d executions in %v; goroutines %d -> %d, open fds %d -> %d, child processes %d -> %d",
		*soakN, elapsed.Round(time.Millisecond), g0, g, fd0, fd, ch0, ch)
	if g > g0 || fd > fd0 || ch > ch0 {
		t.Errorf("not back to baseline: goroutines %d -> %d, fds %d -> %d, children %d -> %d", g0, g, fd0, fd, ch0, ch)
	}
}

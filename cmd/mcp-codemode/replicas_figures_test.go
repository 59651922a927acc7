package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// The figures of the scale-out issue come from
//
//	go test ./cmd/mcp-codemode -run TestReplicasFigures -v -replicas.figures
//
// (without -race: its figures would be the race detector's). They are
// logged, never asserted: they belong to the machine.
var (
	replicasFigures  = flag.Bool("replicas.figures", false, "run TestReplicasFigures: requests/s through HAProxy with 1 and 3 replicas, cross-replica cancel and elicitation latency")
	replicasDuration = flag.Duration("replicas.duration", 5*time.Second, "how long TestReplicasFigures's 16 clients run against each topology")
	replicasTries    = flag.Int("replicas.tries", 20, "cancels and elicitations TestReplicasFigures times per topology")
)

// TestReplicasFigures measures, with 1 replica and with 3 behind HAProxy on
// one PostgreSQL database: trivial executions per second from 16
// concurrent stateless clients, and the p50 of a cancel (notifications/cancelled
// sent to the call's stream ending) and of an elicitation answer (the
// answer's POST to the call's result), which cross replicas when there are
// 3 (HAProxy sends each request to the next replica).
func TestReplicasFigures(t *testing.T) {
	if !*replicasFigures {
		t.Skip("figures, not checks: go test ./cmd/mcp-codemode -run TestReplicasFigures -v -replicas.figures")
	}
	setup := newReplicaSetup(t)
	for _, n := range []int{1, 3} {
		c := startCluster(t, n, setup.config, setup.env...)
		if n == 1 { // what the balancer costs
			rps, p50, failures, _ := throughput(t, c.replicas[0].endpoint("http"), 16, *replicasDuration)
			t.Logf("FIGURES 1 replica without HAProxy: 16 clients, trivial execute: %.0f req/s, p50 %v, %d failures", rps, p50, failures)
		}
		cpu0 := c.cpu()
		rps, p50, failures, count := throughput(t, c.lb+"/mcp", 16, *replicasDuration)
		cpu := c.cpu().minus(cpu0)
		execs := float64(count)
		t.Logf("FIGURES %d replica(s): 16 clients, trivial execute: %.0f req/s, p50 %v, %d failures; CPU per execution: replicas and their workers %.2f ms, HAProxy %.2f ms, the clients %.2f ms",
			n, rps, p50, failures, ms(cpu.replicas)/execs, ms(cpu.haproxy)/execs, ms(cpu.clients)/execs)
		t.Logf("FIGURES %d replica(s): cancel p50 %v, elicitation answer p50 %v over %d tries",
			n, cancelLatency(t, c, *replicasTries), elicitLatency(t, c, *replicasTries), *replicasTries)
		c.stop(t)
	}
}

// stop ends HAProxy and the replicas.
func (c *cluster) stop(t *testing.T) {
	c.haproxy.Process.Kill()
	for _, r := range c.replicas {
		r.stop(t)
	}
}

// throughput runs trivial executions from clients stateless clients of
// url for d.
func throughput(t *testing.T, url string, clients int, d time.Duration) (rps float64, p50 time.Duration, failures int64, n int) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * clients}}
	cls := make([]*client.Client, clients)
	for i := range cls {
		cls[i] = mcpClientVersion(t, url, tokenAlice, hc, mcp.ProtocolVersion20260728)
	}
	for _, cl := range cls { // warm up every replica's workers
		execText(t, cl, "return 1")
	}
	var bad atomic.Int64
	lat := make([][]time.Duration, clients)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i, cl := range cls {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				t0 := time.Now()
				r, err := callExecute(context.Background(), cl, "return 1 + 1")
				lat[i] = append(lat[i], time.Since(t0))
				if err != nil || r.IsError {
					bad.Add(1)
				}
			}
		})
	}
	wg.Wait()
	all := slices.Concat(lat...)
	slices.Sort(all)
	return float64(len(all)) / time.Since(start).Seconds(), all[len(all)/2].Round(time.Microsecond), bad.Load(), len(all)
}

// cancelLatency is the p50 of cancelOnce over n calls in one legacy session.
func cancelLatency(t *testing.T, c *cluster, n int) time.Duration {
	s := openRaw(t, c.lb+"/mcp", tokenAlice, newRoutes().client())
	var took []time.Duration
	for id := 1; id <= n; id++ {
		d, _, _ := cancelOnce(t, c, s, id)
		took = append(took, d)
	}
	slices.Sort(took)
	return took[len(took)/2].Round(10 * time.Microsecond)
}

// elicitLatency is the p50, over n approvals of testup.noise, of the time
// from the client's answer leaving to the call's result arriving.
func elicitLatency(t *testing.T, c *cluster, n int) time.Duration {
	rt := newRoutes()
	a := &answers{}
	cl := legacyElicitClient(t, c.lb+"/mcp", tokenAlice, rt, a)
	var took []time.Duration
	for range n {
		a.push(mcp.ElicitationResponseActionAccept)
		if got := execText(t, cl, `return await testup.noise()`); got != `"ok"` {
			t.Fatalf("approved call: %s", got)
		}
		end := time.Now()
		answers := rt.of("response")
		if len(answers) == 0 {
			t.Fatal("the client sent no answer")
		}
		took = append(took, end.Sub(answers[len(answers)-1].start))
	}
	slices.Sort(took)
	return took[len(took)/2].Round(10 * time.Microsecond)
}

// cpuUse is the CPU time the processes of a figure used.
type cpuUse struct{ replicas, haproxy, clients time.Duration }

func (a cpuUse) minus(b cpuUse) cpuUse {
	return cpuUse{a.replicas - b.replicas, a.haproxy - b.haproxy, a.clients - b.clients}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cpu reads the CPU time used so far by the replicas with their worker
// processes (live, or exited and waited for), HAProxy, and this test
// process (the clients).
func (c *cluster) cpu() cpuUse {
	var u cpuUse
	for _, r := range c.replicas {
		u.replicas += procCPU(r.cmd.Process.Pid, true)
		for _, child := range children(r.cmd.Process.Pid) {
			u.replicas += procCPU(child, false)
		}
	}
	u.haproxy = procCPU(c.haproxy.Process.Pid, true)
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		u.clients = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return u
}

// procCPU is a process's user and system time from /proc, with its waited
// children's when waited is set (clock ticks of 10 ms).
func procCPU(pid int, waited bool) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	// after "(comm)": state is f[0], so utime (field 14) is f[11]
	fields := []int{11, 12}
	if waited {
		fields = append(fields, 13, 14)
	}
	var ticks int
	for _, i := range fields {
		if i < len(f) {
			n, _ := strconv.Atoi(f[i])
			ticks += n
		}
	}
	return time.Duration(ticks) * 10 * time.Millisecond
}

// children are the processes whose parent is pid.
func children(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			out = append(out, child)
		}
	}
	return out
}

package main

import (
	"context"
	"flag"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
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
			rps, p50, failures := throughput(t, c.replicas[0].endpoint("http"), 16, *replicasDuration)
			t.Logf("FIGURES 1 replica without HAProxy: 16 clients, trivial execute: %.0f req/s, p50 %v, %d failures", rps, p50, failures)
		}
		rps, p50, failures := throughput(t, c.lb+"/mcp", 16, *replicasDuration)
		t.Logf("FIGURES %d replica(s): 16 clients, trivial execute: %.0f req/s, p50 %v, %d failures", n, rps, p50, failures)
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
func throughput(t *testing.T, url string, clients int, d time.Duration) (rps float64, p50 time.Duration, failures int64) {
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
	return float64(len(all)) / time.Since(start).Seconds(), all[len(all)/2].Round(time.Microsecond), bad.Load()
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

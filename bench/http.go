package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// Throughput is a closed-loop load of trivial executions over streamable
// HTTP: Clients sessions, each sending its next execute as soon as the last
// one answered. cmd/mcp-codemode's TestLoad is its test counterpart.
type Throughput struct {
	Clients   int     `json:"clients"`
	Requests  int     `json:"requests"`
	Failures  int64   `json:"failures"`
	PerSecond float64 `json:"per_second"`
	Latency
	Isolation    string `json:"isolation"` // codemode.isolation: "process" (hosted mode's default) or "inprocess"
	FirstFailure string `json:"first_failure,omitempty"`
}

// httpClients connects n mcp-go clients, each in its own session, on the
// 2025-06-18 protocol as the TypeScript SDK speaks it.
func httpClients(url string, n int) ([]*client.Client, error) {
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * n}}
	cs := make([]*client.Client, n)
	for i := range cs {
		tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPBasicClient(hc))
		if err != nil {
			return cs, err
		}
		c := client.NewClient(tr, client.WithProtocolVersion(mcp.ProtocolVersion20250618))
		cs[i] = c
		if err := c.Start(context.Background()); err != nil {
			return cs, err
		}
		req := mcp.InitializeRequest{}
		req.Params.ProtocolVersion = mcp.ProtocolVersion20250618
		req.Params.ClientInfo = mcp.Implementation{Name: "mcp-codemode-bench", Version: "1"}
		if _, err := c.Initialize(context.Background(), req); err != nil {
			return cs, fmt.Errorf("initialize over %s: %w", url, err)
		}
	}
	return cs, nil
}

func callExecute(c *client.Client, code string) error {
	req := mcp.CallToolRequest{}
	req.Params.Name = "execute"
	req.Params.Arguments = map[string]any{"code": code}
	r, err := c.CallTool(context.Background(), req)
	if err != nil {
		return err
	}
	if r.IsError {
		return fmt.Errorf("execute answered isError: %+v", r.Content)
	}
	return nil
}

// load runs the clients for d.
func load(cs []*client.Client, code string, d time.Duration) Throughput {
	var failures atomic.Int64
	var first atomic.Value
	lat := make([][]time.Duration, len(cs))
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				t := time.Now()
				err := callExecute(c, code)
				lat[i] = append(lat[i], time.Since(t))
				if err != nil {
					failures.Add(1)
					first.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	t := Throughput{Clients: len(cs), Requests: len(all), Failures: failures.Load(),
		PerSecond: float64(len(all)) / elapsed.Seconds(), Latency: Summarize(all)}
	if f, ok := first.Load().(string); ok {
		t.FirstFailure = f
	}
	return t
}

// RunHTTP measures only the throughput over streamable HTTP
// (Results.HTTP): 1, 8 and 64 clients, worker processes and in process,
// in under a minute.
func RunHTTP(e Env, o Options) (*Results, error) {
	return run(e, o, func(r *runner) []step {
		return []step{{"servers", r.newServers}, {"http", r.http}}
	})
}

// HTTPMarkdown writes the throughput table and, for each number of
// clients, the throughput of worker processes over that in process
// (issue 18's target: ≥ 0.75).
func (r *Results) HTTPMarkdown(w io.Writer) {
	r.throughput(w)
	fmt.Fprintln(w, "| clients | process / inprocess |")
	fmt.Fprintln(w, "|---:|---:|")
	for _, n := range []int{1, 8, 64} {
		in := r.httpAt(n, "inprocess")
		if in.PerSecond > 0 {
			fmt.Fprintf(w, "| %d | %.2f× |\n", n, r.httpAt(n, "process").PerSecond/in.PerSecond)
		}
	}
	fmt.Fprintln(w)
}

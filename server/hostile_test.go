package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/hostile"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/isolate"
	"github.com/mcp-codemode/mcp-codemode/server"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// TestHostile runs the hostile corpus (sandbox/testdata/hostile) through
// the MCP server's Execute, on both isolation layers: in this process, and
// in a pool of worker processes. The registry holds the corpus's tools and
// the canary as a configured secret; the formatted MCP result, not only the
// sandbox's, must be free of it. In process only the categories where the
// server adds something run here (sandbox's own TestHostile runs them all
// directly); in the process layer every case runs, and this process (the
// parent, which still parses the tools' results) must not grow by more
// than the budget plus the slack.
func TestHostile(t *testing.T) {
	hostile.PlantEnv()
	cases, err := hostile.Load("../sandbox/testdata/hostile")
	if err != nil {
		t.Fatal(err)
	}
	pool, err := isolate.NewPool(isolate.Options{Size: 2, MemoryLimit: hostile.MemoryLimit})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	layers := []struct {
		name   string
		runner server.Runner
		only   map[string]bool // categories; nil: all
	}{
		{"inprocess", nil, map[string]bool{"escape": true, "tool": true, "output": true, "crosscall": true, "bundling": true, "encodings": true}},
		{"process", pool.Run, nil},
	}
	for _, l := range layers {
		t.Run(l.name, func(t *testing.T) {
			ws := workspace.New(nil, workspace.Limits{}) // one per layer: a case's next script sees its files
			t.Cleanup(func() { ws.Close() })
			servers := map[time.Duration]*server.Server{}
			serverFor := func(timeout time.Duration) *server.Server {
				if servers[timeout] == nil {
					servers[timeout] = hostileServer(t, timeout, l.runner, ws)
				}
				return servers[timeout]
			}
			var worst int64
			var worstCase string
			for _, c := range cases {
				if c.DirectOnly || l.only != nil && !l.only[c.Category] {
					continue
				}
				srv := serverFor(c.Timeout)
				t.Run(c.Category+"/"+c.Name, func(t *testing.T) {
					before := hostile.Settle()
					writeFiles(t, ws, c.Files)
					growth := runCase(t, srv, serverFor(hostile.Timeout), c) - before
					if growth > worst {
						worst, worstCase = growth, c.Category+"/"+c.Name
					}
					if l.runner != nil && !testenv.RaceEnabled && before > 0 && growth > c.MaxGrowth() {
						t.Errorf("this process grew by %d MB; the limit is %d MB", growth>>20, c.MaxGrowth()>>20)
					}
				})
			}
			t.Logf("max RSS growth of this process in a case: %d MB (%s)", worst>>20, worstCase)
		})
	}
}

// writeFiles writes a case's workspace files, for the subject of a plain
// context (Execute's).
func writeFiles(t *testing.T, ws *workspace.Workspace, files []hostile.File) {
	for _, f := range files {
		if err := ws.WriteFile(context.Background(), f.Path, f.Content); err != nil {
			t.Fatal(err)
		}
	}
}

// runCase runs one case on srv, then its next script and a check that the
// server still serves on plain, and returns the peak RSS.
func runCase(t *testing.T, srv, plain *server.Server, c *hostile.Case) int64 {
	start := time.Now()
	res := srv.Execute(context.Background(), c.Code)
	elapsed := time.Since(start)
	for _, p := range c.Check(res, elapsed) {
		t.Error(p)
	}
	out, _ := json.Marshal(server.Format(res, 24000))
	if strings.Contains(string(out), hostile.Canary) {
		t.Errorf("the MCP result contains the canary")
	}
	if c.Next != "" {
		for _, p := range c.CheckNext(plain.Execute(context.Background(), c.Next)) {
			t.Error(p)
		}
	}
	if res := plain.Execute(context.Background(), "return 1"); string(res.Value) != "1" {
		t.Errorf("the server did not serve the next execution: %s, %v", res.Value, res.Err)
	}
	_, peak := hostile.RSS()
	return peak
}

// hostileServer is a server over the corpus's tools (namespace t, plus
// t.secret, which returns the canary as a configured secret) and ws
// (namespace workspace, and with it imports, codemode.save and
// codemode.run), with the corpus's limits.
func hostileServer(t testing.TB, timeout time.Duration, runner server.Runner, ws *workspace.Workspace) *server.Server {
	reg := tools.NewRegistry(tools.Options{Secrets: []string{hostile.Canary}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := reg.Add(ws.Tools()...); err != nil {
		t.Fatal(err)
	}
	var list []tools.Tool
	for name, f := range hostile.Tools {
		list = append(list, tools.Tool{Server: "t", Name: name, Description: "hostile corpus tool", Handler: handler(f)})
	}
	list = append(list, tools.Tool{Server: "t", Name: "secret", Description: "returns a secret", Handler: handler(
		func(context.Context, json.RawMessage) (json.RawMessage, error) {
			return json.RawMessage(`"token=` + hostile.Canary + `"`), nil
		})})
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	if err := reg.Add(list...); err != nil {
		t.Fatal(err)
	}
	return server.New(reg, server.Options{
		Limits: config.Codemode{Timeout: timeout, MaxToolCalls: hostile.MaxToolCalls, MaxOutputBytes: 24000,
			MemoryLimitMB: hostile.MemoryLimit >> 20},
		Runner: runner,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
}

// handler adapts a corpus tool: its JSON as text content, its error as is.
func handler(f func(context.Context, json.RawMessage) (json.RawMessage, error)) tools.Handler {
	return func(ctx context.Context, args json.RawMessage) (*mcp.CallToolResult, error) {
		out, err := f(ctx, args)
		if err != nil {
			return nil, err
		}
		return mcp.NewToolResultText(string(out)), nil
	}
}

// FuzzExecute fuzzes the execute path (server, registry, sandbox) with the
// corpus's tools: whatever the code, Execute returns within its timeout and
// a margin, with valid JSON or an error of the script's making, and never
// the canary.
func FuzzExecute(f *testing.F) {
	cases, err := hostile.Load("../sandbox/testdata/hostile")
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range cases {
		if len(c.Code) < 4096 {
			f.Add(c.Code)
		}
	}
	hostile.PlantEnv()
	ws := workspace.New(nil, workspace.Limits{})
	f.Cleanup(func() { ws.Close() })
	srv := hostileServer(f, 200*time.Millisecond, nil, ws)
	f.Fuzz(func(t *testing.T, code string) {
		start := time.Now()
		res := srv.Execute(context.Background(), code)
		if d := time.Since(start); d > 200*time.Millisecond+3*hostile.StopMargin {
			t.Errorf("took %v", d)
		}
		if res.Err == nil && !json.Valid(res.Value) {
			t.Errorf("invalid JSON result %q", res.Value)
		}
		if res.Err != nil && res.Err.Name == "InternalError" && !strings.Contains(res.Err.Message, "t.") {
			t.Errorf("internal error: %v", res.Err)
		}
		if strings.Contains(hostile.Output(res), hostile.Canary) {
			t.Errorf("the canary leaked: %v", res.Err)
		}
	})
}

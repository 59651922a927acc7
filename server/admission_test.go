package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/mcp-codemode/mcp-codemode/config"
	"github.com/mcp-codemode/mcp-codemode/internal/hostile"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
	"github.com/mcp-codemode/mcp-codemode/tools"
	"github.com/mcp-codemode/mcp-codemode/workspace"
)

// fakeSession is a client session of a test: an id, and, when ask is set,
// the elicitation capability answered by ask.
type fakeSession struct {
	id  string
	ask func(mcp.ElicitationRequest) *mcp.ElicitationResult
}

func (f *fakeSession) Initialize()       {}
func (f *fakeSession) Initialized() bool { return true }
func (f *fakeSession) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return make(chan mcp.JSONRPCNotification, 100)
}
func (f *fakeSession) SessionID() string                            { return f.id }
func (f *fakeSession) GetClientInfo() mcp.Implementation            { return mcp.Implementation{Name: "test"} }
func (f *fakeSession) SetClientInfo(mcp.Implementation)             {}
func (f *fakeSession) SetClientCapabilities(mcp.ClientCapabilities) {}
func (f *fakeSession) GetClientCapabilities() mcp.ClientCapabilities {
	if f.ask == nil {
		return mcp.ClientCapabilities{}
	}
	return mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{}}
}

func (f *fakeSession) RequestElicitation(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	if f.ask == nil {
		return nil, fmt.Errorf("not asked")
	}
	return f.ask(req), nil
}

// as returns ctx for a request of subject in session id.
func (f *fakeSession) as(srv *Server, subject string) context.Context {
	return srv.mcp.WithContext(tools.WithSubject(context.Background(), subject), f)
}

// callExecute runs code through execute's handler, as a request of ctx.
func callExecute(t *testing.T, srv *Server, ctx context.Context, code string) (text string, isError bool) {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = "execute"
	req.Params.Arguments = map[string]any{"code": code}
	res, err := srv.handleExecute(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	return res.Content[0].(mcp.TextContent).Text, res.IsError
}

// gate is a tool t.wait that blocks until released, counting the calls
// waiting in it.
type gate struct {
	waiting atomic.Int64
	release chan struct{}
	once    sync.Once
}

func newGate() *gate { return &gate{release: make(chan struct{})} }

func (g *gate) open() { g.once.Do(func() { close(g.release) }) }

func (g *gate) tool() tools.Tool {
	return tools.NewTool("t", "wait", "Waits until the test lets it go.", nil, func(ctx context.Context, _ json.RawMessage) (*mcp.CallToolResult, error) {
		g.waiting.Add(1)
		defer g.waiting.Add(-1)
		select {
		case <-g.release:
		case <-ctx.Done():
		}
		return mcp.NewToolResultText(`"done"`), nil
	})
}

// until waits for cond, for at most the slow timeout of the corpus.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(hostile.SlowTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func gatedServer(t *testing.T, g *gate, limits config.Codemode) *Server {
	t.Helper()
	reg := tools.NewRegistry(tools.Options{})
	must(t, reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...))
	must(t, reg.Add(g.tool()))
	// In process, the sandbox admits runs against a memory budget of its
	// own (sandbox.DefaultProcessMemory): small limits let every run the
	// server admits start.
	limits.MemoryLimitMB = 8
	return New(reg, Options{Limits: limits})
}

// TestSubjectFairness: one subject with 9 sessions of 8 executions each
// (72, more than max_concurrent's 64) takes at most its
// max_concurrent_per_subject; another subject's execution still runs.
func TestSubjectFairness(t *testing.T) {
	g := newGate()
	defer g.open()
	srv := gatedServer(t, g, config.Codemode{Timeout: 30 * time.Second})
	var wg sync.WaitGroup
	var busy atomic.Int64
	var firstBusy atomic.Value
	for s := range 9 {
		sess := &fakeSession{id: fmt.Sprintf("a%d", s)}
		for range 8 {
			wg.Go(func() {
				text, isErr := callExecute(t, srv, sess.as(srv, "tenant-a"), `return await t.wait()`)
				if isErr {
					busy.Add(1)
					firstBusy.CompareAndSwap(nil, text)
				}
			})
		}
	}
	until(t, "subject A to take its slots", func() bool {
		return g.waiting.Load()+busy.Load() == 72
	})
	if got := g.waiting.Load(); got != 16 {
		t.Errorf("subject A runs %d executions at once, want 16 (max_concurrent_per_subject)", got)
	}
	want := "BusyError: busy: your executions and the snippets they run already take 16 slots at once (codemode.max_concurrent_per_subject), " +
		"however many sessions they come from; wait for one to finish, then retry"
	if got, _ := firstBusy.Load().(string); !strings.HasPrefix(got, want) {
		t.Errorf("turned away with\n%s\nwant\n%s", got, want)
	}
	start := time.Now()
	text, isErr := callExecute(t, srv, (&fakeSession{id: "b"}).as(srv, "tenant-b"), `return 1 + 1`)
	if isErr || !strings.HasPrefix(text, "2") {
		t.Errorf("subject B while A is at its cap: %s", text)
	}
	t.Logf("subject B's execution while A holds 16 slots: %v", time.Since(start))
	g.open()
	wg.Wait()
}

// TestSnippetRunsAdmitted: snippet runs take slots like executions. One
// execution that starts 150 codemode.run at once gets as many as its
// subject has slots left; the others throw a BusyError naming the cap, and
// another subject still gets in.
func TestSnippetRunsAdmitted(t *testing.T) {
	g := newGate()
	defer g.open()
	srv := gatedServer(t, g, config.Codemode{Timeout: 30 * time.Second, MaxConcurrentPerSession: 64, MaxToolCalls: 1000})
	sess := &fakeSession{id: "a"}
	ctxA := sess.as(srv, "tenant-a")
	if text, isErr := callExecute(t, srv, ctxA, `return await codemode.save("hold", "return await t.wait()", "Holds a slot")`); isErr {
		t.Fatal(text)
	}
	done := make(chan string, 1)
	go func() {
		text, _ := callExecute(t, srv, ctxA, `
const runs = await Promise.allSettled(Array.from({ length: 150 }, () => codemode.run("hold")));
const errors = runs.filter(r => r.status === "rejected").map(r => r.reason.name + ": " + r.reason.message);
return { ran: runs.length - errors.length, busy: errors.length, first: errors[0], other: [...new Set(errors)].filter(e => !e.startsWith("BusyError")) };`)
		done <- text
	}()
	until(t, "the snippets to start", func() bool {
		select {
		case text := <-done:
			t.Fatalf("ended early: %s", text)
		default:
		}
		return g.waiting.Load() == 15 && srv.Running() == 16
	})
	start := time.Now()
	if text, isErr := callExecute(t, srv, (&fakeSession{id: "b"}).as(srv, "tenant-b"), `return 1 + 1`); isErr {
		t.Errorf("subject B while A's snippets hold its slots: %s", text)
	}
	t.Logf("subject B's execution while A's snippets hold 16 slots: %v", time.Since(start))
	g.open()
	var got struct {
		Ran, Busy int
		First     string
		Other     []string
	}
	text := <-done
	if err := json.Unmarshal([]byte(text[:strings.LastIndex(text, "}")+1]), &got); err != nil {
		t.Fatalf("%v: %s", err, text)
	}
	want := `BusyError: codemode.run("hold"): your executions and snippet runs already take 16 slots at once (codemode.max_concurrent_per_subject); ` +
		"run fewer snippets at once: await them one after another, or in smaller batches"
	if got.Ran != 15 || got.Busy != 135 || got.First != want || len(got.Other) > 0 {
		t.Errorf("got %d ran, %d busy (other errors: %q), first %q\nwant 15 ran, 135 busy, first %q", got.Ran, got.Busy, got.Other, got.First, want)
	}
}

// TestSubjectFairnessInProcess: in process every run reserves its memory
// limit in the sandbox's one budget (8 runs of 128 MB in 1 GB), and a run
// past it waits. One subject spinning in 72 executions holds at most half
// of it, so another subject's execution starts at once instead of waiting
// for the first one's timeout.
func TestSubjectFairnessInProcess(t *testing.T) {
	reg := tools.NewRegistry(tools.Options{})
	must(t, reg.Add(workspace.New(nil, workspace.Limits{}).Tools()...))
	srv := New(reg, Options{Limits: config.Codemode{Timeout: hostile.SlowTimeout, Isolation: "inprocess"}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	var busy atomic.Int64
	var firstBusy atomic.Value
	for s := range 9 {
		sess := &fakeSession{id: fmt.Sprintf("a%d", s)}
		for range 8 {
			wg.Go(func() {
				req := mcp.CallToolRequest{}
				req.Params.Arguments = map[string]any{"code": `for (;;) {}`}
				res, _ := srv.handleExecute(srv.mcp.WithContext(tools.WithSubject(ctx, "tenant-a"), sess), req)
				if text := res.Content[0].(mcp.TextContent).Text; strings.HasPrefix(text, "BusyError") {
					busy.Add(1)
					firstBusy.CompareAndSwap(nil, text)
				}
			})
		}
	}
	slots := int(sandbox.DefaultProcessMemory / sandbox.DefaultMemoryLimit) // 8 of 128 MB in 1 GB
	share := max(slots/2, 1)
	until(t, "subject A to take its slots", func() bool { return busy.Load() == int64(72-share) && srv.Running() == share })
	want := fmt.Sprintf("BusyError: busy: your executions and the snippets they run already take %d slots at once (codemode.max_concurrent_per_subject, "+
		"and in process at most half of the %d runs that the sandbox's %d MB memory budget holds at codemode.memory_limit_mb %d; "+
		`codemode.isolation "process" lifts this), however many sessions they come from; wait for one to finish, then retry`,
		share, slots, sandbox.DefaultProcessMemory>>20, sandbox.DefaultMemoryLimit>>20)
	if got, _ := firstBusy.Load().(string); !strings.HasPrefix(got, want) {
		t.Errorf("turned away with\n%s\nwant\n%s", got, want)
	}
	start := time.Now()
	text, isErr := callExecute(t, srv, (&fakeSession{id: "b"}).as(srv, "tenant-b"), `return 1 + 1`)
	took := time.Since(start)
	t.Logf("subject B's execution while A spins in %d runs: %v", share, took)
	if isErr || !strings.HasPrefix(text, "2") || took > hostile.SlowTimeout/2 {
		t.Errorf("subject B while A spins: %s after %v", text, took)
	}
}

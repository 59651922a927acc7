package isolate

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// holder is a caller whose tool "hold" blocks until its release is closed,
// and echoes every other call.
type holder struct {
	held    chan struct{} // receives once per call of hold, when it blocks
	release chan struct{}
}

func newHolder() *holder { return &holder{held: make(chan struct{}, 16), release: make(chan struct{})} }

func (h *holder) Call(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
	if id != "hold" {
		return echo.Call(ctx, id, args)
	}
	h.held <- struct{}{}
	select {
	case <-h.release:
		return args, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

var holdBindings = append(slices.Clone(bindings), sandbox.Binding{Object: "t", Method: "hold", ID: "hold"})

// setLookaheadWait sets lookaheadWait for the test.
func setLookaheadWait(t *testing.T, d time.Duration) {
	old := lookaheadWait
	lookaheadWait = d
	t.Cleanup(func() { lookaheadWait = old })
}

// queueBehind holds p's one worker in a tool call, then starts each of
// runs, one at a time once the one before waits in the queue, and at last
// lets the worker go: the first run starts on it, and is given the place
// behind it to the second. It returns the results, once all are in.
func queueBehind(t *testing.T, p *Pool, runs ...func() sandbox.Result) func() []sandbox.Result {
	t.Helper()
	h := newHolder()
	var wg sync.WaitGroup
	wg.Go(func() {
		if res := p.Run(context.Background(), "return await t.hold(0)", h, sandbox.Options{Bindings: holdBindings}); string(res.Value) != "0" {
			t.Errorf("the run holding the worker: %s, %v", res.Value, res.Err)
		}
	})
	<-h.held
	results := make([]sandbox.Result, len(runs))
	for i, run := range runs {
		wg.Go(func() { results[i] = run() })
		waitUntil(t, fmt.Sprintf("run %d to wait", i), func() (ok bool) {
			p.locked(func() { ok = len(p.queue) == i+1 })
			return ok
		})
	}
	close(h.release)
	return func() []sandbox.Result {
		wg.Wait()
		return results
	}
}

// TestLookahead: runs waiting for the one worker are each sent to it while
// the run before them is in progress, and every one gets its own answer.
func TestLookahead(t *testing.T) {
	setLookaheadWait(t, time.Hour)
	p := newPool(t, Options{Size: 1, Max: 1})
	before := p.Workers()
	var runs []func() sandbox.Result
	for i := range 20 {
		runs = append(runs, func() sandbox.Result {
			return p.Run(context.Background(), fmt.Sprintf("console.log('run', %d); return %d", i, i), echo, sandbox.Options{Bindings: bindings})
		})
	}
	results := queueBehind(t, p, runs...)()
	for i, res := range results {
		if want := fmt.Sprint(i); string(res.Value) != want || res.Err != nil || !slices.Equal(res.Logs, []string{fmt.Sprintf("run %d", i)}) {
			t.Errorf("run %d: %s %q, %v; want %s", i, res.Value, res.Logs, res.Err, want)
		}
	}
	p.locked(func() {
		if p.lookaheads != 19 || p.withdrawals != 0 {
			t.Errorf("%d runs were given the place behind another, %d taken back; want 19 and none", p.lookaheads, p.withdrawals)
		}
	})
	if after := p.Workers(); !slices.Equal(before, after) {
		t.Errorf("workers %v, then %v", before, after)
	}
}

// TestLookaheadWithdrawn: a run behind one that computes for long, or that
// calls a tool, is taken back from the worker unstarted and runs when a
// worker is free.
func TestLookaheadWithdrawn(t *testing.T) {
	t.Run("long", func(t *testing.T) {
		setLookaheadWait(t, 20*time.Millisecond)
		p := newPool(t, Options{Size: 1, Max: 1})
		results := queueBehind(t, p,
			func() sandbox.Result {
				return p.Run(context.Background(), "const end = Date.now() + 300; while (Date.now() < end) {} return 'b'", echo, sandbox.Options{})
			},
			func() sandbox.Result { return p.Run(context.Background(), "return 'c'", echo, sandbox.Options{}) },
		)()
		if string(results[0].Value) != `"b"` || string(results[1].Value) != `"c"` {
			t.Errorf("got %s, %v and %s, %v", results[0].Value, results[0].Err, results[1].Value, results[1].Err)
		}
		p.locked(func() {
			if p.withdrawals != 1 {
				t.Errorf("%d runs taken back; want 1", p.withdrawals)
			}
		})
	})
	t.Run("tool call", func(t *testing.T) {
		setLookaheadWait(t, time.Hour) // only the tool call can make it ask
		p := newPool(t, Options{Size: 1, Max: 1})
		h := newHolder()
		results := queueBehind(t, p,
			func() sandbox.Result {
				return p.Run(context.Background(), "return await t.hold('b')", h, sandbox.Options{Bindings: holdBindings})
			},
			func() sandbox.Result { return p.Run(context.Background(), "return 'c'", echo, sandbox.Options{}) },
		)
		<-h.held
		waitUntil(t, "the run behind the tool call to be taken back", func() (ok bool) {
			p.locked(func() { ok = p.withdrawals == 1 })
			return ok
		})
		close(h.release)
		res := results()
		if string(res[0].Value) != `"b"` || string(res[1].Value) != `"c"` {
			t.Errorf("got %s, %v and %s, %v", res[0].Value, res[0].Err, res[1].Value, res[1].Err)
		}
	})
}

// TestLookaheadLost: when the worker dies in the run in progress, the run
// behind it, which never started, runs on the replacement.
func TestLookaheadLost(t *testing.T) {
	setLookaheadWait(t, time.Hour) // the run behind stays there: no tool call, no timer
	p := newPool(t, Options{Size: 1, Max: 1})
	results := queueBehind(t, p,
		func() sandbox.Result {
			return p.Run(context.Background(), "while (true) {}", echo, sandbox.Options{Timeout: 10 * time.Second})
		},
		func() sandbox.Result { return p.Run(context.Background(), "return 'b'", echo, sandbox.Options{}) },
	)
	pids := p.Workers()
	_ = syscall.Kill(spinning(pids), syscall.SIGKILL)
	res := results()
	if res[0].Err == nil || !strings.Contains(res[0].Err.Message, "crashed") {
		t.Errorf("the killed run: %s, %v", res[0].Value, res[0].Err)
	}
	if string(res[1].Value) != `"b"` || res[1].Err != nil {
		t.Errorf("the run behind it: %s, %v", res[1].Value, res[1].Err)
	}
	p.locked(func() {
		if p.lookaheads != 1 || p.withdrawals != 0 {
			t.Errorf("%d places behind a run given, %d taken back; want 1 and none", p.lookaheads, p.withdrawals)
		}
	})
	if after := p.Workers(); slices.Equal(pids, after) {
		t.Errorf("workers %v, then %v: not replaced", pids, after)
	}
}

// TestLookaheadCancel: a run cancelled while behind another ends at once,
// unstarted, and the worker goes on serving.
func TestLookaheadCancel(t *testing.T) {
	setLookaheadWait(t, time.Hour)
	p := newPool(t, Options{Size: 1, Max: 1})
	before := p.Workers()
	ctx, cancel := context.WithCancelCause(context.Background())
	var aEnded, bEnded time.Time
	results := queueBehind(t, p,
		func() sandbox.Result {
			defer func() { aEnded = time.Now() }()
			return p.Run(context.Background(), "const end = Date.now() + 400; while (Date.now() < end) {} return 'a'", echo, sandbox.Options{})
		},
		func() sandbox.Result {
			defer func() { bEnded = time.Now() }()
			return p.Run(ctx, "return 'b'", echo, sandbox.Options{})
		},
	)
	time.Sleep(50 * time.Millisecond)
	cancel(fmt.Errorf("the client went away"))
	res := results()
	if res[0].Err != nil || string(res[0].Value) != `"a"` {
		t.Errorf("a: %s, %v", res[0].Value, res[0].Err)
	}
	if res[1].Err == nil || res[1].Err.Name != "CancelledError" || !strings.Contains(res[1].Err.Message, "the client went away") {
		t.Errorf("b: %s, %v", res[1].Value, res[1].Err)
	}
	if !bEnded.Before(aEnded) {
		t.Errorf("b, cancelled while a computed, ended after it")
	}
	p.locked(func() {
		if p.lookaheads < 1 || p.withdrawals != 1 {
			t.Errorf("%d places behind a run given, %d taken back; want 1 and 1", p.lookaheads, p.withdrawals)
		}
	})
	if res := p.Run(context.Background(), "return 'c'", echo, sandbox.Options{}); string(res.Value) != `"c"` {
		t.Errorf("after: %s, %v", res.Value, res.Err)
	}
	if after := p.Workers(); !slices.Equal(before, after) {
		t.Errorf("workers %v, then %v", before, after)
	}
}

// TestLookaheadStress: many runs at once on two workers, with tool calls,
// computations and cancellations, and runs taken back after a millisecond:
// each gets its own answer or its cancellation, and the pool serves on.
func TestLookaheadStress(t *testing.T) {
	setLookaheadWait(t, time.Millisecond)
	p := newPool(t, Options{Size: 2, Max: 2})
	var wg sync.WaitGroup
	for i := range 80 {
		wg.Go(func() {
			ctx := context.Background()
			cancelled := i%7 == 3
			if cancelled {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Duration(rand.IntN(20))*time.Millisecond)
				defer cancel()
			}
			code := [...]string{"return %d", "return await t.echo(%d)", "const end = Date.now() + 5; while (Date.now() < end) {} return %d"}[i%3]
			res := p.Run(ctx, fmt.Sprintf(code, i), echo, sandbox.Options{Bindings: bindings})
			switch {
			case res.Err == nil && string(res.Value) == fmt.Sprint(i):
			case cancelled && res.Err != nil && res.Err.Name == "TimeoutError":
			default:
				t.Errorf("run %d (cancelled %v): %s, %v", i, cancelled, res.Value, res.Err)
			}
		})
	}
	wg.Wait()
	if res := p.Run(context.Background(), "return 'after'", echo, sandbox.Options{}); string(res.Value) != `"after"` {
		t.Errorf("after: %s, %v", res.Value, res.Err)
	}
	if n := len(p.Workers()); n > 2 {
		t.Errorf("%d workers; want at most 2", n)
	}
	p.locked(func() {
		if p.lookaheads == 0 || p.withdrawals == 0 {
			t.Errorf("%d places behind a run given, %d taken back; want some of each", p.lookaheads, p.withdrawals)
		}
		if len(p.queue) != 0 || len(p.held) != 0 {
			t.Errorf("queue %d, held %v after every run ended", len(p.queue), p.held)
		}
	})
}

// TestLateCallStaysInItsRun: a tool call a script starts and does not await
// may reach the worker's caller after its run ended; it must never reach
// the next run's caller (in hosted mode, another subject's credentials),
// nor break the worker.
func TestLateCallStaysInItsRun(t *testing.T) {
	p := newPool(t, Options{Size: 1, Max: 1})
	before := p.Workers()
	for i := range 50 {
		first := p.Run(context.Background(), "t.echo({ late: true }); return 1", echo, sandbox.Options{Bindings: bindings})
		if string(first.Value) != "1" {
			t.Fatalf("round %d: %s, %v", i, first.Value, first.Err)
		}
		next := sandbox.CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
			if strings.Contains(string(args), "late") {
				t.Errorf("round %d: the next run's caller got the last run's call %s %s", i, id, args)
			}
			return args, nil
		})
		res := p.Run(context.Background(), "return await t.echo({ next: 1 })", next, sandbox.Options{Bindings: bindings})
		if string(res.Value) != `{"next":1}` {
			t.Fatalf("round %d: the next run: %s, %v", i, res.Value, res.Err)
		}
	}
	if after := p.Workers(); !slices.Equal(before, after) {
		t.Errorf("workers %v, then %v: a late call broke one", before, after)
	}
}

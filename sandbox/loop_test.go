package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/internal/gostack"
	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestPromiseAllParallel: three calls awaited together are in flight at
// once. Each answers only when all three have started, so calls made one
// after the other would wait for the timeout; no clock is read.
func TestPromiseAllParallel(t *testing.T) {
	var started atomic.Int32
	all := make(chan struct{})
	caller := CallerFunc(func(ctx context.Context, _ string, _ json.RawMessage) (json.RawMessage, error) {
		if started.Add(1) == 3 {
			close(all)
		}
		select {
		case <-all:
			return json.RawMessage(`1`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	opts := Options{Bindings: []Binding{{Object: "a", Method: "x", ID: "a.x"}, {Object: "b", Method: "y", ID: "b.y"}, {Object: "c", Method: "z", ID: "c.z"}}, Timeout: testenv.Within(2 * time.Second)}
	res := Run(context.Background(), "const r = await Promise.all([a.x(), b.y(), c.z()]);\nr.length", caller, opts)
	if res.Err != nil || string(res.Value) != "3" {
		t.Fatalf("got %s, %v; the calls did not run concurrently (%d started)", res.Value, res.Err, started.Load())
	}
}

// TestTimeout checks the error and its line (the column depends on which
// instruction of the loop the interrupt lands).
func TestTimeout(t *testing.T) {
	tools := map[string]fakeTool{"t.slow": {Delay: "10s"}}
	// The script must be running when the timeout fires (the error names
	// its line): the run sets its runtime up first, slower on a busy machine.
	timeout := testenv.Within(25 * time.Millisecond)
	msg := "TimeoutError: execution timed out after " + shortDuration(timeout)
	tests := []struct {
		name, code string
		line       int
	}{
		{"infinite loop", "let i = 0;\nwhile (true) { i++ }", 2},
		{"awaited slow call", "await t.slow()", 0},
		{"slow timer", "await new Promise(r => setTimeout(r, 10000))", 0},
		{"busy in a toJSON during serialisation", "({\n  toJSON() { for (;;) {} }\n})", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(tools)
			start := time.Now()
			res := Run(context.Background(), tt.code, f, Options{Bindings: f.bindings(), Timeout: timeout})
			elapsed := time.Since(start)
			if res.Err == nil || res.Err.Name+": "+res.Err.Message != msg || res.Err.Line != tt.line {
				t.Errorf("error = %v; want %q at line %d", res.Err, msg, tt.line)
			}
			t.Logf("returned after %v", elapsed)
			if limit := timeout + testenv.Within(100*time.Millisecond); elapsed > limit {
				t.Errorf("returned after %v; want within 100ms of the %v timeout (%v with the slack)", elapsed, timeout, limit)
			}
		})
	}
}

// TestTimeoutNativeHang: goja cannot interrupt a long native call (here a
// backtracking regular expression, which regexp2 stops only after
// regexpTimeout); Run returns on time anyway.
func TestTimeoutNativeHang(t *testing.T) {
	code := "/(a*)*\\1b/.test('a'.repeat(30))"
	start := time.Now()
	res := Run(context.Background(), code, nil, Options{Timeout: 50 * time.Millisecond})
	elapsed := time.Since(start)
	if res.Err == nil || res.Err.Name != "TimeoutError" {
		t.Errorf("got %s, %v; want a TimeoutError", res.Value, res.Err)
	}
	t.Logf("returned after %v", elapsed)
	if limit := 50*time.Millisecond + testenv.Within(100*time.Millisecond); elapsed > limit {
		t.Errorf("returned after %v; want within 100ms of the 50ms timeout (%v with the slack)", elapsed, limit)
	}
}

func TestCallerContextCancelled(t *testing.T) {
	ended := make(chan error, 3)
	caller := CallerFunc(func(ctx context.Context, id string, _ json.RawMessage) (json.RawMessage, error) {
		if id == "fast" {
			return json.RawMessage("1"), nil
		}
		<-ctx.Done()
		ended <- ctx.Err()
		return nil, ctx.Err()
	})
	// The timeout must leave the runtime time to be set up and call t.slow.
	opts := Options{Timeout: testenv.Within(25 * time.Millisecond), Bindings: []Binding{{Object: "t", Method: "slow", ID: "slow"}, {Object: "t", Method: "fast", ID: "fast"}}}
	for _, code := range []string{
		"await t.slow()",              // stopped by the timeout
		"t.slow(); await t.fast()",    // finished with a call pending
		"t.slow(); throw new Error()", // failed with a call pending
	} {
		Run(context.Background(), code, caller, opts)
		select {
		case err := <-ended:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("%s: ctx.Err() = %v", code, err)
			}
		case <-time.After(testenv.Within(time.Second)):
			t.Errorf("%s: the pending call's ctx was not cancelled", code)
		}
	}
}

func TestCancel(t *testing.T) {
	// The script must be running when ctx ends (the error names its line):
	// setting a runtime up takes a few milliseconds, more on a busy machine.
	at := testenv.Within(50 * time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(at, cancel)
	start := time.Now()
	res := Run(ctx, "for (;;) {}", nil, Options{})
	if got, want := errText(res.Err), "CancelledError: execution cancelled (line 1, column 1)"; got != want {
		t.Errorf("error = %q; want %q", got, want)
	}
	if elapsed, limit := time.Since(start), at+testenv.Within(100*time.Millisecond); elapsed > limit {
		t.Errorf("returned after %v; want within 100ms of the cancellation at %v (%v with the slack)", elapsed, at, limit)
	}

	res = Run(ctx, "1", nil, Options{}) // already cancelled
	if got, want := errText(res.Err), "CancelledError: execution cancelled"; got != want {
		t.Errorf("pre-cancelled: %q; want %q", got, want)
	}

	cctx, ccancel := context.WithCancelCause(context.Background())
	ccancel(errors.New("client went away"))
	if got, want := errText(Run(cctx, "1", nil, Options{}).Err), "CancelledError: execution cancelled: client went away"; got != want {
		t.Errorf("with cause: %q; want %q", got, want)
	}

	dctx, dcancel := context.WithTimeout(context.Background(), at)
	defer dcancel()
	if got, want := errText(Run(dctx, "for (;;) {}", nil, Options{}).Err), "TimeoutError: execution timed out: the request's deadline passed (line 1, column 1)"; got != want {
		t.Errorf("ctx deadline: %q; want %q", got, want)
	}
}

func TestNeverSettles(t *testing.T) {
	start := time.Now()
	res := run(t, "await new Promise(() => {})", nil)
	want := "Error: the script awaited a promise that can never settle: no tool call or timer is pending"
	if got := errText(res.Err); got != want {
		t.Errorf("error = %q; want %q", got, want)
	}
	if elapsed := time.Since(start); elapsed > testenv.Within(100*time.Millisecond) {
		t.Errorf("took %v; want an immediate answer", elapsed)
	}
}

// TestSetTimeout runs in a synctest bubble: timers use the fake clock, so
// the order is deterministic and the test does not sleep.
func TestSetTimeout(t *testing.T) {
	tests := []struct{ name, code, want string }{
		{"order", `const seen: number[] = [];
			await new Promise<void>(done => {
				setTimeout(() => seen.push(30), 30);
				setTimeout((a: number, b: number) => seen.push(a + b), 10, 4, 6);
				setTimeout(() => { seen.push(0) });
				setTimeout(done, 50);
			});
			seen`, "[0,10,30]"},
		{"clearTimeout", `const seen: string[] = [];
			const id = setTimeout(() => seen.push("cleared"), 5);
			clearTimeout(id);
			clearTimeout(12345);
			await new Promise(r => setTimeout(r, 20));
			seen`, "[]"},
		{"returns ids", "typeof setTimeout(() => {}, 0)", `"number"`},
		// Not longer: the watchdog samples every sampleEvery of fake time too.
		{"a minute", "const t0 = Date.now(); await new Promise(r => setTimeout(r, 60e3)); Date.now() - t0", "60000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bubble(t, func(t *testing.T) {
				res, _ := bubbleRun(tt.code, nil, Options{Timeout: 2 * time.Hour})
				if res.Err != nil || string(res.Value) != tt.want {
					t.Errorf("got %s, %v; want %s", res.Value, res.Err, tt.want)
				}
			})
		})
	}
	if got := errText(run(t, "setTimeout('code', 1)", nil).Err); got != "TypeError: setTimeout: the callback must be a function (line 1, column 1)" {
		t.Errorf("string callback: %q", got)
	}
	res := run(t, "const id = setTimeout(() => {}, 1000); clearTimeout(id); await new Promise(() => {})", nil)
	if res.Err == nil || res.Err.Message != errNeverSettles.Error() {
		t.Errorf("cleared timer still pending: %v", res.Err)
	}
}

// bubble is synctest.Test with the goroutines of gostack.Go started for
// each function, in the bubble, and ended after it: one kept from outside
// the bubble cannot wait on its channels, nor one of the bubble outlive it.
func bubble(t *testing.T, f func(*testing.T)) {
	t.Helper()
	defer gostack.WithoutReuse()()
	synctest.Test(t, f)
}

// bubbleRun is Run inside a testing/synctest bubble (see bubble). The run
// gets a Memory of its own, so that the watchdog goroutine it starts
// belongs to the bubble and sees only its executions, and bubbleRun waits
// (on the fake clock) for the watchdog's next sample, which ends it: a
// goroutine still waiting for a timer when the bubble's main goroutine
// returns is a deadlock, since the fake clock stops then.
// It also returns how long Run took.
func bubbleRun(code string, caller Caller, opts Options) (Result, time.Duration) {
	opts.Memory = NewMemory(DefaultMemoryLimit)
	start := time.Now()
	res := Run(context.Background(), code, caller, opts)
	took := time.Since(start)
	time.Sleep(2 * sampleEvery)
	return res, took
}

// TestDefaultTimeout: a slow tool meets the default 30s limit, on synctest's
// fake clock.
func TestDefaultTimeout(t *testing.T) {
	bubble(t, func(t *testing.T) {
		f := newFake(map[string]fakeTool{"t.slow": {Delay: "1m"}})
		res, took := bubbleRun("console.log('calling');\nawait t.slow()", f, Options{Bindings: f.bindings()})
		if got, want := errText(res.Err), "TimeoutError: execution timed out after 30s"; got != want {
			t.Errorf("error = %q; want %q", got, want)
		}
		if took != 30*time.Second {
			t.Errorf("took %v of fake time; want 30s", took)
		}
		if diff := cmp.Diff([]string{"calling"}, res.Logs); diff != "" {
			t.Errorf("logs (-want +got):\n%s", diff)
		}
	})
}

func TestUnhandledRejections(t *testing.T) {
	tools := map[string]fakeTool{
		"t.fail": {Error: &fakeError{"ToolError", "nope"}},
		"t.ok":   {Result: json.RawMessage("1"), Delay: "10ms"},
	}
	tests := []struct {
		code string
		logs []string
	}{
		{"t.fail();\nawait t.ok()", []string{"[warn] unhandled promise rejection: ToolError: nope (line 1, column 3)"}},
		{"const p = t.fail();\nawait t.ok();\ntry { await p } catch {}", []string{}},
		{"await Promise.allSettled([t.fail(), t.ok()])", []string{}},
		{"Promise.reject(new Error('x')).catch(() => {}); 1", []string{}},
	}
	for _, tt := range tests {
		res := run(t, tt.code, tools)
		if res.Err != nil {
			t.Errorf("Run(%q): %v", tt.code, res.Err)
		}
		if diff := cmp.Diff(tt.logs, res.Logs); diff != "" {
			t.Errorf("Run(%q) logs (-want +got):\n%s", tt.code, diff)
		}
	}
}

// TestNoSettlementAfterCancel: a call that returns because the run's
// context was cancelled (one held at an approval pause returns so) is not
// delivered: no progress is reported for it and the script's continuation
// does not run. The context holds back its cancellation of everything
// derived from it (Run's stop, the calls' context) until the test lets it
// go, so the call's settlement reaches the loop before the stop does, as
// it may when Run's context.AfterFunc goroutine is late; synctest.Wait
// tells when the run has gone as far as it can.
func TestNoSettlementAfterCancel(t *testing.T) {
	bubble(t, func(t *testing.T) {
		ctx := newHeldContext()
		calling := make(chan struct{})
		caller := CallerFunc(func(_ context.Context, id string, _ json.RawMessage) (json.RawMessage, error) {
			if id != "held" {
				return json.RawMessage(`1`), nil
			}
			close(calling)
			<-ctx.Done()
			return json.RawMessage(`"settled"`), nil
		})
		var progress atomic.Int32
		opts := Options{
			Bindings: []Binding{{Object: "t", Method: "held", ID: "held"}, {Object: "t", Method: "next", ID: "next"}},
			Timeout:  time.Hour,
			Memory:   NewMemory(DefaultMemoryLimit),
			OnCall:   func(int, int) { progress.Add(1) },
		}
		done := make(chan Result, 1)
		go func() {
			done <- Run(ctx, "const v = await t.held();\nconsole.log('after', v);\nawait t.next();\nreturn v", caller, opts)
		}()
		<-calling
		ctx.cancel()
		synctest.Wait() // the settlement was taken or dropped; the stop is held back
		ctx.release()
		res := <-done
		time.Sleep(2 * sampleEvery) // the watchdog's next sample ends it (see bubbleRun)
		if got, want := errText(res.Err), "CancelledError: execution cancelled"; got != want {
			t.Errorf("error = %q (value %s); want %q", got, res.Value, want)
		}
		if len(res.Logs) != 0 {
			t.Errorf("the script went on after the cancellation: logs %q", res.Logs)
		}
		if n := progress.Load(); n != 0 {
			t.Errorf("OnCall was called %d times after the cancellation; want 0", n)
		}
	})
}

// heldContext is a context whose cancellation reaches the functions
// registered on it (context.AfterFunc, and the contexts derived from it,
// which register through its AfterFunc method) only on release, while its
// own Done and Err report it at once.
type heldContext struct {
	done chan struct{}
	mu   sync.Mutex
	err  error
	fns  []func() // nil once stopped
}

func newHeldContext() *heldContext { return &heldContext{done: make(chan struct{})} }

func (c *heldContext) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c *heldContext) Done() <-chan struct{}       { return c.done }
func (c *heldContext) Value(any) any               { return nil }

func (c *heldContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *heldContext) cancel() {
	c.mu.Lock()
	c.err = context.Canceled
	c.mu.Unlock()
	close(c.done)
}

// AfterFunc is what context.AfterFunc and context.WithCancel call instead
// of starting a goroutine that watches Done.
func (c *heldContext) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i := len(c.fns)
	c.fns = append(c.fns, f)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := c.fns[i] != nil
		c.fns[i] = nil
		return was
	}
}

// release runs the functions registered and not stopped, each on its own
// goroutine as context.AfterFunc does.
func (c *heldContext) release() {
	c.mu.Lock()
	fns := slices.Clone(c.fns)
	clear(c.fns)
	c.mu.Unlock()
	for _, f := range fns {
		if f != nil {
			go f()
		}
	}
}

package isolate

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// TestMain makes the test binary a worker that never answers (hangWorker),
// for the kill tests; the package's init makes it a real worker.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == hangWorker {
		_ = newWriter(os.Stdout).send(kindReady, struct{}{})
		time.Sleep(time.Hour)
	}
	if len(os.Args) > 2 && os.Args[1] == profiledWorker {
		os.Setenv(envWorker, "1")
		os.Exit(serveProfiled(os.Args[2]))
	}
	os.Exit(m.Run())
}

const hangWorker = "hang-worker"

// newPool starts a pool of this test binary's workers, closed at the end.
func newPool(t testing.TB, opts Options) *Pool {
	t.Helper()
	if opts.Command == nil {
		opts.Command = []string{os.Args[0], WorkerCommand}
	}
	p, err := NewPool(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

var echo = sandbox.CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
	switch id {
	case "fail":
		return nil, &callError{Name: "ToolError", Message: "no such thing"}
	case "status":
		return nil, &callError{Name: "HttpError", Message: "404 Not Found", Props: map[string]any{"status": 404, "name": "not this"}}
	case "plain":
		return nil, errors.New("plain failure")
	case "panic":
		panic("boom")
	case "slow":
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return args, nil
})

var bindings = []sandbox.Binding{
	{Object: "t", Method: "echo", ID: "echo"}, {Object: "t", Method: "fail", ID: "fail"},
	{Object: "t", Method: "plain", ID: "plain"}, {Object: "t", Method: "panic", ID: "panic"},
	{Object: "t", Method: "slow", ID: "slow"}, {Object: "t", Method: "status", ID: "status"},
}

// TestRun: results, logs, tool calls and errors come back as sandbox.Run
// gives them in process.
func TestRun(t *testing.T) {
	p := newPool(t, Options{Size: 1})
	tests := []struct{ code string }{
		{"return 1 + 1"},
		{"console.log('hi', {a: 1}); console.warn('w'); return null"},
		{"const r = await Promise.all([t.echo({a: 1}), t.echo({b: 2})]);\nreturn r"},
		{"try { await t.fail() } catch (e) { return [e.name, e.message] }"},
		{"try { await t.plain() } catch (e) { return [e.name, e.message] }"},
		{"try { await t.panic() } catch (e) { return [e.name, e.message] }"},
		{"try { await t.status() } catch (e) { return [e.name, e.status, e.message] }"},
		{"let x: number = 1;\nx.foo.bar"},
		{"return ("},
		{"for (let i = 0; i < 300; i++) await t.echo({})"},
		{"console.log('kept'); throw new RangeError('r')"},
	}
	for _, tt := range tests {
		opts := sandbox.Options{Bindings: bindings, Timeout: 5 * time.Second}
		want := sandbox.Run(context.Background(), tt.code, echo, opts)
		got := p.Run(context.Background(), tt.code, echo, opts)
		want.Stats, got.Stats = sandbox.Stats{}, sandbox.Stats{}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: (-in process +pool)\n%s", tt.code, diff)
		}
	}
	// An error's own properties cross too (an HttpError's status), but
	// never its name, message or stack.
	got := p.Run(context.Background(), "try { await t.status() } catch (e) { return [e.name, e.status, e.message] }", echo,
		sandbox.Options{Bindings: bindings, Timeout: 5 * time.Second})
	if string(got.Value) != `["HttpError",404,"404 Not Found"]` {
		t.Errorf("an error's properties from a worker: %s %v", got.Value, got.Err)
	}
}

func TestStreams(t *testing.T) {
	p := newPool(t, Options{Size: 1})
	var logs []string
	var calls [][2]int
	res := p.Run(context.Background(), "console.log('a'); await t.echo({}); console.log('b')", echo, sandbox.Options{
		Bindings: bindings,
		OnLog:    func(l string) { logs = append(logs, l) },
		OnCall:   func(done, started int) { calls = append(calls, [2]int{done, started}) },
	})
	if res.Err != nil || res.Stats.ToolCalls != 1 {
		t.Fatalf("got %v, stats %+v", res.Err, res.Stats)
	}
	if diff := cmp.Diff([]string{"a", "b"}, logs); diff != "" {
		t.Errorf("OnLog (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][2]int{{1, 1}}, calls); diff != "" {
		t.Errorf("OnCall (-want +got):\n%s", diff)
	}
}

// TestWorkerEnvironment: the worker sees none of the parent's environment.
func TestWorkerEnvironment(t *testing.T) {
	t.Setenv("ISOLATE_SECRET", "s3cr3t-value")
	p := newPool(t, Options{Size: 1})
	for _, pid := range p.Workers() {
		env, err := os.ReadFile("/proc/" + itoa(pid) + "/environ")
		if err != nil {
			t.Skipf("no /proc: %v", err)
		}
		if strings.Contains(string(env), "s3cr3t-value") || strings.Contains(string(env), "PATH=") {
			t.Errorf("worker environment: %q", env)
		}
	}
}

// TestKilledWorker: a worker killed in the middle of a run fails that run
// with a clear error; a run on another worker at the same time finishes,
// and the pool replaces the dead worker.
func TestKilledWorker(t *testing.T) {
	p := newPool(t, Options{Size: 2})
	var wg sync.WaitGroup
	var other sandbox.Result
	wg.Add(1)
	go func() {
		defer wg.Done()
		other = p.Run(context.Background(), "await new Promise(r => setTimeout(r, 600)); return 'fine'", echo, sandbox.Options{Timeout: 5 * time.Second})
	}()
	started := make(chan struct{})
	var victim sandbox.Result
	wg.Add(1)
	go func() {
		defer wg.Done()
		victim = p.Run(context.Background(), "await t.echo({}); while (true) {}", sandbox.CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
			close(started)
			return args, nil
		}), sandbox.Options{Bindings: bindings, Timeout: 5 * time.Second})
	}()
	<-started
	_ = syscall.Kill(spinning(p.Workers()), syscall.SIGKILL)
	wg.Wait()
	if victim.Err == nil || victim.Err.Name != "InternalError" || !strings.Contains(victim.Err.Message, "crashed") {
		t.Errorf("killed run: %v", victim.Err)
	}
	if other.Err != nil || string(other.Value) != `"fine"` {
		t.Errorf("other run: %s, %v", other.Value, other.Err)
	}
	if res := p.Run(context.Background(), "return 3", echo, sandbox.Options{}); string(res.Value) != "3" {
		t.Errorf("after the kill: %s, %v", res.Value, res.Err)
	}
}

// spinning returns the process using the most CPU over 200ms (the
// worker in a busy loop), from /proc/PID/stat.
func spinning(pids []int) int {
	before := map[int]int64{}
	for _, pid := range pids {
		before[pid] = cpuTicks(pid)
	}
	time.Sleep(200 * time.Millisecond)
	best, most := 0, int64(-1)
	for _, pid := range pids {
		if d := cpuTicks(pid) - before[pid]; d > most {
			best, most = pid, d
		}
	}
	return best
}

func cpuTicks(pid int) int64 {
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	var u, k int64
	if len(f) > 12 {
		u, k = atoi(f[11]), atoi(f[12])
	}
	return u + k
}

// TestHungWorker: a worker that never answers is killed shortly after the
// deadline, and the run ends with a TimeoutError.
func TestHungWorker(t *testing.T) {
	p := newPool(t, Options{Size: 1, Command: []string{os.Args[0], hangWorker}})
	start := time.Now()
	res := p.Run(context.Background(), "return 1", echo, sandbox.Options{Timeout: 200 * time.Millisecond})
	elapsed := time.Since(start)
	if res.Err == nil || res.Err.Error() != "TimeoutError: execution timed out after 200ms" {
		t.Errorf("got %v", res.Err)
	}
	if elapsed > 200*time.Millisecond+testenv.Within(250*time.Millisecond) {
		t.Errorf("took %v", elapsed)
	}
}

func TestCancel(t *testing.T) {
	p := newPool(t, Options{Size: 1})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	res := p.Run(ctx, "while (true) {}", echo, sandbox.Options{Timeout: 10 * time.Second})
	if res.Err == nil || res.Err.Name != "CancelledError" {
		t.Errorf("got %v", res.Err)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	res = p.Run(ctx, "await t.slow()", echo, sandbox.Options{Bindings: bindings, Timeout: 10 * time.Second})
	if res.Err == nil || res.Err.Name != "TimeoutError" {
		t.Errorf("ctx deadline: got %v", res.Err)
	}
}

// TestMemoryKill: a worker whose memory passes WorkerMemory is killed (here
// the execution's own budget is set higher, so the in-worker watchdog does
// not act first).
func TestMemoryKill(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory makes the worker's RSS meaningless")
	}
	p := newPool(t, Options{Size: 1, WorkerMemory: 160 << 20})
	res := p.Run(context.Background(), "const a: any[] = []; for (;;) a.push({ n: a.length })", echo,
		sandbox.Options{Timeout: 10 * time.Second, MemoryLimit: 1 << 30})
	if res.Err == nil || res.Err.Name != "MemoryLimitError" {
		t.Errorf("got %v", res.Err)
	}
	if res := p.Run(context.Background(), "return 3", echo, sandbox.Options{}); string(res.Value) != "3" {
		t.Errorf("after the kill: %s, %v", res.Value, res.Err)
	}
}

func TestConcurrentRuns(t *testing.T) {
	p := newPool(t, Options{Size: 2, Max: 4})
	var wg sync.WaitGroup
	errs := make(chan string, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := p.Run(context.Background(), "return await t.echo({ i: "+itoa(i)+" })", echo, sandbox.Options{Bindings: bindings})
			if want := `{"i":` + itoa(i) + `}`; string(res.Value) != want {
				errs <- string(res.Value) + " " + res.Err.Error()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := len(p.Workers()); n > 4 {
		t.Errorf("%d workers; Max is 4", n)
	}
}

func TestBadCommand(t *testing.T) {
	_, err := NewPool(Options{Command: []string{os.Args[0], "no-such-mode", "-test.run=^$"}})
	if err == nil {
		t.Fatal("no error for a command that is not a worker")
	}
}

func itoa(i int) string { return strconvItoa(i) }

// TestComputing: with Computing 1, an execution gets a worker of its own
// while the only other one waits in a tool call, or has computed for over
// a second; trivial executions share the one worker.
func TestComputing(t *testing.T) {
	p := newPool(t, Options{Size: 1, Max: 3, Computing: 1})
	for i := range 10 {
		if res := p.Run(context.Background(), "return "+itoa(i), echo, sandbox.Options{}); string(res.Value) != itoa(i) {
			t.Fatalf("run %d: %s, %v", i, res.Value, res.Err)
		}
	}
	if n := len(p.Workers()); n != 1 {
		t.Errorf("%d workers after executions one at a time; want 1", n)
	}
	inCall, release := make(chan struct{}), make(chan struct{})
	blocking := sandbox.CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		close(inCall)
		<-release
		return args, nil
	})
	var wg sync.WaitGroup
	var waiting sandbox.Result
	wg.Go(func() {
		waiting = p.Run(context.Background(), "return await t.echo({ a: 1 })", blocking, sandbox.Options{Bindings: bindings, Timeout: 20 * time.Second})
	})
	<-inCall
	if res := p.Run(context.Background(), "return 2", echo, sandbox.Options{Timeout: 10 * time.Second}); string(res.Value) != "2" {
		t.Errorf("beside a run in a tool call: %s, %v", res.Value, res.Err)
	}
	close(release)
	wg.Wait()
	if string(waiting.Value) != `{"a":1}` {
		t.Errorf("the run in the tool call: %s, %v", waiting.Value, waiting.Err)
	}
	hog := testenv.Within(time.Second) // a long computation's timeout
	hogs := make([]sandbox.Result, 2)
	for i := range hogs {
		wg.Go(func() {
			hogs[i] = p.Run(context.Background(), "while (true) {}", echo, sandbox.Options{Timeout: hog})
		})
	}
	for p.idleCount() > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	start := time.Now()
	if res := p.Run(context.Background(), "return 3", echo, sandbox.Options{Timeout: 10 * time.Second}); string(res.Value) != "3" {
		t.Errorf("beside long computations: %s, %v", res.Value, res.Err)
	}
	if d := time.Since(start); d > hog*7/8 { // waiting for a slot would be waiting for a hog's timeout
		t.Errorf("waited %v beside long computations", d)
	}
	wg.Wait()
	for _, h := range hogs {
		if h.Err == nil || h.Err.Name != "TimeoutError" {
			t.Errorf("a long computation: %v", h.Err)
		}
	}
}

// TestSetupChanges: a worker is sent its bindings and prelude only when
// they differ from its previous run's; runs on one worker with changing
// ones each see their own.
func TestSetupChanges(t *testing.T) {
	p := newPool(t, Options{Size: 1, Max: 1})
	other := []sandbox.Binding{{Object: "u", Method: "echo", ID: "echo"}}
	for i, c := range []struct {
		bindings []sandbox.Binding
		prelude  []string
		want     string
	}{
		{bindings, nil, `["object","undefined",null]`},
		{bindings, nil, `["object","undefined",null]`},
		{other, nil, `["undefined","object",null]`},
		{other, []string{"globalThis.p = 1"}, `["undefined","object",1]`},
		{other, []string{"globalThis.p = 1"}, `["undefined","object",1]`},
		{bindings, []string{"globalThis.p = 2"}, `["object","undefined",2]`},
		{nil, nil, `["undefined","undefined",null]`},
		{bindings, nil, `["object","undefined",null]`},
	} {
		res := p.Run(context.Background(), "return [typeof t, typeof u, globalThis.p ?? null]", echo,
			sandbox.Options{Bindings: c.bindings, Prelude: c.prelude})
		if string(res.Value) != c.want {
			t.Errorf("run %d: got %s, %v; want %s", i, res.Value, res.Err, c.want)
		}
	}
	if n := len(p.Workers()); n != 1 {
		t.Errorf("%d workers; want 1", n)
	}
}

// TestCancelKeepsWorker: a cancelled run waiting in a tool call ends in
// its worker, which stays in the pool.
func TestCancelKeepsWorker(t *testing.T) {
	p := newPool(t, Options{Size: 1, Max: 1})
	before := p.Workers()
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(100*time.Millisecond, func() { cancel(errors.New("the client went away")) })
	res := p.Run(ctx, "await t.slow()", echo, sandbox.Options{Bindings: bindings, Timeout: 10 * time.Second})
	if res.Err == nil || res.Err.Name != "CancelledError" || !strings.Contains(res.Err.Message, "the client went away") {
		t.Errorf("got %v", res.Err)
	}
	if res := p.Run(context.Background(), "return 1", echo, sandbox.Options{}); string(res.Value) != "1" {
		t.Errorf("after the cancel: %s, %v", res.Value, res.Err)
	}
	if after := p.Workers(); !slices.Equal(before, after) {
		t.Errorf("workers %v, then %v: the cancelled one was replaced", before, after)
	}
}

// TestCPURetires: a worker that used half its CPU budget (WorkerCPU) is
// replaced after its run, before RLIMIT_CPU would kill it in a later one;
// short runs back to back, which read the CPU time at most every
// cpuCheckEvery, leave it be. The budget is spent by runs that compute for
// 300ms of wall time each, as many as a loaded machine needs to give the
// worker the second of CPU (the rlimit, 2s, is never reached: each run
// ends with a check).
func TestCPURetires(t *testing.T) {
	p := newPool(t, Options{Size: 1, Max: 1, WorkerCPU: 2 * time.Second})
	before := p.Workers()
	for i := range 50 {
		if res := p.Run(context.Background(), "return 1", echo, sandbox.Options{}); string(res.Value) != "1" {
			t.Fatalf("run %d: %s, %v", i, res.Value, res.Err)
		}
	}
	if after := p.Workers(); !slices.Equal(before, after) {
		t.Fatalf("workers %v, then %v after 50 short runs: a worker far from its CPU budget was replaced", before, after)
	}
	compute := "const end = Date.now() + 300; let n = 0; while (Date.now() < end) { n++ } return n > 0"
	runs := 0
	for ; runs < 40 && slices.Equal(p.Workers(), before); runs++ {
		if res := p.Run(context.Background(), compute, echo, sandbox.Options{Timeout: 10 * time.Second}); string(res.Value) != "true" {
			t.Fatalf("computing run %d: %s, %v", runs, res.Value, res.Err)
		}
	}
	if after := p.Workers(); slices.Equal(before, after) {
		t.Fatalf("workers still %v after %d runs computing 300ms each in a worker with a 2s CPU budget: want it replaced", after, runs)
	}
	if runs < 2 {
		t.Errorf("the worker was replaced after %d run computing 300ms: long before half of its 2s CPU budget", runs)
	}
	if res := p.Run(context.Background(), "return 2", echo, sandbox.Options{}); string(res.Value) != "2" {
		t.Errorf("after the replacement: %s, %v", res.Value, res.Err)
	}
}

// TestIdleWorkersStop: workers started for a burst are stopped once idle
// for IdleTimeout, down to Size.
func TestIdleWorkersStop(t *testing.T) {
	p := newPool(t, Options{Size: 1, Max: 3, IdleTimeout: 200 * time.Millisecond})
	var inCalls sync.WaitGroup
	inCalls.Add(3)
	release := make(chan struct{})
	blocking := sandbox.CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		inCalls.Done()
		<-release
		return args, nil
	})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			if res := p.Run(context.Background(), "return await t.echo(1)", blocking, sandbox.Options{Bindings: bindings, Timeout: 20 * time.Second}); string(res.Value) != "1" {
				t.Errorf("got %s, %v", res.Value, res.Err)
			}
		})
	}
	inCalls.Wait()
	if n := len(p.Workers()); n != 3 {
		t.Errorf("%d workers for 3 executions in tool calls; want 3", n)
	}
	close(release)
	wg.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for len(p.Workers()) > 1 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(p.Workers()); n != 1 {
		t.Errorf("%d workers 5s after the burst; want 1 (Size)", n)
	}
	if res := p.Run(context.Background(), "return 2", echo, sandbox.Options{}); string(res.Value) != "2" {
		t.Errorf("after the idle workers stopped: %s, %v", res.Value, res.Err)
	}
}

// TestReplayCrosses: a worker replays Math.random and the clock as a run
// in process does, reports the clock values it handed out, and each call
// reaches the parent's Caller with the order the script started it in.
func TestReplayCrosses(t *testing.T) {
	p := newPool(t, Options{Size: 1})
	const code = `const a = t.echo(Math.random()); const b = t.echo(Date.now());
		return [await a, await b, new Date().getTime()]`
	var seqs []int
	var mu sync.Mutex
	caller := sandbox.CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		n, _ := sandbox.CallSeq(ctx)
		mu.Lock()
		seqs = append(seqs, n)
		mu.Unlock()
		return args, nil
	})
	opts := sandbox.Options{Bindings: bindings, Timeout: 5 * time.Second, Replay: &sandbox.Replay{Seed: 7, Times: []int64{5, 6}}}
	want := sandbox.Run(context.Background(), code, caller, opts)
	seqs = nil
	got := p.Run(context.Background(), code, caller, opts)
	if got.Err != nil {
		t.Fatal(got.Err)
	}
	if string(got.Value) != string(want.Value) || !slices.Equal(got.Times, want.Times) {
		t.Errorf("in a worker: %s, times %v; in process: %s, times %v", got.Value, got.Times, want.Value, want.Times)
	}
	slices.Sort(seqs)
	if !slices.Equal(seqs, []int{1, 2}) {
		t.Errorf("call orders seen by the parent: %v, want [1 2]", seqs)
	}
}

// An execution takes the idle worker used last: the others stay asleep
// (and are stopped after IdleTimeout beyond Size).
func TestIdleWorkerUsedLastFirst(t *testing.T) {
	p := newPool(t, Options{Size: 2})
	for p.idleCount() < 2 {
		time.Sleep(5 * time.Millisecond)
	}
	p.mu.Lock()
	older, last := p.idle[0], p.idle[1]
	p.mu.Unlock()
	for i := range 3 {
		if res := p.Run(context.Background(), "return 1", echo, sandbox.Options{}); res.Err != nil {
			t.Fatalf("run %d: %v", i, res.Err)
		}
		p.mu.Lock()
		got := slices.Clone(p.idle)
		p.mu.Unlock()
		if len(got) != 2 || got[0] != older || got[1] != last {
			var pids []int
			for _, w := range got {
				pids = append(pids, w.pid)
			}
			t.Fatalf("after run %d: idle workers %v, want %d (used last) on top of %d", i, pids, last.pid, older.pid)
		}
	}
}

// idleCount is how many workers are idle.
func (p *Pool) idleCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

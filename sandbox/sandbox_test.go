package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// fakeTool is what the fake Caller does for one binding ID.
type fakeTool struct {
	Result json.RawMessage `json:"result"`
	Error  *fakeError      `json:"error"`
	Delay  string          `json:"delay"` // a time.Duration; the call honours ctx
	Panic  string          `json:"panic"`
	Echo   bool            `json:"echo"` // return the arguments
}

// fakeError is the error a fakeTool returns, as a toolError.
type fakeError struct {
	Name    string `json:"name"`
	Message string `json:"message"`
}

// fake is a Caller serving fakeTools by ID ("namespace.method") and
// recording every call as "id args".
type fake struct {
	tools map[string]fakeTool
	mu    sync.Mutex
	calls []string
}

func newFake(tools map[string]fakeTool) *fake { return &fake{tools: tools} }

func (f *fake) Call(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
	f.mu.Lock()
	f.calls = append(f.calls, id+" "+string(args))
	f.mu.Unlock()
	t, ok := f.tools[id]
	if !ok {
		return nil, fmt.Errorf("no tool %q", id)
	}
	if err := sleep(ctx, t.Delay); err != nil {
		return nil, err
	}
	switch {
	case t.Panic != "":
		panic(t.Panic)
	case t.Error != nil:
		return nil, toolError{name: t.Error.Name, msg: t.Error.Message}
	case t.Echo:
		return args, nil
	}
	return t.Result, nil
}

func sleep(ctx context.Context, delay string) error {
	if delay == "" {
		return nil
	}
	d, err := time.ParseDuration(delay)
	if err != nil {
		return err
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sortedCalls returns the recorded calls, sorted: calls run concurrently.
func (f *fake) sortedCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := append([]string{}, f.calls...)
	sort.Strings(c)
	return c
}

// bindings binds every tool of f, "ns.method" as ns.method.
func (f *fake) bindings() []Binding {
	var bs []Binding
	for id := range f.tools {
		i := strings.LastIndexByte(id, '.')
		bs = append(bs, Binding{Object: id[:i], Method: id[i+1:], ID: id})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].ID < bs[j].ID })
	return bs
}

// toolError is a Caller error with a JS name.
type toolError struct{ name, msg string }

func (e toolError) Error() string     { return e.msg }
func (e toolError) ErrorName() string { return e.name }

// run runs code against tools with a timeout that only bounds a test gone
// wrong.
func run(t *testing.T, code string, tools map[string]fakeTool) Result {
	t.Helper()
	f := newFake(tools)
	return Run(context.Background(), code, f, Options{Bindings: f.bindings(), Timeout: testenv.Within(2 * time.Second)})
}

// errText is e.Error(), or "" for nil.
func errText(e *Error) string {
	if e == nil {
		return ""
	}
	return e.Error()
}

// TestScenarios runs testdata/scenarios/*.txtar. Each archive holds:
//
//	code        the model's code
//	tools.json  {"ns.method": fakeTool, ...} (optional)
//	result      the expected JSON result (compared as JSON; absent when an error is expected)
//	logs        the expected console lines (optional; absent means none)
//	error       the expected Error.Error() text (optional)
//	calls       the expected calls, "id args" per line, sorted (optional)
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			t.Parallel()
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			runScenario(t, sections(a))
		})
	}
}

func sections(a *txtar.Archive) map[string]string {
	s := map[string]string{}
	for _, f := range a.Files {
		s[f.Name] = string(f.Data)
	}
	return s
}

func runScenario(t *testing.T, s map[string]string) {
	tools := map[string]fakeTool{}
	if j, ok := s["tools.json"]; ok {
		if err := json.Unmarshal([]byte(j), &tools); err != nil {
			t.Fatalf("tools.json: %v", err)
		}
	}
	f := newFake(tools)
	res := Run(context.Background(), strings.TrimSuffix(s["code"], "\n"), f, Options{Bindings: f.bindings(), Timeout: testenv.Within(2 * time.Second)})
	if diff := cmp.Diff(strings.TrimSpace(s["error"]), errText(res.Err)); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
	if want, ok := s["result"]; ok {
		if diff := cmp.Diff(decodeJSON(t, want), decodeJSON(t, string(res.Value))); diff != "" {
			t.Errorf("result (-want +got):\n%s", diff)
		}
	}
	if diff := cmp.Diff(lines(s["logs"]), res.Logs); diff != "" {
		t.Errorf("logs (-want +got):\n%s", diff)
	}
	if want, ok := s["calls"]; ok {
		if diff := cmp.Diff(lines(want), f.sortedCalls()); diff != "" {
			t.Errorf("calls (-want +got):\n%s", diff)
		}
	}
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("bad JSON %q: %v", s, err)
	}
	return v
}

// lines splits a section into lines; an empty section is no lines.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "\n")
}

func TestFreshRuntime(t *testing.T) {
	if res := run(t, "globalThis.leak = 1; Array.prototype.sneaky = 2; 'set'", nil); res.Err != nil {
		t.Fatal(res.Err)
	}
	res := run(t, "[typeof leak, typeof [].sneaky]", nil)
	if got := string(res.Value); got != `["undefined","undefined"]` {
		t.Errorf("second run sees the first's globals: %s (err %v)", got, res.Err)
	}
}

func TestGlobals(t *testing.T) {
	res := run(t, `["require", "process", "module", "exports", "GoError", "fetch", "window"]
		.filter(n => n in globalThis)`, nil)
	if got := string(res.Value); got != "[]" {
		t.Errorf("unexpected globals: %s (err %v)", got, res.Err)
	}
}

func TestConcurrentRuns(t *testing.T) {
	tools := map[string]fakeTool{"t.echo": {Echo: true}}
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := fmt.Sprintf("console.log(%d); const r = await t.echo({n: %d}); globalThis.x = r.n; r.n * 2", i, i)
			res := run(t, code, tools)
			if got, want := string(res.Value), fmt.Sprint(i*2); got != want || res.Err != nil {
				t.Errorf("run %d: got %s, err %v", i, got, res.Err)
			}
			if len(res.Logs) != 1 || res.Logs[0] != fmt.Sprint(i) {
				t.Errorf("run %d: logs %q", i, res.Logs)
			}
		}()
	}
	wg.Wait()
}

func TestRunDefaults(t *testing.T) {
	o := Options{}.withDefaults()
	want := Options{Timeout: 30 * time.Second, MaxToolCalls: 200, MaxCodeBytes: 256 << 10, MaxLogBytes: 1 << 20}
	if o.Timeout != want.Timeout || o.MaxToolCalls != want.MaxToolCalls ||
		o.MaxCodeBytes != want.MaxCodeBytes || o.MaxLogBytes != want.MaxLogBytes {
		t.Errorf("defaults = %+v", o)
	}
}

func TestStats(t *testing.T) {
	res := run(t, "await t.a(); await t.a(); 1", map[string]fakeTool{"t.a": {Result: json.RawMessage("1")}})
	if res.Stats.ToolCalls != 2 || res.Stats.Duration <= 0 {
		t.Errorf("stats = %+v", res.Stats)
	}
	if res.Logs == nil {
		t.Error("Logs is nil; want an empty slice")
	}
}

func FuzzRun(f *testing.F) {
	for _, seed := range []string{
		"1 + 1", "```ts\nreturn 1\n```", "async () => 1", "throw new Error('x')", "while(true){}",
		"await t.a({x: 1})", "console.log({a: [1, 2n]})", "let x: number = ", "})", "}); (function(){",
		"return new Map([[{}, 1]])", "for await (const x of [1]) {}", "eval('1\\n//# sourceMappingURL=/etc/passwd')",
	} {
		f.Add(seed)
	}
	tools := map[string]fakeTool{"t.a": {Echo: true}}
	f.Fuzz(func(t *testing.T, code string) {
		fk := newFake(tools)
		done := make(chan Result, 1)
		go func() {
			done <- Run(context.Background(), code, fk, Options{Bindings: fk.bindings(), Timeout: 50 * time.Millisecond})
		}()
		select {
		case res := <-done:
			if res.Err == nil && !json.Valid(res.Value) {
				t.Errorf("invalid JSON result %q", res.Value)
			}
			if res.Err != nil && res.Err.Name == NameInternal {
				t.Errorf("internal error: %v", res.Err)
			}
		case <-time.After(testenv.Within(2 * time.Second)):
			t.Fatalf("Run did not return")
		}
	})
}

func BenchmarkRunTrivial(b *testing.B) {
	var bindings []Binding
	for i := range 50 {
		bindings = append(bindings, Binding{Object: fmt.Sprintf("ns%d", i%5), Method: fmt.Sprintf("m%d", i), ID: fmt.Sprint(i)})
	}
	caller := CallerFunc(func(context.Context, string, json.RawMessage) (json.RawMessage, error) { return nil, nil })
	opts := Options{Bindings: bindings}
	b.ReportAllocs()
	for b.Loop() {
		if res := Run(context.Background(), "return 1", caller, opts); res.Err != nil {
			b.Fatal(res.Err)
		}
	}
}

func TestPrelude(t *testing.T) {
	caller := CallerFunc(func(ctx context.Context, id string, args json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`{"got":` + string(args) + `}`), nil
	})
	opts := Options{
		Bindings: []Binding{{Object: "__hidden", Method: "call", ID: "h"}},
		Prelude: []string{`(() => {
  const call = globalThis.__hidden.call;
  delete globalThis.__hidden;
  globalThis.shout = async (s) => (await call({ s })).got.s.toUpperCase();
})()`},
	}
	res := Run(context.Background(), `return [typeof __hidden, await shout("hi")]`, caller, opts)
	if res.Err != nil || string(res.Value) != `["undefined","HI"]` {
		t.Errorf("Run = %s, %v", res.Value, res.Err)
	}
	res = Run(context.Background(), `return 1`, caller, Options{Prelude: []string{"throw new Error('broken prelude')"}})
	if res.Err == nil || res.Err.Name != "InternalError" {
		t.Errorf("a throwing prelude gave %s, %v; want an InternalError", res.Value, res.Err)
	}
}

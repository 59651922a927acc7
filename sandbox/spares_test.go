package sandbox

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/mcp-codemode/mcp-codemode/internal/testenv"
)

// TestPlainJavaScript: code that goja compiles as it is skips esbuild, and
// gives what the same code through esbuild gives: value, error, position,
// stack and logs. A TypeScript-only line after the code sends it through
// esbuild without moving anything.
func TestPlainJavaScript(t *testing.T) {
	tools := map[string]fakeTool{
		"t.ok":   {Result: []byte(`{"n":1}`)},
		"t.fail": {Error: &fakeError{Name: "ToolError", Message: "nope"}},
	}
	codes := []string{
		"const x = 1 + 1;\nreturn { ok: x === 2 };",
		"const r = await t.ok({ a: 1 });\nr.n",
		"let o;\no.length",
		"function inner() {\n  throw new Error('deep');\n}\nfunction outer() { inner() }\nouter()",
		"console.log('a', { b: 2 });\nconsole.warn('c')\n3",
		"await t.fail()",
		"const p = [1, 2].map(async n => {\n    return await   t.fail({ n });\n});\nawait Promise.all(p)",
		"try {\n  await t.fail()\n} catch (e) {\n  [e.message, e.stack]\n}",
		"eval('1 +')",
		"JSON.parse('{')",
		"const s = 'ééé'; s.x.y",
		"null.f()",
		"undefinedName + 1",
		"[1, 2, 3].reduce((a, b) => a + b)",
	}
	for _, code := range codes {
		if !plainJS(code) {
			t.Fatalf("plainJS(%q) = false; the test needs plain code", code)
		}
		s, err := compile(code, DefaultMaxCodeBytes)
		if err != nil || s.plain == "" {
			t.Fatalf("compile(%q): not compiled as plain JavaScript (%v)", code, err)
		}
		plain := run(t, code, tools)
		viaTS := run(t, code+"\ntype Plain = never", tools)
		plain.Stats, viaTS.Stats = Stats{}, Stats{}
		if diff := cmp.Diff(viaTS, plain); diff != "" {
			t.Errorf("%q: plain JavaScript differs from the same code through esbuild (-esbuild +plain):\n%s", code, diff)
		}
	}
}

// TestTypeScriptLookalikes: code that JavaScript also parses, but that
// TypeScript reads otherwise, goes through esbuild.
func TestTypeScriptLookalikes(t *testing.T) {
	tests := []struct{ name, code, want string }{
		{"type arguments", "function f(x) { return x * 2 }\nconst T = 1;\nf<T>(21)", "42"},
		{"type arguments across lines", "const id = (x) => x;\nconst T = 0;\nconst v = id\n<T>(5);\nv", "5"},
		{"modifier on its own line", "class A { private\n  x = 1 }\nObject.keys(new A())", `["x"]`},
		{"async generator", "async function* g() { yield 1; yield 2 }\nconst out = [];\nfor await (const v of g()) out.push(v);\nout", "[1,2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := run(t, tt.code, nil)
			if res.Err != nil || string(res.Value) != tt.want {
				t.Errorf("Run(%q) = %s, %v; want %s", tt.code, res.Value, res.Err, tt.want)
			}
		})
	}
	for _, code := range []string{"a => a", "x <= y", "a < b", "if (a > b) {}", "const klass = 1"} {
		if !plainJS(code) {
			t.Errorf("plainJS(%q) = false; want true", code)
		}
	}
}

// TestSpares: after a run, a runtime is set up for the next one with the
// same options; a run with other options does not get it; each runtime
// runs one execution.
func TestSpares(t *testing.T) {
	sp := NewSpares(1)
	a := []Binding{{Object: "a", Method: "m", ID: "a"}}
	b := []Binding{{Object: "b", Method: "m", ID: "b"}}
	echo := CallerFunc(func(_ context.Context, id string, _ json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`"` + id + `"`), nil
	})
	if err := sp.Prepare(Options{Bindings: a}); err != nil {
		t.Fatal(err)
	}
	if n := readySpares(sp); n != 1 {
		t.Fatalf("Prepare left %d spares; want 1", n)
	}
	if res := Run(context.Background(), "await a.m()", echo, Options{Bindings: a, Spares: sp}); string(res.Value) != `"a"` {
		t.Fatalf("run from the spare: %s, %v", res.Value, res.Err)
	}
	waitSpare(t, sp) // set up again after the run
	for i, tt := range []struct {
		binds []Binding
		code  string
		want  string
	}{
		{a, "globalThis.mark = 1; await a.m()", `"a"`},
		{a, "[typeof globalThis.mark, typeof b, await a.m()]", `["undefined","undefined","a"]`},
		{b, "[typeof a, await b.m()]", `["undefined","b"]`},
		{b, "globalThis.mark ?? await b.m()", `"b"`},
		{a, "typeof b + (await a.m())", `"undefineda"`},
	} {
		res := Run(context.Background(), tt.code, echo, Options{Bindings: tt.binds, Spares: sp})
		if res.Err != nil || string(res.Value) != tt.want {
			t.Errorf("run %d: %s, %v; want %s", i, res.Value, res.Err, tt.want)
		}
	}
	for _, off := range []*Spares{nil, NewSpares(0)} {
		if err := off.Prepare(Options{Bindings: a}); err != nil || off.take(Options{Bindings: a}.withDefaults()) != nil {
			t.Errorf("a spare from %#v, which keeps none (Prepare: %v)", off, err)
		}
	}
}

// TestSparesOwned: a Spares serves only the runs given it: a run without
// one, or with another, sets its own runtime up and leaves the spare where
// it is for the run that has it.
func TestSparesOwned(t *testing.T) {
	mine, other := NewSpares(1), NewSpares(1)
	opts := Options{Bindings: []Binding{{Object: "a", Method: "m", ID: "a"}}}
	if err := mine.Prepare(opts); err != nil {
		t.Fatal(err)
	}
	spare(t, mine).rt.Set("marked", true) // tells the spare's runtime from others
	for _, sp := range []*Spares{nil, other, mine} {
		o := opts
		o.Spares = sp
		want := `"undefined"`
		if sp == mine {
			want = `"boolean"`
		}
		if res := Run(context.Background(), "typeof marked", nil, o); string(res.Value) != want {
			t.Errorf("a run with Spares %p (mine %p): typeof marked = %s, %v; want %s", sp, mine, res.Value, res.Err, want)
		}
	}
}

// spare returns the spare sp has ready.
func spare(t *testing.T, sp *Spares) *execution {
	t.Helper()
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if len(sp.ready) != 1 {
		t.Fatalf("%d spares ready; want 1", len(sp.ready))
	}
	return sp.ready[0]
}

// TestSparesConcurrent: runs with two sets of bindings, at once, each get a
// runtime set up with theirs.
func TestSparesConcurrent(t *testing.T) {
	sp := NewSpares(1)
	binds := map[string][]Binding{"a": {{Object: "a", Method: "m", ID: "a"}}, "b": {{Object: "b", Method: "m", ID: "b"}}}
	echo := CallerFunc(func(_ context.Context, id string, _ json.RawMessage) (json.RawMessage, error) {
		return json.RawMessage(`"` + id + `"`), nil
	})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 40 {
				ns := "a"
				if (g+i)%2 == 1 {
					ns = "b"
				}
				res := Run(context.Background(), "[typeof a, typeof b, await "+ns+".m()]", echo, Options{Bindings: binds[ns], Spares: sp})
				want := `["object","undefined","a"]`
				if ns == "b" {
					want = `["undefined","object","b"]`
				}
				if string(res.Value) != want {
					t.Errorf("run with %s's bindings: %s, %v; want %s", ns, res.Value, res.Err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestSpareSetupTimeout: a prelude that never ends fails its run at the
// run's deadline, and the spare set up after it is given up, not left
// running.
func TestSpareSetupTimeout(t *testing.T) {
	sp := NewSpares(1)
	sp.setupTimeout = 50 * time.Millisecond
	opts := Options{Prelude: []string{"for (;;) {}"}, Timeout: 100 * time.Millisecond, Spares: sp}
	if res := Run(context.Background(), "1", nil, opts); res.Err == nil || res.Err.Name != "TimeoutError" {
		t.Fatalf("run with an endless prelude: %v; want a TimeoutError", res.Err)
	}
	if err := sp.Prepare(opts); err == nil { // without the limit, it never returns
		t.Fatal("Prepare set up a runtime whose prelude never ends")
	}
	if n := readySpares(sp); n != 0 {
		t.Errorf("%d spares ready", n)
	}
}

// waitSpare waits until the background goroutine has set a spare of sp up.
func waitSpare(t *testing.T, sp *Spares) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if readySpares(sp) > 0 {
			return
		}
	}
	t.Fatal("no spare was set up")
}

func readySpares(sp *Spares) int {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return len(sp.ready)
}

// TestSpareWait: a run that finds a spare being set up waits for it up to
// WaitForSetup, and with zero does not wait at all.
func TestSpareWait(t *testing.T) {
	opts := Options{}.withDefaults()
	taken := func(sp *Spares) chan *execution {
		sp.mu.Lock()
		sp.aim(opts)
		sp.filling = true // a goroutine sets a spare up, and never offers one
		sp.mu.Unlock()
		got := make(chan *execution, 1)
		go func() { got <- sp.take(opts) }()
		return got
	}
	select {
	case x := <-taken(NewSpares(1).WaitForSetup(0)):
		if x != nil {
			t.Error("took a spare where none was ready")
		}
	case <-time.After(testenv.Within(time.Second)):
		t.Fatal("WaitForSetup(0): the run waited for the spare being set up")
	}
	sp := NewSpares(1).WaitForSetup(time.Hour)
	got := taken(sp)
	select {
	case <-got:
		t.Fatal("WaitForSetup(1h): the run did not wait for the spare being set up")
	case <-time.After(50 * time.Millisecond):
	}
	sp.mu.Lock()
	sp.filling = false // the setup failed: the run sets its own up
	sp.mu.Unlock()
	select {
	case <-got:
	case <-time.After(testenv.Within(time.Second)):
		t.Fatal("the run still waits once nothing is being set up")
	}
}

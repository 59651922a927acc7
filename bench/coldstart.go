package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"time"

	"github.com/dop251/goja"

	"github.com/mcp-codemode/mcp-codemode/sandbox"
)

// The trivial script every contender runs, and its TypeScript twin.
const (
	TrivialJS = "const x = 1 + 1;\nreturn { ok: x === 2 };"
	TrivialTS = "interface R { ok: boolean }\nconst x: number = 1 + 1;\nreturn { ok: x === 2 } satisfies R;"
)

// Bindings returns n bindings spread over 5 namespaces, as a server with n
// upstream tools gives the sandbox.
func Bindings(n int) []sandbox.Binding {
	bs := make([]sandbox.Binding, n)
	for i := range bs {
		ns := fmt.Sprintf("server%d", i%5)
		m := fmt.Sprintf("tool_%02d", i)
		bs[i] = sandbox.Binding{Object: ns, Method: m, ID: ns + "/" + m}
	}
	return bs
}

// echo answers every binding call with its arguments.
var echo = sandbox.CallerFunc(func(_ context.Context, _ string, args json.RawMessage) (json.RawMessage, error) {
	return args, nil
})

// ColdStart is one in-process execution: a fresh runtime with bindings for
// 50 tools, the esbuild transform (TypeScript) and the script. The runtime
// is set up by the run: there are no spares (see sandbox.Spares).
func ColdStart(code string) error { return coldStart(code, coldOptions()) }

// coldStart is ColdStart with opts.
func coldStart(code string, opts sandbox.Options) error {
	res := sandbox.Run(context.Background(), code, echo, opts)
	if res.Err != nil {
		return res.Err
	}
	if string(res.Value) != `{"ok":true}` {
		return fmt.Errorf("cold start gave %s", res.Value)
	}
	return nil
}

// coldBindings are made once, as the server makes its bindings once per
// version of its API: building them is not part of an execution.
var coldBindings = Bindings(50)

// coldMemory is shared by the cold starts, as a server shares one Memory
// among its executions.
var coldMemory = sandbox.NewMemory(sandbox.DefaultProcessMemory)

func coldOptions() sandbox.Options {
	return sandbox.Options{Bindings: coldBindings, Memory: coldMemory}
}

// Start is where a cold start's runtime comes from.
type Start int

const (
	// SetUp: the run sets its runtime up itself (spares off), the whole
	// cost of a fresh runtime per execution.
	SetUp Start = iota
	// FromSpare: a spare runtime was set up before the clock started, as
	// the server's background goroutine does between executions; the
	// request path.
	FromSpare
)

// Alloc is a latency sample with the bytes allocated per execution.
type Alloc struct {
	Latency
	BytesPerOp int64 `json:"bytes_per_op"`
}

// timeColdStart runs n cold starts and adds their durations to ds; it
// returns the bytes allocated (setting the spares up included).
func timeColdStart(code string, start Start, n int, ds *[]time.Duration) (uint64, error) {
	return timeColdStartWith(coldOptions(), code, start, n, ds)
}

// timeColdStartWith is timeColdStart with opts.
func timeColdStartWith(opts sandbox.Options, code string, start Start, n int, ds *[]time.Duration) (uint64, error) {
	opts.Spares = nil
	if start == FromSpare {
		opts.Spares = sandbox.NewSpares(sandbox.DefaultSpares)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		if start == FromSpare {
			if err := opts.Spares.Prepare(opts); err != nil {
				return 0, err
			}
		}
		t := time.Now()
		if err := coldStart(code, opts); err != nil {
			return 0, err
		}
		*ds = append(*ds, time.Since(t))
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, nil
}

// floorProgram is the trivial script as a precompiled goja program.
var floorProgram = goja.MustCompile("floor", "JSON.stringify((() => {\n"+TrivialJS+"\n})())", true)

// GojaFloor is the least a fresh goja runtime per execution costs:
// goja.New and the precompiled trivial script, without the sandbox's
// guards, helpers, bindings and esbuild transform.
func GojaFloor() error {
	v, err := goja.New().RunProgram(floorProgram)
	if err != nil {
		return err
	}
	if v.String() != `{"ok":true}` {
		return fmt.Errorf("goja floor gave %s", v)
	}
	return nil
}

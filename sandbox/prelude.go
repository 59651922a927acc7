package sandbox

import (
	_ "embed"
	"fmt"
	"sync"

	"github.com/dop251/goja"
)

//go:embed prelude.js
var preludeSource string

// preludeProgram is compiled once; a goja.Program may run in many runtimes
// concurrently.
var preludeProgram = sync.OnceValue(func() *goja.Program {
	return goja.MustCompile("prelude.js", preludeSource, true)
})

// helpers are the prelude's functions, bound to one runtime.
type helpers struct {
	format, serialize, args, describe, parse, hasArray goja.Callable
	// For resultReplacer (result.go).
	stringifyWith, objectValue, isArray, throwError, tick goja.Callable
	objectPrototype                                       *goja.Object
}

// preludeTakes are the built-ins the prelude's helpers use, in the order
// of its parameters: taken when a runtime is set up, before any code of
// the script's can replace them (takePrelude). An empty one is goja's
// own, made when the helpers are (preludeNatives): taking JSON.stringify
// would make it, and the guards would wrap it, at setup. An error
// constructor is the original, also taken when the helpers are made
// (errorCtor: the built-in hook takes each as goja makes it); making
// the three at setup was a quarter of it.
var preludeTakes = [...][2]string{{}, {}, {"Array", "isArray"}, {"Error", "!"},
	{"TypeError", "!"}, {"RangeError", "!"}, {"String", ""}, {}, {"Number", "isFinite"},
	{"Object", "getPrototypeOf"}, {"Object", "prototype"}}

// preludeNatives are goja's JSON.stringify, JSON.parse and Array.from, by
// their place in preludeTakes.
var preludeNatives = map[int]func(*goja.Runtime) func(goja.FunctionCall) goja.Value{
	0: func(rt *goja.Runtime) func(goja.FunctionCall) goja.Value { return rt.JSONStringify },
	1: func(rt *goja.Runtime) func(goja.FunctionCall) goja.Value { return rt.JSONParse },
	7: func(rt *goja.Runtime) func(goja.FunctionCall) goja.Value { return rt.ArrayFrom },
}

// prelude is the prelude's function in one runtime and what it is to be
// called with. The helpers are made when first needed (execution.help):
// the prelude makes two dozen closures, a sixth of setting a runtime up,
// and an execution whose argument and result are plain JSON, that neither
// logs nor throws, needs none of them.
type prelude struct {
	fn    goja.Callable
	args  [len(preludeTakes) + 1]goja.Value // the built-ins, then originalOf
	ctors func(name string) goja.Value      // the original error constructors
}

// takePrelude takes the prelude's function and built-ins in rt. originalOf
// is collections.go's, or null (a test's runtime: the globals); ctors
// returns an original error constructor.
func takePrelude(rt *goja.Runtime, originalOf goja.Value, ctors func(name string) goja.Value) (*prelude, error) {
	v, err := rt.RunProgram(preludeProgram())
	if err != nil {
		return nil, err
	}
	fn, ok := goja.AssertFunction(v)
	if !ok {
		return nil, fmt.Errorf("prelude: not a function")
	}
	p := &prelude{fn: fn, ctors: ctors}
	for i, t := range preludeTakes {
		if t[0] == "" || t[1] == "!" {
			continue // made or taken with the helpers
		}
		v := rt.Get(t[0])
		if t[1] != "" {
			v = v.ToObject(rt).Get(t[1])
		}
		p.args[i] = v
	}
	p.args[len(preludeTakes)] = originalOf
	return p, nil
}

// helpers calls the prelude and returns its functions.
func (p *prelude) helpers(rt *goja.Runtime) (*helpers, error) {
	for i, native := range preludeNatives {
		if p.args[i] == nil {
			p.args[i] = rt.ToValue(native(rt))
		}
	}
	for i, t := range preludeTakes {
		if t[1] == "!" && p.args[i] == nil {
			p.args[i] = p.ctors(t[0])
		}
	}
	v, err := p.fn(goja.Undefined(), p.args[:]...)
	if err != nil {
		return nil, err
	}
	obj := v.ToObject(rt)
	h := &helpers{}
	for _, c := range [...]struct {
		name string
		dst  *goja.Callable
	}{
		{"format", &h.format}, {"serialize", &h.serialize}, {"args", &h.args},
		{"describe", &h.describe}, {"parse", &h.parse}, {"hasArray", &h.hasArray},
		{"stringifyWith", &h.stringifyWith}, {"objectValue", &h.objectValue}, {"isArray", &h.isArray},
		{"throwError", &h.throwError}, {"tick", &h.tick},
	} {
		f, ok := goja.AssertFunction(obj.Get(c.name))
		if !ok {
			return nil, fmt.Errorf("prelude: %s is not a function", c.name)
		}
		*c.dst = f
	}
	h.objectPrototype = obj.Get("objectPrototype").ToObject(rt)
	return h, nil
}

// loadHelpers takes the prelude in rt, a runtime without the sandbox's
// setup (a test's), and makes its helpers.
func loadHelpers(rt *goja.Runtime) (*helpers, error) {
	p, err := takePrelude(rt, goja.Null(), rt.Get)
	if err != nil {
		return nil, err
	}
	return p.helpers(rt)
}

// help returns the execution's helpers, making them the first time. It
// fails when JavaScript cannot run: the runtime is interrupted, or the
// code's stack is too deep for the prelude's call.
func (x *execution) help() (*helpers, error) {
	if x.helpers == nil {
		h, err := x.prelude.helpers(x.rt)
		if err != nil {
			return nil, err
		}
		x.helpers = h
	}
	return x.helpers, nil
}

// extraPrograms caches the compiled Options.Prelude sources.
var extraPrograms sync.Map // source → *goja.Program

// compilePrelude returns the compiled program of a trusted prelude source.
// A source that does not compile panics: it is the embedder's bug, and Run
// turns the panic into an InternalError.
func compilePrelude(src string) *goja.Program {
	if p, ok := extraPrograms.Load(src); ok {
		return p.(*goja.Program)
	}
	p := goja.MustCompile("prelude", src, true)
	extraPrograms.Store(src, p)
	return p
}

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

// preludeArg is one of the prelude's parameters, a built-in its helpers
// use, and how the sandbox gets it when it makes the helpers, so that no
// code of the script's can have replaced it: one of native, intrinsic or
// ctor. None is read from the globals: the helpers are made when first
// needed, after code of the script's ran, and taking built-ins at setup
// made them (String, Array, Number, Object) in every runtime.
type preludeArg struct {
	// native is goja's own implementation of a built-in function
	// (JSON.stringify, Array.isArray, …), made as a function then.
	native func(*goja.Runtime, goja.FunctionCall) goja.Value
	// intrinsic names a built-in object as goja made it (goja.Runtime.Intrinsic).
	intrinsic string
	// ctor is an error constructor's name: the original (errorCtor: the
	// built-in hook takes each as goja makes it).
	ctor string
}

// preludeArgs are the prelude's parameters, in order, but originalOf.
var preludeArgs = [...]preludeArg{
	{native: (*goja.Runtime).JSONStringify}, {native: (*goja.Runtime).JSONParse}, {native: (*goja.Runtime).ArrayIsArray},
	{ctor: NameError}, {ctor: NameType}, {ctor: NameRange}, {intrinsic: "String"}, {native: (*goja.Runtime).ArrayFrom},
	{native: (*goja.Runtime).NumberIsFinite}, {native: (*goja.Runtime).ObjectGetPrototypeOf}, {intrinsic: "Object.prototype"},
	{native: (*goja.Runtime).ObjectDefineProperty},
}

// prelude is the prelude's function in one runtime and what it is to be
// called with. The helpers are made when first needed (execution.help):
// the prelude makes two dozen closures, a sixth of setting a runtime up,
// and an execution whose argument and result are plain JSON, that neither
// logs nor throws, needs none of them.
type prelude struct {
	fn    goja.Callable
	args  [len(preludeArgs) + 1]goja.Value // preludeArgs', then originalOf
	ctors func(name string) goja.Value     // the original error constructors
}

// takePrelude takes the prelude's function in rt. originalOf
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
	p.args[len(preludeArgs)] = originalOf
	return p, nil
}

// helpers calls the prelude and returns its functions.
func (p *prelude) helpers(rt *goja.Runtime) (*helpers, error) {
	for i, a := range preludeArgs {
		switch {
		case p.args[i] != nil:
		case a.native != nil:
			p.args[i] = rt.ToValue(func(call goja.FunctionCall) goja.Value { return a.native(rt, call) })
		case a.intrinsic != "":
			p.args[i] = rt.Intrinsic(a.intrinsic)
		case a.ctor != "":
			p.args[i] = p.ctors(a.ctor)
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

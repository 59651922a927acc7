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
	useOriginals                                          goja.Callable // gives the prelude originalOf (collections.go)
	objectPrototype                                       *goja.Object
}

// loadHelpers runs the prelude in rt and returns its functions.
func loadHelpers(rt *goja.Runtime) (*helpers, error) {
	v, err := rt.RunProgram(preludeProgram())
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
		{"throwError", &h.throwError}, {"tick", &h.tick}, {"useOriginals", &h.useOriginals},
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

package goja

import (
	"maps"
	"slices"

	"github.com/dop251/goja/unistring"
)

// Patched: see PATCHES.md ("Globals of the embedder's made on first use").

// LazyGlobals are global properties of the embedder's that a runtime makes
// on first use, as goja makes its own built-in globals: one more template
// for the global object, goja's with these names after its own. Make it
// once (NewLazyGlobals) and give it to each runtime (SetLazyGlobals); it is
// read only, and runtimes may share it concurrently.
type LazyGlobals struct {
	tmpl *objectTemplate
}

// LazyGlobal is one property of LazyGlobals: writable and configurable,
// and enumerable or not.
type LazyGlobal struct {
	Name       string
	Enumerable bool
}

// NewLazyGlobals returns the global object's template without goja's
// globals named in remove, and with globals added, each a property whose
// value the runtime's function (SetLazyGlobals) makes when goja first needs
// it: a get, a descriptor, `in`, enumeration of the global object, a set or
// a delete. The builtin hook (SetBuiltinHook) is given the value too.
func NewLazyGlobals(remove []string, globals ...LazyGlobal) *LazyGlobals {
	base := getGlobalObjectTemplate()
	t := &objectTemplate{
		propNames: slices.DeleteFunc(slices.Clone(base.propNames), func(n unistring.String) bool {
			return slices.Contains(remove, n.String())
		}),
		props:        maps.Clone(base.props),
		symProps:     base.symProps,
		symPropNames: base.symPropNames,
		protoFactory: base.protoFactory,
	}
	for _, name := range remove {
		delete(t.props, unistring.NewFromString(name))
	}
	for _, g := range globals {
		n := unistring.NewFromString(g.Name)
		if _, ok := t.props[n]; ok {
			panic("goja: NewLazyGlobals: " + g.Name + " is a built-in global")
		}
		t.putStr(n, func(r *Runtime) Value {
			v := _undefined
			if r.lazyGlobal != nil {
				v = r.lazyGlobal(g.Name)
			}
			return valueProp(v, true, g.Enumerable, true)
		})
	}
	return &LazyGlobals{tmpl: t}
}

// SetLazyGlobals gives the runtime's global object the properties of g,
// made by make(name) on first use, which returns the value (it may throw,
// by panicking with a JavaScript value, like a native function; the
// property is then not made, and the next use calls it again). Call it on
// a fresh runtime, before any code ran.
func (r *Runtime) SetLazyGlobals(g *LazyGlobals, make func(name string) Value) {
	o, ok := r.globalObject.self.(*templatedObject)
	if !ok || o.propNames != nil {
		panic("goja: SetLazyGlobals on a runtime whose global object is not fresh")
	}
	o.tmpl = g.tmpl
	r.lazyGlobal = make
}

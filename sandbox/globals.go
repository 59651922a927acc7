package sandbox

import (
	"sync"

	"github.com/dop251/goja"
)

// The globals the sandbox gives the code besides goja's built-ins —
// console, the timers and the web APIs (web.js) — are made when the code
// first uses one, as goja makes its own: they are properties of the global
// object's template (third_party/goja/PATCHES.md, SetLazyGlobals), made by
// lazyGlobal on a get, a descriptor, `in`, the enumeration of the global
// object, a set or a delete. Most executions use one or two of them, and
// each costs native functions, web.js a few dozen functions and objects:
// together a fifth of setting a runtime up. Their attributes are what
// defining them at setup gave: console and the timers enumerable (they
// were assigned), the web APIs not.

// lazyGlobals is the global object's template with the sandbox's globals,
// in the order setup defined them, and without goja's GoError.
var lazyGlobals = sync.OnceValue(func() *goja.LazyGlobals {
	return goja.NewLazyGlobals([]string{"GoError"}, // goja's own, not ECMAScript
		goja.LazyGlobal{Name: "console", Enumerable: true},
		goja.LazyGlobal{Name: "setTimeout", Enumerable: true},
		goja.LazyGlobal{Name: "setInterval", Enumerable: true},
		goja.LazyGlobal{Name: "clearTimeout", Enumerable: true},
		goja.LazyGlobal{Name: "clearInterval", Enumerable: true},
		goja.LazyGlobal{Name: "atob"},
		goja.LazyGlobal{Name: "btoa"},
		goja.LazyGlobal{Name: "TextEncoder"},
		goja.LazyGlobal{Name: "TextDecoder"},
		goja.LazyGlobal{Name: "structuredClone"},
	)
})

// lazyGlobal makes the global name of lazyGlobals.
func (x *execution) lazyGlobal(name string) goja.Value {
	switch name {
	case "console":
		return x.newConsole()
	case "setTimeout", "setInterval", "clearTimeout", "clearInterval":
		return x.timerGlobal(name)
	}
	return x.webGlobal(name)
}

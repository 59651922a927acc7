package sandbox

import (
	"fmt"
	"strings"

	"github.com/dop251/goja"
)

// Map and Set cost a constructor and a prototype of a dozen methods each in
// every fresh runtime, yet few executions use them. The prelude (a result's
// Maps and Sets) and web.js (structuredClone) need the originals, which
// they used to take at setup, making both. They now ask originalOf: an
// original is taken when goja makes the constructor (lazyCtor, through the
// built-in hook), before any code can reach it or its prototype, so it is
// the same value setup would have taken. Until Map is made no value is a
// Map, so a check against it is false without making it.

// RegExp, ArrayBuffer and Reflect are made on first use the same way
// (builtinMade, in guard.go), and their originals are taken then: the
// prelude, guards.js, web.js and the namespaces use them. No value is a
// RegExp, an ArrayBuffer or a view on one before goja made RegExp or
// ArrayBuffer (a literal, a typed array make them too).

// originalKeys are what originalOf hands out, each taken from its
// constructor (or object) when goja makes it.
var originalKeys = [...]string{"Map", "Map.prototype.forEach", "Map.prototype.set", "Map.prototype.get",
	"Set", "Set.prototype.forEach", "Set.prototype.add", "RegExp",
	"ArrayBuffer", "ArrayBuffer.isView", "ArrayBuffer.prototype.slice",
	"Reflect.apply", "Reflect.construct", "Reflect.get", "Reflect.set", "Reflect.has", "Reflect.defineProperty",
	"Reflect.deleteProperty", "Reflect.getOwnPropertyDescriptor", "Reflect.ownKeys", "Reflect.preventExtensions"}

// recordOriginal keeps the original constructor or object name and what of
// it originalKeys names: its static functions and its prototype's methods.
func (x *execution) recordOriginal(name string, ctor *goja.Object) {
	var proto *goja.Object
	for i, key := range originalKeys {
		rest, ok := strings.CutPrefix(key, name)
		switch {
		case x.originals[i] != nil || !ok:
		case rest == "":
			x.originals[i] = ctor
		case strings.HasPrefix(rest, ".prototype."):
			if proto == nil {
				proto = ctor.Get("prototype").ToObject(x.rt)
			}
			x.originals[i] = proto.Get(rest[len(".prototype."):])
		case rest[0] == '.':
			x.originals[i] = ctor.Get(rest[1:])
		}
	}
}

// originalOf(key, make) is original for the helpers' JavaScript.
func (x *execution) originalOf(call goja.FunctionCall) goja.Value {
	return x.original(call.Argument(0).String(), call.Argument(1).ToBoolean())
}

// original is the original value of key (originalKeys), or undefined when
// goja has not made it yet and create is false. With create, the constructor is
// made now: through the global, which no code can have replaced without
// making it first (a set, a delete or a definition of a global built-in
// makes it, and the hook takes the original then).
func (x *execution) original(key string, create bool) goja.Value {
	for i, k := range originalKeys {
		if k != key {
			continue
		}
		if x.originals[i] == nil && create {
			ctor, _, _ := strings.Cut(key, ".")
			x.rt.GlobalObject().Get(ctor)
		}
		if x.originals[i] == nil {
			if create {
				panic(fmt.Sprintf("the original %s was not taken when goja made it", key))
			}
			return goja.Undefined()
		}
		return x.originals[i]
	}
	panic(fmt.Sprintf("originalOf: no original %q", key))
}

package sandbox

import (
	"fmt"

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

// originalKeys are what originalOf hands out, each taken from its
// constructor when goja makes it.
var originalKeys = [...]string{"Map", "Map.prototype.forEach", "Map.prototype.set", "Map.prototype.get",
	"Set", "Set.prototype.forEach", "Set.prototype.add"}

// recordOriginal keeps the original constructor name (Map or Set) and its
// methods named in originalKeys.
func (x *execution) recordOriginal(name string, ctor *goja.Object) {
	if name != "Map" && name != "Set" {
		return
	}
	var proto *goja.Object
	for i, key := range originalKeys {
		switch {
		case x.originals[i] != nil:
		case key == name:
			x.originals[i] = ctor
		case len(key) > len(name)+11 && key[:len(name)+11] == name+".prototype.":
			if proto == nil {
				proto = ctor.Get("prototype").ToObject(x.rt)
			}
			x.originals[i] = proto.Get(key[len(name)+11:])
		}
	}
}

// originalOf(key, make) is the original value of key (originalKeys), or
// undefined when goja has not made it yet and make is false. With make,
// the constructor is made now: through the global, which no code can have
// replaced without making it first (a set, a delete or a definition of a
// global built-in makes it, and the hook takes the original then).
func (x *execution) originalOf(call goja.FunctionCall) goja.Value {
	key := call.Argument(0).String()
	for i, k := range originalKeys {
		if k != key {
			continue
		}
		if x.originals[i] == nil && call.Argument(1).ToBoolean() {
			ctor := "Map"
			if key[0] == 'S' {
				ctor = "Set"
			}
			x.rt.GlobalObject().Get(ctor)
		}
		if x.originals[i] == nil {
			if call.Argument(1).ToBoolean() {
				panic(fmt.Sprintf("the original %s was not taken when goja made it", key))
			}
			return goja.Undefined()
		}
		return x.originals[i]
	}
	panic(fmt.Sprintf("originalOf: no original %q", key))
}
